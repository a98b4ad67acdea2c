import { fail } from '../core/errors.js';
import { checkedParams, type ParamSpec } from '../core/params.js';
import { numbers, object, parseState, positiveInteger } from '../core/state.js';
import type { Matrix } from '../core/types.js';
import { checkSavedFeatures, toNumbers, type FeatureContext, type LearnerState, type Params } from './contract.js';
import { checkSameShape, jsonMergeRule, type MergeRule } from './merge-rule.js';
import type { RegressionBatch, Regressor, RegressorDefinition } from './regressor.js';
import { nearestInWindow } from './window-search.js';

export type KNNAggregation = 'mean' | 'weighted' | 'median';
export const knnAggregations: readonly KNNAggregation[] = ['mean', 'weighted', 'median'];

export interface KNNRegressorParams {
  /** Neighbours whose targets make the prediction. */
  readonly k: number;
  /** Most recent rows kept; older rows are forgotten. */
  readonly windowSize: number;
  /** How the neighbours' targets combine: their mean, their mean weighted by inverse distance, or their median. */
  readonly aggregation: KNNAggregation;
}

/** River's neighbors.KNNRegressor defaults: n_neighbors 5, window_size 1000, aggregation_method 'mean'. */
export const knnRegressorDefaults: KNNRegressorParams = { k: 5, windowSize: 1000, aggregation: 'mean' };

const stateSchema = object({
  nFeatures: positiveInteger,
  // The window's rows, oldest first: row-major features and their targets.
  x: numbers,
  y: numbers,
});

/**
 * k nearest neighbours regression over a sliding window of the most recent
 * rows (the nearest-neighbour rule of Cover & Hart 1967 with a numeric
 * target; the window as in MOA's kNN, Bifet, Pfahringer, Read & Holmes
 * 2013, and River's neighbors.KNNRegressor): the prediction is the mean,
 * the inverse-distance-weighted mean, or the median (the mean of the two
 * middle values when their count is even) of the targets of the k stored
 * rows nearest to the query, by Euclidean distance. The window forgets old
 * rows, so the learner follows a changing target within windowSize rows.
 *
 * In weighted mode a stored row at distance zero is the limit of the
 * inverse-distance weights: the prediction is the mean of the targets of
 * the rows at zero. River returns such a row's target in every mode; here
 * mean and median keep it as one neighbour among k, so a repeated input with
 * noisy targets is not answered by one noisy target. All stored rows count
 * while fewer than k are stored; before any the prediction is 0 (River's).
 * Among rows at the same distance the more recent one is nearer, so the
 * answer never depends on where the ring buffer happens to wrap. Defaults
 * are River's (k 5, windowSize 1000, mean); MOA's kNN regressor takes k 10.
 * Features should be standardised, since every feature weighs in the
 * distance by its scale: the pipeline puts an online standard scaler in
 * front. Stored rows keep the scaling they had when learned.
 *
 * @example
 * const knn = new KNNRegressor({ nFeatures: 1, seed: 1 }, { k: 2 });
 * knn.learn({ x: { data: Float64Array.of(0, 1, 5), rows: 3, cols: 1 }, y: Float64Array.of(10, 20, 90) });
 * knn.predictOne(Float64Array.of(0.4)); // 15: the mean of the two nearest targets
 */
export class KNNRegressor implements Regressor {
  readonly name = 'knn-regressor';
  readonly task = 'regression' as const;
  readonly params: KNNRegressorParams;
  private readonly d: number;
  // Ring buffer of rows (row-major) and targets. It grows by doubling up to
  // windowSize, so a large window costs memory only once it fills.
  private rows: Float64Array;
  private targets: Float64Array;
  private size = 0;
  /** Where the next row goes: equal to `size` until the window is full, then the oldest row. */
  private next = 0;
  // The k best so far for one query, nearest first: squared distances and targets.
  private readonly bestDist: Float64Array;
  private readonly bestTarget: Float64Array;
  private readonly bestSlot: Int32Array;
  // A view of bestTarget's first `medianView.length` entries, sorted in place for the median.
  private medianView: Float64Array;

