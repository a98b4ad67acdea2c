import { fail } from '../core/errors.js';
import type { Batch, Matrix } from '../core/types.js';
import {
  checkSavedClasses,
  checkSavedFeatures,
  classesNeeded,
  softmaxRowInPlace,
  softmaxRowsInPlace,
  toNumbers,
  type Classifier,
  type LearnerContext,
  type LearnerState,
  type Json,
} from './contract.js';
import { finiteNumber, numbers, object, parseState, positiveInteger } from '../core/state.js';
import { chan, jsonMergeRule, type MergeRule } from './merge-rule.js';

export interface GaussianNBParams {
  /** Share of the largest feature variance added to every variance, for stability (scikit-learn's var_smoothing). */
  readonly varSmoothing: number;
}

export const gaussianNBDefaults: GaussianNBParams = { varSmoothing: 1e-9 };

/** The saved state's shape (also read by the replica merge below). */
export const gaussianNBStateSchema = object({
  nFeatures: positiveInteger,
  counts: numbers,
  means: numbers,
  m2: numbers,
  totalCount: finiteNumber,
  totalMean: numbers,
  totalM2: numbers,
});

/**
 * Gaussian naive Bayes, learned incrementally.
 *
 * Each class keeps, per feature, a running count, mean and sum of squared
 * deviations updated by Welford's algorithm (Welford 1962; Chan, Golub &
 * LeVeque 1983), so the variance stays accurate over long streams where the
 * textbook sum-of-squares formula loses precision. Prediction follows Bayes'
 * rule with class priors from the counts and independent Gaussian
 * likelihoods per feature. Defaults: varSmoothing = 1e-9 (as scikit-learn's
 * GaussianNB), which keeps a class seen once from having zero variance.
 *
 * @example
 *   const nb = new GaussianNB({ nFeatures: 4, nClasses: 3, seed: 42 });
 *   nb.learn(batch);
 *   const proba = nb.predictProba(batch.x);
 */
export class GaussianNB implements Classifier {
  readonly name = 'gaussian-nb';
  readonly params: GaussianNBParams;
  private readonly d: number;
  private k: number;
  private counts: Float64Array;
  private means: Float64Array;
  private m2: Float64Array;
  // Over all classes, to scale the variance smoothing as scikit-learn does.
  private totalCount = 0;
  private totalMean: Float64Array;
  private totalM2: Float64Array;
  // Work arrays of prepare(), reused from row to row so that scoring allocates nothing.
  private logPrior = new Float64Array(0);
  private logNorm = new Float64Array(0);
  private invTwoVar = new Float64Array(0);

  constructor(ctx: LearnerContext, params: Partial<GaussianNBParams> = {}) {
    this.params = { ...gaussianNBDefaults, ...params };
    this.d = ctx.nFeatures;
    this.k = ctx.nClasses;
    this.counts = new Float64Array(this.k);
    this.means = new Float64Array(this.k * this.d);
    this.m2 = new Float64Array(this.k * this.d);
    this.totalMean = new Float64Array(this.d);
    this.totalM2 = new Float64Array(this.d);
  }

  get nClasses(): number {
    return this.k;
  }

  learn(batch: Batch): void {
    this.grow(classesNeeded(batch.y, this.k));
    const { data, rows } = batch.x;
    for (let r = 0; r < rows; r++) this.learnRow(data, r * this.d, batch.y[r]);
  }

  predictProba(x: Matrix): Float64Array {
    const k = this.k;
    const scores = new Float64Array(x.rows * k);
    if (this.totalCount === 0) return scores.fill(1 / Math.max(k, 1));
    this.prepare();
    for (let r = 0; r < x.rows; r++) this.scoreRow(x.data, r * this.d, scores, r * k);
    return softmaxRowsInPlace(scores, k);
  }

  private oneRow = new Float64Array(0);

  predictProbaOne(x: Float64Array): Float64Array {
    const k = this.k;
    if (this.oneRow.length !== k) this.oneRow = new Float64Array(k);
    const out = this.oneRow;
    if (this.totalCount === 0) return out.fill(1 / Math.max(k, 1));
    this.prepare();
    this.scoreRow(x, 0, out, 0);
    softmaxRowInPlace(out, 0, k);
    return out;
  }

