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
  /** log P(value | class), for naive Bayes at the leaves; null when the observer knows nothing of the class. */
  logLikelihood(value: number, y: number): number | null;
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
 * Numeric attribute: one Gaussian per class (weighted Welford moments) plus
 * each class's range. Candidate splits are `bins` points evenly spaced
 * strictly inside the overall range, the weight on each side estimated from
 * each class's Gaussian (as MOA's GaussianNumericAttributeClassObserver,
 * default 10 points). Memory is constant in the stream's length.
 */
export class GaussianObserver implements AttributeObserver {
  private stats: Float64Array;

  constructor(
    private k: number,
    private readonly bins: number,
    stats?: Float64Array,
  ) {
    this.stats = stats ?? GaussianObserver.empty(k);
  }

  private static empty(k: number): Float64Array {
    const s = new Float64Array(k * STRIDE);
    for (let c = 0; c < k; c++) {
      s[c * STRIDE + MIN] = Infinity;
      s[c * STRIDE + MAX] = -Infinity;
    }
    return s;
  }

  get weight(): number {
    let w = 0;
    for (let c = 0; c < this.k; c++) w += this.stats[c * STRIDE + W];
    return w;
  }

  get bytes(): number {
    return 64 + this.stats.byteLength;
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
      for (let c = 0; c < this.k && c < width; c++) {
        const o = c * STRIDE;
        const w = s[o + W];
        if (w <= 0) continue;
        if (threshold < s[o + MIN]) right[c] += w;
        else if (threshold >= s[o + MAX]) left[c] += w;
        else {
          const below = this.weightAtOrBelow(o, threshold);
          left[c] += below;
          right[c] += w - below;
        }
      }
      const post = [left, right];
      const merit = criterion.merit(pre, post);
      if (!best || merit > best.merit) best = { feature, threshold, merit, post };
    }
    return best;
  }

  toJSON(): Json {
    // Infinity is not JSON: an unseen class's range is written as nulls.
    return { kind: 'gaussian', k: this.k, stats: Array.from(this.stats, (v) => (Number.isFinite(v) ? v : null)) };
  }

  static fromJSON(json: { k: number; stats: (number | null)[] }, bins: number): GaussianObserver {
    const stats = Float64Array.from(json.stats, (v, i) => (v === null ? (i % STRIDE === MIN ? Infinity : -Infinity) : v));
    return new GaussianObserver(json.k, bins, stats);
  }

  private sd(o: number): number {
    const w = this.stats[o + W];
    return w > 1 ? Math.sqrt(this.stats[o + M2] / (w - 1)) : 0;
  }

  /** The class's weight estimated at or below `value`, from its Gaussian's distribution function. */
  private weightAtOrBelow(o: number, value: number): number {
    const w = this.stats[o + W];
    const sd = this.sd(o);
    if (sd <= 0) return value >= this.stats[o + MEAN] ? w : 0;
    return normalCdf((value - this.stats[o + MEAN]) / sd) * w;
  }

  private grow(k: number): void {
    const s = GaussianObserver.empty(k);
    s.set(this.stats);
    this.stats = s;
    this.k = k;
  }
}

/**
 * Nominal attribute: weight per (value, class). The split is multiway, one
 * branch per value seen; naive Bayes uses Laplace-smoothed frequencies.
 */
export class NominalObserver implements AttributeObserver {
  private counts = new Map<number, Float64Array>();
  private classTotals: Float64Array;

  constructor(private k: number) {
    this.classTotals = new Float64Array(k);
  }

  get weight(): number {
    let w = 0;
    for (let c = 0; c < this.classTotals.length; c++) w += this.classTotals[c];
    return w;
  }

  get bytes(): number {
    return 64 + this.counts.size * (48 + 8 * this.k) + this.classTotals.byteLength;
  }

  update(value: number, y: number, weight: number): void {
    if (Number.isNaN(value)) return;
    if (y >= this.k) this.grow(y + 1);
    let row = this.counts.get(value);
    if (!row) {
      row = new Float64Array(this.k);
      this.counts.set(value, row);
    }
    row[y] += weight;
    this.classTotals[y] += weight;
  }

  logLikelihood(value: number, y: number): number | null {
    if (y >= this.k) return null;
    const seen = this.counts.get(value)?.[y] ?? 0;
    return Math.log((seen + 1) / (this.classTotals[y] + this.counts.size));
  }

  bestSplit(criterion: SplitCriterion, pre: Float64Array, feature: number): SplitSuggestion | null {
    if (this.counts.size < 2) return null;
    const values = [...this.counts.keys()].sort((a, b) => a - b);
    const post = values.map((v) => {
      const d = new Float64Array(pre.length);
      d.set(this.counts.get(v)!.subarray(0, pre.length));
      return d;
    });
    return { feature, values, merit: criterion.merit(pre, post), post };
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
    for (const [v, row] of json.values) o.counts.set(v, Float64Array.from(row));
    o.classTotals = Float64Array.from(json.totals);
    return o;
  }

  private grow(k: number): void {
    for (const [v, row] of this.counts) {
      const wider = new Float64Array(k);
      wider.set(row);
      this.counts.set(v, wider);
    }
    const totals = new Float64Array(k);
    totals.set(this.classTotals);
    this.classTotals = totals;
    this.k = k;
  }
}
