import { describe, expect, it } from 'vitest';
import { resolveParams } from '../../src/core/params.js';
import { Random } from '../../src/core/random.js';
import type { Json } from '../../src/core/state.js';
import { RegressionMetrics, WindowedRegressionMetrics } from '../../src/eval/regression-metrics.js';
import type { FeatureContext, LearnerState } from '../../src/learners/contract.js';
import { MeanRegressor } from '../../src/learners/mean-regressor.js';
import type { Regressor, RegressorDefinition } from '../../src/learners/regressor.js';
import { HoeffdingAdaptiveTreeRegressor, hoeffdingAdaptiveTreeRegressorDefinition } from '../../src/learners/tree/hoeffding-adaptive-tree-regressor.js';
import { HoeffdingTreeRegressor, hoeffdingTreeRegressorDefinition } from '../../src/learners/tree/hoeffding-tree-regressor.js';

/** A standard normal draw (Box-Muller). */
function gaussian(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

interface Stream {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

function row(s: Stream, r: number): Float64Array {
  return s.x.subarray(r * s.cols, r * s.cols + s.cols);
}

/**
 * Friedman #1 (Friedman 1991): y = 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4
 * + 5 x5 + N(0, 1), x ~ U[0, 1]^10; from row `driftAt` on, the target is the
 * same function of x6..x10 instead (an abrupt drift: x1..x5 stop mattering).
 */
function friedman(rows: number, seed: number, driftAt = Infinity): Stream {
  const rng = new Random(seed);
  const x = new Float64Array(rows * 10);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * 10;
    for (let j = 0; j < 10; j++) x[o + j] = rng.next();
    const b = r < driftAt ? o : o + 5;
    y[r] = 10 * Math.sin(Math.PI * x[b] * x[b + 1]) + 20 * (x[b + 2] - 0.5) ** 2 + 10 * x[b + 3] + 5 * x[b + 4] + gaussian(rng);
  }
  return { x, y, rows, cols: 10 };
}

/**
 * Exact online least squares (recursive least squares, with intercept): the
 * best any linear regression can do prequentially, the bar a tree must clear.
 */
class LeastSquares {
  private readonly w: Float64Array;
  private readonly p: Float64Array;
  private readonly z: Float64Array;
  private readonly pz: Float64Array;

  constructor(private readonly d: number) {
    const k = d + 1;
    this.w = new Float64Array(k);
    this.p = new Float64Array(k * k);
    for (let i = 0; i < k; i++) this.p[i * k + i] = 1e4;
    this.z = new Float64Array(k);
    this.pz = new Float64Array(k);
  }

  predictOne(x: Float64Array): number {
    let s = this.w[this.d];
    for (let j = 0; j < this.d; j++) s += this.w[j] * x[j];
    return s;
  }

  learnOne(x: Float64Array, y: number): void {
    const k = this.d + 1;
    const { z, p, pz, w } = this;
    z.set(x);
    z[this.d] = 1;
    const e = y - this.predictOne(x);
    let denom = 1;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += p[i * k + j] * z[j];
      pz[i] = s;
      denom += z[i] * s;
    }
    for (let i = 0; i < k; i++) w[i] += (pz[i] / denom) * e;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) p[i * k + j] -= (pz[i] * pz[j]) / denom;
  }
}

/** Prequential (test-then-train) R² of each learner over the stream. */
function prequentialR2(stream: Stream, learners: readonly Pick<Regressor, 'predictOne' | 'learnOne'>[]): number[] {
  const metrics = learners.map(() => new RegressionMetrics());
  for (let r = 0; r < stream.rows; r++) {
    const x = row(stream, r);
    learners.forEach((l, i) => {
      metrics[i].update(stream.y[r], l.predictOne(x));
      l.learnOne(x, stream.y[r]);
    });
  }
  return metrics.map((m) => m.r2);
}

const ctx10: FeatureContext = { nFeatures: 10, seed: 1 };

