import { z } from 'zod';
import type { Batch, Matrix } from '../core/types.js';
import {
  classesNeeded,
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

const stateSchema = z.object({
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
    const d = this.d;
    for (let r = 0; r < rows; r++) {
      const c = batch.y[r];
      const n = ++this.counts[c];
      const total = ++this.totalCount;
      const o = c * d;
      for (let j = 0; j < d; j++) {
        const x = data[r * d + j];
        const delta = x - this.means[o + j];
        this.means[o + j] += delta / n;
        this.m2[o + j] += delta * (x - this.means[o + j]);
        const deltaAll = x - this.totalMean[j];
        this.totalMean[j] += deltaAll / total;
        this.totalM2[j] += deltaAll * (x - this.totalMean[j]);
      }
    }
  }

  predictProba(x: Matrix): Float64Array {
    const { d, k } = this;
    const scores = new Float64Array(x.rows * k);
    const seen = this.totalCount;
    if (seen === 0) return scores.fill(1 / Math.max(k, 1));
    let maxVar = 0;
    for (let j = 0; j < d; j++) maxVar = Math.max(maxVar, this.totalM2[j] / seen);
    // Absolute floor when every feature has been constant so far.
    const epsilon = this.params.varSmoothing * (maxVar > 0 ? maxVar : 1);
    // Per class: log prior and the Gaussian normalising terms, computed once per call.
    const logPrior = new Float64Array(k);
    const invTwoVar = new Float64Array(k * d);
    const logNorm = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const n = this.counts[c];
      logPrior[c] = n > 0 ? Math.log(n / seen) : -Infinity;
      let norm = 0;
      for (let j = 0; j < d; j++) {
        const variance = (n > 0 ? this.m2[c * d + j] / n : 0) + epsilon;
        invTwoVar[c * d + j] = 1 / (2 * variance);
        norm += -0.5 * Math.log(2 * Math.PI * variance);
      }
      logNorm[c] = norm;
    }
    for (let r = 0; r < x.rows; r++) {
      for (let c = 0; c < k; c++) {
        if (logPrior[c] === -Infinity) {
          scores[r * k + c] = -Infinity;
          continue;
        }
        let s = logPrior[c] + logNorm[c];
        for (let j = 0; j < d; j++) {
          const diff = x.data[r * d + j] - this.means[c * d + j];
          s -= diff * diff * invTwoVar[c * d + j];
        }
        scores[r * k + c] = s;
      }
    }
    return softmaxRowsInPlace(scores, k);
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
    const s = parseState('gaussian-nb', stateSchema, state.json);
    const k = s.counts.length;
    if (s.nFeatures !== ctx.nFeatures || s.means.length !== k * s.nFeatures || s.m2.length !== k * s.nFeatures) {
      throw new Error('gaussian-nb: saved state does not match the schema');
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
