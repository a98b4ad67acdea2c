import type { Json } from '../../core/state.js';
import type { SplitCriterion } from './split-criterion.js';

/** A candidate split of one attribute, with the class distributions it would make. */
export interface SplitSuggestion {
  readonly feature: number;
  /** Numeric: x <= threshold goes to branch 0, else branch 1. */
  readonly threshold?: number;
  /** Nominal: one branch per observed value, in this order. */
  readonly values?: readonly number[];
  readonly merit: number;
  readonly post: Float64Array[];
}

/** What a learning leaf keeps about one attribute, per class. */
export interface AttributeObserver {
  update(value: number, y: number, weight: number): void;
  /** The best split of this attribute for the leaf's class distribution `pre`, or null when there is none. */
  bestSplit(criterion: SplitCriterion, pre: Float64Array, feature: number): SplitSuggestion | null;
  /**
   * bestSplit(...)?.merit, to the bit, or null when bestSplit gives null; may
   * spare the allocations, since most split attempts split nothing.
   * `preImpurity` is criterion.impurity(pre).
   */
  bestMerit(criterion: SplitCriterion, pre: Float64Array, preImpurity: number): number | null;
  /** log P(value | class), for naive Bayes at the leaves; null when the observer knows nothing of the class. */
  logLikelihood(value: number, y: number): number | null;
  /**
   * For each class c < k whose score is not -Infinity, adds logLikelihood(value, c)
   * to scores[c] when that is not null: naive Bayes's inner loop, one call per attribute.
   */
  addLogLikelihoods(value: number, scores: Float64Array, k: number): void;
  /** Total weight observed. */
  readonly weight: number;
  /** Approximate bytes held, for the tree's memory bound. */
  readonly bytes: number;
  toJSON(): Json;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Complementary error function, relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal cumulative distribution. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// Per class, five numbers: weight, mean, sum of squared deviations, min, max.
const W = 0;
const MEAN = 1;
const M2 = 2;
const MIN = 3;
const MAX = 4;
const STRIDE = 5;

/**
 * A plain array of n doubles, all Infinity: a leaf holds one per attribute,
 * and a Float64Array of a few numbers costs two to three times the memory of
 * an array of doubles (a typed array is three objects, and past 64 bytes an
 * off-heap block too) and more garbage-collection work. Filled with a double
 * from the start, so that every such array has the same element kind.
 */
function doubles(n: number): number[] {
  return new Array<number>(n).fill(Infinity);
}

// Candidate split distributions, reused by bestMerit (split attempts are frequent; splits are not).
let leftScratch = new Float64Array(0);
let rightScratch = new Float64Array(0);
let sdScratch = new Float64Array(0);

/**
 * Numeric attribute: one Gaussian per class (weighted Welford moments) plus
 * each class's range. Candidate splits are `bins` points evenly spaced
 * strictly inside the overall range, the weight on each side estimated from
 * each class's Gaussian (as MOA's GaussianNumericAttributeClassObserver,
 * default 10 points). Memory is constant in the stream's length.
 */
export class GaussianObserver implements AttributeObserver {
  private stats: number[];
  // The classes' weights added up, kept as rows come (naive Bayes asks for it on every row).
  // Weights are whole numbers (1 or Poisson draws), so the running sum is exact and equals the
  // sum over classes that `weight` used to compute, whatever the order.
  private total = 0;

  constructor(
    private k: number,
    private readonly bins: number,
    stats?: readonly number[],
  ) {
    if (stats) {
      this.stats = doubles(stats.length);
      for (let i = 0; i < stats.length; i++) this.stats[i] = stats[i];
      for (let c = 0; c < k; c++) this.total += stats[c * STRIDE + W];
    } else {
      this.stats = GaussianObserver.empty(k);
    }
  }

  private static empty(k: number): number[] {
    const s = doubles(k * STRIDE);
    for (let c = 0; c < k; c++) {
      s[c * STRIDE + W] = 0;
      s[c * STRIDE + MEAN] = 0;
      s[c * STRIDE + M2] = 0;
      s[c * STRIDE + MAX] = -Infinity;
    }
    return s;
  }

  get weight(): number {
    return this.total;
  }

  /** The estimate the tree's memory bound uses: as when the moments were a Float64Array. */
  get bytes(): number {
    return 64 + 8 * this.stats.length;
  }

  update(value: number, y: number, weight: number): void {
    if (Number.isNaN(value)) return;
    if (y >= this.k) this.grow(y + 1);
    const s = this.stats;
    const o = y * STRIDE;
    const w = s[o + W] + weight;
    const delta = value - s[o + MEAN];
    s[o + MEAN] += (delta * weight) / w;
    s[o + M2] += weight * delta * (value - s[o + MEAN]);
    s[o + W] = w;
    this.total += weight;
    if (value < s[o + MIN]) s[o + MIN] = value;
    if (value > s[o + MAX]) s[o + MAX] = value;
  }