describe('hoeffding-tree-regressor (FIMT-DD)', () => {
  it('beats the mean and the best linear model on Friedman #1 (50,000 rows, seed 1, prequential)', () => {
    const stream = friedman(50_000, 1);
    const adaptive = new HoeffdingTreeRegressor(ctx10);
    const meanLeaves = new HoeffdingTreeRegressor(ctx10, { leafPrediction: 'mean' });
    const [tree, treeOfMeans, mean, linear] = prequentialR2(stream, [adaptive, meanLeaves, new MeanRegressor(), new LeastSquares(10)]);
    // Measured: adaptive leaves 0.805, mean leaves 0.710, least squares 0.720, the mean below 0.
    expect(mean).toBeLessThan(0.01);
    expect(linear).toBeGreaterThan(0.7);
    expect(tree).toBeGreaterThan(0.78);
    expect(tree).toBeGreaterThan(linear + 0.05);
    // The leaf perceptrons are what lifts the model tree above the regression tree.
    expect(tree).toBeGreaterThan(treeOfMeans + 0.05);
    expect(adaptive.size.leaves).toBeGreaterThan(50);
  });

  it('predicts 0 before it has learned anything', () => {
    for (const def of [hoeffdingTreeRegressorDefinition, hoeffdingAdaptiveTreeRegressorDefinition]) {
      expect(def.create(ctx10, resolveParams(def)).predictOne(new Float64Array(10).fill(0.5))).toBe(0);
    }
  });

  it('never splits a leaf whose target does not vary, however small the grace period', () => {
    const tree = new HoeffdingTreeRegressor({ nFeatures: 3, seed: 1 }, { gracePeriod: 1 });
    const rng = new Random(2);
    for (let r = 0; r < 1_000; r++) tree.learnOne(Float64Array.from([rng.next(), rng.next(), rng.next()]), 7);
    expect(tree.rootTest).toBeNull();
    expect(tree.predictOne(new Float64Array([0.1, 0.2, 0.3]))).toBe(7);
  });

  it('waits for the Hoeffding bound when two splits tie, then breaks the tie at the tie threshold', () => {
    // Feature 1 is a copy of feature 0: their best splits tie exactly (ratio 1), so only the tie rule
    // can split, once sqrt(ln(1/1e-7) / 2n) < 0.05, i.e. n > 3223.6: the attempt at 3,230 rows (grace 10).
    const tree = new HoeffdingTreeRegressor({ nFeatures: 2, seed: 1 }, { gracePeriod: 10 });
    const rng = new Random(3);
    const learn = (n: number): void => {
      for (let r = 0; r < n; r++) {
        const v = rng.next();
        tree.learnOne(Float64Array.from([v, v]), 10 * v + gaussian(rng));
      }
    };
    learn(3_220);
    expect(tree.rootTest).toBeNull();
    learn(10);
    expect(tree.rootTest?.feature).toBe(0);
  });

  it('splits a step function on the right feature at the right threshold, at its first attempt', () => {
    // y = 5 past x3 = 0.6, else 0, plus N(0, 0.1^2); grace period 50: the second-best feature reduces
    // almost nothing, so the first attempt (50 rows, bound 0.40) splits, between the rows either side of 0.6.
    const tree = new HoeffdingTreeRegressor(ctx10, { gracePeriod: 50 });
    const rng = new Random(4);
    let below = -Infinity;
    let splitAt = -1;
    for (let r = 0; r < 2_000; r++) {
      const x = new Float64Array(10);
      for (let j = 0; j < 10; j++) x[j] = rng.next();
      if (splitAt < 0 && x[3] <= 0.6) below = Math.max(below, x[3]);
      tree.learnOne(x, (x[3] > 0.6 ? 5 : 0) + 0.1 * gaussian(rng));
      if (splitAt < 0 && tree.rootTest !== null) splitAt = r + 1;
    }
    expect(splitAt).toBe(50);
    expect(tree.rootTest).toEqual({ feature: 3, threshold: below, categories: null });
    const at = (v: number): number => tree.predictOne(Float64Array.from({ length: 10 }, (_, j) => (j === 3 ? v : 0.5)));
    expect(Math.abs(at(0.3))).toBeLessThan(0.2);
    expect(Math.abs(at(0.9) - 5)).toBeLessThan(0.2);
  });

  it('splits a nominal feature one branch per category, and grows a branch for a new category', () => {
    const ctx: FeatureContext = { nFeatures: 3, seed: 1, nominal: [true, false, false] };
    const tree = new HoeffdingTreeRegressor(ctx, { gracePeriod: 50 });
    const rng = new Random(5);
    const learn = (code: number, y: number): void => tree.learnOne(Float64Array.from([code, rng.next(), rng.next()]), y + 0.3 * gaussian(rng));
    for (let r = 0; r < 2_000; r++) {
      const code = rng.int(4);
      learn(code, 3 * code);
    }
    const test = tree.rootTest!;
    expect(test.feature).toBe(0);
    expect(test.categories).toEqual([0, 1, 2, 3]);
    for (let code = 0; code < 4; code++) expect(Math.abs(tree.predictOne(Float64Array.from([code, 0.5, 0.5])) - 3 * code)).toBeLessThan(0.3);
    // A category the split has no branch for is predicted by the split's mean (about 4.5) until it is learned.
    expect(Math.abs(tree.predictOne(Float64Array.from([7, 0.5, 0.5])) - 4.5)).toBeLessThan(0.3);
    for (let r = 0; r < 300; r++) learn(7, 30);
    expect(tree.rootTest!.categories).toEqual([0, 1, 2, 3, 7]);
    expect(Math.abs(tree.predictOne(Float64Array.from([7, 0.5, 0.5])) - 30)).toBeLessThan(0.5);
  });

  it('learns and predicts with missing values (10% NaN on Friedman #1, 10,000 rows, seed 2)', () => {
    const stream = friedman(10_000, 2);
    const rng = new Random(6);
    for (let i = 0; i < stream.x.length; i++) if (rng.next() < 0.1) stream.x[i] = NaN;
    const tree = new HoeffdingTreeRegressor(ctx10);
    const [r2] = prequentialR2(stream, [tree]);
    expect(r2).toBeGreaterThan(0.5);
    expect(Number.isFinite(tree.predictOne(new Float64Array(10).fill(NaN)))).toBe(true);
  });

  it('limits depth, learns row weights, and keeps under its memory bound', () => {
    const stream = friedman(20_000, 3);
    const shallow = new HoeffdingTreeRegressor(ctx10, { maxDepth: 2 });
    const bounded = new HoeffdingTreeRegressor(ctx10, { maxByteSize: 65_536 });
    prequentialR2(stream, [shallow, bounded]);
    expect(shallow.size.depth).toBe(2);
    expect(bounded.memory.deactivations).toBeGreaterThan(0);
    // Nodes and leaf models are not bounded, only the observers: the estimate stays near the bound.
    expect(bounded.memory.bytes).toBeLessThan(2 * 65_536);

    const weighted = new HoeffdingTreeRegressor({ nFeatures: 1, seed: 1 }, { leafPrediction: 'mean' });
    for (let r = 0; r < 100; r++) {
      weighted.learnOneWeighted(new Float64Array([0.5]), 0, 3);
      weighted.learnOneWeighted(new Float64Array([0.5]), 4, 1);
    }
    expect(weighted.predictOne(new Float64Array([0.5]))).toBeCloseTo(1, 12);
    // A Poisson draw of 0 learns nothing.
    weighted.learnOneWeighted(new Float64Array([0.5]), 100, 0);
    expect(weighted.predictOne(new Float64Array([0.5]))).toBeCloseTo(1, 12);
  });

  it('draws each leaf its own subspace when asked (for the forest), from its seed', () => {
    const roots = (subspaceSize: number): number[] =>
      Array.from({ length: 12 }, (_, seed) => {
        const tree = new HoeffdingTreeRegressor({ nFeatures: 10, seed }, { gracePeriod: 50 }, { subspaceSize });
        const rng = new Random(100 + seed);
        for (let r = 0; r < 400; r++) {
          const x = Float64Array.from({ length: 10 }, () => rng.next());
          tree.learnOne(x, (x[3] > 0.6 ? 5 : 0) + 0.1 * gaussian(rng));
        }
        return tree.rootTest?.feature ?? -1;
      });
    expect(new Set(roots(0))).toEqual(new Set([3]));
    const narrow = roots(1);
    // With one feature a leaf, most roots never see feature 3; with seed s, the same draws again.
    expect(narrow.filter((f) => f !== 3 && f >= 0).length).toBeGreaterThan(6);
    expect(roots(1)).toEqual(narrow);
  });
});