  constructor(ctx: FeatureContext, params: Partial<KNNRegressorParams> = {}) {
    this.params = checkedParams({ name: 'knn-regressor', params: knnRegressorParamSpecs }, knnRegressorDefaults, params);
    const { k, windowSize } = this.params;
    this.d = ctx.nFeatures;
    const capacity = Math.min(windowSize, 64);
    this.rows = new Float64Array(capacity * this.d);
    this.targets = new Float64Array(capacity);
    const neighbours = Math.min(k, windowSize);
    this.bestDist = new Float64Array(neighbours);
    this.bestTarget = new Float64Array(neighbours);
    this.bestSlot = new Int32Array(neighbours);
    this.medianView = this.bestTarget.subarray(0, 0);
  }

  /** How many rows the window holds now. */
  get stored(): number {
    return this.size;
  }

  learn(batch: RegressionBatch): void {
    const { data, rows, cols } = batch.x;
    for (let r = 0; r < rows; r++) this.store(data, r * cols, batch.y[r]);
  }

  learnOne(x: Float64Array, y: number): void {
    this.store(x, 0, y);
  }

  /** Copies the row at data[from .. from + d) and its target into the window, over the oldest row once it is full. */
  private store(data: Float64Array, from: number, y: number): void {
    const { d } = this;
    const w = this.params.windowSize;
    if (this.size < w && this.size === this.targets.length) this.growStorage();
    const at = this.next;
    const o = at * d;
    for (let j = 0; j < d; j++) this.rows[o + j] = data[from + j];
    this.targets[at] = y;
    this.next = at + 1 === w ? 0 : at + 1;
    if (this.size < w) this.size++;
  }

  predict(x: Matrix): Float64Array {
    const out = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) out[r] = this.predictAt(x.data, r * x.cols);
    return out;
  }

  predictOne(x: Float64Array): number {
    return this.predictAt(x, 0);
  }

  /** The prediction for the row at data[q .. q + d). */
  private predictAt(data: Float64Array, q: number): number {
    const { d, size, bestDist, bestTarget, bestSlot } = this;
    if (size === 0) return 0;
    const window = { rows: this.rows, d, size, next: this.next, windowSize: this.params.windowSize };
    const found = nearestInWindow(window, data, q, this.params.k, bestDist, bestSlot);
    for (let i = 0; i < found; i++) bestTarget[i] = this.targets[bestSlot[i]];
    // Only when every distance was NaN or infinite.
    if (found === 0) return 0;
    const aggregation = this.params.aggregation;
    if (aggregation === 'median') return this.median(found);
    if (aggregation === 'weighted') {
      // bestDist holds squared distances, nearest first.
      if (bestDist[0] === 0) {
        let sum = 0;
        let exact = 0;
        while (exact < found && bestDist[exact] === 0) sum += bestTarget[exact++];
        return sum / exact;
      }
      let sum = 0;
      let total = 0;
      for (let i = 0; i < found; i++) {
        const weight = 1 / Math.sqrt(bestDist[i]);
        sum += weight * bestTarget[i];
        total += weight;
      }
      return sum / total;
    }
    let sum = 0;
    for (let i = 0; i < found; i++) sum += bestTarget[i];
    return sum / found;
  }

  /** The median of the first n neighbours' targets (sorts them in place: they are not needed after). */
  private median(n: number): number {
    if (this.medianView.length !== n) this.medianView = this.bestTarget.subarray(0, n);
    const sorted = this.medianView.sort();
    const mid = n >> 1;
    return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  saveState(): LearnerState {
    const { d, size } = this;
    const w = this.params.windowSize;
    const x = new Float64Array(size * d);
    const y = new Float64Array(size);
    const oldest = (this.next - size + w) % w;
    for (let i = 0; i < size; i++) {
      const slot = (oldest + i) % w;
      x.set(this.rows.subarray(slot * d, slot * d + d), i * d);
      y[i] = this.targets[slot];
    }
    return { json: { nFeatures: d, x: toNumbers(x), y: toNumbers(y) } };
  }

  /** Rebuilds the window; when the saved window is larger than windowSize, only its newest rows are kept. */
  static restore(ctx: FeatureContext, params: Partial<KNNRegressorParams>, state: LearnerState): KNNRegressor {
    const s = parseState('knn-regressor', stateSchema, state.json);
    const d = s.nFeatures;
    checkSavedFeatures('knn-regressor', 'nFeatures', d, ctx);
    if (s.x.length !== s.y.length * d) fail(`knn-regressor: saved state's x has ${s.x.length} values, not rows x features = ${s.y.length * d}`);
    const model = new KNNRegressor(ctx, params);
    const skip = Math.max(0, s.y.length - model.params.windowSize);
    const n = s.y.length - skip;
    const capacity = Math.max(n, model.targets.length);
    model.rows = new Float64Array(capacity * d);
    model.targets = new Float64Array(capacity);
    model.rows.set(s.x.slice(skip * d));
    model.targets.set(s.y.slice(skip));
    model.size = n;
    model.next = n % model.params.windowSize;
    return model;
  }

  private growStorage(): void {
    const capacity = Math.min(this.params.windowSize, Math.max(1, this.targets.length * 2));
    const rows = new Float64Array(capacity * this.d);
    rows.set(this.rows);
    const targets = new Float64Array(capacity);
    targets.set(this.targets);
    this.rows = rows;
    this.targets = targets;
  }
}