  learnOne(x: Float64Array, y: number): void {
    this.grow(y + 1);
    this.learnRow(x, 0, y);
  }

  /** Classifier.learnOneWeighted: West's weighted form of Welford's update (a weight of 1 is learnOne to the bit). */
  learnOneWeighted(x: Float64Array, y: number, weight: number): void {
    this.grow(y + 1);
    this.learnRow(x, 0, y, weight);
  }

  /**
   * Test-then-train without a per-row allocation: each row is scored into the
   * output, then learned. The arithmetic is predictProba's and learn's, in
   * the same order, so the probabilities are the same to the bit; classes
   * are added row by row, as predicting and learning one row at a time would.
   * Returns rows x nClasses (the classes known after the batch); a row scored
   * before a class was known has probability 0 for it.
   */
  learnScored(batch: Batch): Float64Array {
    const { data, rows } = batch.x;
    const y = batch.y;
    const kEnd = classesNeeded(y, this.k);
    const out = new Float64Array(rows * kEnd);
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      const k = this.k;
      const o = r * kEnd;
      if (this.totalCount === 0) {
        for (let c = 0; c < k; c++) out[o + c] = 1 / Math.max(k, 1);
      } else {
        this.prepare();
        this.scoreRow(data, r * d, out, o);
        softmaxRowInPlace(out, o, k);
      }
      if (y[r] >= k) this.grow(y[r] + 1);
      this.learnRow(data, r * d, y[r]);
    }
    return out;
  }

  /** Welford's update of class c's and the overall moments with the row at data[at..at+d), weighted (West 1979). */
  private learnRow(data: Float64Array, at: number, c: number, w = 1): void {
    const d = this.d;
    const means = this.means;
    const m2 = this.m2;
    const totalMean = this.totalMean;
    const totalM2 = this.totalM2;
    const n = (this.counts[c] += w);
    const total = (this.totalCount += w);
    const o = c * d;
    for (let j = 0; j < d; j++) {
      const x = data[at + j];
      const delta = x - means[o + j];
      means[o + j] += (w * delta) / n;
      m2[o + j] += w * delta * (x - means[o + j]);
      const deltaAll = x - totalMean[j];
      totalMean[j] += (w * deltaAll) / total;
      totalM2[j] += w * deltaAll * (x - totalMean[j]);
    }
  }

  /**
   * Per class, the log prior, the Gaussians' normalising term and 1/(2 var),
   * into reused work arrays: what scoreRow needs, for the model as it is now.
   * Needs totalCount > 0.
   */
  private prepare(): void {
    const { d, k } = this;
    const seen = this.totalCount;
    if (this.logPrior.length !== k) {
      this.logPrior = new Float64Array(k);
      this.logNorm = new Float64Array(k);
      this.invTwoVar = new Float64Array(k * d);
    }
    const { logPrior, logNorm, invTwoVar, counts, m2, totalM2 } = this;
    let maxVar = 0;
    for (let j = 0; j < d; j++) maxVar = Math.max(maxVar, totalM2[j] / seen);
    // Absolute floor when every feature has been constant so far.
    const epsilon = this.params.varSmoothing * (maxVar > 0 ? maxVar : 1);
    for (let c = 0; c < k; c++) {
      const n = counts[c];
      logPrior[c] = n > 0 ? Math.log(n / seen) : -Infinity;
      let norm = 0;
      for (let j = 0; j < d; j++) {
        const variance = (n > 0 ? m2[c * d + j] / n : 0) + epsilon;
        invTwoVar[c * d + j] = 1 / (2 * variance);
        norm += -0.5 * Math.log(2 * Math.PI * variance);
      }
      logNorm[c] = norm;
    }
  }

  /** Log posterior scores, up to a constant, of the row at data[at..at+d) into out[o..o+k), after prepare(). */
  private scoreRow(data: Float64Array, at: number, out: Float64Array, o: number): void {
    const { d, k, logPrior, logNorm, invTwoVar, means } = this;
    for (let c = 0; c < k; c++) {
      if (logPrior[c] === -Infinity) {
        out[o + c] = -Infinity;
        continue;
      }
      let s = logPrior[c] + logNorm[c];
      for (let j = 0; j < d; j++) {
        const diff = data[at + j] - means[c * d + j];
        s -= diff * diff * invTwoVar[c * d + j];
      }
      out[o + c] = s;
    }
  }

  saveState(): LearnerState {
    const json: Json = {
      nFeatures: this.d,
      counts: toNumbers(this.counts),
      means: toNumbers(this.means),
      m2: toNumbers(this.m2),
      totalCount: this.totalCount,
      totalMean: toNumbers(this.totalMean),
      totalM2: toNumbers(this.totalM2),
    };
    return { json };
  }

  static restore(ctx: LearnerContext, params: Partial<GaussianNBParams>, state: LearnerState): GaussianNB {
    const s = parseState('gaussian-nb', gaussianNBStateSchema, state.json);
    const k = s.counts.length;
    checkSavedFeatures('gaussian-nb', 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses('gaussian-nb', 'counts.length', k, ctx);
    if (s.means.length !== k * s.nFeatures) throw new Error(`gaussian-nb: saved state's means has ${s.means.length} values, not classes x features = ${k * s.nFeatures}`);
    if (s.m2.length !== k * s.nFeatures) throw new Error(`gaussian-nb: saved state's m2 has ${s.m2.length} values, not classes x features = ${k * s.nFeatures}`);
    if (s.totalMean.length !== s.nFeatures || s.totalM2.length !== s.nFeatures) {
      throw new Error(`gaussian-nb: saved state's totalMean and totalM2 must have ${s.nFeatures} values each`);
    }
    const nb = new GaussianNB({ ...ctx, nClasses: k }, params);
    nb.counts = Float64Array.from(s.counts);
    nb.means = Float64Array.from(s.means);
    nb.m2 = Float64Array.from(s.m2);
    nb.totalCount = s.totalCount;
    nb.totalMean = Float64Array.from(s.totalMean);
    nb.totalM2 = Float64Array.from(s.totalM2);
    return nb;
  }

  private grow(k: number): void {
    if (k <= this.k) return;
    const d = this.d;
    const counts = new Float64Array(k);
    counts.set(this.counts);
    const means = new Float64Array(k * d);
    means.set(this.means);
    const m2 = new Float64Array(k * d);
    m2.set(this.m2);
    this.counts = counts;
    this.means = means;
    this.m2 = m2;
    this.k = k;
  }
}