describe('hoeffding-adaptive-tree-regressor', () => {
  it('recovers from an abrupt drift that the plain tree does not (Friedman #1 on x1..x5, then on x6..x10 from row 15,000; seed 1)', () => {
    const driftAt = 15_000;
    const stream = friedman(30_000, 1, driftAt);
    const learners = [new HoeffdingTreeRegressor(ctx10), new HoeffdingAdaptiveTreeRegressor(ctx10)];
    const windows = learners.map(() => new WindowedRegressionMetrics(2_000));
    const before: number[] = [];
    for (let r = 0; r < stream.rows; r++) {
      const x = row(stream, r);
      learners.forEach((l, i) => {
        windows[i].update(stream.y[r], l.predictOne(x));
        l.learnOne(x, stream.y[r]);
      });
      if (r === driftAt - 1) before.push(...windows.map((w) => w.rmse));
    }
    const [plainAfter, adaptiveAfter] = windows.map((w) => w.rmse);
    // Measured (RMSE over the last 2,000 rows): plain 2.25 before the drift, 2.83 at the end; adaptive 2.23, then 2.21.
    expect(adaptiveAfter).toBeLessThan(1.15 * before[1]);
    expect(plainAfter).toBeGreaterThan(1.15 * adaptiveAfter);
    const hat = learners[1] as HoeffdingAdaptiveTreeRegressor;
    expect(hat.swaps).toBeGreaterThan(0);
  });

  it('learnOneScored equals predictOne then learnOne through alternates started, swapped in and saved (Friedman #1 on x1..x5, then x6..x10 from row 6,000; 12,000 rows, seed 2)', () => {
    const stream = friedman(12_000, 2, 6_000);
    const scored = new HoeffdingAdaptiveTreeRegressor(ctx10, { gracePeriod: 100 });
    const plain = new HoeffdingAdaptiveTreeRegressor(ctx10, { gracePeriod: 100 });
    let restored: HoeffdingAdaptiveTreeRegressor | null = null;
    for (let r = 0; r < stream.rows; r++) {
      const x = row(stream, r);
      const before = plain.predictOne(x);
      expect(scored.learnOneScored(x, stream.y[r])).toBe(before);
      plain.learnOne(x, stream.y[r]);
      if (restored !== null) {
        expect(restored.predictOne(x)).toBe(before);
        restored.learnOne(x, stream.y[r]);
      } else if (r % 100 === 99 && r > 6_000) {
        // Saved once an alternate subtree is growing somewhere in the tree.
        const json = JSON.stringify(plain.saveState().json);
        if (json.includes('"alternate":{')) restored = HoeffdingAdaptiveTreeRegressor.restore(ctx10, { gracePeriod: 100 }, { json: JSON.parse(json) as Json });
      }
    }
    expect(restored).not.toBeNull();
    expect(plain.swaps).toBeGreaterThan(0);
    expect([scored.swaps, scored.prunes, scored.alternatesStarted]).toEqual([plain.swaps, plain.prunes, plain.alternatesStarted]);
    expectSameState(scored, plain);
    expectSameState(restored!, plain);
  });

  it('with bootstrap sampling off, still learns Friedman #1 as the plain tree does (20,000 rows, seed 4)', () => {
    const stream = friedman(20_000, 4);
    const [plain, adaptive] = prequentialR2(stream, [new HoeffdingTreeRegressor(ctx10), new HoeffdingAdaptiveTreeRegressor(ctx10, { bootstrapSampling: 'off' })]);
    expect(adaptive).toBeGreaterThan(0.74);
    expect(Math.abs(adaptive - plain)).toBeLessThan(0.05);
  });
});