const knnRegressorParamSpecs: Readonly<Record<string, ParamSpec>> = {
  k: { type: 'integer', default: knnRegressorDefaults.k, min: 1, max: 10_000, doc: 'neighbours averaged (at most 10,000)' },
  windowSize: { type: 'integer', default: knnRegressorDefaults.windowSize, min: 1, max: 10_000_000, doc: 'most recent rows kept (at most 10,000,000)' },
  aggregation: { type: 'choice', default: knnRegressorDefaults.aggregation, choices: knnAggregations, doc: 'mean, weighted (by inverse distance) or median of the neighbours\' targets' },
};

/**
 * The replicas have no common clock, so their windows are interleaved:
 * newest first, one row from each replica in turn (in input order) until
 * the window is full, then put back oldest first. The merged window holds
 * every replica's most recent rows, as the knn classifier's rule does.
 */
export const knnRegressorMerge: MergeRule = jsonMergeRule(
  'interleaved windows',
  (states, { params }) => {
    const parsed = states.map((s) => parseState('knn-regressor', stateSchema, s));
    checkSameShape('knn-regressor', parsed.map((p) => `${p.nFeatures} features`));
    const d = parsed[0].nFeatures;
    parsed.forEach((p) => {
      if (p.x.length !== p.y.length * d) fail(`merge: a knn-regressor replica's x has ${p.x.length} values, not rows x features = ${p.y.length * d}`);
    });
    const window = Number(params.windowSize);
    // (replica, row) pairs, newest first.
    const picked: number[] = [];
    let rows = 0;
    const at = parsed.map((p) => p.y.length - 1);
    while (rows < window && at.some((i) => i >= 0)) {
      for (let r = 0; r < parsed.length && rows < window; r++) {
        if (at[r] < 0) continue;
        picked.push(r, at[r]--);
        rows++;
      }
    }
    const x: number[] = new Array<number>(rows * d);
    const y: number[] = new Array<number>(rows);
    for (let i = 0; i < rows; i++) {
      const p = parsed[picked[2 * i]];
      const row = picked[2 * i + 1];
      const to = rows - 1 - i;
      y[to] = p.y[row];
      for (let j = 0; j < d; j++) x[to * d + j] = p.x[row * d + j];
    }
    return { nFeatures: d, x, y };
  },
  ({ params }) => `knn-regressor: windows interleaved from their newest rows, cut to ${params.windowSize}`,
);

// resolveParams checked every value against its spec before this cast.
const paramsAs = (params: Params): Partial<KNNRegressorParams> => params as unknown as Partial<KNNRegressorParams>;

export const knnRegressorDefinition: RegressorDefinition = {
  name: 'knn-regressor',
  task: 'regression',
  summary: 'k nearest neighbours regression (mean, inverse-distance-weighted mean or median) over a sliding window of recent rows, on standardised features',
  reference: 'Cover & Hart 1967; Bifet, Pfahringer, Read & Holmes 2013; defaults of River neighbors.KNNRegressor',
  params: knnRegressorParamSpecs,
  scaleInputs: true,
  create: (ctx, p) => new KNNRegressor(ctx, paramsAs(p)),
  restore: (ctx, p, s) => KNNRegressor.restore(ctx, paramsAs(p), s),
  merge: knnRegressorMerge,
};
