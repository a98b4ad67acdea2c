import { describe, expect, it } from 'vitest';
import { resolveParams } from '../../src/core/params.js';
import { deriveSeed, Random } from '../../src/core/random.js';
import type { Json } from '../../src/core/state.js';
import { RegressionMetrics } from '../../src/eval/regression-metrics.js';
import type { FeatureContext } from '../../src/learners/contract.js';
import { BaggingRegressor, baggingRegressorDefinition } from '../../src/learners/bagging-regressor.js';
import { AdaptiveRandomForestRegressor, adaptiveRandomForestRegressorDefinition } from '../../src/learners/forest-regressor.js';
import { LinearRegression, linearRegressionDefinition } from '../../src/learners/linear-regression.js';
import { knnRegressorDefinition } from '../../src/learners/knn-regressor.js';
import { MeanRegressor, meanRegressorDefinition } from '../../src/learners/mean-regressor.js';
import { passiveAggressiveRegressorDefinition } from '../../src/learners/passive-aggressive-regressor.js';
import type { MergeContext } from '../../src/learners/merge-rule.js';
import type { Regressor, RegressorDefinition } from '../../src/learners/regressor.js';
import { hoeffdingAdaptiveTreeRegressorDefinition } from '../../src/learners/tree/hoeffding-adaptive-tree-regressor.js';
import { HoeffdingTreeRegressor, hoeffdingTreeRegressorDefinition } from '../../src/learners/tree/hoeffding-tree-regressor.js';
import { WindowedRegressionMetrics } from '../../src/eval/regression-metrics.js';

/** The regressors these tests make ensembles of (the registry's lookup, without the registry). */
const known: readonly RegressorDefinition[] = [
  meanRegressorDefinition,
  linearRegressionDefinition,
  passiveAggressiveRegressorDefinition,
  knnRegressorDefinition,
  hoeffdingTreeRegressorDefinition,
  hoeffdingAdaptiveTreeRegressorDefinition,
];
const lookup = (name: string): RegressorDefinition => {
  const def = known.find((d) => d.name === name);
  if (!def) throw new Error(`no regressor ${name} in this test`);
  return def;
};
const bagging = baggingRegressorDefinition(lookup);

interface Stream {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** A standard normal draw (Box-Muller). */
function gaussian(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** Friedman #1's function of features a..a+4 of the row at offset o. */
function friedmanTarget(x: Float64Array, o: number, a: number): number {
  return 10 * Math.sin(Math.PI * x[o + a] * x[o + a + 1]) + 20 * (x[o + a + 2] - 0.5) ** 2 + 10 * x[o + a + 3] + 5 * x[o + a + 4];
}

/**
 * Friedman #1 (Friedman 1991): y = 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4 + 5 x5 + N(0, 1),
 * x ~ U[0, 1]^10 (five features are noise). From row `swapAt` on, the target is the same
 * function of x6..x10 instead: an abrupt drift that keeps the target's distribution.
 */
function friedman(rows: number, seed: number, swapAt = Infinity): Stream {
  const rng = new Random(seed);
  const cols = 10;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) x[o + j] = rng.next();
    y[r] = friedmanTarget(x, o, r < swapAt ? 0 : 5) + gaussian(rng);
  }
  return { x, y, rows, cols };
}

const row = (s: Stream, r: number): Float64Array => s.x.subarray(r * s.cols, r * s.cols + s.cols);

/** Prequential (test-then-train) metrics of a regressor over rows [from, to) of a stream. */
function prequential(model: Regressor, s: Stream, from = 0, to = s.rows): RegressionMetrics {
  const metrics = new RegressionMetrics();
  for (let r = from; r < to; r++) {
    const x = row(s, r);
    metrics.update(s.y[r], model.predictOne(x));
    model.learnOne(x, s.y[r]);
  }
  return metrics;
}

const ctx10: FeatureContext = { nFeatures: 10, seed: 1 };

function mergeContext(params: Record<string, number | string>, rows: number[]): MergeContext {
  const total = rows.reduce((a, b) => a + b, 0);
  return { learner: 'bagging-regressor', params, rows, weights: rows.map((n) => n / total) };
}

