#!/usr/bin/env node
// The built CLI lives in dist/: made by `npm run build` (npm start, npm test and npm pack run it first).
import('../dist/node/cli/main.js').then((m) => m.main(process.argv));
