// The core (`streamlearn`, src/index.ts) bundled for a browser with esbuild:
// its size minified, and minified and gzipped. test/browser.test.ts loads
// this very bundle in headless Chromium.
//
//   node bench/browser-bundle.mjs [--out FILE]
//
// Prints a table on stderr and one JSON line on stdout:
// {"case":"browser-bundle","minifiedBytes":..,"gzipBytes":..,"inputs":{..}}
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The one Node builtin a browser bundle of the core meets, and why it is let
 * through: random-js (ml-random-forest's random numbers, used by the
 * forest-ensemble learner) has an engine that calls require("crypto") when
 * used, and streamlearn never uses it (it seeds MersenneTwister19937). The
 * require is there to be seen all the same, so a bundler that resolves every
 * require fails on it: esbuild needs `--external:crypto`, webpack 5
 * `resolve.fallback: { crypto: false }`; Vite passes it by itself. Only that
 * importer and that name are let through: any other builtin, anywhere, fails
 * the build.
 */
export const ALLOWED_BUILTINS = [{ importer: /[\\/]node_modules[\\/]random-js[\\/]/, path: 'crypto' }];

const allowKnownBuiltins = {
  name: 'allow-known-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?crypto$/ }, (args) =>
      ALLOWED_BUILTINS.some((a) => a.path === args.path && a.importer.test(args.importer)) ? { path: args.path, external: true } : undefined,
    );
  },
};

/**
 * Bundles the core (or `entry`, with esbuild's `alias` map) for a browser: platform browser (so any
 * other Node builtin is a build error), ESM, minified. Resolves with
 * esbuild's errors and warnings, the bundle's text and its sizes; a failed
 * build resolves too, with its errors.
 */
export async function bundleCore({ minify = true, entry = 'src/index.ts', alias = undefined } = {}) {
  let result;
  try {
    result = await build({
      absWorkingDir: ROOT,
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [allowKnownBuiltins],
      ...(alias ? { alias } : {}),
    });
  } catch (err) {
    if (!Array.isArray(err?.errors)) throw err;
    return { errors: err.errors, warnings: err.warnings ?? [], code: '', minifiedBytes: 0, gzipBytes: 0, inputs: {} };
  }
  const bytes = result.outputFiles[0].contents;
  const inputs = {};
  const output = Object.values(result.metafile.outputs)[0];
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const parts = file.split('/');
    const key = parts[0] === 'node_modules' ? parts.slice(1, parts[1].startsWith('@') ? 3 : 2).join('/') : 'streamlearn (src)';
    inputs[key] = (inputs[key] ?? 0) + bytesInOutput;
  }
  return {
    errors: result.errors,
    warnings: result.warnings,
    code: new TextDecoder().decode(bytes),
    minifiedBytes: bytes.byteLength,
    gzipBytes: gzipSync(bytes, { level: 9 }).byteLength,
    inputs,
  };
}

async function main() {
  const args = process.argv.slice(2);
  const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
  const b = await bundleCore();
  if (b.errors.length > 0) {
    for (const e of b.errors) process.stderr.write(`${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}\n`);
    process.exit(1);
  }
  if (out) writeFileSync(out, b.code);
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  process.stderr.write(`core bundle for the browser: ${kb(b.minifiedBytes)} minified, ${kb(b.gzipBytes)} gzipped\n`);
  for (const [name, n] of Object.entries(b.inputs).sort((x, y) => y[1] - x[1])) process.stderr.write(`  ${kb(n).padStart(10)}  ${name}\n`);
  console.log(JSON.stringify({ case: 'browser-bundle', minifiedBytes: b.minifiedBytes, gzipBytes: b.gzipBytes, warnings: b.warnings.length, inputs: b.inputs }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
