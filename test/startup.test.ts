import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { detectorNames, transformerNames } from '../src/index.js';
import { learnerNames } from '../src/learners/registry.js';
import { regressorNames } from '../src/learners/regressor-registry.js';
import { inputFormats } from '../src/node/files/file-source.js';
import * as light from '../src/node/cli/names.js';
import { Progress } from '../src/node/cli/progress.js';
import { ROOT, tempDir } from './helpers.js';

/** The modules a node process loads (ESM load hooks see every import and each CommonJS package's entry), relative to the repository. */
function loadedModules(args: string[]): string[] {
  const dir = tempDir();
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, ...args], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const root = pathToFileURL(ROOT).href;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith(root))
    .map((u) => u.slice(root.length).replace(/^\//, ''));
}

/** The npm packages among loaded modules. */
const packagesOf = (modules: string[]): string[] => [...new Set(modules.flatMap((m) => /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m)?.[1] ?? []))].sort();

/** The files of dist/ among loaded modules: the bundle's entry points and chunks, each a price paid in start-up time. */
const builtFiles = (modules: string[]): string[] => modules.filter((m) => m.startsWith('dist/'));

/** The source modules whose code the loaded files of dist/ hold (each names them in its source map), relative to the repository. */
function sourcesOf(modules: string[]): string[] {
  return builtFiles(modules).flatMap((file) => {
    const map = JSON.parse(readFileSync(join(ROOT, `${file}.map`), 'utf8')) as { sources: string[] };
    return map.sources.map((s) => relative(ROOT, join(ROOT, dirname(file), s)).split(sep).join('/'));
  });
}

describe('start-up loads only what runs', () => {
  // The build is bundled (scripts/bundle.mjs): the checks below look through its files to the sources they hold.
  it('streamlearn --version loads commander and the flags, none of the commands\' code', () => {
    const modules = loadedModules(['bin/streamlearn.js', '--version']);
    expect(packagesOf(modules)).toEqual(['commander']);
    const sources = sourcesOf(modules);
    expect(sources).toContain('src/node/cli/train.ts');
    const heavy = sources.filter(
      (m) =>
        m.startsWith('src/learners/') ||
        m.startsWith('src/node/files/') ||
        m.startsWith('src/node/persist/') ||
        m === 'src/node/pipeline.ts' ||
        m.endsWith('-run.ts') ||
        m === 'src/node/cli/progress.ts' ||
        (m.startsWith('src/node/broker/') && !['src/node/broker/cli-options.ts', 'src/node/broker/defaults.ts'].includes(m)) ||
        (m.startsWith('src/node/serve/') && m !== 'src/node/serve/options.ts'),
    );
    expect(heavy).toEqual([]);
  });

  it('a command loads its own code when it runs', () => {
    const modules = loadedModules(['bin/streamlearn.js', 'detectors']);
    const sources = sourcesOf(modules);
    expect(sources).toContain('src/drift/registry.ts');
    expect(sources.filter((m) => m.endsWith('-run.ts'))).toEqual([]);
    expect(packagesOf(modules)).not.toContain('fastify');
  });

  it("import('streamlearn') loads no Node-only code and no heavy dependency, in few files", () => {
    const modules = loadedModules(['--input-type=module', '-e', "await import('streamlearn')"]);
    expect(modules).toContain('dist/index.js');
    const sources = sourcesOf(modules);
    expect(sources).toContain('src/learners/tree/hoeffding-tree-classifier.ts');
    expect(sources.filter((m) => !m.startsWith('src/') || /^src\/(node|mlp|dataframe)\//.test(m))).toEqual([]);
    const packages = packagesOf(modules);
    for (const p of ['fastify', '@nats-io/transport-node', 'csv-parse', 'csv-stringify', 'commander', 'cli-progress', 'ml-random-forest', '@tensorflow/tfjs-core', 'danfojs-node', 'zod']) {
      expect(packages).not.toContain(p);
    }
    // Each package's modules cost start-up time: zod alone was 95 modules and most of the import's time.
    expect(packages).toEqual(['@noble/hashes', 'valibot']);
    // So does each file of our own (Node's loader, about half a millisecond each): unbundled, the core was 73 files.
    expect(builtFiles(modules).length).toBeLessThanOrEqual(20);
  });

  it('forest-ensemble loads ml-random-forest when it is made, and says how when made too early', () => {
    const script = [
      "const { ForestEnsemble, Model } = await import('streamlearn');",
      "try { new ForestEnsemble({ nFeatures: 2, nClasses: 2, seed: 1 }); } catch (e) { console.log(e.message); }",
      "const m = await Model.create('forest-ensemble', { features: ['a', 'b'], label: 'y', classes: ['p', 'q'] }, { seed: 1 });",
      'console.log(m.learnerName);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const [first, second] = r.stdout.trim().split('\n');
    expect(first).toMatch(/^forest-ensemble: ml-random-forest is not loaded; .*await ForestEnsemble\.load\(\)/);
    expect(second).toBe('forest-ensemble');
  });
});

describe('the bundle', () => {
  // scripts/bundle.mjs: the library in one esbuild run (dist/, chunks in dist/chunks/), the command line in
  // another (dist/node/cli/, chunks in dist/node/cli/chunks/). A process runs one of the two.
  const scripts: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith('.js')) scripts.push(`${dir}/${e.name}`);
    }
  };
  const isCli = (f: string): boolean => f.startsWith('dist/node/cli/');
  /** The files of dist/ that a built file imports (statically or lazily). */
  const importsOf = (file: string): string[] =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)"(\.\.?\/[^"]+\.js)"/g)].map((m) => relative(ROOT, join(ROOT, dirname(file), m[1])).split(sep).join('/'));

  it('holds each source module once in each of its two bundles, so module-level state and classes are one across entry points', () => {
    if (scripts.length === 0) walk('dist');
    for (const part of [scripts.filter((f) => !isCli(f)), scripts.filter(isCli)]) {
      // The forest's worker thread is an entry point of the library's bundle: its code is shared too, not copied.
      const sources = sourcesOf(part);
      expect(sources.filter((s, i) => sources.indexOf(s) !== i)).toEqual([]);
      expect(sources).toContain('src/core/errors.ts');
    }
  });

  it("keeps the two bundles apart: the command line's files import none of the library's, nor the library's any of the command line's", () => {
    if (scripts.length === 0) walk('dist');
    const crossing = scripts.flatMap((f) => importsOf(f).filter((i) => isCli(i) !== isCli(f)).map((i) => `${f} -> ${i}`));
    expect(crossing).toEqual([]);
    expect(scripts.filter((f) => isCli(f)).length).toBeGreaterThan(1);
  });

  it('streamlearn and streamlearn/node share one StreamlearnError class', () => {
    const script = [
      "const core = await import('streamlearn');",
      "const node = await import('streamlearn/node');",
      "try { await node.loadModel('/nonexistent/streamlearn-model'); } catch (e) { console.log(e instanceof core.StreamlearnError, e.name); }",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('true StreamlearnError');
  });
});

