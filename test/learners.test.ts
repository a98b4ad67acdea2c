import { describe, expect, it } from 'vitest';
import { resolveParams } from '../src/core/params.js';
import { learnerDefinition, learnerNames } from '../src/learners/registry.js';
import { GaussianNB } from '../src/learners/naive-bayes.js';
import { train } from '../src/node/pipeline.js';
import { batchOf } from './helpers.js';

// Mean per-batch accuracy, seed 42, batch size 16, test size 0.2 (the defaults).
// For reference, scikit-learn's GaussianNB under this protocol averages about 0.92 on Iris and 0.98 on Wine.
// Measured here (Iris / Wine): gaussian-nb 0.925 / 0.979, softmax-regression 0.800 / 0.9375,
// mlp (wasm) 0.875 / 0.938, forest-ensemble 0.900 / 0.958, hoeffding-tree 0.900 / 1.000,
// hoeffding-adaptive-tree 0.825 / 0.958, adaptive-random-forest 0.950 / 0.854,
// online-bagging 0.875 / 0.958, leveraging-bagging 0.925 / 0.958, perceptron 0.850 / 0.896,
// passive-aggressive 0.825 / 0.958, knn (River defaults) 0.925 / 0.896. Each bar sits a little under what was measured.
// The baselines (majority-class, no-change) have their own tests in learners-simple.test.ts.
const bars: Record<string, { iris: number; wine: number }> = {
  'gaussian-nb': { iris: 0.9, wine: 0.95 },
  'softmax-regression': { iris: 0.75, wine: 0.9 },
  mlp: { iris: 0.8, wine: 0.88 },
  // forest-ensemble fits a forest per 500-row chunk since issue 14 (before the first, one on all rows so far every
  // 16 rows): 0.800 / 0.875 on these runs, against 0.900 / 0.958 with a forest per batch (--param chunk-size=0).
  'forest-ensemble': { iris: 0.75, wine: 0.85 },
  'hoeffding-tree': { iris: 0.85, wine: 0.95 },
  'hoeffding-adaptive-tree': { iris: 0.8, wine: 0.93 },
  // 0.900 / 1.000 measured, as the Hoeffding tree: on these few rows no split is revised.
  'extremely-fast-decision-tree': { iris: 0.85, wine: 0.95 },
  'adaptive-random-forest': { iris: 0.9, wine: 0.82 },
  // streaming-random-patches (100 members) measured 0.925 / 0.896.
  'streaming-random-patches': { iris: 0.9, wine: 0.86 },
  'online-bagging': { iris: 0.85, wine: 0.93 },
  'leveraging-bagging': { iris: 0.9, wine: 0.93 },
  // online-boosting measured 0.825 / 0.958.
  'online-boosting': { iris: 0.8, wine: 0.93 },
  perceptron: { iris: 0.8, wine: 0.85 },
  'passive-aggressive': { iris: 0.8, wine: 0.93 },
  knn: { iris: 0.8, wine: 0.8 },
};
const baselines = ['majority-class', 'no-change'];

describe.each(Object.keys(bars))('%s', (name) => {
  it('learns Iris and Wine above its bar', async () => {
    for (const dataset of ['iris', 'wine'] as const) {
      const { report, model } = await train({ source: { dataset }, model: name, output: { out: null } });
      model.dispose();
      expect(report.meanAccuracy, `${name} on ${dataset}`).toBeGreaterThan(bars[name][dataset]);
    }
  });
});

it('has a bar for every learner but the baselines', () => {
  expect([...Object.keys(bars), ...baselines].sort()).toEqual([...learnerNames].sort());
});

describe.each(learnerNames)('%s', (name) => {
  it('takes a class it has not seen before without crashing', async () => {
    const def = learnerDefinition(name);
    const learner = await def.create({ nFeatures: 2, nClasses: 2, seed: 1 }, resolveParams(def));
    const rows = [[0, 0], [0, 1], [5, 5], [5, 6], [0, 0.5], [5, 5.5]];
    await learner.learn(batchOf(rows, [0, 0, 1, 1, 0, 1]));
    await learner.learn(batchOf([[10, 0], [10, 1], [10, 0.5], [0, 0.2]], [2, 2, 2, 0]));
    expect(learner.nClasses).toBe(3);
    const proba = await learner.predictProba(batchOf([[10, 0.5], [0, 0.3]], [0, 0]).x);
    expect(proba.length).toBe(6);
    for (const r of [0, 1]) expect(proba[r * 3] + proba[r * 3 + 1] + proba[r * 3 + 2]).toBeCloseTo(1, 6);
    learner.dispose?.();
  });

  it('starts from one known class, as a stream whose classes arrive one by one does, and saves and reloads it', async () => {
    const def = learnerDefinition(name);
    const params = resolveParams(def);
    const learner = await def.create({ nFeatures: 2, nClasses: 1, seed: 1 }, params);
    await learner.learn(batchOf([[0, 0], [0, 1], [0, 0.5]], [0, 0, 0]));
    const one = await learner.predictProba(batchOf([[0, 0.2]], [0]).x);
    expect(one).toHaveLength(1);
    expect(one[0]).toBeCloseTo(1, 12);
    await learner.learn(batchOf([[5, 5], [5, 6], [0, 0.2], [5, 5.5]], [1, 1, 0, 1]));
    expect(learner.nClasses).toBe(2);
    const proba = await learner.predictProba(batchOf([[5, 5.2], [0, 0.3]], [0, 0]).x);
    expect(proba.length).toBe(4);
    for (const r of [0, 1]) expect(proba[r * 2] + proba[r * 2 + 1]).toBeCloseTo(1, 6);
    const restored = await def.restore({ nFeatures: 2, nClasses: 2, seed: 1 }, params, await learner.saveState());
    expect(Array.from(await restored.predictProba(batchOf([[5, 5.2], [0, 0.3]], [0, 0]).x))).toEqual(Array.from(proba));
    learner.dispose?.();
    restored.dispose?.();
  });
});

