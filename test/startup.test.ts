import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { detectorNames, transformerNames } from '../src/index.js';
import { learnerNames } from '../src/learners/registry.js';
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

describe('start-up loads only what runs', () => {
  it('streamlearn --version loads commander and the flags, none of the commands\' code', () => {
    const modules = loadedModules(['bin/streamlearn.js', '--version']);
    expect(packagesOf(modules)).toEqual(['commander']);
    expect(modules).toContain('dist/node/cli/train.js');
    const heavy = modules.filter(
      (m) =>
        m.startsWith('dist/learners/') ||
        m.startsWith('dist/node/files/') ||
        m.startsWith('dist/node/persist/') ||
        m === 'dist/node/pipeline.js' ||
        m.endsWith('-run.js') ||
        m === 'dist/node/cli/progress.js' ||
        (m.startsWith('dist/node/broker/') && !['dist/node/broker/cli-options.js', 'dist/node/broker/defaults.js'].includes(m)) ||
        (m.startsWith('dist/node/serve/') && m !== 'dist/node/serve/options.js'),
    );
    expect(heavy).toEqual([]);
  });

  it('a command loads its own code when it runs', () => {
    const modules = loadedModules(['bin/streamlearn.js', 'detectors']);
    expect(modules).toContain('dist/drift/registry.js');
    expect(modules.filter((m) => m.endsWith('-run.js'))).toEqual([]);
    expect(packagesOf(modules)).not.toContain('fastify');
  });

  it("import('streamlearn') loads no Node-only code and no heavy dependency", () => {
    const modules = loadedModules(['--input-type=module', '-e', "await import('streamlearn')"]);
    expect(modules).toContain('dist/index.js');
    expect(modules.filter((m) => /^dist\/(node|mlp|dataframe)\//.test(m))).toEqual([]);
    const packages = packagesOf(modules);
    for (const p of ['fastify', '@nats-io/transport-node', 'csv-parse', 'csv-stringify', 'commander', 'cli-progress', 'ml-random-forest', '@tensorflow/tfjs-core', 'danfojs-node', 'zod']) {
      expect(packages).not.toContain(p);
    }
    // Each package's modules cost start-up time: zod alone was 95 modules and most of the import's time.
    expect(packages).toEqual(['@noble/hashes', 'valibot']);
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

describe("the CLI's light name lists", () => {
  // The flags' help reads these lists so that start-up need not load the registries; they must not drift apart.
  it('match the registries', () => {
    expect(light.learnerNames).toEqual(learnerNames);
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

  it('on a terminal, a training bar shows rows, speed and accuracy, and holds output lines until it stops', () => {
    const { stream, text } = fakeStream(true);
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (written.push(String(s)), true));
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
