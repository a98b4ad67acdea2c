// Removes what earlier builds left in dist/ and this one did not write, so that `npm pack` ships only
// what src/ builds: .d.ts files (tsc) whose source no longer exists (a file moved or deleted), and
// JavaScript and source maps that the bundle (scripts/bundle.mjs, which calls this) did not write:
// chunks of earlier bundles, files of the unbundled builds before it. Runs after the build rather than
// emptying dist/ before it: dist/ then never disappears while someone else's tests use it.
import { readdirSync, rmSync, existsSync, rmdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const src = join(root, 'src');
// dist/a/b.d.ts and .d.ts.map come from src/a/b.ts.
const DECLARATION = /^(.*)\.d\.ts(?:\.map)?$/;
const SCRIPT = /\.js(?:\.map)?$/;

/** Prunes dist/; `bundled` lists the files the bundle wrote, relative to dist/. */
export function pruneDist(bundled) {
  const keep = new Set(bundled.map((f) => f.split(/[\\/]/).join(sep)));
  let removed = 0;
  /** Prunes one folder; returns whether it is empty afterwards. */
  function prune(dir) {
    let left = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (prune(path)) rmdirSync(path);
        else left++;
        continue;
      }
      const declaration = DECLARATION.exec(entry.name);
      const stale = declaration
        ? !existsSync(join(src, relative(dist, dir), `${declaration[1]}.ts`))
        : SCRIPT.test(entry.name) && !keep.has(relative(dist, path));
      if (stale) {
        rmSync(path);
        removed++;
      } else left++;
    }
    return left === 0;
  }
  if (existsSync(dist)) prune(dist);
  if (removed > 0) console.log(`prune-dist: removed ${removed} stale files from dist/`);
}
