/**
 * The platform boundary, as the tree shows it: everything under src/ but
 * src/node, src/mlp and src/dataframe is the core, which must run unchanged
 * in browsers, Deno, Bun and web workers. So no file of the core imports
 * from Node, from a heavy or Node-only package, or from the Node folders,
 * nor uses Node's globals. (test/browser.test.ts bundles the core for a
 * browser and runs it there; this test names the file and line at fault.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const SRC = join(ROOT, 'src');
const OUTSIDE_CORE = ['node', 'mlp', 'dataframe'].map((d) => join(SRC, d));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return OUTSIDE_CORE.includes(path) ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Packages the core may import: small, platform-neutral, pure JavaScript. */
const CORE_PACKAGES = ['valibot', 'ml-random-forest', '@noble/hashes'];

const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
const NODE_GLOBALS = /\b(?:process\.|Buffer\.|Buffer\(|__dirname|__filename|require\()/;

describe('the core imports nothing that needs Node', () => {
  const files = sources(SRC);

  it('finds the core files', () => {
    expect(files.length).toBeGreaterThan(60);
    expect(files.some((f) => f.endsWith(join('learners', 'model.ts')))).toBe(true);
  });

  it('imports only core modules and platform-neutral packages', () => {
    const faults: string[] = [];
    for (const file of files) {
      // Comments may name modules (`import('streamlearn')` in prose); blanked, keeping line numbers.
      const text = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
        .replace(/^\s*\/\/.*$/gm, '');
      for (const match of text.matchAll(IMPORT)) {
        const spec = match[1] ?? match[2] ?? match[3];
        const line = text.slice(0, match.index).split('\n').length + (match[0].startsWith('\n') ? 1 : 0);
        const where = `${relative(ROOT, file)}:${line}`;
        if (spec.startsWith('.')) {
          const target = join(file, '..', spec);
          if (OUTSIDE_CORE.some((dir) => target.startsWith(dir + '/'))) faults.push(`${where} imports ${spec} (outside the core)`);
        } else if (!CORE_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) {
          faults.push(`${where} imports ${spec}`);
        }
      }
    }
    expect(faults).toEqual([]);
  });

  it("uses none of Node's globals", () => {
    const faults: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '');
          if (!code.trim().startsWith('*') && NODE_GLOBALS.test(code)) faults.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(faults).toEqual([]);
  });
});