  logLikelihood(value: number, y: number): number | null {
    if (y >= this.k) return null;
    const o = y * STRIDE;
    const w = this.stats[o + W];
    if (w <= 0) return -Infinity;
    const sd = this.sd(o);
    if (sd > 0) {
      const z = (value - this.stats[o + MEAN]) / sd;
      return -0.5 * z * z - Math.log(sd) - LOG_SQRT_2PI;
    }
    // A class seen at one value only: certain there, impossible elsewhere.
    return value === this.stats[o + MEAN] ? 0 : -Infinity;
  }

  addLogLikelihoods(value: number, scores: Float64Array, k: number): void {
    const s = this.stats;
    const n = Math.min(k, this.k);
    for (let c = 0; c < n; c++) {
      if (scores[c] === -Infinity) continue;
      const o = c * STRIDE;
      // logLikelihood(value, c), inline.
      if (s[o + W] <= 0) {
        scores[c] += -Infinity;
        continue;
      }
      const sd = this.sd(o);
      if (sd > 0) {
        const z = (value - s[o + MEAN]) / sd;
        scores[c] += -0.5 * z * z - Math.log(sd) - LOG_SQRT_2PI;
      } else scores[c] += value === s[o + MEAN] ? 0 : -Infinity;
    }
  }

  bestSplit(criterion: SplitCriterion, pre: Float64Array, feature: number): SplitSuggestion | null {
    const s = this.stats;
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < this.k; c++) {
      if (s[c * STRIDE + W] <= 0) continue;
      lo = Math.min(lo, s[c * STRIDE + MIN]);
      hi = Math.max(hi, s[c * STRIDE + MAX]);
    }
    if (!(lo < hi)) return null;
    let best: SplitSuggestion | null = null;
    const width = pre.length;
    for (let i = 0; i < this.bins; i++) {
      const threshold = lo + ((hi - lo) * (i + 1)) / (this.bins + 1);
      const left = new Float64Array(width);
      const right = new Float64Array(width);
      this.divide(threshold, left, right);
      const post = [left, right];
      const merit = criterion.merit(pre, post);
      if (!best || merit > best.merit) best = { feature, threshold, merit, post };
    }
    return best;
  }

  bestMerit(criterion: SplitCriterion, pre: Float64Array, preImpurity: number): number | null {
    const s = this.stats;
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < this.k; c++) {
      if (s[c * STRIDE + W] <= 0) continue;
      lo = Math.min(lo, s[c * STRIDE + MIN]);
      hi = Math.max(hi, s[c * STRIDE + MAX]);
    }
    if (!(lo < hi)) return null;
    const width = pre.length;
    if (leftScratch.length !== width) {
      leftScratch = new Float64Array(width);
      rightScratch = new Float64Array(width);
    }
    const left = leftScratch;
    const right = rightScratch;
    // Each class's standard deviation, the same for every candidate point: worked out once.
    if (sdScratch.length < this.k) sdScratch = new Float64Array(this.k);
    for (let c = 0; c < this.k; c++) sdScratch[c] = this.sd(c * STRIDE);
    let best = 0;
    for (let i = 0; i < this.bins; i++) {
      const threshold = lo + ((hi - lo) * (i + 1)) / (this.bins + 1);
      left.fill(0);
      right.fill(0);
      this.divide(threshold, left, right, sdScratch);
      const merit = criterion.merit2(preImpurity, left, right);
      if (i === 0 || merit > best) best = merit;
    }
    return best;
  }

  /**
   * Each class's weight on either side of `threshold`, added into `left` and
   * `right` (zeroed, pre.length long); `sds`, when given, holds each class's
   * standard deviation (sd()), else it is worked out here.
   */
  private divide(threshold: number, left: Float64Array, right: Float64Array, sds?: Float64Array): void {
    const s = this.stats;
    const width = left.length;
    for (let c = 0; c < this.k && c < width; c++) {
      const o = c * STRIDE;
      const w = s[o + W];
      if (w <= 0) continue;
      if (threshold < s[o + MIN]) right[c] += w;
      else if (threshold >= s[o + MAX]) left[c] += w;
      else {
        const below = this.weightAtOrBelow(o, threshold, sds ? sds[c] : this.sd(o));
        left[c] += below;
        right[c] += w - below;
      }
    }
  }

  toJSON(): Json {
    // Infinity is not JSON: an unseen class's range is written as nulls.
    return { kind: 'gaussian', k: this.k, stats: Array.from(this.stats, (v) => (Number.isFinite(v) ? v : null)) };
  }

  static fromJSON(json: { k: number; stats: (number | null)[] }, bins: number): GaussianObserver {
    const stats = Array.from(json.stats, (v, i) => (v === null ? (i % STRIDE === MIN ? Infinity : -Infinity) : v));
    return new GaussianObserver(json.k, bins, stats);
  }

  private sd(o: number): number {
    const w = this.stats[o + W];
    return w > 1 ? Math.sqrt(this.stats[o + M2] / (w - 1)) : 0;
  }

  /** The class's weight estimated at or below `value`, from its Gaussian's distribution function. */
  private weightAtOrBelow(o: number, value: number, sd: number): number {
    const w = this.stats[o + W];
    if (sd <= 0) return value >= this.stats[o + MEAN] ? w : 0;
    return normalCdf((value - this.stats[o + MEAN]) / sd) * w;
  }

  private grow(k: number): void {
    const s = GaussianObserver.empty(k);
    for (let i = 0; i < this.stats.length; i++) s[i] = this.stats[i];
    this.stats = s;
    this.k = k;
  }
}

