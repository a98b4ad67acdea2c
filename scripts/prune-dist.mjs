// Removes what tsc left in dist/ from sources that no longer exist (a file
// moved or deleted), so that `npm pack` ships only what src/ builds. Run after
// tsc rather than emptying dist/ before it: dist/ then never disappears while
// someone else's tests use it.
import { readdirSync, rmSync, existsSync, rmdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const src = join(root, 'src');
// dist/a/b.js, .js.map, .d.ts and .d.ts.map all come from src/a/b.ts.
const OUTPUT = /^(.*)\.(?:js|js\.map|d\.ts|d\.ts\.map)$/;

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
    const m = OUTPUT.exec(entry.name);
    const source = m && join(src, relative(dist, dir), `${m[1]}.ts`);
    if (source && !existsSync(source)) {
      rmSync(path);
      removed++;
    } else left++;
  }
  return left === 0;
}

if (existsSync(dist)) prune(dist);
if (removed > 0) console.log(`prune-dist: removed ${removed} stale files from dist/`);
