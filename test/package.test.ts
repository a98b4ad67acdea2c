// The package as a user gets it (issue 13, "Done means"): the built project is
// packed with `npm pack`, the tarball installed into a fresh project (one
// install, shared by the tests below), and used from there: every entry point
// imported, the main one required from CommonJS, a strict consumer
// type-checked without skipLibCheck, the install's output and engines checked,
// node_modules measured; then the documented TensorFlow.js install added and
// an mlp trained. The API reference (TypeDoc) is built at the end, warnings
// being errors.
//
// Needs the npm registry (or a warm npm cache: CI's `npm ci` fills it with the
// same versions) and a build (`npm test` builds first).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP_INSTALL } from '../src/learners/mlp-slot.js';
import { DANFO_INSTALL } from '../src/dataframe/dataframe.js';
import { VERSION } from '../src/core/version.js';
import { nodeModulesSize, TARGET_MB } from '../bench/package-size.mjs';
import { ROOT } from './helpers.js';

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  exports: Record<string, unknown>;
  peerDependencies: Record<string, string>;
};
const ENTRIES = Object.keys(PKG.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'streamlearn' : `streamlearn/${k.slice(2)}`));
const NPM_QUIET = ['--prefer-offline', '--no-audit', '--no-fund'];
const TFJS = Object.keys(PKG.peerDependencies)
  .filter((name) => name.startsWith('@tensorflow/'))
  .map((name) => `${name}@${PKG.peerDependencies[name]}`);

// `npm test` passes its configuration down as npm_config_* variables (local_prefix among them: the
// repository); an npm run inside the scratch project must see only the user's own configuration.
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_(config_(local_prefix|prefix|global|workspaces?|include_workspace_root)|package_|lifecycle_)/i.test(k)),
);

let scratch: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };
let install: Ran;

/** What a finished command gave. */
interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking the test worker (spawnSync of an npm install or a tsc run
 * for minutes on a loaded machine outlasts vitest's 60 s RPC timeout); killed past `limitMs`.
 */
function run(cmd: string, args: string[], cwd = project, limitMs = 280_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs a Node script (ESM, or CommonJS for a .cjs name) in the scratch project; fails on a non-zero exit. */
async function node(file: string, source: string): Promise<{ stdout: string; stderr: string }> {
  writeFileSync(join(project, file), source);
  const r = await run(process.execPath, [file]);
  expect(r.status, `${file} failed:\n${r.stderr}`).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr };
}

function npmOutput(r: Ran): string {
  return `${r.stdout}\n${r.stderr}`;
}

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is not built: npm run build (npm test builds first)').toBe(true);
  scratch = mkdtempSync(join(tmpdir(), 'streamlearn-package-'));
  // --ignore-scripts: npm test has just built dist/ (prepack would build it again).
  packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT, env, encoding: 'utf8' }))[0];
  project = join(scratch, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  install = await run('npm', ['install', join(scratch, packed.filename), ...NPM_QUIET]);
  expect(install.status, `npm install of the tarball failed:\n${npmOutput(install)}`).toBe(0);
}, 300_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the build, bin, data, README, LICENSE and CHANGELOG, and no sources, tests or stale build files', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/streamlearn.js', 'dist/index.js', 'dist/index.d.ts', 'data/iris.csv']) expect(files).toContain(f);
    expect(files.filter((f) => !/^(bin|dist|data)\//.test(f)).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
    expect(readFileSync(join(project, 'node_modules', 'streamlearn', 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 The streamlearn authors\n/);
    // Every declaration file comes from a source that still exists (a moved module leaves no ghost behind).
    const built = files.filter((f) => f.startsWith('dist/'));
    const stale = built.filter((f) => f.endsWith('.d.ts')).filter((f) => !existsSync(join(ROOT, 'src', f.slice('dist/'.length).replace(/\.d\.ts$/, '.ts'))));
    expect(stale).toEqual([]);
    // The JavaScript is bundled (scripts/bundle.mjs): every script is an entry point (an export, the CLI,
    // the forest's worker thread) or a chunk that one of them imports, and carries its source map.
    const installed = join(project, 'node_modules', 'streamlearn');
    const roots = [...Object.values(PKG.exports).flatMap((e) => (typeof e === 'object' && e && 'import' in e ? [String(e.import)] : [])), './dist/node/cli/main.js', './dist/node/forest-worker.js'];
    const reached = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      const code = readFileSync(join(installed, file), 'utf8');
      for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)"(\.\.?\/[^"]+\.js)"/g)) visit(join(file, '..', m[1]).split('\\').join('/'));
    };
    for (const r of roots) visit(r.replace(/^\.\//, ''));
    expect(readFileSync(join(ROOT, 'bin', 'streamlearn.js'), 'utf8')).toContain("'../dist/node/cli/main.js'");
    const scripts = built.filter((f) => f.endsWith('.js'));
    expect(scripts.filter((f) => !reached.has(f))).toEqual([]);
    expect([...reached].filter((f) => !scripts.includes(f))).toEqual([]);
    expect(built.filter((f) => f.endsWith('.js.map')).sort()).toEqual(scripts.map((f) => `${f}.map`).sort());
  });

  it('ships source maps that resolve: each built file names its map, and each map carries its sources', () => {
    const dist = join(project, 'node_modules', 'streamlearn', 'dist');
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const scripts = walk(dist).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(8);
    const broken: string[] = [];
    for (const file of scripts) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(file, 'utf8'))?.[1];
      if (!url) continue; // no map named: nothing to resolve
      const mapFile = join(file, '..', url);
      if (!existsSync(mapFile)) {
        broken.push(`${relative(dist, file)}: no ${url}`);
        continue;
      }
      const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      if (map.sources.some((_, i) => typeof map.sourcesContent?.[i] !== 'string' || map.sourcesContent[i] === '')) broken.push(`${relative(dist, mapFile)}: sources not inlined`);
    }
    expect(broken).toEqual([]);
  });
});