describe('bagging-regressor', () => {
  it('of mean-regressors predicts the running mean closely (Friedman #1, 5,000 rows, seed 1: within 0.1 of a mean regressor, whose target sd is about 5)', () => {
    const s = friedman(5_000, 1);
    const params = resolveParams(bagging, { base: 'mean-regressor' });
    const bag = bagging.create(ctx10, params);
    const mean = new MeanRegressor();
    expect(bag.predictOne(row(s, 0))).toBe(0);
    let worst = 0;
    for (let r = 0; r < s.rows; r++) {
      bag.learnOne(row(s, r), s.y[r]);
      mean.learnOne(row(s, r), s.y[r]);
      if (r >= 1_000) worst = Math.max(worst, Math.abs(bag.predictOne(row(s, r)) - mean.predictOne()));
    }
    expect(worst).toBeLessThan(0.1);
    // Not the mean itself: each member weighed the rows by its own Poisson draws.
    expect(bag.predictOne(row(s, 0))).not.toBe(mean.predictOne());
  });

  it('learns each row Poisson(1) times per member: about as many rows as it was given (mean-regressor members, 20,000 rows, seed 3: within 3%)', () => {
    const s = friedman(20_000, 3);
    const bag = new BaggingRegressor({ nFeatures: 10, seed: 3 }, meanRegressorDefinition, { ensembleSize: 4 });
    bag.learn({ x: { data: s.x, rows: s.rows, cols: s.cols }, y: s.y });
    const members = (bag.saveState().json as { members: { n: number }[] }).members;
    expect(members).toHaveLength(4);
    for (const m of members) expect(Math.abs(m.n - s.rows) / s.rows).toBeLessThan(0.03);
    // Each member drew its own weights.
    expect(new Set(members.map((m) => m.n)).size).toBe(4);
  });

  it('each member learns each row k ~ Poisson(1) times: one weighted update where the base has one (mean-regressor), else k learnOne calls (passive-aggressive-regressor)', () => {
    const s = friedman(400, 6);
    for (const base of [meanRegressorDefinition, passiveAggressiveRegressorDefinition]) {
      const bag = new BaggingRegressor(ctx10, base, { ensembleSize: 1 });
      // The same draws, by hand: the bag's generator, and its one member made with the member's seed.
      const draws = Random.derive(ctx10.seed, 'bagging-regressor');
      const alone = base.create({ ...ctx10, seed: deriveSeed(ctx10.seed, 'bagging-regressor-member-0') }, resolveParams(base));
      for (let r = 0; r < s.rows; r++) {
        bag.learnOne(row(s, r), s.y[r]);
        const k = draws.poisson(1);
        if (k > 0 && alone.learnOneWeighted) alone.learnOneWeighted(row(s, r), s.y[r], k);
        else for (let i = 0; i < k; i++) alone.learnOne(row(s, r), s.y[r]);
        expect(bag.predictOne(row(s, r))).toBe(alone.predictOne(row(s, r)));
      }
    }
  });

  it('learn/predict of a batch equal learnOne/predictOne row by row, to the bit (linear-regression members, 500 rows, seed 2)', () => {
    const s = friedman(500, 2);
    const params = resolveParams(bagging, { base: 'linear-regression', 'ensemble-size': 3 });
    const a = bagging.create(ctx10, params);
    const b = bagging.create(ctx10, params);
    a.learn({ x: { data: s.x.subarray(0, 300 * s.cols), rows: 300, cols: s.cols }, y: s.y.subarray(0, 300) });
    for (let r = 0; r < 300; r++) b.learnOne(row(s, r), s.y[r]);
    const test = { data: s.x.subarray(300 * s.cols), rows: 200, cols: s.cols };
    const batch = a.predict(test);
    for (let r = 0; r < 200; r++) expect(b.predictOne(row(s, 300 + r))).toBe(batch[r]);
    expect(Array.from(b.predict(test))).toEqual(Array.from(batch));
  });

  it('learnOneScored gives what predictOne gave just before and learns as learnOne does, to the bit (tree, adaptive tree and linear-regression members; Friedman #1, 2,000 rows, seed 7)', () => {
    const s = friedman(2_000, 7);
    for (const base of ['hoeffding-tree-regressor', 'hoeffding-adaptive-tree-regressor', 'linear-regression']) {
      const params = resolveParams(bagging, { base, 'ensemble-size': 4 });
      const scored = bagging.create(ctx10, params) as BaggingRegressor;
      const plain = bagging.create(ctx10, params);
      for (let r = 0; r < s.rows; r++) {
        expect(scored.learnOneScored(row(s, r), s.y[r])).toBe(plain.predictOne(row(s, r)));
        plain.learnOne(row(s, r), s.y[r]);
      }
      expect(scored.saveState()).toEqual(plain.saveState());
    }
  });

  it('saved and restored, predicts and goes on learning exactly as the original (linear-regression members, Friedman #1, 2,000 rows, seed 4)', () => {
    const s = friedman(2_000, 4);
    const params = resolveParams(bagging, { base: 'linear-regression' });
    const original = bagging.create(ctx10, params);
    for (let r = 0; r < 1_000; r++) original.learnOne(row(s, r), s.y[r]);
    const copy = bagging.restore(ctx10, params, JSON.parse(JSON.stringify(original.saveState())) as { json: Json });
    for (let r = 1_000; r < 2_000; r++) {
      expect(copy.predictOne(row(s, r))).toBe(original.predictOne(row(s, r)));
      original.learnOne(row(s, r), s.y[r]);
      copy.learnOne(row(s, r), s.y[r]);
    }
    expect(copy.saveState()).toEqual(original.saveState());
  });

  it.each(known.map((d) => d.name))('of %s members, saved and restored, goes on exactly as the original (3 members, Friedman #1, 1,200 rows, seed 9)', (base) => {
    const s = friedman(1_200, 9);
    const params = resolveParams(bagging, { base, 'ensemble-size': 3 });
    const original = bagging.create(ctx10, params);
    for (let r = 0; r < 600; r++) original.learnOne(row(s, r), s.y[r]);
    const copy = bagging.restore(ctx10, params, JSON.parse(JSON.stringify(original.saveState())) as { json: Json });
    for (let r = 600; r < 1_200; r++) {
      expect(copy.predictOne(row(s, r))).toBe(original.predictOne(row(s, r)));
      original.learnOne(row(s, r), s.y[r]);
      copy.learnOne(row(s, r), s.y[r]);
    }
  });

  it('merges replicas by pooling their members in proportion to their rows (mean-regressor members, 3,000 and 1,000 rows)', () => {
    const s = friedman(4_000, 5);
    const params = resolveParams(bagging, { base: 'mean-regressor', 'ensemble-size': 8 });
    const a = bagging.create({ nFeatures: 10, seed: 11 }, params);
    const b = bagging.create({ nFeatures: 10, seed: 12 }, params);
    for (let r = 0; r < 3_000; r++) a.learnOne(row(s, r), s.y[r]);
    for (let r = 3_000; r < 4_000; r++) b.learnOne(row(s, r), s.y[r]);
    const rule = bagging.merge;
    if (!rule || rule.kind === null) throw new Error('bagging-regressor should merge');
    expect(rule.kind).toBe('pooled members');
    const merged = rule.merge([a.saveState(), b.saveState()], mergeContext(params, [3_000, 1_000]));
    const m = bagging.restore(ctx10, params, merged);
    // 6 members of the replica with three quarters of the rows, 2 of the other, in their order.
    const membersOf = (json: Json): { mean: number }[] => (json as { members: { mean: number }[] }).members;
    const pooled = [...membersOf(a.saveState().json).slice(0, 6), ...membersOf(b.saveState().json).slice(0, 2)];
    expect(membersOf(merged.json)).toEqual(pooled);
    const expected = pooled.reduce((sum, p) => sum + p.mean, 0) / 8;
    expect(m.predictOne(row(s, 0))).toBeCloseTo(expected, 12);
    // It goes on learning.
    m.learnOne(row(s, 0), 100);
    expect(m.predictOne(row(s, 0))).toBeGreaterThan(expected);
  });

  it('refuses to merge replicas of other widths or bases, in one line', () => {
    const params = resolveParams(bagging, { base: 'mean-regressor', 'ensemble-size': 2 });
    const rule = bagging.merge;
    if (!rule || rule.kind === null) throw new Error('bagging-regressor should merge');
    const a = bagging.create({ nFeatures: 3, seed: 1 }, params).saveState();
    const b = bagging.create({ nFeatures: 4, seed: 1 }, params).saveState();
    expect(() => rule.merge([a, b], mergeContext(params, [1, 1]))).toThrow(/^merge: the bagging-regressor replicas have different feature counts$/);
  });

  it('refuses a hostile state in one line naming the learner and the field', () => {
    const params = resolveParams(bagging, { base: 'mean-regressor', 'ensemble-size': 3 });
    const good = bagging.create(ctx10, params).saveState().json as Record<string, Json>;
    const restore = (json: Json) => () => bagging.restore(ctx10, params, { json });
    expect(restore({ ...good, members: 'many' })).toThrow(/^bagging-regressor: saved state is invalid at members: expected array, received string$/);
    expect(restore({ ...good, rng: [1, 2, 3] })).toThrow(/^bagging-regressor: saved state is invalid at rng: expected 4 items, received 3$/);
    expect(restore({ ...good, nFeatures: 9 })).toThrow(/^bagging-regressor: saved state's nFeatures is 9, but the schema and preprocessing give 10 features$/);
    expect(restore({ ...good, base: 'linear-regression' })).toThrow(/^bagging-regressor: saved state's base is "linear-regression", but the parameters name mean-regressor$/);
    expect(restore({ ...good, members: [good.members as Json, ...(good.members as Json[]).slice(1)] })).toThrow(/^bagging-regressor: saved state is invalid at members.0: mean-regressor: saved state is invalid at \(root\): expected object, received array$/);
    const members = [...(good.members as Json[])];
    members[2] = { n: -1, mean: 0 };
    expect(restore({ ...good, members })).toThrow(/^bagging-regressor: saved state is invalid at members.2: mean-regressor: saved state is invalid at n: expected a number >= 0, received -1$/);
    expect(restore({ ...good, members: members.slice(0, 2) })).toThrow(/^bagging-regressor: saved state's members has 2 items, but ensembleSize is 3$/);
  });

  it('bounds its parameters: 1 to 1,000 members, a base among the regressors', () => {
    expect(resolveParams(bagging, { 'ensemble-size': '1000' }).ensembleSize).toBe(1_000);
    expect(() => resolveParams(bagging, { 'ensemble-size': '1001' })).toThrow('--param ensemble-size=1001: must be at most 1000');
    expect(() => resolveParams(bagging, { 'ensemble-size': '0' })).toThrow('--param ensemble-size=0: must be at least 1');
    expect(() => resolveParams(bagging, { base: 'bagging-regressor' })).toThrow(/^--param base=bagging-regressor: expected one of hoeffding-tree-regressor, /);
    expect(resolveParams(bagging).base).toBe('hoeffding-tree-regressor');
  });

  it("takes its scaling and missing-value handling from its base", () => {
    const flag = (f: RegressorDefinition['scaleInputs'], base: string): boolean => (typeof f === 'function' ? f(resolveParams(bagging, { base })) : f);
    expect(flag(bagging.scaleInputs, 'linear-regression')).toBe(true);
    expect(flag(bagging.scaleInputs, 'mean-regressor')).toBe(false);
    expect(flag(bagging.missingNative ?? false, 'mean-regressor')).toBe(true);
    expect(flag(bagging.missingNative ?? false, 'linear-regression')).toBe(false);
  });
});

const forest = adaptiveRandomForestRegressorDefinition;

describe('adaptive-random-forest-regressor', () => {
  it('beats a Hoeffding tree regressor and clearly beats linear regression on Friedman #1 (prequential, 20,000 rows, seed 1: R² above 0.85)', () => {
    const s = friedman(20_000, 1);
    const arf = prequential(forest.create(ctx10, resolveParams(forest)), s).r2;
    const tree = prequential(new HoeffdingTreeRegressor(ctx10), s).r2;
    const linear = prequential(new LinearRegression(ctx10), s).r2;
    expect(arf).toBeGreaterThan(0.85);
    expect(arf).toBeGreaterThan(tree);
    expect(arf - linear).toBeGreaterThan(0.1);
  });

  it('recovers after the target function changes: members are replaced and the windowed RMSE comes back (Friedman #1, features swapped at row 8,000 of 16,000, seed 2)', () => {
    const s = friedman(16_000, 2, 8_000);
    const arf = new AdaptiveRandomForestRegressor(ctx10);
    const window = new WindowedRegressionMetrics(1_000);
    const rmseAt = new Map<number, number>();
    let driftsBefore = 0;
    for (let r = 0; r < s.rows; r++) {
      window.update(s.y[r], arf.predictOne(row(s, r)));
      arf.learnOne(row(s, r), s.y[r]);
      if ((r + 1) % 1_000 === 0) rmseAt.set(r + 1, window.rmse);
      if (r + 1 === 8_000) driftsBefore = arf.drifts;
    }
    const before = rmseAt.get(8_000)!;
    // The change hurts: the first window after it is far worse than the last before it.
    expect(rmseAt.get(9_000)!).toBeGreaterThan(1.4 * before);
    // Members were replaced after the change, most of them.
    expect(arf.drifts - driftsBefore).toBeGreaterThanOrEqual(5);
    expect(arf.warnings).toBeGreaterThan(0);
    // By the end the windowed RMSE is back near where it was before the change.
    expect(rmseAt.get(16_000)!).toBeLessThan(1.2 * before);
  });

  it('learn/predict of a batch equal learnOne/predictOne row by row, to the bit (Friedman #1, 1,500 rows, seed 3, mean and median)', () => {
    const s = friedman(1_500, 3);
    for (const aggregation of ['mean', 'median']) {
      const params = resolveParams(forest, { 'ensemble-size': 4, aggregation });
      const a = forest.create(ctx10, params);
      const b = forest.create(ctx10, params);
      a.learn({ x: { data: s.x.subarray(0, 1_000 * s.cols), rows: 1_000, cols: s.cols }, y: s.y.subarray(0, 1_000) });
      for (let r = 0; r < 1_000; r++) b.learnOne(row(s, r), s.y[r]);
      const test = { data: s.x.subarray(1_000 * s.cols), rows: 500, cols: s.cols };
      const batch = a.predict(test);
      for (let r = 0; r < 500; r++) expect(b.predictOne(row(s, 1_000 + r))).toBe(batch[r]);
    }
  });

  it("predicts the mean, or the median, of its trees' predictions (3 trees, Friedman #1, 2,000 rows, seed 4)", () => {
    const s = friedman(2_000, 4);
    for (const aggregation of ['mean', 'median']) {
      const params = resolveParams(forest, { 'ensemble-size': 3, aggregation });
      const arf = forest.create(ctx10, params);
      for (let r = 0; r < 1_500; r++) arf.learnOne(row(s, r), s.y[r]);
      const members = (arf.saveState().json as { members: { tree: Json }[] }).members;
      const trees = members.map((m) => HoeffdingTreeRegressor.restore(ctx10, { gracePeriod: 50, splitConfidence: 0.01 }, { json: m.tree }, { subspaceSize: 4 }));
      for (let r = 1_500; r < 2_000; r++) {
        const votes = trees.map((t) => t.predictOne(row(s, r))).sort((p, q) => p - q);
        const expected = aggregation === 'median' ? votes[1] : (votes[0] + votes[1] + votes[2]) / 3;
        expect(arf.predictOne(row(s, r))).toBeCloseTo(expected, 10);
      }
    }
  });

  it('saved and restored, with background trees growing, predicts and goes on learning exactly as the original (features swapped at row 3,000 of 6,000, seed 5)', () => {
    const s = friedman(6_000, 5, 3_000);
    const params = resolveParams(forest, { 'ensemble-size': 5 });
    const original = new AdaptiveRandomForestRegressor(ctx10, { ensembleSize: 5 });
    // Saved at the first row after the change at which some member grows a background tree.
    let saved: { json: Json } | null = null;
    let r = 0;
    for (; r < s.rows && saved === null; r++) {
      original.learnOne(row(s, r), s.y[r]);
      if (r >= 3_000 && original.backgroundTrees > 0) saved = JSON.parse(JSON.stringify(original.saveState())) as { json: Json };
    }
    expect(saved).not.toBeNull();
    const copy = forest.restore(ctx10, params, saved!);
    for (; r < s.rows; r++) {
      expect(copy.predictOne(row(s, r))).toBe(original.predictOne(row(s, r)));
      original.learnOne(row(s, r), s.y[r]);
      copy.learnOne(row(s, r), s.y[r]);
    }
    expect(copy.saveState()).toEqual(original.saveState());
  });

  it('learnOneScored gives what predictOne gave just before and learns as learnOne does, to the bit, through warnings and replaced members (features swapped at row 3,000 of 6,000, seed 5; mean and median)', () => {
    const s = friedman(6_000, 5, 3_000);
    for (const aggregation of ['mean', 'median'] as const) {
      const scored = new AdaptiveRandomForestRegressor(ctx10, { ensembleSize: 5, aggregation });
      const plain = new AdaptiveRandomForestRegressor(ctx10, { ensembleSize: 5, aggregation });
      for (let r = 0; r < s.rows; r++) {
        expect(scored.learnOneScored(row(s, r), s.y[r])).toBe(plain.predictOne(row(s, r)));
        plain.learnOne(row(s, r), s.y[r]);
      }
      expect(plain.drifts).toBeGreaterThan(0);
      expect([scored.drifts, scored.warnings]).toEqual([plain.drifts, plain.warnings]);
      expect(scored.saveState()).toEqual(plain.saveState());
    }
  });

  it('merges replicas by pooling their trees in proportion to their rows, lowest error first (Friedman #1, 3,000 and 1,000 rows)', () => {
    const s = friedman(4_000, 6);
    const params = resolveParams(forest, { 'ensemble-size': 4 });
    const a = forest.create({ nFeatures: 10, seed: 21 }, params);
    const b = forest.create({ nFeatures: 10, seed: 22 }, params);
    for (let r = 0; r < 3_000; r++) a.learnOne(row(s, r), s.y[r]);
    for (let r = 3_000; r < 4_000; r++) b.learnOne(row(s, r), s.y[r]);
    const rule = forest.merge;
    if (!rule || rule.kind === null) throw new Error('adaptive-random-forest-regressor should merge');
    expect(rule.kind).toBe('pooled members');
    const context: MergeContext = { learner: forest.name, params, rows: [3_000, 1_000], weights: [0.75, 0.25] };
    const merged = rule.merge([a.saveState(), b.saveState()], context);
    type Saved = { members: { errors: { mean: number } }[] };
    const ofA = (a.saveState().json as Saved).members;
    const ofB = (b.saveState().json as Saved).members;
    const byError = (ms: Saved['members']) => [...ms].sort((p, q) => p.errors.mean - q.errors.mean);
    expect((merged.json as Saved).members).toEqual([...byError(ofA).slice(0, 3), ...byError(ofB).slice(0, 1)]);
    const m = forest.restore(ctx10, params, merged);
    // The pooled forest predicts Friedman #1 about as well as the replica with most rows (next 1,000 rows).
    const next = friedman(1_000, 7);
    expect(prequential(m, next).r2).toBeGreaterThan(prequential(a, next).r2 - 0.05);
    expect(() => rule.merge([a.saveState(), forest.create({ nFeatures: 9, seed: 1 }, params).saveState()], context)).toThrow(
      /^merge: the adaptive-random-forest-regressor replicas have different feature counts$/,
    );
  });

  it('refuses a hostile state in one line naming the learner and the field', () => {
    const params = resolveParams(forest, { 'ensemble-size': 3 });
    const s = friedman(300, 8);
    const arf = forest.create(ctx10, params);
    for (let r = 0; r < s.rows; r++) arf.learnOne(row(s, r), s.y[r]);
    const good = arf.saveState().json as { nFeatures: number; members: Record<string, Json>[] };
    const restore = (json: unknown) => () => forest.restore(ctx10, params, { json: json as Json });
    const withMember = (i: number, change: Record<string, Json>) => ({ ...good, members: good.members.map((m, j) => (j === i ? { ...m, ...change } : m)) });
    expect(restore({ ...good, members: {} })).toThrow(/^adaptive-random-forest-regressor: saved state is invalid at members: expected array, received object$/);
    expect(restore(withMember(1, { errors: { w: -1, mean: 0, m2: 0 } }))).toThrow(/^adaptive-random-forest-regressor: saved state is invalid at members.1.errors.w: expected a number >= 0, received -1$/);
    expect(restore(withMember(2, { rng: [1, 2] }))).toThrow(/^adaptive-random-forest-regressor: saved state is invalid at members.2.rng: expected 4 items, received 2$/);
    expect(restore(withMember(0, { tree: { nFeatures: 10, tree: 'oak', rng: [1, 2, 3, 4] } }))).toThrow(/^adaptive-random-forest-regressor: saved state is invalid at members.0.tree: hoeffding-tree-regressor: /);
    // A leaf's subspace out of order (a saved state never has one: they are drawn sorted) would change which split wins a tie.
    const shuffled = JSON.parse(JSON.stringify(good.members[0].tree)) as { tree: { root: Record<string, unknown> } };
    let leaf = shuffled.tree.root;
    while (leaf.kind === 'split') leaf = (leaf.children as Record<string, unknown>[])[0];
    (leaf.features as number[]).reverse();
    expect(restore(withMember(0, { tree: shuffled as unknown as Json }))).toThrow(
      /^adaptive-random-forest-regressor: saved state is invalid at members.0.tree: hoeffding-tree-regressor: saved state is invalid at tree\.root(\.children\.\d+)*\.features: expected 4 distinct features in ascending order$/,
    );
    expect(restore(withMember(0, { drift: { time: -3 } }))).toThrow(/^adaptive-random-forest-regressor: saved state is invalid at members.0.drift: adwin: saved state is invalid at time: /);
    expect(restore({ ...good, members: good.members.slice(0, 2) })).toThrow(/^adaptive-random-forest-regressor: saved state's members has 2 items, but ensembleSize is 3$/);
    expect(restore({ ...good, nFeatures: 11 })).toThrow(/^adaptive-random-forest-regressor: saved state's nFeatures is 11, but the schema and preprocessing give 10 features$/);
    for (const bad of [restore(withMember(0, { errors: 'x' })), restore(null)]) {
      expect(bad).toThrow(/^adaptive-random-forest-regressor: saved state is invalid at /);
      try {
        bad();
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });

  it('bounds its parameters', () => {
    expect(resolveParams(forest, { 'ensemble-size': '1000' }).ensembleSize).toBe(1_000);
    expect(() => resolveParams(forest, { 'ensemble-size': '1001' })).toThrow('--param ensemble-size=1001: must be at most 1000');
    expect(() => resolveParams(forest, { lambda: '0' })).toThrow('--param lambda=0: must be greater than 0');
    expect(() => resolveParams(forest, { 'drift-delta': '0' })).toThrow('--param drift-delta=0: must be greater than 0');
    expect(() => resolveParams(forest, { 'warning-delta': '1.5' })).toThrow('--param warning-delta=1.5: must be at most 1');
    expect(() => resolveParams(forest, { aggregation: 'mode' })).toThrow('--param aggregation=mode: expected one of mean, median');
    expect(() => resolveParams(forest, { 'subspace-size': '-1' })).toThrow('--param subspace-size=-1: must be at least 0');
    const defaults = resolveParams(forest);
    expect([defaults.ensembleSize, defaults.lambda, defaults.gracePeriod, defaults.splitConfidence, defaults.warningDelta, defaults.driftDelta]).toEqual([10, 6, 50, 0.01, 0.01, 0.001]);
  });
});