describe('GaussianNB', () => {
  it('keeps variances accurate on large offsets (Welford), where sums of squares would cancel', () => {
    // Class 0 around 1e9, class 1 around 1e9 + 3, both with spread 1.
    const base = 1e9;
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const jitter = ((i * 7919) % 1000) / 1000 - 0.5; // uniform-ish in [-0.5, 0.5)
      rows.push([base + jitter * 2]);
      y.push(0);
      rows.push([base + 3 + jitter * 2]);
      y.push(1);
    }
    const nb = new GaussianNB({ nFeatures: 1, nClasses: 2, seed: 0 });
    nb.learn(batchOf(rows, y));
    const p = nb.predictProba(batchOf([[base - 0.2], [base + 3.2], [base + 1.5]], [0, 0, 0]).x);
    expect(p[0]).toBeGreaterThan(0.99);
    expect(p[3]).toBeGreaterThan(0.99);
    // Half way between the means, the classes are even.
    expect(p[4]).toBeCloseTo(0.5, 2);
  });

  it('predicts uniformly before it has learned anything', () => {
    const nb = new GaussianNB({ nFeatures: 2, nClasses: 4, seed: 0 });
    expect(Array.from(nb.predictProba(batchOf([[1, 2]], [0]).x))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});

describe('learner parameters', () => {
  it('are checked against their specs, naming the flag', () => {
    const def = learnerDefinition('softmax-regression');
    expect(resolveParams(def, { 'learning-rate': '0.05', optimizer: 'adam' })).toMatchObject({ learningRate: 0.05, optimizer: 'adam' });
    expect(() => resolveParams(def, { optimizer: 'rmsprop' })).toThrow('--param optimizer=rmsprop: expected one of sgd, adam, adagrad');
    expect(() => resolveParams(def, { 'learning-rate': '0' })).toThrow('--param learning-rate=0: must be greater than 0');
    expect(() => resolveParams(def, { epochs: '2.5' })).toThrow('--param epochs=2.5: expected an integer');
    expect(() => resolveParams(def, { depth: '3' })).toThrow('softmax-regression has no parameter "depth"');
  });

  it('change what is learned: softmax regression with Adam and AdaGrad also learns Wine', async () => {
    for (const optimizer of ['adam', 'adagrad']) {
      const { report } = await train({ source: { dataset: 'wine' }, model: { learner: 'softmax-regression', params: { optimizer, learningRate: 0.05 } }, output: { out: null } });
      expect(report.meanAccuracy, optimizer).toBeGreaterThan(0.85);
    }
  });
});

describe.each(learnerNames)('%s test-then-train fast path', (name) => {
  it('gives exactly what predicting, then learning, each row in turn gives', async () => {
    const { synthSource } = await import('../src/data/synth/registry.js');
    const { Model } = await import('../src/learners/model.js');
    const { rowsToBatch } = await import('../src/core/types.js');
    const source = synthSource('sea', { seed: 5, rows: name === 'mlp' ? 60 : 300 });
    const rows = [];
    for await (const row of source.rows()) rows.push(row);
    const batch = rowsToBatch(rows, 3);
    const fast = await Model.create(name, source.schema, { seed: 9 });
    const slow = await Model.create(name, source.schema, { seed: 9 });
    const scored = await fast.learnScored(batch);
    const k = source.schema.classes.length;
    const expected = new Float64Array(rows.length * k);
    for (let r = 0; r < rows.length; r++) {
      const one = { x: { data: batch.x.data.subarray(r * 3, r * 3 + 3), rows: 1, cols: 3 }, y: batch.y.subarray(r, r + 1) };
      expected.set(await slow.predictProba(one.x), r * k);
      await slow.learn(one);
    }
    expect(scored).toEqual(expected);
    fast.dispose();
    slow.dispose();
  });
});