describe('installed into a fresh project', () => {
  it(`prints no EBADENGINE, and every installed package runs on the Node versions engines names (${PKG.engines.node})`, async () => {
    expect(npmOutput(install)).not.toMatch(/EBADENGINE|engine/i);
    // The lowest version engines admits, and this one: each dependency's own engines must admit both.
    const semver = createRequire(join(ROOT, 'package.json'))('semver') as { minVersion(range: string): { version: string }; satisfies(v: string, range: string): boolean };
    const lowest = semver.minVersion(PKG.engines.node).version;
    const tree = JSON.parse((await run('npm', ['ls', '--all', '--json', '--long'])).stdout) as { dependencies?: Record<string, Dep> };
    interface Dep {
      version?: string;
      path?: string;
      dependencies?: Record<string, Dep>;
    }
    const refused: string[] = [];
    const visit = (deps: Record<string, Dep> | undefined) => {
      for (const [name, dep] of Object.entries(deps ?? {})) {
        if (!dep.path || !existsSync(join(dep.path, 'package.json'))) continue;
        const range = (JSON.parse(readFileSync(join(dep.path, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node;
        for (const v of [lowest, process.versions.node]) if (range && !semver.satisfies(v, range)) refused.push(`${name}@${dep.version} needs Node ${range}, not ${v}`);
        visit(dep.dependencies);
      }
    };
    visit(tree.dependencies);
    expect(refused).toEqual([]);
  });

  it(`has node_modules of at most ${TARGET_MB} MB without the optional peers`, () => {
    const { totalBytes, diskBytes, groups } = nodeModulesSize(project);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    const top = Object.entries(groups as Record<string, number>)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ${mb(v)}`);
    console.log(`node_modules: ${mb(totalBytes)} MB of files (${mb(diskBytes)} MB on disk); largest: ${top.join(', ')}`);
    expect(totalBytes).toBeLessThanOrEqual(TARGET_MB * 1024 * 1024);
    for (const peer of Object.keys(PKG.peerDependencies)) expect(existsSync(join(project, 'node_modules', peer)), peer).toBe(false);
  });

  it('imports every entry point; mlp and DataFrames, asked for without their peers, fail in one line saying what to install', async () => {
    const { stdout, stderr } = await node(
      'entries.mjs',
      `const sl = await import('streamlearn');
      const schema = { features: ['a', 'b'], label: 'y', classes: ['p', 'q'] };
      const fails = async (f) => { try { await f(); return null; } catch (e) { return e.name + ': ' + e.message; } };
      const out = {};
      // The core alone cannot load mlp: it says what to install and import.
      out.mlpCore = await fails(() => sl.Model.create('mlp', schema));
      for (const e of ${JSON.stringify(ENTRIES)}) out[e] = Object.keys(await import(e)).length;
      // streamlearn/node imports streamlearn/mlp on first use, which finds no TensorFlow.js.
      out.mlpNode = await fails(() => sl.Model.create('mlp', schema));
      const { reportToDataFrame } = await import('streamlearn/dataframe');
      out.dataframe = await fails(() => reportToDataFrame({ batches: [] }));
      console.log(JSON.stringify(out));`,
    );
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as Record<string, number | string>;
    for (const e of ENTRIES) expect(out[e], e).toBeGreaterThan(0);
    expect(out.mlpCore).toBe(`StreamlearnError: mlp runs on TensorFlow.js, which is not loaded: ${MLP_INSTALL}, then import "streamlearn/mlp"`);
    expect(out.mlpNode).toMatch(/^StreamlearnError: [^\n]+$/);
    expect(out.mlpNode).toContain(MLP_INSTALL);
    expect(out.dataframe).toBe(`StreamlearnError: DataFrame support needs danfojs-node: ${DANFO_INSTALL}`);
  });

  it('requires streamlearn from CommonJS, with no warning, and learns with it', async () => {
    const { stdout, stderr } = await node(
      'consumer.cjs',
      `const { Model, synthGenerator, rowsToBatch, VERSION } = require('streamlearn');
      const { datasetCard } = require('streamlearn/node');
      (async () => {
        const g = synthGenerator('sea', { seed: 3 });
        const model = await Model.create('gaussian-nb', g.schema);
        const rows = Array.from({ length: 2000 }, () => g.next());
        await model.learn(rowsToBatch(rows.slice(0, 1000), 3));
        const test = rowsToBatch(rows.slice(1000), 3);
        const predicted = await model.predict(test.x);
        const right = predicted.filter((p, i) => p === test.y[i]).length;
        console.log(JSON.stringify({ VERSION, accuracy: right / 1000, iris: typeof datasetCard }));
      })().catch((e) => { console.error(e); process.exit(1); });`,
    );
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as { VERSION: string; accuracy: number; iris: string };
    expect(out.VERSION).toBe(VERSION);
    expect(out.accuracy).toBeGreaterThan(0.8);
    expect(out.iris).toBe('function');
  });

  it('runs the streamlearn command from node_modules/.bin', async () => {
    const r = await run(join(project, 'node_modules', '.bin', 'streamlearn'), ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('type-checks strict consumers without skipLibCheck: the core in a browser project (no @types/node), and every entry but mlp in a Node project', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const base = { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noUncheckedIndexedAccess: true };
    // The core: what a browser project sees, without @types/node.
    mkdirSync(join(project, 'core'));
    writeFileSync(
      join(project, 'core', 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...base, exactOptionalPropertyTypes: true, lib: ['ES2022', 'DOM'], types: [] }, files: ['consumer.ts'] }),
    );
    writeFileSync(
      join(project, 'core', 'consumer.ts'),
      `import { Model, synthGenerator, rowsToBatch, modelToBytes, modelFromBytes, type Schema } from 'streamlearn';
      const g = synthGenerator('sea', { seed: 1 });
      const schema: Schema = g.schema;
      export async function demo(): Promise<number> {
        const model = await Model.create('hoeffding-tree', schema, { params: { gracePeriod: 100 } });
        const { x, y } = g.next();
        await model.learn(rowsToBatch([{ x, y, line: 1 }], 3));
        const again = await modelFromBytes(await modelToBytes(model));
        return (await again.predictProba(rowsToBatch([{ x, y, line: 1 }], 3).x))[0] ?? 0;
      }
      `,
    );
    // Every entry but mlp, in a Node project on Node 20's types (the entries beyond the core use Node's
    // types). Not exactOptionalPropertyTypes: @nats-io's own declarations fail under it.
    mkdirSync(join(project, 'all'));
    writeFileSync(
      join(project, 'all', 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...base, lib: ['ES2022'], types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] }, files: ['consumer.ts'] }),
    );
    writeFileSync(
      join(project, 'all', 'consumer.ts'),
      `import * as core from 'streamlearn';
      import { train, type TrainOptions } from 'streamlearn/node';
      import { createServer, type ServeOptions } from 'streamlearn/serve';
      import { connectBroker, type BrokerConnectOptions } from 'streamlearn/nats';
      import { reportToDataFrame, dataFrameSource, type DataFrameLike } from 'streamlearn/dataframe';
      export const options: TrainOptions = { source: { dataset: 'iris' }, output: { out: null } };
      export type Used = [typeof core.Model, typeof train, typeof createServer, ServeOptions, typeof connectBroker, BrokerConnectOptions, typeof reportToDataFrame, typeof dataFrameSource, DataFrameLike];
      `,
    );
    for (const dir of ['core', 'all']) {
      const r = await run(process.execPath, [tsc, '-p', join(project, dir, 'tsconfig.json')]);
      expect(`${r.stdout}${r.stderr}`, `the ${dir} consumer`).toBe('');
      expect(r.status).toBe(0);
    }
  }, 300_000);
});

describe('with the documented TensorFlow.js install', () => {
  it(`trains an mlp after npm install ${TFJS.join(' ')}`, async () => {
    const r = await run('npm', ['install', ...TFJS, ...NPM_QUIET]);
    expect(r.status, npmOutput(r)).toBe(0);
    expect(npmOutput(r)).not.toMatch(/EBADENGINE|ERESOLVE|peer dep/i);
    const { stdout } = await node(
      'mlp.mjs',
      `import { Model, synthGenerator, rowsToBatch } from 'streamlearn';
      import 'streamlearn/mlp';
      const g = synthGenerator('sea', { seed: 2 });
      const model = await Model.create('mlp', g.schema, { params: { hiddenUnits: 8, epochs: 2 } });
      for (let b = 0; b < 4; b++) await model.learn(rowsToBatch(Array.from({ length: 100 }, () => g.next()), 3));
      const p = await model.predictProba(rowsToBatch([g.next()], 3).x);
      console.log(JSON.stringify({ backend: model.backend, sum: p[0] + p[1], rows: p.length }));
      model.dispose();`,
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { backend: string; sum: number; rows: number };
    expect(out.rows).toBe(2);
    expect(out.sum).toBeCloseTo(1, 5);
    expect(typeof out.backend).toBe('string');
  }, 300_000);
});

describe('the API reference', () => {
  it('builds with TypeDoc from the doc comments of the six entry points, warnings being errors (npm run docs)', async () => {
    const r = await run('npm', ['run', 'docs'], ROOT);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[warning\]|\[error\]/);
    expect(r.status).toBe(0);
    expect(existsSync(join(ROOT, 'docs', 'api', 'index.html'))).toBe(true);
    for (const entry of ['index', 'node', 'node_serve', 'node_broker', 'mlp', 'dataframe']) expect(existsSync(join(ROOT, 'docs', 'api', 'modules', `${entry}.html`)), entry).toBe(true);
  }, 300_000);
});
