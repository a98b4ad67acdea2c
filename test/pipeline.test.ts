import { describe, expect, it } from 'vitest';
import { train, type TrainReport } from '../src/node/pipeline.js';
import { evaluateBatchSplit } from '../src/eval/batch-split.js';
import { GaussianNB } from '../src/learners/naive-bayes.js';
import { argmaxRows } from '../src/learners/contract.js';
import type { Batch } from '../src/core/types.js';
import { batchOf } from './helpers.js';

const withoutTimings = ({ wallSeconds, rowsPerSecond, modelSeconds, ...rest }: TrainReport) => rest;

describe('train (the pipeline)', () => {
  it('gives the identical report for the same seed, apart from timings', async () => {
    for (const model of ['gaussian-nb', 'forest-ensemble']) {
      const a = await train({ source: { dataset: 'iris' }, model, seed: 42, output: { out: null } });
      const b = await train({ source: { dataset: 'iris' }, model, seed: 42, output: { out: null } });
      expect(withoutTimings(b.report)).toEqual(withoutTimings(a.report));
    }
  });

  it('gives different batches for a different seed', async () => {
    const a = await train({ source: { dataset: 'wine' }, seed: 42, output: { out: null } });
    const b = await train({ source: { dataset: 'wine' }, seed: 1, output: { out: null } });
    expect(b.report.batches.map((x) => x.accuracy)).not.toEqual(a.report.batches.map((x) => x.accuracy));
  });

  it('reports per-batch rows and accuracies that add up', async () => {
    const { report } = await train({ source: { dataset: 'iris' }, output: { out: null } });
    expect(report.rows).toBe(150);
    expect(report.batches).toHaveLength(10);
    expect(report.batches[0]).toEqual({ index: 0, trainRows: 12, testRows: 4, accuracy: expect.any(Number), stratified: expect.any(Boolean) });
    expect(report.batches[9]).toMatchObject({ trainRows: 4, testRows: 2 });
    expect(report.trainRows + report.testRows).toBe(150);
    const scores = report.batches.map((b) => b.accuracy!);
    const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
    expect(report.meanAccuracy).toBeCloseTo(mean, 12);
    const sd = Math.sqrt(scores.reduce((s, v) => s + (v - mean) ** 2, 0) / (scores.length - 1));
    expect(report.stdAccuracy).toBeCloseTo(sd, 12);
    expect(report.rowsPerSecond).toBeGreaterThan(0);
  });

  it('learns a one-row last batch without scoring it, and says so', async () => {
    // 17 rows in batches of 16: the last batch is one row.
    async function* seventeenRows() {
      const x = Array.from({ length: 16 }, (_, i) => [i % 2 ? 10 : 0]);
      yield batchOf(x, x.map((_, i) => i % 2));
      yield batchOf([[0]], [0]);
    }
    const nb = new GaussianNB({ nFeatures: 1, nClasses: 2, seed: 0 });
    const model = { learn: (b: Batch) => nb.learn(b), predict: (x: Batch['x']) => argmaxRows(nb.predictProba(x), 2) };
    const result = await evaluateBatchSplit(seventeenRows(), model, { testSize: 0.2, seed: 1 });
    expect(result.batches[1]).toEqual({ index: 1, trainRows: 1, testRows: 0, accuracy: null, stratified: false });
    expect(result.unscoredBatches).toBe(1);
    expect(result.meanAccuracy).toBe(result.batches[0].accuracy);
    expect(result.rows).toBe(17);
  });

  it('fails on bad settings before reading anything', async () => {
    await expect(train({ stream: { batchSize: 0 }, output: { out: null } })).rejects.toThrow('stream.batchSize must be an integer of at least 1, got 0');
    await expect(train({ protocol: { name: 'batch-split', testSize: 1 }, output: { out: null } })).rejects.toThrow('protocol.testSize must be strictly between 0 and 1, got 1');
    await expect(train({ model: 'svm', output: { out: null } })).rejects.toThrow(/^unknown learner "svm" \(classifiers: gaussian-nb, softmax-regression, mlp, forest-ensemble, hoeffding-tree, .*, no-change; regressors: linear-regression, .*, mean-regressor\)$/);
    await expect(train({ source: { dataset: 'mnist' }, output: { out: null } })).rejects.toThrow(/unknown data set "mnist" \(bundled: auto-mpg, breast-cancer, diabetes, digits, iris, wine/);
  });
});

describe('Model.predictRecords', () => {
  it('predicts from plain objects and names a missing feature', async () => {
    const { model } = await train({ source: { dataset: 'iris' }, output: { out: null } });
    const [p] = await model.predictRecords([{ sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 }]);
    expect(p.label).toBe('setosa');
    expect(Object.keys(p.probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
    await expect(model.predictRecords([{ sepal_length_cm: 5.1 }])).rejects.toThrow('row 0: feature "sepal_width_cm" is missing');
  });
});

describe('the report\'s metrics', () => {
  it('pool every scored row, for batch-split and prequential alike', async () => {
    const { report } = await train({ source: { dataset: 'iris' }, output: { out: null } });
    const m = report.metrics;
    expect(m.rows).toBe(report.scoredRows);
    expect(m.accuracy).toBeCloseTo(report.accuracy, 12);
    expect(m.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(report.scoredRows);
    expect(m.micro.f1).toBeCloseTo(m.accuracy, 12);
    expect(m.logLoss).not.toBeNull();
    expect(m.kappa).toBeGreaterThan(0.8);
    const ci = report.accuracyInterval!;
    expect(ci.mean).toBeCloseTo(report.meanAccuracy!, 12);
    expect(ci.std).toBeCloseTo(report.stdAccuracy!, 12);
    // t(0.975, 9) = 2.262 for 10 batches.
    expect(ci.high - ci.mean).toBeCloseTo((2.262 * ci.std) / Math.sqrt(10), 3);

    const { report: pre } = await train({ source: { synth: 'sea', rows: 5000 }, protocol: 'prequential', model: 'hoeffding-tree', seed: 1, output: { out: null } });
    expect(pre.metrics.rows).toBe(5000);
    expect(pre.metrics.accuracy).toBeCloseTo(pre.accuracy, 12);
    expect(pre.accuracyInterval).toBeNull();
  });
});

describe('the prequential learning curve', () => {
  const stream = 'sea>sea(function=3)@5000/1';

  it('has a point every curveEvery rows and at the end, with windowed and faded accuracy when asked', async () => {
    const { report } = await train({ source: { synth: stream, rows: 10_500 }, protocol: { name: 'prequential', curveEvery: 2500, window: 500, fading: 0.999 }, model: 'hoeffding-tree', seed: 1, output: { out: null } });
    expect(report.curve.map((p) => p.row)).toEqual([2500, 5000, 7500, 10_000, 10_500]);
    const last = report.curve[report.curve.length - 1];
    expect(last.accuracy).toBeCloseTo(report.accuracy, 12);
    for (const p of report.curve) {
      expect(p.windowAccuracy).toBeGreaterThanOrEqual(0);
      expect(p.windowAccuracy).toBeLessThanOrEqual(1);
      expect(p.fadingAccuracy).toBeGreaterThan(0.5);
    }
    // Right after the concept changes at row 5,000, the last 500 rows score worse than the whole stream so far.
    const atDrift = report.curve[1];
    expect(atDrift.windowAccuracy!).toBeLessThan(atDrift.accuracy);
  });

  it('is empty for batch-split, and its options are refused there or out of range', async () => {
    const { report } = await train({ source: { dataset: 'iris' }, output: { out: null } });
    expect(report.curve).toEqual([]);
    await expect(train({ source: { dataset: 'iris' }, protocol: { name: 'batch-split', window: 10 }, output: { out: null } })).rejects.toThrow("protocol.window is not an option of protocol 'batch-split' (name, testSize, drift)");
    await expect(train({ source: { synth: stream, rows: 100 }, protocol: { name: 'prequential', fading: 0 }, output: { out: null } })).rejects.toThrow('protocol.fading must be in (0, 1], got 0');
    await expect(train({ source: { synth: stream, rows: 100 }, protocol: { name: 'prequential', curveEvery: 0 }, output: { out: null } })).rejects.toThrow(
      'protocol.curveEvery must be an integer of at least 1, got 0',
    );
  });
});
