import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetSource } from '../src/node/files/datasets.js';
import { learnerNames } from '../src/learners/registry.js';
import { loadModel, saveModel } from '../src/node/persist/model-dir.js';
import { replaceDirAtomic } from '../src/node/persist/atomic.js';
import { train } from '../src/node/pipeline.js';
import type { Batch } from '../src/core/types.js';
import { rowsToBatch } from '../src/core/types.js';
import { tempDir } from './helpers.js';

async function irisBatch(): Promise<Batch> {
  const source = await datasetSource('iris');
  const rows = [];
  for await (const row of source.rows()) rows.push(row);
  return rowsToBatch(rows, 4);
}

describe.each(learnerNames)('%s saved and loaded', (name) => {
  it('gives exactly the same probabilities, and learns on identically', async () => {
    const dir = join(tempDir(), 'model');
    const { model, report } = await train({ source: { dataset: 'iris' }, model: name, output: { out: dir } });
    expect(report.modelPath).toBe(dir);
    const iris = await irisBatch();
    const before = await model.predictProba(iris.x);
    const loaded = await loadModel(dir);
    expect(loaded.learnerName).toBe(name);
    expect(loaded.schema).toEqual(model.schema);
    expect(loaded.summary?.meanAccuracy).toBe(report.meanAccuracy);
    const after = await loaded.predictProba(iris.x);
    expect(after).toEqual(before);

    // The saved state is complete: both copies learn the same next batch to the same result.
    const next: Batch = { x: { data: iris.x.data.slice(0, 40 * 4), rows: 40, cols: 4 }, y: iris.y.slice(0, 40) };
    await model.learn(next);
    await loaded.learn(next);
    expect(await loaded.predictProba(iris.x)).toEqual(await model.predictProba(iris.x));
    model.dispose();
    loaded.dispose();
  });
});

describe('model directory', () => {
  async function savedModel(): Promise<string> {
    const dir = join(tempDir(), 'nb');
    const { model } = await train({ source: { dataset: 'iris' }, output: { out: dir } });
    model.dispose();
    return dir;
  }

  it('holds a manifest with format, learner, schema, summary and a checksum per file', async () => {
    const dir = await savedModel();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'streamlearn-model',
      formatVersion: 1,
      learner: { name: 'gaussian-nb', seed: 42 },
      schema: { label: 'species', classes: ['setosa', 'versicolor', 'virginica'] },
      summary: { dataset: 'iris', protocol: 'batch-split', rows: 150, batchSize: 16, testSize: 0.2 },
    });
    expect(manifest.schema.features).toHaveLength(4);
    expect(manifest.files['state.json'].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('saves softmax-regression with its scaler state and mlp in TensorFlow.js format', async () => {
    const root = tempDir();
    await train({ source: { dataset: 'iris' }, model: 'softmax-regression', output: { out: join(root, 'lr') } });
    const lr = JSON.parse(readFileSync(join(root, 'lr', 'manifest.json'), 'utf8'));
    expect(lr.preprocessing[0].name).toBe('standard-scaler');
    expect(lr.preprocessing[0].state.count).toBe(112);
    const { model } = await train({ source: { dataset: 'iris' }, model: 'mlp', output: { out: join(root, 'mlp') } });
    model.dispose();
    expect(readdirSync(join(root, 'mlp')).sort()).toEqual(['manifest.json', 'model.json', 'state.json', 'weights.bin']);
    const tfjs = JSON.parse(readFileSync(join(root, 'mlp', 'model.json'), 'utf8'));
    expect(tfjs.format).toBe('layers-model');
    expect(tfjs.weightsManifest[0].paths).toEqual(['./weights.bin']);
  });

  it('fails on a missing manifest, an unknown format version, a changed or missing file', async () => {
    await expect(loadModel(tempDir())).rejects.toThrow(/no manifest\.json; not a streamlearn model directory/);

    const versioned = await savedModel();
    const manifestPath = join(versioned, 'manifest.json');
    writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace('"formatVersion": 1', '"formatVersion": 2'));
    await expect(loadModel(versioned)).rejects.toThrow(/model format version 2 is not supported .*reads version 1/);

    const changed = await savedModel();
    const state = join(changed, 'state.json');
    writeFileSync(state, readFileSync(state, 'utf8').replace(/"counts":\[(\d)/, '"counts":[9$1'));
    await expect(loadModel(changed)).rejects.toThrow(`${state}: checksum mismatch (the file was changed or is corrupt)`);

    const missing = await savedModel();
    rmSync(join(missing, 'state.json'));
    await expect(loadModel(missing)).rejects.toThrow(/state\.json: missing \(the manifest lists it\)/);
  });

  it('replaces an older model atomically, and an interrupted save leaves the old one whole', async () => {
    const dir = await savedModel();
    const original = readFileSync(join(dir, 'state.json'), 'utf8');
    await expect(
      replaceDirAtomic(dir, async (tmp) => {
        writeFileSync(join(tmp, 'state.json'), 'half');
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(original);
    // No temporary directory is left beside it.
    expect(readdirSync(join(dir, '..'))).toEqual(['nb']);
    await loadModel(dir);

    const { model } = await train({ source: { dataset: 'iris' }, seed: 7, output: { out: null } });
    await saveModel(model, dir);
    expect((await loadModel(dir)).summary?.seed).toBe(7);
  });

  it('refuses to replace a directory that is not a model', async () => {
    const dir = join(tempDir(), 'precious');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    await expect(train({ source: { dataset: 'iris' }, output: { out: dir } })).rejects.toThrow(/exists and is not a streamlearn model directory/);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });
});

describe('saves racing into one directory', () => {
  it('all succeed, the last one wins, and a whole model is always left (a training run beside a server checkpointing)', async () => {
    const dir = join(tempDir(), 'm');
    const { model: a } = await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: null } });
    const { model: b } = await train({ source: { dataset: 'iris' }, model: 'knn', output: { out: null } });
    for (let i = 0; i < 40; i++) {
      const results = await Promise.allSettled([saveModel(a, dir), saveModel(b, dir)]);
      // Without the retry, one of two saves renaming in at once failed with ENOTEMPTY about a third of the time.
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(['gaussian-nb', 'knn']).toContain((await loadModel(dir)).learnerName);
    }
    expect(readdirSync(join(dir, '..'))).toEqual(['m']); // nothing set aside is left behind
  });
});