/** Fails unless both save the same state, showing where they first differ (the states are long). */
function expectSameState(a: Regressor, b: Regressor): void {
  const sa = JSON.stringify(a.saveState().json);
  const sb = JSON.stringify(b.saveState().json);
  let i = 0;
  while (i < sa.length && sa[i] === sb[i]) i++;
  expect(sa.slice(Math.max(0, i - 80), i + 40)).toBe(sb.slice(Math.max(0, i - 80), i + 40));
  expect(sa.length).toBe(sb.length);
}

const definitions: readonly RegressorDefinition[] = [hoeffdingTreeRegressorDefinition, hoeffdingAdaptiveTreeRegressorDefinition];

/** Friedman #1 with a nominal feature in front (codes 0..4, adding 2 per code), so that both kinds of observer are saved. */
function mixedStream(rows: number, seed: number): { stream: Stream; ctx: FeatureContext } {
  const base = friedman(rows, seed);
  const rng = new Random(seed + 50);
  const x = new Float64Array(rows * 11);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const code = rng.int(5);
    x[r * 11] = code;
    x.set(row(base, r), r * 11 + 1);
    y[r] = base.y[r] + 2 * code;
  }
  return { stream: { x, y, rows, cols: 11 }, ctx: { nFeatures: 11, seed: 7, nominal: [true, ...new Array<boolean>(10).fill(false)] } };
}

