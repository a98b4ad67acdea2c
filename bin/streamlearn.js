#!/usr/bin/env node
// The built CLI lives in dist/ (made by `npm install` through the prepare script).
import('../dist/node/cli/main.js').then((m) => m.main(process.argv));
