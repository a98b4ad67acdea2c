import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import { rowsToBatch, type Batch, type Schema } from '../src/core/types.js';
import { datasetSource } from '../src/node/files/datasets.js';
import { Model } from '../src/learners/model.js';
import { learnerNames } from '../src/learners/registry.js';
import { loadModel, manifestChecksum, readManifest, saveModel } from '../src/node/persist/model-dir.js';
import { MAX_JSON_STATE_BYTES, MAX_MANIFEST_BYTES } from '../src/node/persist/model-file.js';
import { train } from '../src/node/pipeline.js';
import { modelIdentity } from '../src/node/serve/model-files.js';
import { runCli, tempDir } from './helpers.js';

type Manifest = {
  checksum?: string;
  schema: { features: string[]; classes: string[] };
  files: Record<string, { sha256: string; bytes: number }>;
  [key: string]: unknown;
};

function readJson(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** Edits a model's manifest; `sign` gives it a checksum matching the edit, so the loader's later checks are reached. */
function editManifest(dir: string, edit: (m: Manifest) => void, sign = true): void {
  const path = join(dir, 'manifest.json');
  const manifest = readJson(path);
  edit(manifest);
  if (sign) manifest.checksum = manifestChecksum(manifest);
  writeFileSync(path, JSON.stringify(manifest, null, 2));
}

/** Replaces state.json's bytes and the manifest's record of them (signed), as a consistent forgery would. */
function replaceState(dir: string, text: string): void {
  writeFileSync(join(dir, 'state.json'), text);
  editManifest(dir, (m) => {
    m.files['state.json'] = { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
  });
}

/** The user error a load ends in: a StreamlearnError of one line (never a RangeError or a stack). */
async function loadError(dir: string): Promise<string> {
  let caught: unknown;
  try {
    const model = await loadModel(dir);
    model.dispose();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the load should have failed').toBeInstanceOf(StreamlearnError);
  const message = (caught as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

// Directories made in beforeAll outlive a test, which tempDir()'s are not made to.
const suiteDirs: string[] = [];
function suiteDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'streamlearn-hostile-'));
  suiteDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of suiteDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function irisBatch(): Promise<Batch> {
  const rows = [];
  for await (const row of (await datasetSource('iris')).rows()) rows.push(row);
  return rowsToBatch(rows, 4);
}

describe('a model directory from someone else', () => {
  let saved: string;
  let root: string;
  let n = 0;
  /** A fresh copy of a saved gaussian-nb model. */
  const copy = (): string => {
    const dir = join(root, `copy-${++n}`);
    cpSync(saved, dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    root = suiteDir();
    saved = join(root, 'nb');
    const { model } = await train({ source: { dataset: 'iris' }, output: { out: saved } });
    model.dispose();
  });

  it('refuses a files entry outside the directory by its name, the same whether that path exists or not', async () => {
    mkdirSync(join(root, 'outside'), { recursive: true });
    // A copy of the real state outside: a loader that followed the path would find its checksum matching.
    writeFileSync(join(root, 'outside', 'state.json'), readFileSync(join(saved, 'state.json')));
    const messages: string[] = [];
    for (const target of ['../outside/state.json', '../nowhere/state.json']) {
      const dir = copy();
      editManifest(dir, (m) => {
        m.files = { ...m.files, [target]: m.files['state.json'] };
      });
      const message = await loadError(dir);
      expect(message).toBe(`${join(dir, 'manifest.json')}: files lists "${target}", not a file name inside the model directory; refusing to read it`);
      messages.push(message.replace(dir, 'DIR').replace(target, 'TARGET'));
    }
    expect(messages[0]).toBe(messages[1]);

    const absolute = copy();
    editManifest(absolute, (m) => {
      m.files = { '/etc/hostname': m.files['state.json'], 'state.json': m.files['state.json'] };
    });
    expect(await loadError(absolute)).toContain('files lists "/etc/hostname", not a file name inside the model directory');

    const unknown = copy();
    writeFileSync(join(unknown, 'weights.bin'), 'x');
    editManifest(unknown, (m) => {
      m.files['weights.bin'] = { sha256: createHash('sha256').update('x').digest('hex'), bytes: 1 };
    });
    expect(await loadError(unknown)).toBe(
      `${join(unknown, 'manifest.json')}: files lists "weights.bin", not a file the gaussian-nb format defines (state.json); refusing to read it`,
    );
  });

  it('never reads through a symbolic link inside the directory, but takes a directory path that is one', async () => {
    const linkedState = copy();
    cpSync(join(linkedState, 'state.json'), join(root, 'real-state.json'));
    rmSync(join(linkedState, 'state.json'));
    symlinkSync(join(root, 'real-state.json'), join(linkedState, 'state.json'));
    expect(await loadError(linkedState)).toBe(`${join(linkedState, 'state.json')}: is a symbolic link; a model directory's files must be regular files`);

    const linkedManifest = copy();
    cpSync(join(linkedManifest, 'manifest.json'), join(root, 'real-manifest.json'));
    rmSync(join(linkedManifest, 'manifest.json'));
    symlinkSync(join(root, 'real-manifest.json'), join(linkedManifest, 'manifest.json'));
    expect(await loadError(linkedManifest)).toBe(`${join(linkedManifest, 'manifest.json')}: is a symbolic link; a model directory's files must be regular files`);
    await expect(modelIdentity(linkedManifest)).rejects.toThrow(StreamlearnError);

    // The path the user gives may itself be a link to the model.
    const link = join(root, 'link-to-model');
    symlinkSync(copy(), link);
    const model = await loadModel(link);
    expect(model.learnerName).toBe('gaussian-nb');
  });

  it('refuses a FIFO without hanging, and a directory where a file should be', async () => {
    const fifo = copy();
    rmSync(join(fifo, 'state.json'));
    const made = spawnSync('mkfifo', [join(fifo, 'state.json')]);
    expect(made.status).toBe(0);
    // Opening a FIFO to read blocks until a writer comes: without O_NONBLOCK this never settles.
    expect(await loadError(fifo)).toBe(`${join(fifo, 'state.json')}: is a named pipe (FIFO), not a regular file`);

    const directory = copy();
    rmSync(join(directory, 'state.json'));
    mkdirSync(join(directory, 'state.json'));
    expect(await loadError(directory)).toBe(`${join(directory, 'state.json')}: is a directory, not a regular file`);

    const manifestDir = copy();
    rmSync(join(manifestDir, 'manifest.json'));
    mkdirSync(join(manifestDir, 'manifest.json'));
    expect(await loadError(manifestDir)).toBe(`${join(manifestDir, 'manifest.json')}: is a directory, not a regular file`);
  });

  it('refuses a file over its size bound before reading it', async () => {
    const big = copy();
    // Sparse: the bound is checked on the size, so nothing of this is read.
    truncateSync(join(big, 'state.json'), MAX_JSON_STATE_BYTES + 1);
    expect(await loadError(big)).toBe(`${join(big, 'state.json')}: ${MAX_JSON_STATE_BYTES + 1} bytes, more than the 512 MiB a model file may have`);

    const bigManifest = copy();
    truncateSync(join(bigManifest, 'manifest.json'), MAX_MANIFEST_BYTES + 1);
    expect(await loadError(bigManifest)).toBe(`${join(bigManifest, 'manifest.json')}: ${MAX_MANIFEST_BYTES + 1} bytes, more than the 64 MiB a model file may have`);
  });

  it('refuses a state file that is not JSON, or JSON of the wrong shape, in one line', async () => {
    const notJson = copy();
    replaceState(notJson, '{"counts": [1, 2');
    expect(await loadError(notJson)).toBe(`${join(notJson, 'state.json')}: not valid JSON`);

    const shape = copy();
    replaceState(shape, JSON.stringify({ nFeatures: 4, counts: 'many' }));
    expect(await loadError(shape)).toBe(`${shape}: cannot restore the gaussian-nb state: gaussian-nb: saved state is invalid at counts: expected array, received string`);

    const sizes = copy();
    const state = JSON.parse(readFileSync(join(sizes, 'state.json'), 'utf8'));
    state.means = state.means.slice(1);
    replaceState(sizes, JSON.stringify(state));
    expect(await loadError(sizes)).toBe(`${sizes}: cannot restore the gaussian-nb state: gaussian-nb: saved state's means has 11 values, not classes x features = 12`);
  });

  it('checks the manifest against its checksum; a manifest saved without one still loads', async () => {
    const manifest = readJson(join(saved, 'manifest.json'));
    expect(manifest.checksum).toBe(manifestChecksum(manifest));

    const edited = copy();
    editManifest(edited, (m) => void (m.schema.classes[0] = 'Setosa'), false);
    expect(await loadError(edited)).toBe(
      `${join(edited, 'manifest.json')}: manifest checksum mismatch (manifest.json was changed after it was saved, or is corrupt)`,
    );

    // Reformatting changes no content: the checksum is over the canonical JSON.
    const reformatted = copy();
    writeFileSync(join(reformatted, 'manifest.json'), JSON.stringify(readJson(join(reformatted, 'manifest.json'))));
    (await loadModel(reformatted)).dispose();

    // As saved before manifests had a checksum (same format version).
    const older = copy();
    editManifest(older, (m) => void delete m.checksum, false);
    expect(readJson(join(older, 'manifest.json')).checksum).toBeUndefined();
    const model = await loadModel(older);
    expect(model.schema.classes).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('refuses duplicated categories, and learner parameters out of range, naming the manifest', async () => {
    const categories = copy();
    editManifest(categories, (m) => {
      Object.assign(m.schema, { nominal: [true, false, false, false], categories: [['a', 'b', 'a'], null, null, null] });
    });
    expect(await loadError(categories)).toBe(`${join(categories, 'manifest.json')}: schema.categories of "sepal_length_cm" lists "a" twice`);

    const params = copy();
    editManifest(params, (m) => void ((m.learner as { params: Record<string, unknown> }).params.varSmoothing = -1));
    expect(await loadError(params)).toBe(`${join(params, 'manifest.json')}: learner.params: var-smoothing=-1: must be at least 0`);
  });
});

/** The edits of a manifest's schema that no saved state can agree with, each with the error it gets once signed. */
const schemaEdits: [string, (m: Manifest) => void, RegExp][] = [
  ['drop a class', (m) => void m.schema.classes.pop(), /(manifest\.json: schema\.classes lists 2 classes, but the saved \S+ state knows 3|saved state's [\w.]+ is 3, but the schema lists 2 classes)$/],
  ['duplicate a class', (m) => void (m.schema.classes[1] = m.schema.classes[0]), /manifest\.json: schema\.classes lists "setosa" twice$/],
  ['duplicate a feature', (m) => void (m.schema.features[1] = m.schema.features[0]), /manifest\.json: schema\.features lists "sepal_length_cm" twice$/],
  ['drop a feature', (m) => void m.schema.features.pop(), /saved state's \w+ (is 4, but the schema and preprocessing give 3 features|has 4 values, but its input has 3 columns)$/],
  ['add a feature', (m) => void m.schema.features.push('extra'), /saved state's \w+ (is 4, but the schema and preprocessing give 5 features|has 4 values, but its input has 5 columns)$/],
];

const baselines = ['majority-class', 'no-change'];

describe.each(learnerNames)('%s: a manifest edited after the save', (name) => {
  let saved: string;
  let x: Batch['x'];
  let before: Float64Array;
  let n = 0;
  const copy = (): string => {
    const dir = `${saved}-${++n}`;
    cpSync(saved, dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    saved = join(suiteDir(), name);
    const { model } = await train({ source: { dataset: 'iris' }, model: name, output: { out: saved } });
    x = (await irisBatch()).x;
    before = await model.predictProba(x);
    model.dispose();
  }, 60_000);

  it('fails with "manifest checksum mismatch" when the edit is not signed', async () => {
    for (const [, edit] of [...schemaEdits, ['add a class', (m: Manifest) => void m.schema.classes.push('extra')] as const]) {
      const dir = copy();
      editManifest(dir, edit, false);
      expect(await loadError(dir)).toMatch(/manifest\.json: manifest checksum mismatch/);
    }
  });

  it.each(schemaEdits)('refuses a signed edit that disagrees with the state: %s', async (what, edit, expected) => {
    // The baselines read no feature: their state has no width to disagree with.
    if (baselines.includes(name) && /(drop|add) a feature/.test(what)) return;
    const dir = copy();
    editManifest(dir, edit);
    expect(await loadError(dir)).toMatch(expected);
  });

  it('takes a signed extra class as one not learned yet: the same probabilities, 0 for it', async () => {
    const dir = copy();
    editManifest(dir, (m) => void m.schema.classes.push('extra'));
    const model = await loadModel(dir);
    const after = await model.predictProba(x);
    model.dispose();
    expect(after.length).toBe(x.rows * 4);
    for (let r = 0; r < x.rows; r++) {
      expect(Array.from(after.subarray(r * 4, r * 4 + 3))).toEqual(Array.from(before.subarray(r * 3, r * 3 + 3)));
      expect(after[r * 4 + 3]).toBe(0);
    }
  });
});

describe('an imputer state that disagrees with the schema', () => {
  it('refuses a category mode that is not one of the schema\'s codes; it filled missing cells with it silently', async () => {
    const dir = tempDir();
    const data = join(dir, 'data.csv');
    writeFileSync(data, 'a,c,label\n1,r,p\n2,,q\n1,g,p\n3,b,q\n2,r,p\n1,,q\n');
    const out = join(dir, 'model');
    const { model } = await train({ source: { file: data, label: 'label', categorical: ['c'], missing: 'allow' }, model: { learner: 'hoeffding-tree', preprocess: ['impute-mode'] }, stream: { batchSize: 2 }, output: { out } });
    model.dispose();
    for (const code of [7, -1, 0.5]) {
      const edited = join(tempDir(), 'model');
      cpSync(out, edited, { recursive: true });
      editManifest(edited, (m) => void ((m.preprocessing as { state: { values: number[][][] } }[])[0].state.values[1] = [[code, 3]]));
      expect(await loadError(edited)).toBe(`${join(edited, 'manifest.json')}: cannot restore the preprocessing: impute-mode: saved state's values of "c" hold category code ${code}, but the schema lists 3 categories`);
    }
    (await loadModel(out)).dispose();
  });
});

describe('the package', () => {
  it('exports manifestChecksum, as the README says, for tools that edit a manifest on purpose', async () => {
    const library = await import('../src/index.js');
    expect(library.manifestChecksum).toBe(manifestChecksum);
  });
});

describe('predict with an edited model', () => {
  it('exits 1 with one line, never 70', async () => {
    const dir = join(tempDir(), 'nb');
    const { model } = await train({ source: { dataset: 'iris' }, output: { out: dir } });
    model.dispose();
    editManifest(dir, (m) => void m.schema.classes.pop());
    const r = runCli(['predict', '--model', dir, '--input', 'data/iris.csv']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`streamlearn: ${dir}: cannot restore the gaussian-nb state: gaussian-nb: saved state's counts.length is 3, but the schema lists 2 classes\n`);
    expect(r.stdout).toBe('');
  });
});

describe('learner parameters that disagree with the saved state', () => {
  it('mlp: a network other than learner.params describe is refused at load; a new class then failed (HTTP 500 on /learn) or changed the activation silently', async () => {
    const dir = join(tempDir(), 'mlp');
    const { model } = await train({ source: { dataset: 'iris' }, model: { learner: 'mlp', params: { epochs: 1 } }, output: { out: dir } });
    model.dispose();
    const row = { sepal_length_cm: 5, sepal_width_cm: 3, petal_length_cm: 1, petal_width_cm: 0.2, species: 'new' };
    for (const [key, value] of [['hiddenUnits', 16], ['activation', 'tanh']] as const) {
      const edited = join(tempDir(), 'mlp');
      cpSync(dir, edited, { recursive: true });
      editManifest(edited, (m) => void ((m.learner as { params: Record<string, unknown> }).params[key] = value));
      expect(await loadError(edited)).toMatch(/^.*: cannot restore the mlp state: mlp: model\.json is not the network learner\.params describe/);
    }
    // The model as saved loads and learns a new class.
    const loaded = await loadModel(dir);
    expect(await loaded.learnRecords([row])).toEqual(['new']);
    loaded.dispose();
  });

  it('schema.missing on a learner that cannot take NaN (no imputer) does not let missing values in: knn learned them and then no save could be made', async () => {
    const dir = join(tempDir(), 'knn');
    const { model } = await train({ source: { dataset: 'iris' }, model: 'knn', output: { out: dir } });
    model.dispose();
    editManifest(dir, (m) => void ((m.schema as { missing?: boolean }).missing = true));
    const loaded = await loadModel(dir);
    expect(loaded.acceptsMissing).toBe(false);
    const row = { sepal_length_cm: 5, sepal_width_cm: null, petal_length_cm: 1, petal_width_cm: 0.2, species: 'setosa' };
    await expect(loaded.learnRecords([row])).rejects.toThrow('row 0: feature "sepal_width_cm" must be a finite number (the model does not accept missing values)');
    await expect(loaded.predictRecords([row])).rejects.toThrow(StreamlearnError);
    await saveModel(loaded, dir);
    loaded.dispose();
  });
});

describe('saveModel and numbers JSON cannot hold', () => {
  const schema = (): Schema => ({ features: ['a', 'b'], label: 'y', classes: ['p', 'q'] });
  const batch = (a: number[], b: number[], y: number[]): Batch => ({
    x: { data: Float64Array.from(a.flatMap((v, i) => [v, b[i]])), rows: a.length, cols: 2 },
    y: Int32Array.from(y),
  });

  /** Every file of a directory, by name. */
  const snapshot = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

  it('refuses a learner state with NaN, naming the learner and field, and leaves the previous model as it was', async () => {
    const root = tempDir();
    const dir = join(root, 'model');
    const good = await Model.create('knn', schema(), { steps: [] });
    await good.learn(batch([1, 2], [3, 4], [0, 1]));
    await saveModel(good, dir);
    const previous = snapshot(dir);

    // No imputer in front: the learner stores the missing value as it came.
    const poisoned = await Model.create('knn', schema(), { steps: [] });
    await poisoned.learn(batch([1, NaN], [3, 4], [0, 1]));
    await expect(saveModel(poisoned, dir)).rejects.toThrow(new StreamlearnError('knn: state.x[2] is NaN; not saved (the previous model, if any, is left as it was)'));
    expect(snapshot(dir)).toEqual(previous);
    expect(readdirSync(root)).toEqual(['model']);
    expect((await loadModel(dir)).learnerName).toBe('knn');
  });

  it('refuses a preprocessing step whose state overflowed to Infinity', async () => {
    const dir = join(tempDir(), 'model');
    // A learner whose own state stays finite, so that the step's is the one at fault.
    const model = await Model.create('majority-class', schema(), { steps: ['standard-scaler'] });
    await model.learn(batch([1e308, -1e308], [0, 1], [0, 1]));
    await expect(saveModel(model, dir)).rejects.toThrow(/^standard-scaler \(preprocessing step 1\): state\.\w+\[0\] is (-?Infinity|NaN); not saved/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('leftovers of saves that were killed', () => {
  it('a later save removes those whose process is gone, and keeps a live process\'s', async () => {
    const root = tempDir();
    const dir = join(root, 'model');
    const { model } = await train({ source: { dataset: 'iris' }, output: { out: dir } });
    // A process that has exited: its pid names no running process (short of reuse within this test).
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(dead).toBeGreaterThan(0);
    const deadOnes = [`.model.tmp-${dead}-0badc0de`, `.model.tmp-${dead}-0badc0de.old`, `.model.tmp-checkpoint-${dead}-12345678`, `..model.tmp-checkpoint-${dead}-12345678.tmp-${dead}-9abcdef0`];
    const kept = [`.model.tmp-${process.pid}-deadbeef`, `.other.tmp-${dead}-0badc0de`, 'notes'];
    for (const name of [...deadOnes, ...kept]) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'state.json'), '{}');
    }
    await saveModel(model, dir);
    expect(readdirSync(root).sort()).toEqual(['model', ...kept].sort());
    expect((await readManifest(dir)).learner.name).toBe('gaussian-nb');
    model.dispose();
  });
});