describe.each(definitions)('$name contract', (def) => {
  const params = resolveParams(def, { gracePeriod: 50 });

  it('learnOne and predictOne are learn and predict of one row, to the bit', () => {
    const { stream, ctx } = mixedStream(3_000, 8);
    const byBatch = def.create(ctx, params);
    const byRow = def.create(ctx, params);
    for (let start = 0; start < stream.rows; start += 100) {
      const x = { data: stream.x.subarray(start * 11, (start + 100) * 11), rows: 100, cols: 11 };
      const predicted = byBatch.predict(x);
      byBatch.learn({ x, y: stream.y.subarray(start, start + 100) });
      for (let r = 0; r < 100; r++) expect(byRow.predictOne(row(stream, start + r))).toBe(predicted[r]);
      for (let r = 0; r < 100; r++) byRow.learnOne(row(stream, start + r), stream.y[start + r]);
    }
    expectSameState(byRow, byBatch);
  });

  it('learnOneScored gives what predictOne gave just before and learns as learnOne does, to the bit (5% missing values, categories new from row 3,000 on; 4,000 rows, seed 11)', () => {
    const { stream, ctx } = mixedStream(4_000, 11);
    const rng = new Random(12);
    for (let r = 0; r < stream.rows; r++) {
      for (let j = 1; j < 11; j++) if (rng.next() < 0.05) stream.x[r * 11 + j] = NaN;
      // Codes 5 and 6 appear late, when the tree has split on the nominal feature: they get branches of their own.
      if (r >= 3_000 && rng.next() < 0.2) stream.x[r * 11] = 5 + rng.int(2);
      // A category that matters enough for the tree to split on it.
      stream.y[r] += 8 * stream.x[r * 11];
    }
    const scored = def.create(ctx, params) as Regressor & { learnOneScored(x: Float64Array, y: number): number };
    const plain = def.create(ctx, params);
    for (let r = 0; r < stream.rows; r++) {
      const x = row(stream, r);
      expect(scored.learnOneScored(x, stream.y[r])).toBe(plain.predictOne(x));
      plain.learnOne(x, stream.y[r]);
    }
    // Categories of the nominal splits: the late ones got branches of their own.
    const categories = new Set<number>();
    const walk = (node: { kind: string; branches?: [number, number][] | null; children?: unknown[] }): void => {
      if (node.kind !== 'split') return;
      for (const [code] of node.branches ?? []) categories.add(code);
      for (const c of node.children ?? []) walk(c as typeof node);
    };
    walk((scored.saveState().json as { tree: { root: { kind: string } } }).tree.root);
    expect(categories.has(5) && categories.has(6)).toBe(true);
    expectSameState(scored, plain);
  });

  it('restores exactly from its saved state (through JSON) and goes on learning identically', () => {
    const { stream, ctx } = mixedStream(8_000, 9);
    const original = def.create(ctx, params);
    for (let r = 0; r < 4_000; r++) original.learnOne(row(stream, r), stream.y[r]);
    const saved: LearnerState = { json: JSON.parse(JSON.stringify(original.saveState().json)) as Json };
    const restored = def.restore(ctx, params, saved);
    for (let r = 4_000; r < 8_000; r++) {
      const x = row(stream, r);
      expect(restored.predictOne(x)).toBe(original.predictOne(x));
      original.learnOne(x, stream.y[r]);
      restored.learnOne(x, stream.y[r]);
    }
    expectSameState(restored, original);
  });

  it('refuses a hostile saved state in one line naming itself and the field', () => {
    const { stream, ctx } = mixedStream(1_000, 10);
    const model = def.create(ctx, params);
    for (let r = 0; r < 1_000; r++) model.learnOne(row(stream, r), stream.y[r]);
    const good = JSON.stringify(model.saveState().json);
    const refusal = (edit: (s: { tree: { root: Record<string, unknown>; inputs: Record<string, unknown> }; nFeatures: unknown }) => void): string => {
      const state = JSON.parse(good) as { tree: { root: Record<string, unknown>; inputs: Record<string, unknown> }; nFeatures: unknown };
      edit(state);
      try {
        def.restore(ctx, params, { json: state as unknown as Json });
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const child = (s: { tree: { root: Record<string, unknown> } }): Record<string, unknown> => (s.tree.root.children as Record<string, unknown>[])[0];
    expect(refusal((s) => (child(s).stats = [-3, 0, 0]))).toMatch(new RegExp(`^${def.name}: saved state is invalid at tree\\.root\\.children\\.0\\.stats\\.0: expected a number >= 0, received -3$`));
    expect(refusal((s) => (s.tree.inputs.mean = [1, 2]))).toBe(`${def.name}: saved state is invalid at tree.inputs.mean: expected 11 numbers, received 2`);
    expect(refusal((s) => (s.tree.root.feature = 'x'))).toBe(`${def.name}: saved state is invalid at tree.root.feature: expected number, received string`);
    expect(refusal((s) => (s.tree.root.feature = 40))).toBe(`${def.name}: saved state is invalid at tree.root.feature: 40 is past the 11 features`);
    expect(refusal((s) => (s.nFeatures = 4))).toMatch(new RegExp(`^${def.name}: saved state's nFeatures is 4`));
    // An E-BST whose links loop back would never end its walk.
    const loop = refusal((s) => {
      let node = s.tree.root;
      while (node.kind === 'split') node = (node.children as Record<string, unknown>[])[0];
      const obs = (node.observers as ({ kind: string; left: number[] } | null)[]).find((o) => o?.kind === 'ebst' && o.left.length > 1)!;
      obs.left[obs.left.length - 1] = 0;
    });
    expect(loop).toMatch(new RegExp(`^${def.name}: saved state is invalid at tree\\.root(\\.children\\.\\d+)*\\.observers\\.\\d+\\.left\\.\\d+: link 0 is not a later node with no other parent$`));
    for (const message of [loop]) expect(message).not.toContain('\n');
  });

  it('refuses to merge replicas, saying why', () => {
    expect(def.merge).toEqual({ kind: null, reason: expect.stringContaining('two trees do not add up') });
  });

  it('keeps E-BSTs past a thousand values exactly: the memory estimate counts them as before (16 nodes, doubled), and they restore and are freed when their leaf splits (2 features, 6,000 rows, seed 13)', () => {
    const ctx: FeatureContext = { nFeatures: 2, seed: 13 };
    // The adaptive tree without its Poisson weights, so that the leaf's weight is its rows.
    const wide = resolveParams(def, def === hoeffdingAdaptiveTreeRegressorDefinition ? { gracePeriod: 5_000, leafPrediction: 'mean', bootstrapSampling: 'off' } : { gracePeriod: 5_000, leafPrediction: 'mean' });
    const tree = def.create(ctx, wide) as HoeffdingTreeRegressor;
    const rng = new Random(14);
    const next = (): [Float64Array, number] => {
      const x = Float64Array.from([rng.next(), rng.next()]);
      return [x, (x[0] > 0.4 ? 6 : 1) + 0.1 * gaussian(rng)];
    };
    for (let r = 0; r < 4_999; r++) tree.learnOne(...next());
    // One leaf, two E-BSTs of 4,999 distinct values each: 8,192 nodes counted apiece (40 bytes a node, 96 an E-BST), 160 for the node.
    expect(tree.rootTest).toBeNull();
    expect(tree.memory.bytes).toBe(160 + 2 * (96 + 8_192 * 40));
    const copy = def.restore(ctx, wide, JSON.parse(JSON.stringify(tree.saveState())) as LearnerState) as HoeffdingTreeRegressor;
    expect(copy.memory.bytes).toBe(tree.memory.bytes);
    // The 5,000th row's split attempt splits on the step, and the E-BSTs' storage goes to the new leaves'.
    for (let r = 4_999; r < 6_000; r++) {
      const [x, y] = next();
      expect(copy.predictOne(x)).toBe(tree.predictOne(x));
      tree.learnOne(x, y);
      copy.learnOne(x, y);
    }
    expect(tree.rootTest?.feature).toBe(0);
    expect(Math.abs(tree.rootTest!.threshold - 0.4)).toBeLessThan(0.01);
    expectSameState(copy, tree);
  });
});