describe("the CLI's light name lists", () => {
  // The flags' help reads these lists so that start-up need not load the registries; they must not drift apart.
  it('match the registries', () => {
    expect(light.learnerNames).toEqual(learnerNames);
    expect(light.regressorNames).toEqual(regressorNames);
    expect(light.detectorNames).toEqual(detectorNames);
    expect(light.transformerNames).toEqual(transformerNames);
    expect(light.inputFormats).toEqual(inputFormats);
  });
});

/** A stream that records what is written, as a terminal or not. */
function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = { isTTY, columns: 100, write: (s: string) => ((out += s), true), on: () => stream, once: () => stream, removeListener: () => stream } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

describe('Progress, the one progress display', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('off a terminal, a count prints plain lines no more often than asked, with the total when known', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const { stream, text } = fakeStream(false);
    const p = new Progress({ label: 'rows published', total: 3000, stream, linesEveryMs: 2000 });
    expect(p.active).toBe(false);
    p.update(100);
    expect(text()).toBe('');
    vi.advanceTimersByTime(2500);
    p.update(1500);
    p.update(1600);
    p.stop();
    expect(text()).toBe('rows published: 1,500 of 3,000\n');
  });

  it('off a terminal, a training bar shows nothing and output lines pass straight through', () => {
    const { stream, text } = fakeStream(false);
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (written.push(String(s)), true));
    const p = new Progress({ label: 'training', total: 100, stream, training: true });
    p.update(50);
    p.print('a line\n');
    expect(written).toEqual(['a line\n']);
    p.stop();
    expect(text()).toBe('');
  });

  it('on a terminal, a training bar shows rows, speed and accuracy, and holds output lines until it stops when stdout is that terminal', () => {
    const { stream, text } = fakeStream(true);
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (written.push(String(s)), true));
    const wasTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
    try {
      const p = new Progress({ label: 'training', total: 1000, stream, training: true });
      expect(p.active).toBe(true);
      p.update(500);
      p.scored(0.875);
      p.print('held\n');
      expect(written).toEqual([]);
      p.stop();
      expect(text()).toMatch(/training .*50% \| 500 rows \| [\d,]+ rows\/s \| accuracy 0\.8750/);
      expect(written).toEqual(['held\n']);
      expect(p.active).toBe(false);
    } finally {
      if (wasTTY) Object.defineProperty(process.stdout, 'isTTY', wasTTY);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
  });

  it('on a terminal, with stdout redirected (train > log), output lines go straight to stdout while the bar shows on its stream', () => {
    const { stream, text } = fakeStream(true);
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (written.push(String(s)), true));
    const p = new Progress({ label: 'comparing', total: 1000, stream, training: true });
    p.update(250);
    p.scored('hoeffding-tree 0.9000, gaussian-nb 0.8500');
    p.print('a line\n');
    expect(written).toEqual(['a line\n']);
    p.stop();
    expect(text()).toMatch(/comparing .*25% \| 250 rows \| [\d,]+ rows\/s \| accuracy hoeffding-tree 0\.9000, gaussian-nb 0\.8500/);
    expect(written).toEqual(['a line\n']);
  });

  it('on a terminal, a count shows value of total, and nothing when disabled', () => {
    const tty = fakeStream(true);
    const p = new Progress({ label: 'rows published', total: 200, stream: tty.stream });
    p.update(120);
    p.stop();
    expect(tty.text()).toMatch(/rows published \[.*\] 60% \| 120\/200/);
    const off = fakeStream(true);
    const q = new Progress({ label: 'training', total: 10, stream: off.stream, enabled: false, training: true });
    q.update(5);
    q.stop();
    expect(q.active).toBe(false);
    expect(off.text()).toBe('');
  });
});
