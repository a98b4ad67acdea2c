// The tests use the library as a Node program does: with streamlearn/node loaded, which
// gives mlp (TensorFlow.js, a dev dependency here), worker threads and node:crypto's SHA-256.
// test/browser.test.ts checks the core on its own, bundled for a browser.
import '../src/node/index.js';