// bestMerit's list of distributions, reused.
const nominalPost: number[][] = [];

/** An array of n doubles, all 0 (see doubles()). */
function zeros(n: number): number[] {
  const a = doubles(n);
  for (let i = 0; i < n; i++) a[i] = 0;
  return a;
}

/**
 * Nominal attribute: weight per (value, class). The split is multiway, one
 * branch per value seen; naive Bayes uses Laplace-smoothed frequencies.
 */
export class NominalObserver implements AttributeObserver {
  // Per value, the weight of each class: arrays of doubles, like the Gaussian moments (see doubles()).
  private counts = new Map<number, number[]>();
  private classTotals: number[];
  // The values seen, in increasing order: the branches of a split, kept sorted as values come.
  private sorted: number[] = [];
  // The classes' weights added up (see GaussianObserver.total).
  private total = 0;

  constructor(private k: number) {
    this.classTotals = zeros(k);
  }

  get weight(): number {
    return this.total;
  }

  /** The estimate the tree's memory bound uses: as when the counts were Float64Arrays. */
  get bytes(): number {
    return 64 + this.counts.size * (48 + 8 * this.k) + 8 * this.classTotals.length;
  }

  update(value: number, y: number, weight: number): void {
    if (Number.isNaN(value)) return;
    if (y >= this.k) this.grow(y + 1);
    let row = this.counts.get(value);
    if (!row) {
      row = zeros(this.k);
      this.counts.set(value, row);
      this.insertSorted(value);
    }
    row[y] += weight;
    this.classTotals[y] += weight;
    this.total += weight;
  }

  logLikelihood(value: number, y: number): number | null {
    if (y >= this.k) return null;
    const seen = this.counts.get(value)?.[y] ?? 0;
    return Math.log((seen + 1) / (this.classTotals[y] + this.counts.size));
  }

  addLogLikelihoods(value: number, scores: Float64Array, k: number): void {
    // One lookup of the value for every class.
    const row = this.counts.get(value);
    const size = this.counts.size;
    const n = Math.min(k, this.k);
    for (let c = 0; c < n; c++) {
      if (scores[c] === -Infinity) continue;
      const seen = row === undefined ? 0 : row[c];
      scores[c] += Math.log((seen + 1) / (this.classTotals[c] + size));
    }
  }

  bestSplit(criterion: SplitCriterion, pre: Float64Array, feature: number): SplitSuggestion | null {
    if (this.counts.size < 2) return null;
    const values = this.sorted.slice();
    const post = values.map((v) => {
      const d = new Float64Array(pre.length);
      const row = this.counts.get(v)!;
      for (let c = 0; c < row.length && c < pre.length; c++) d[c] = row[c];
      return d;
    });
    return { feature, values, merit: criterion.merit(pre, post), post };
  }

  /**
   * bestSplit's merit without its copies: each value's class weights go to
   * the criterion as they are. They are never wider than `pre` (the leaf's
   * counts are widened to every class the tree knows before it tries to
   * split), and a distribution's sum and impurity do not change with
   * trailing zeros, so the merit is the same to the bit.
   */
  bestMerit(criterion: SplitCriterion, pre: Float64Array): number | null {
    if (this.counts.size < 2) return null;
    if (this.k > pre.length) return this.bestSplit(criterion, pre, 0)!.merit;
    const post = nominalPost;
    post.length = 0;
    for (const v of this.sorted) post.push(this.counts.get(v)!);
    const merit = criterion.merit(pre, post);
    post.length = 0;
    return merit;
  }

  toJSON(): Json {
    return {
      kind: 'nominal',
      k: this.k,
      values: [...this.counts.entries()].map(([v, row]) => [v, Array.from(row)]),
      totals: Array.from(this.classTotals),
    };
  }

  static fromJSON(json: { k: number; values: [number, number[]][]; totals: number[] }): NominalObserver {
    const o = new NominalObserver(json.k);
    for (const [v, row] of json.values) {
      const r = zeros(row.length);
      for (let c = 0; c < row.length; c++) r[c] = row[c];
      o.counts.set(v, r);
      o.insertSorted(v);
    }
    o.classTotals = zeros(json.totals.length);
    for (let c = 0; c < json.totals.length; c++) {
      o.classTotals[c] = json.totals[c];
      o.total += json.totals[c];
    }
    return o;
  }

  private insertSorted(value: number): void {
    const sorted = this.sorted;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    sorted.splice(lo, 0, value);
  }

  private grow(k: number): void {
    for (const [v, row] of this.counts) {
      const wider = zeros(k);
      for (let c = 0; c < row.length; c++) wider[c] = row[c];
      this.counts.set(v, wider);
    }
    const totals = zeros(k);
    for (let c = 0; c < this.classTotals.length; c++) totals[c] = this.classTotals[c];
    this.classTotals = totals;
    this.k = k;
  }
}