/**
 * Replicas merge exactly: class counts add, and each class's and the
 * totals' means and squared deviations combine by Chan, Golub & LeVeque's
 * parallel formula, so the merged model is the one that learned all rows
 * (up to float rounding).
 */
export const gaussianNBMerge: MergeRule = jsonMergeRule(
  'exact',
  (states) => {
    const parsed = states.map((s) => parseState('gaussian-nb', gaussianNBStateSchema, s));
    const d = parsed[0].nFeatures;
    if (parsed.some((p) => p.nFeatures !== d)) fail('merge: the gaussian-nb replicas have different feature counts');
    const k = Math.max(...parsed.map((p) => p.counts.length));
    const counts = new Array<number>(k).fill(0);
    const means = new Array<number>(k * d).fill(0);
    const m2 = new Array<number>(k * d).fill(0);
    let totalCount = 0;
    const totalMean = new Array<number>(d).fill(0);
    const totalM2 = new Array<number>(d).fill(0);
    for (const p of parsed) {
      for (let c = 0; c < p.counts.length; c++) {
        const nb = p.counts[c];
        for (let j = 0; j < d; j++) {
          const o = c * d + j;
          [, means[o], m2[o]] = chan(counts[c], means[o], m2[o], nb, p.means[o], p.m2[o]);
        }
        counts[c] += nb;
      }
      for (let j = 0; j < d; j++) [, totalMean[j], totalM2[j]] = chan(totalCount, totalMean[j], totalM2[j], p.totalCount, p.totalMean[j], p.totalM2[j]);
      totalCount += p.totalCount;
    }
    return { nFeatures: d, counts, means, m2, totalCount, totalMean, totalM2 };
  },
  () => 'gaussian-nb: exact (class counts; means and variances by Chan et al.)',
);
