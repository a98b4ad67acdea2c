import { describe, expect, it } from 'vitest';
import { resolveParams } from '../../src/core/params.js';
import type { Json } from '../../src/core/state.js';
import { RegressionMetrics } from '../../src/eval/regression-metrics.js';
import type { FeatureContext } from '../../src/learners/contract.js';
import { KNNRegressor, knnRegressorDefinition } from '../../src/learners/knn-regressor.js';
import { LinearRegression } from '../../src/learners/linear-regression.js';
import type { MergeRule } from '../../src/learners/merge-rule.js';
import type { Regressor } from '../../src/learners/regressor.js';
import { StandardScaler } from '../../src/preprocess/standard-scaler.js';
import { friedman, row, type Stream } from './friedman-rows.js';


/** Prequential R² as the pipeline runs it: an online standard scaler in front, predict, then the scaler and the learner learn. */
function prequentialR2(model: Regressor, s: Stream): number {
  const scaler = new StandardScaler(s.d);
  const metrics = new RegressionMetrics();
  for (let r = 0; r < s.rows; r++) {
    const x = { data: row(s, r), rows: 1, cols: s.d };
    metrics.update(s.y[r], model.predictOne(scaler.transform(x).data));
    scaler.learn(x);
    model.learnOne(scaler.transform(x).data, s.y[r]);
  }
  return metrics.r2;
}

const ctx1: FeatureContext = { nFeatures: 1, seed: 1 };
const ctx10: FeatureContext = { nFeatures: 10, seed: 1 };
const one = (v: number): Float64Array => Float64Array.of(v);

/** A knn regressor that has learned these one-feature rows, in order. */
function learned(points: readonly [number, number][], params: ConstructorParameters<typeof KNNRegressor>[1] = {}): KNNRegressor {
  const knn = new KNNRegressor(ctx1, params);
  for (const [x, y] of points) knn.learnOne(one(x), y);
  return knn;
}

function mergeRule(): MergeRule {
  const rule = knnRegressorDefinition.merge;
  if (!rule || rule.kind === null) throw new Error('knn-regressor has no merge rule');
  return rule;
}

