import { z } from 'zod';
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
import { numbers, parseState } from '../core/state.js';

export interface GaussianNBParams {
  /** Share of the largest feature variance added to every variance, for stability (scikit-learn's var_smoothing). */
  readonly varSmoothing: number;
}

export const gaussianNBDefaults: GaussianNBParams = { varSmoothing: 1e-9 };

/** The saved state's shape (also read by the replica merge, src/learners/merge.ts). */
export const gaussianNBStateSchema = z.object({
  nFeatures: z.number().int().positive(),
  counts: numbers,
  means: numbers,
  m2: numbers,
  totalCount: z.number(),
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

  /** Welford's update of class c's and the overall moments with the row at data[at..at+d). */
  private learnRow(data: Float64Array, at: number, c: number): void {
    const d = this.d;
    const means = this.means;
    const m2 = this.m2;
    const totalMean = this.totalMean;
    const totalM2 = this.totalM2;
    const n = ++this.counts[c];
    const total = ++this.totalCount;
    const o = c * d;
    for (let j = 0; j < d; j++) {
      const x = data[at + j];
      const delta = x - means[o + j];
      means[o + j] += delta / n;
      m2[o + j] += delta * (x - means[o + j]);
      const deltaAll = x - totalMean[j];
      totalMean[j] += deltaAll / total;
      totalM2[j] += deltaAll * (x - totalMean[j]);
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
