// Bundles the build (issue 13's start-up target): tsc checks the types and writes the .d.ts files;
// esbuild writes the JavaScript. Each module costs Node's loader about half a millisecond, and the
// core's 78 files were most of `import('streamlearn')`'s time; bundled, the core loads a handful.
//
// One esbuild run over the library's entry points, with code splitting: each source module lands in
// exactly one output file (an entry's own, or a shared chunk under dist/chunks/), so module-level state
// (the mlp slot's provider, the SHA-256 implementation, the member-thread hook) and class identity
// (instanceof StreamlearnError) stay single across entry points. The command line is a second run
// (its chunks under dist/node/cli/chunks/): see below. Dynamic import()s stay lazy: their
// targets become chunks of their own. Packages stay external, as in an unbundled build.
//
// The entry points keep the paths package.json's exports, bin/streamlearn.js and the forest's
// worker thread name. Then scripts/prune-dist.mjs removes what is left of earlier builds.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { pruneDist } from './prune-dist.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The library's entry points, each written to the same path under dist/ (.ts -> .js). */
export const LIBRARY_ENTRY_POINTS = [
  'src/index.ts', // streamlearn
  'src/node/index.ts', // streamlearn/node
  'src/node/serve/index.ts', // streamlearn/serve
  'src/node/broker/index.ts', // streamlearn/nats
  'src/mlp/index.ts', // streamlearn/mlp
  'src/dataframe/index.ts', // streamlearn/dataframe
  'src/node/forest-worker.ts', // the Adaptive Random Forest's worker thread (src/node/forest-threads.ts)
];
/** The command line's, for bin/streamlearn.js. */
export const CLI_ENTRY_POINT = 'src/node/cli/main.ts';

const common = {
  absWorkingDir: root,
  outdir: 'dist',
  outbase: 'src',
  entryNames: '[dir]/[name]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  packages: 'external',
  // Classes and functions keep their names (error names, stack traces) where bundling renames them.
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: true,
  metafile: true,
  logLevel: 'warning',
};

// The command line is a bundle of its own. In one run with the library's entry points, its lazily loaded
// commands (a split point each) cut the library's shared code into many more chunks: the core's import
// loaded 22 files instead of 10, about 20 ms more. A process runs either the command line (bin/streamlearn.js,
// which package.json does not export) or the library, never both, so each still holds one copy of each
// module; the forest's worker thread, a fresh set of modules in any case, is the library's.
const results = await Promise.all([
  build({ ...common, entryPoints: LIBRARY_ENTRY_POINTS, chunkNames: 'chunks/[name]-[hash]' }),
  build({ ...common, entryPoints: [CLI_ENTRY_POINT], chunkNames: 'node/cli/chunks/[name]-[hash]' }),
]);

const outputs = results.flatMap((r) => Object.keys(r.metafile.outputs)).map((f) => relative('dist', f));
pruneDist(outputs);