describe('knn-regressor: k nearest neighbours over a sliding window (River KNNRegressor)', () => {
  it("takes River's defaults: k 5, window 1000, the mean of the neighbours, a scaler in front", () => {
    expect(Object.fromEntries(Object.entries(knnRegressorDefinition.params).map(([k, p]) => [k, p.default]))).toEqual({ k: 5, windowSize: 1000, aggregation: 'mean' });
    expect(knnRegressorDefinition.scaleInputs).toBe(true);
    expect(knnRegressorDefinition.task).toBe('regression');
  });

  it('predicts 0 before it learns, then from every stored row while fewer than k are stored', () => {
    const knn = new KNNRegressor(ctx1);
    expect(knn.predictOne(one(3))).toBe(0);
    knn.learnOne(one(0), 4);
    knn.learnOne(one(9), 8);
    expect(knn.predictOne(one(100))).toBe(6);
  });

  it('aggregates the k nearest targets by mean, inverse-distance-weighted mean or median (hand-computed)', () => {
    // Query 2, k 3: the rows at 3 (50), 1 (20) and 0 (10); 9 (1000) is not among them.
    const points: [number, number][] = [[0, 10], [1, 20], [3, 50], [9, 1000]];
    expect(learned(points, { k: 3 }).predictOne(one(2))).toBeCloseTo((10 + 20 + 50) / 3, 13);
    // Distances 2, 1, 1: weights 1/2, 1, 1.
    expect(learned(points, { k: 3, aggregation: 'weighted' }).predictOne(one(2))).toBeCloseTo((5 + 20 + 50) / 2.5, 13);
    expect(learned(points, { k: 3, aggregation: 'median' }).predictOne(one(2))).toBe(20);
    // An even count: the mean of the two middle targets.
    expect(learned(points, { k: 4, aggregation: 'median' }).predictOne(one(2))).toBe(35);
  });

  it('in weighted mode answers an exact match with the mean of the rows at distance zero; mean mode keeps it one of k', () => {
    const points: [number, number][] = [[1, 20], [0, 10], [1, 40], [2, 70]];
    expect(learned(points, { k: 3, aggregation: 'weighted' }).predictOne(one(1))).toBe(30);
    // The mean of the 3 nearest: 40 and 20 (distance 0), then 70 (distance 1, more recent than the 10 at 0).
    expect(learned(points, { k: 3 }).predictOne(one(1))).toBeCloseTo(130 / 3, 13);
  });

  it('forgets rows older than the window, and among equally near rows takes the most recent, wherever the ring wraps', () => {
    const knn = learned([[0, 1], [0, 2], [0, 3], [0, 4], [0, 5]], { k: 3, windowSize: 3 });
    expect(knn.stored).toBe(3);
    expect(knn.predictOne(one(0))).toBe(4);
    for (let n = 0; n < 5; n++) {
      // Two rows at distance 1 from the query 0; k 1 picks the one learned last.
      const ring = learned([...Array.from({ length: n }, (): [number, number] => [50, 0]), [-1, 100], [1, 200]], { k: 1, windowSize: 4 });
      expect(ring.predictOne(one(0))).toBe(200);
    }
  });

  // Measured (seed 1, the scaler in front): R² mean 0.6900, weighted 0.6957, median 0.6445; linear-regression
  // (SGD) on the same stream 0.6599. Bars a little under; the order of knn and linear-regression is exact (seeded).
  it('learns Friedman #1 (20,000 rows, seed 1, prequential) to R² above 0.67 with its defaults, above linear-regression, and 0.675 weighted', () => {
    const s = friedman(20_000, 1);
    const knn = prequentialR2(new KNNRegressor(ctx10), s);
    expect(knn).toBeGreaterThan(0.67);
    expect(knn).toBeGreaterThan(prequentialR2(new LinearRegression(ctx10), s));
    expect(prequentialR2(new KNNRegressor(ctx10, { aggregation: 'weighted' }), s)).toBeGreaterThan(0.675);
  });

  it('learns a batch as learnOne row by row and predicts as predictOne, to the bit', () => {
    const s = friedman(1_500, 2);
    for (const aggregation of ['mean', 'weighted', 'median'] as const) {
      const batched = new KNNRegressor(ctx10, { aggregation, windowSize: 500 });
      const single = new KNNRegressor(ctx10, { aggregation, windowSize: 500 });
      batched.learn({ x: { data: s.x.slice(0, 1_400 * 10), rows: 1_400, cols: 10 }, y: s.y.slice(0, 1_400) });
      for (let r = 0; r < 1_400; r++) single.learnOne(row(s, r), s.y[r]);
      const out = batched.predict({ data: s.x.slice(1_400 * 10), rows: 100, cols: 10 });
      expect(Array.from(out)).toEqual(Array.from({ length: 100 }, (_, i) => single.predictOne(row(s, 1_400 + i))));
    }
  });

  it.each(['mean', 'weighted', 'median'])('saves and restores (%s) exactly, mid-wrap: same predictions, and it learns on identically', (aggregation) => {
    const s = friedman(1_000, 3);
    const params = resolveParams(knnRegressorDefinition, { aggregation, 'window-size': 300 });
    const original = knnRegressorDefinition.create(ctx10, params);
    // 450 rows: the ring has wrapped and its oldest row sits mid-buffer.
    for (let r = 0; r < 450; r++) original.learnOne(row(s, r), s.y[r]);
    const copy = knnRegressorDefinition.restore(ctx10, params, { json: JSON.parse(JSON.stringify(original.saveState().json)) as Json });
    for (let r = 450; r < 1_000; r++) {
      expect(copy.predictOne(row(s, r))).toBe(original.predictOne(row(s, r)));
      original.learnOne(row(s, r), s.y[r]);
      copy.learnOne(row(s, r), s.y[r]);
    }
    expect(copy.saveState()).toEqual(original.saveState());
  });

  it('keeps only the newest rows of a saved window larger than its own', () => {
    const big = learned([[0, 1], [1, 2], [2, 3], [3, 4]], { windowSize: 10 });
    const params = resolveParams(knnRegressorDefinition, { 'window-size': 2 });
    const small = knnRegressorDefinition.restore(ctx1, params, big.saveState());
    expect(small.saveState().json).toEqual({ nFeatures: 1, x: [2, 3], y: [3, 4] });
  });

  it('merges replicas by interleaving their windows from the newest rows, cut to the window size', () => {
    const a = learned([[1, 1], [2, 2], [3, 3], [4, 4]]);
    const b = learned([[10, 10], [20, 20]]);
    const rule = mergeRule();
    expect(rule.kind).toBe('interleaved windows');
    const params = resolveParams(knnRegressorDefinition, { 'window-size': 4 });
    const merged = rule.merge([a.saveState(), b.saveState()], { learner: 'knn-regressor', params, rows: [4, 2], weights: [2 / 3, 1 / 3] });
    // Newest first, in turn: a's 4, b's 20, a's 3, b's 10; then oldest first.
    expect(merged.json).toEqual({ nFeatures: 1, x: [10, 3, 20, 4], y: [10, 3, 20, 4] });
    const all = resolveParams(knnRegressorDefinition, { 'window-size': 100 });
    const whole = rule.merge([a.saveState(), b.saveState()], { learner: 'knn-regressor', params: all, rows: [4, 2], weights: [2 / 3, 1 / 3] });
    expect(whole.json).toEqual({ nFeatures: 1, x: [1, 2, 10, 3, 20, 4], y: [1, 2, 10, 3, 20, 4] });
    const m = knnRegressorDefinition.restore(ctx1, all, whole);
    expect(m.predictOne(one(19))).toBeCloseTo((20 + 10 + 4 + 3 + 2) / 5, 13);
  });

  it('refuses to merge replicas of different widths', () => {
    const params = resolveParams(knnRegressorDefinition);
    const wide = new KNNRegressor({ nFeatures: 2, seed: 1 }).saveState();
    expect(() => mergeRule().merge([learned([[1, 1]]).saveState(), wide], { learner: 'knn-regressor', params, rows: [1, 0], weights: [1, 0] })).toThrow(
      'merge: the knn-regressor replicas know different classes or features (1 features, 2 features)',
    );
  });

  it('refuses a hostile saved state in one line naming the learner and the field', () => {
    const params = resolveParams(knnRegressorDefinition);
    const restore = (json: Json) => () => knnRegressorDefinition.restore(ctx1, params, { json });
    expect(restore({ nFeatures: 1, x: [1, 2], y: [1, 'two'] })).toThrow('knn-regressor: saved state is invalid at y.1: expected number, received string');
    expect(restore({ nFeatures: 1, x: [1, 2, 3], y: [1, 2] })).toThrow("knn-regressor: saved state's x has 3 values, not rows x features = 2");
    expect(restore({ nFeatures: 0, x: [], y: [] })).toThrow('knn-regressor: saved state is invalid at nFeatures: expected a number >= 1, received 0');
    expect(restore({ nFeatures: 1, x: [1], y: null })).toThrow('knn-regressor: saved state is invalid at y: expected array, received null');
  });

  it('bounds its parameters, through the registry and when made directly', () => {
    expect(() => resolveParams(knnRegressorDefinition, { k: 0 })).toThrow('--param k=0: must be at least 1');
    expect(() => resolveParams(knnRegressorDefinition, { k: 10_001 })).toThrow('--param k=10001: must be at most 10000');
    expect(() => resolveParams(knnRegressorDefinition, { 'window-size': 10_000_001 })).toThrow('--param window-size=10000001: must be at most 10000000');
    expect(() => resolveParams(knnRegressorDefinition, { k: 2.5 })).toThrow('--param k=2.5: expected an integer');
    expect(() => resolveParams(knnRegressorDefinition, { aggregation: 'mode' })).toThrow('--param aggregation=mode: expected one of mean, weighted, median');
    expect(() => new KNNRegressor(ctx1, { windowSize: 0 })).toThrow('knn-regressor: window-size=0: must be at least 1');
    // k above the window is allowed (all stored rows count) and allocates no more than the window.
    expect(learned([[0, 1], [5, 3]], { k: 10_000, windowSize: 2 }).predictOne(one(1))).toBe(2);
  });
});
