import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsToBatch, type Batch, type Matrix, type Row, type Schema } from '../src/core/types.js';
import { synthSource } from '../src/data/synth/registry.js';
import { prequential } from '../src/eval/prequential.js';
import { mergeModels } from '../src/learners/merge.js';
import { Model, type TrainingSummary } from '../src/learners/model.js';
import { KNNClassifier, knnDefinition } from '../src/learners/neighbors.js';
import { loadModel, saveModel } from '../src/node/persist/model-dir.js';
import { batches } from '../src/stream/batch.js';
import { batchOf, tempDir } from './helpers.js';

const rowOf = (x: number[]): Matrix => ({ data: Float64Array.from(x), rows: 1, cols: x.length });
const ctx = { nFeatures: 1, nClasses: 2, seed: 0 };

async function collect(spec: string, rows: number, seed: number): Promise<{ schema: Schema; rows: Row[] }> {
  const source = synthSource(spec, { seed, rows });
  const all: Row[] = [];
  for await (const row of source.rows()) all.push(row);
  return { schema: source.schema, rows: all };
}

function summary(rows: number): TrainingSummary {
  return { dataset: 'test', protocol: 'prequential', rows, batches: 1, accuracy: 0, meanAccuracy: null, stdAccuracy: null, seed: 42, batchSize: rows, testSize: 0, trainedAt: '' };
}

async function prequentialAccuracy(spec: string, rows: number, params: Record<string, string | number>): Promise<number> {
  const data = await collect(spec, rows, 42);
  const model = await Model.create('knn', data.schema, { seed: 42, params });
  async function* source(): AsyncGenerator<Row> {
    yield* data.rows;
  }
  return (await prequential(batches(source(), 1024, data.schema.features.length), model)).accuracy;
}

describe('knn: River 0.19 defaults and the distance-weighted vote', () => {
  it('takes River\'s defaults: k 5, window 1000, weighted vote, a standard scaler in front', () => {
    expect(Object.fromEntries(Object.entries(knnDefinition.params).map(([k, p]) => [k, p.default]))).toEqual({ k: 5, windowSize: 1000, weighted: 'on' });
    expect(knnDefinition.scaleInputs).toBe(true);
  });

  // Measured (prequential, seed 42, 5,000 rows of random-rbf, the scaler in front, batches of 1,024):
  // weighted 0.9386, plain vote 0.9340, both at k 5. The bar sits a little under; the order is exact
  // (the run is seeded), and held at 20,000 rows too (0.9418 against 0.9376).
  it('learns MOA\'s Random RBF (5,000 rows, seed 42) above 0.92 with its defaults, and the weighted vote beats the plain one', async () => {
    const weighted = await prequentialAccuracy('random-rbf', 5000, {});
    const plain = await prequentialAccuracy('random-rbf', 5000, { weighted: 'off' });
    expect(weighted).toBeGreaterThan(0.92);
    expect(weighted).toBeGreaterThan(plain);
  });

  it('weighs each vote by the inverse distance: a near neighbour outvotes two far ones (hand-computed)', () => {
    // Query 1; stored 0 (class 0, distance 1), 3 and 5 (class 1, distances 2 and 4).
    const rows = batchOf([[0], [3], [5]], [0, 1, 1]);
    const weighted = new KNNClassifier(ctx, { k: 3 });
    const plain = new KNNClassifier(ctx, { k: 3, weighted: 'off' });
    weighted.learn(rows);
    plain.learn(rows);
    // Votes 1/1 against 1/2 + 1/4: 4/7 and 3/7.
    expect(Array.from(weighted.predictProba(rowOf([1])))).toEqual([4 / 7, 3 / 7]);
    expect(Array.from(plain.predictProba(rowOf([1])))).toEqual([1 / 3, 2 / 3]);
  });

  it('lets a stored row at distance zero decide; several at zero share the vote', () => {
    const knn = new KNNClassifier(ctx, { k: 3 });
    knn.learn(batchOf([[0], [0.1], [0.2]], [0, 1, 1]));
    expect(Array.from(knn.predictProba(rowOf([0])))).toEqual([1, 0]);
    // The plain vote counts an exact match as one vote among k, as Cover & Hart's rule and MOA's kNN do.
    const plain = new KNNClassifier(ctx, { k: 3, weighted: 'off' });
    plain.learn(batchOf([[0], [0.1], [0.2]], [0, 1, 1]));
    expect(Array.from(plain.predictProba(rowOf([0])))).toEqual([1 / 3, 2 / 3]);
    knn.learn(batchOf([[0]], [1]));
    expect(Array.from(knn.predictProba(rowOf([0])))).toEqual([0.5, 0.5]);
  });

  it('refuses a weighted value other than on or off', () => {
    expect(() => new KNNClassifier(ctx, { weighted: 'yes' as 'on' })).toThrow('knn: weighted must be on or off, got yes');
  });

  it('saves and loads with its parameters: the same probabilities, and it learns on identically', async () => {
    const data = await collect('sea(noise-percentage=10)', 1500, 3);
    const batch: Batch = rowsToBatch(data.rows, 3);
    const first = (b: Batch, from: number, to: number): Batch => ({ x: { data: b.x.data.slice(from * 3, to * 3), rows: to - from, cols: 3 }, y: b.y.slice(from, to) });
    for (const weighted of ['on', 'off']) {
      const model = await Model.create('knn', data.schema, { seed: 42, params: { k: 7, windowSize: 300, weighted } });
      await model.learn(first(batch, 0, 1000));
      const dir = join(tempDir(), 'model');
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      expect(loaded.params).toEqual({ k: 7, windowSize: 300, weighted });
      const test = first(batch, 1000, 1500).x;
      expect(await loaded.predictProba(test)).toEqual(await model.predictProba(test));
      await model.learn(first(batch, 1000, 1200));
      await loaded.learn(first(batch, 1000, 1200));
      expect(await loaded.predictProba(test)).toEqual(await model.predictProba(test));
    }
  });

  it('merges replicas\' windows and keeps the weighted vote', async () => {
    const data = await collect('random-rbf', 2000, 9);
    const batch: Batch = rowsToBatch(data.rows, 10);
    const part = (from: number, to: number): Batch => ({ x: { data: batch.x.data.slice(from * 10, to * 10), rows: to - from, cols: 10 }, y: batch.y.slice(from, to) });
    const a = await Model.create('knn', data.schema, { seed: 42 });
    const b = await Model.create('knn', data.schema, { seed: 42 });
    await a.learn(part(0, 800));
    await b.learn(part(800, 1600));
    a.summary = summary(800);
    b.summary = summary(800);
    const { model, kind } = await mergeModels([
      { model: a, label: 'a' },
      { model: b, label: 'b' },
    ]);
    expect(kind).toBe('interleaved windows');
    expect(model.params).toMatchObject({ k: 5, windowSize: 1000, weighted: 'on' });
    const predicted = await model.predict(part(1600, 2000).x);
    let right = 0;
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === batch.y[1600 + i]) right++;
    // Measured 0.9325 (the newest 1,000 of the 1,600 rows, interleaved). The bar sits under.
    expect(right / predicted.length).toBeGreaterThan(0.9);
  });
});
