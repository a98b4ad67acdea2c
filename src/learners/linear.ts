import { z } from 'zod';
import { Random } from '../core/random.js';
import type { Batch, Matrix } from '../core/types.js';
import {
  classesNeeded,
  softmaxRowsInPlace,
  toNumbers,
  type Classifier,
  type LearnerContext,
  type LearnerState,
} from './contract.js';
import { Optimizer, type OptimizerName } from './optimizers.js';
import { numbers, parseState, rngState } from '../core/state.js';

export interface SoftmaxRegressionParams {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /** L2 penalty on the weights (not the intercepts). */
  readonly l2: number;
  /** Passes over each batch's training rows. */
  readonly epochs: number;
  /** Rows per gradient step; 0 means one step per pass over the whole batch. */
  readonly miniBatchSize: number;
}

export const softmaxRegressionDefaults: SoftmaxRegressionParams = {
  optimizer: 'sgd',
  learningRate: 0.3,
  l2: 1e-4,
  epochs: 10,
  miniBatchSize: 4,
};

const stateSchema = z.object({
  nFeatures: z.number().int().positive(),
  nClasses: z.number().int().nonnegative(),
  weights: numbers,
  optimizer: z.object({ step: z.number().int(), first: numbers, second: numbers }),
  rng: rngState,
});

/**
 * Multinomial logistic (softmax) regression trained online by mini-batch
 * gradient descent on the cross-entropy loss with an L2 penalty (see Bishop,
 * Pattern Recognition and Machine Learning, 2006, section 4.3.4).
 *
 * Each batch's training rows are visited `epochs` times in a seeded random
 * order, `miniBatchSize` rows per step, with plain SGD, Adam or AdaGrad.
 * Weights start at zero, so training is deterministic given the seed.
 * Defaults: optimizer sgd, learningRate 0.3, l2 1e-4, epochs 10,
 * miniBatchSize 4, chosen on Iris, Wine and Digits under the batch
 * protocol. Features should be standardised; the registry puts an online
 * standard scaler in front of it.
 *
 * @example
 *   const lr = new SoftmaxRegression({ nFeatures: 4, nClasses: 3, seed: 42 }, { optimizer: 'adam' });
 *   lr.learn(batch);
 */
export class SoftmaxRegression implements Classifier {
  readonly name = 'softmax-regression';
  readonly params: SoftmaxRegressionParams;
  private readonly d: number;
  private k: number;
  // Row c holds class c's d weights followed by its intercept.
  private weights: Float64Array;
  private optimizer: Optimizer;
  private readonly rng: Random;

  constructor(ctx: LearnerContext, params: Partial<SoftmaxRegressionParams> = {}) {
    this.params = { ...softmaxRegressionDefaults, ...params };
    this.d = ctx.nFeatures;
    this.k = ctx.nClasses;
    this.weights = new Float64Array(this.k * (this.d + 1));
    this.optimizer = new Optimizer(this.params.optimizer, this.params.learningRate, this.weights.length);
    this.rng = Random.derive(ctx.seed, 'softmax-regression');
  }

  get nClasses(): number {
    return this.k;
  }

  learn(batch: Batch): void {
    this.grow(classesNeeded(batch.y, this.k));
    const n = batch.x.rows;
    if (n === 0 || this.k === 0) return;
    const step = this.params.miniBatchSize > 0 ? this.params.miniBatchSize : n;
    const grad = new Float64Array(this.weights.length);
    for (let epoch = 0; epoch < this.params.epochs; epoch++) {
      const order = this.rng.permutation(n);
      for (let start = 0; start < n; start += step) {
        this.gradient(batch, order.subarray(start, Math.min(n, start + step)), grad);
        this.optimizer.apply(this.weights, grad);
      }
    }
  }

  predictProba(x: Matrix): Float64Array {
    return softmaxRowsInPlace(this.scores(x.data, x.rows), this.k);
  }

  saveState(): LearnerState {
    return {
      json: {
        nFeatures: this.d,
        nClasses: this.k,
        weights: toNumbers(this.weights),
        optimizer: { ...this.optimizer.getState() },
        rng: this.rng.getState(),
      },
    };
  }

  static restore(ctx: LearnerContext, params: Partial<SoftmaxRegressionParams>, state: LearnerState): SoftmaxRegression {
    const s = parseState('softmax-regression', stateSchema, state.json);
    if (s.nFeatures !== ctx.nFeatures || s.weights.length !== s.nClasses * (s.nFeatures + 1)) {
      throw new Error('softmax-regression: saved state does not match the schema');
    }
    const model = new SoftmaxRegression({ ...ctx, nClasses: s.nClasses }, params);
    model.weights = Float64Array.from(s.weights);
    model.optimizer.setState(s.optimizer);
    model.rng.setState(s.rng);
    return model;
  }

  /** Linear scores W x + b for `rows` rows of `data`. */
  private scores(data: Float64Array, rows: number): Float64Array {
    const { d, k } = this;
    const w = this.weights;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < k; c++) {
        const o = c * (d + 1);
        let s = w[o + d];
        for (let j = 0; j < d; j++) s += w[o + j] * data[r * d + j];
        out[r * k + c] = s;
      }
    }
    return out;
  }

  /** Mean cross-entropy gradient over the chosen rows, plus the L2 term, into `grad`. */
  private gradient(batch: Batch, rows: Int32Array, grad: Float64Array): void {
    const { d, k } = this;
    const w = this.weights;
    grad.fill(0);
    const x = new Float64Array(d);
    for (const r of rows) {
      x.set(batch.x.data.subarray(r * d, r * d + d));
      const p = softmaxRowsInPlace(this.scores(x, 1), k);
      p[batch.y[r]] -= 1;
      for (let c = 0; c < k; c++) {
        const o = c * (d + 1);
        for (let j = 0; j < d; j++) grad[o + j] += p[c] * x[j];
        grad[o + d] += p[c];
      }
    }
    const scale = 1 / rows.length;
    const l2 = this.params.l2;
    for (let c = 0; c < k; c++) {
      const o = c * (d + 1);
      for (let j = 0; j < d; j++) grad[o + j] = grad[o + j] * scale + l2 * w[o + j];
      grad[o + d] *= scale;
    }
  }

  private grow(k: number): void {
    if (k <= this.k) return;
    const weights = new Float64Array(k * (this.d + 1));
    weights.set(this.weights); // class rows are contiguous, so old rows keep their place
    this.optimizer.resize(weights.length);
    this.weights = weights;
    this.k = k;
  }
}
