import { Random } from '../core/random.js';
import type { Batch, Matrix } from '../core/types.js';
import {
  checkSavedClasses,
  checkSavedFeatures,
  classesNeeded,
  softmaxRowsInPlace,
  toNumbers,
  type Classifier,
  type LearnerContext,
  type LearnerState,
  type Params,
} from './contract.js';
import type { LearnerDefinition } from './registry.js';
import { Optimizer, type OptimizerName } from './optimizers.js';
import { count, integer, numbers, object, parseState, positiveInteger, rngState } from '../core/state.js';
import { averageArrays, checkSameShape, heaviest, jsonMergeRule, SAME_CLASSES_HINT, type MergeRule } from './merge-rule.js';

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
  learningRate: 0.01,
  l2: 0,
  epochs: 1,
  miniBatchSize: 1,
};

const stateSchema = object({
  nFeatures: positiveInteger,
  nClasses: count,
  weights: numbers,
  optimizer: object({ step: integer, first: numbers, second: numbers }),
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
 * Defaults as River's LogisticRegression: plain SGD, one step per row
 * (miniBatchSize 1, epochs 1), learningRate 0.01, no L2 penalty. More
 * epochs per batch overfit the batch when batches are small, as in
 * row-by-row prequential evaluation. Features should be standardised; the
 * registry puts an online standard scaler in front of it.
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
    checkSavedFeatures('softmax-regression', 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses('softmax-regression', 'nClasses', s.nClasses, ctx);
    const size = s.nClasses * (s.nFeatures + 1);
    if (s.weights.length !== size) throw new Error(`softmax-regression: saved state's weights has ${s.weights.length} values, not classes x (features + 1) = ${size}`);
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

// ---------------------------------------------------------------------------
// Mistake-driven linear learners: one weight row per class, rows visited one
// at a time in batch order. They share the weight layout of SoftmaxRegression
// (class c's d weights, then its intercept) but not its training.

const marginStateSchema = object({
  nFeatures: positiveInteger,
  nClasses: count,
  weights: numbers,
});

/** Writes the scores of row `r` of `data` for all k classes into out[at .. at + k). */
function scoreRow(w: Float64Array, d: number, k: number, data: Float64Array, r: number, out: Float64Array, at: number): void {
  const x = r * d;
  for (let c = 0; c < k; c++) {
    const o = c * (d + 1);
    let s = w[o + d];
    for (let j = 0; j < d; j++) s += w[o + j] * data[x + j];
    out[at + c] = s;
  }
}

function scoreRows(w: Float64Array, d: number, k: number, x: Matrix): Float64Array {
  const out = new Float64Array(x.rows * k);
  for (let r = 0; r < x.rows; r++) scoreRow(w, d, k, x.data, r, out, r * k);
  return out;
}

/** The highest-scoring class other than `y` (lowest index among equals); -1 when y is the only class. */
function rivalOf(scores: Float64Array, k: number, y: number): number {
  let rival = -1;
  for (let c = 0; c < k; c++) {
    if (c !== y && (rival < 0 || scores[c] > scores[rival])) rival = c;
  }
  return rival;
}

/** w_y += step * (x, 1); w_rival -= step * (x, 1). The 1 is the intercept's input. */
function moveApart(w: Float64Array, d: number, data: Float64Array, r: number, y: number, rival: number, step: number): void {
  const up = y * (d + 1);
  const down = rival * (d + 1);
  const x = r * d;
  for (let j = 0; j < d; j++) {
    const v = step * data[x + j];
    w[up + j] += v;
    w[down + j] -= v;
  }
  w[up + d] += step;
  w[down + d] -= step;
}

/** A copy of the weights with zero rows appended for classes k1..k2-1 (class rows are contiguous). */
function widenWeights(w: Float64Array, d: number, k2: number): Float64Array {
  const out = new Float64Array(k2 * (d + 1));
  out.set(w);
  return out;
}

function restoreWeights(learner: string, ctx: LearnerContext, state: LearnerState): { nClasses: number; weights: Float64Array } {
  const s = parseState(learner, marginStateSchema, state.json);
  checkSavedFeatures(learner, 'nFeatures', s.nFeatures, ctx);
  checkSavedClasses(learner, 'nClasses', s.nClasses, ctx);
  const size = s.nClasses * (s.nFeatures + 1);
  if (s.weights.length !== size) throw new Error(`${learner}: saved state's weights has ${s.weights.length} values, not classes x (features + 1) = ${size}`);
  return { nClasses: s.nClasses, weights: Float64Array.from(s.weights) };
}

export interface PerceptronParams {
  /** Step added to the true class's weights and taken from the rival's on a mistake. */
  readonly learningRate: number;
}

export const perceptronDefaults: PerceptronParams = { learningRate: 1 };

/**
 * What the perceptron and Passive-Aggressive share: one weight vector and
 * intercept per class, grown when a class first appears; class scores
 * W x + b; probabilities as their softmax. Subclasses say how one row
 * updates the weights.
 */
abstract class MarginClassifier implements Classifier {
  abstract readonly name: string;
  protected readonly d: number;
  protected k: number;
  protected weights: Float64Array;

  protected constructor(ctx: LearnerContext) {
    this.d = ctx.nFeatures;
    this.k = ctx.nClasses;
    this.weights = new Float64Array(this.k * (this.d + 1));
  }

  get nClasses(): number {
    return this.k;
  }

  learn(batch: Batch): void {
    const k = classesNeeded(batch.y, this.k);
    if (k > this.k) {
      this.weights = widenWeights(this.weights, this.d, k);
      this.k = k;
    }
    const scores = new Float64Array(k);
    for (let r = 0; r < batch.x.rows; r++) {
      scoreRow(this.weights, this.d, k, batch.x.data, r, scores, 0);
      this.update(batch.x.data, r, batch.y[r], scores);
    }
  }

  /** Updates the weights for row r of `data`, of class y, given its class scores before the update. */
  protected abstract update(data: Float64Array, r: number, y: number, scores: Float64Array): void;

  /** Class scores W x + b, row-major rows x nClasses. */
  decisionFunction(x: Matrix): Float64Array {
    return scoreRows(this.weights, this.d, this.k, x);
  }

  predictProba(x: Matrix): Float64Array {
    return softmaxRowsInPlace(this.decisionFunction(x), this.k);
  }

  saveState(): LearnerState {
    return { json: { nFeatures: this.d, nClasses: this.k, weights: toNumbers(this.weights) } };
  }

  /** Puts saved weights into a learner made for the saved number of classes. */
  protected static restoreInto<T extends MarginClassifier>(
    name: string,
    ctx: LearnerContext,
    state: LearnerState,
    make: (ctx: LearnerContext) => T,
  ): T {
    const { nClasses, weights } = restoreWeights(name, ctx, state);
    const model = make({ ...ctx, nClasses });
    model.weights = weights;
    return model;
  }
}

/**
 * The multiclass perceptron (Rosenblatt 1958), in the "max" form of Crammer
 * & Singer's ultraconservative family (2003, "Ultraconservative online
 * algorithms for multiclass problems", JMLR 3): one weight vector and
 * intercept per class; when the highest-scoring wrong class scores at least
 * as much as the true class (a mistake or a tie), the row, times the
 * learning rate, is added to the true class and subtracted from that wrong
 * class. Otherwise nothing changes. Counting ties as mistakes is what lets
 * the all-zero start learn from its first row.
 *
 * Probabilities are the softmax of the class scores: the perceptron has no
 * probabilistic model, so they rank classes as its scores do but are not
 * calibrated. From zero weights the learning rate only scales the weights
 * (every update is a multiple of it), so it leaves the predicted class
 * alone and changes only how sharp the softmax is. Defaults: learningRate 1 (Rosenblatt's unit step). Features should be
 * standardised; the registry puts an online standard scaler in front.
 */
export class Perceptron extends MarginClassifier {
  readonly name = 'perceptron';
  readonly params: PerceptronParams;

  constructor(ctx: LearnerContext, params: Partial<PerceptronParams> = {}) {
    super(ctx);
    this.params = { ...perceptronDefaults, ...params };
  }

  protected update(data: Float64Array, r: number, y: number, scores: Float64Array): void {
    const rival = rivalOf(scores, this.k, y);
    if (rival >= 0 && scores[rival] >= scores[y]) moveApart(this.weights, this.d, data, r, y, rival, this.params.learningRate);
  }

  static restore(ctx: LearnerContext, params: Partial<PerceptronParams>, state: LearnerState): Perceptron {
    return MarginClassifier.restoreInto('perceptron', ctx, state, (c) => new Perceptron(c, params));
  }
}

export type PassiveAggressiveVariant = 'pa' | 'pa-i' | 'pa-ii';
export const passiveAggressiveVariants: readonly PassiveAggressiveVariant[] = ['pa', 'pa-i', 'pa-ii'];

export interface PassiveAggressiveParams {
  /** pa: the hard-margin update; pa-i: its step capped at C; pa-ii: a squared-slack soft margin. */
  readonly variant: PassiveAggressiveVariant;
  /** Aggressiveness C of pa-i and pa-ii (unused by pa): larger C, larger steps. */
  readonly c: number;
}

export const passiveAggressiveDefaults: PassiveAggressiveParams = { variant: 'pa-i', c: 1 };

/**
 * The multiclass Passive-Aggressive classifier of Crammer, Dekel, Keshet,
 * Shalev-Shwartz & Singer 2006 ("Online Passive-Aggressive Algorithms",
 * JMLR 7), in its multiclass form with one weight vector per class (plus an
 * intercept, treated as a constant input of 1, so every row has norm > 0).
 *
 * For a row x of class y, let s be the highest-scoring other class and
 * loss = max(0, 1 - (score_y - score_s)), the multiclass hinge loss. With no
 * loss the learner stays passive; otherwise it adds tau * x to class y and
 * subtracts it from class s. Since that moves the weights by a vector of
 * squared norm 2 |x|^2, the paper's three step sizes are
 *   PA     tau = loss / (2 |x|^2)             (the margin reaches exactly 1),
 *   PA-I   tau = min(C, loss / (2 |x|^2))     (C caps the step),
 *   PA-II  tau = loss / (2 |x|^2 + 1 / (2C))  (always a shorter step than PA),
 * where |x|^2 counts the intercept's input. PA-I and PA-II tolerate label
 * noise that drags PA around. Probabilities are the softmax of the class
 * scores (uncalibrated: PA has no probabilistic model).
 * Defaults: variant pa-i (scikit-learn's default loss, "hinge"), C 1.0
 * (scikit-learn's and River's default). Features should be standardised;
 * the registry puts an online standard scaler in front.
 */
export class PassiveAggressive extends MarginClassifier {
  readonly name = 'passive-aggressive';
  readonly params: PassiveAggressiveParams;

  constructor(ctx: LearnerContext, params: Partial<PassiveAggressiveParams> = {}) {
    super(ctx);
    this.params = { ...passiveAggressiveDefaults, ...params };
    if (!passiveAggressiveVariants.includes(this.params.variant)) {
      throw new RangeError(`passive-aggressive: unknown variant "${this.params.variant}"`);
    }
  }

  protected update(data: Float64Array, r: number, y: number, scores: Float64Array): void {
    const { d } = this;
    const rival = rivalOf(scores, this.k, y);
    if (rival < 0) return; // one class known: no margin to enforce
    const loss = 1 - (scores[y] - scores[rival]);
    if (loss <= 0) return;
    let norm2 = 1;
    for (let j = 0; j < d; j++) norm2 += data[r * d + j] * data[r * d + j];
    moveApart(this.weights, d, data, r, y, rival, this.step(loss, 2 * norm2));
  }

  static restore(ctx: LearnerContext, params: Partial<PassiveAggressiveParams>, state: LearnerState): PassiveAggressive {
    return MarginClassifier.restoreInto('passive-aggressive', ctx, state, (c) => new PassiveAggressive(c, params));
  }

  /** tau for a loss when the update direction has squared norm `norm2`. */
  private step(loss: number, norm2: number): number {
    const { variant, c } = this.params;
    if (variant === 'pa') return loss / norm2;
    if (variant === 'pa-i') return Math.min(c, loss / norm2);
    return loss / (norm2 + 1 / (2 * c));
  }
}

/**
 * Replicas merge by federated averaging: weights and the optimizer's
 * moments averaged, weighted by the rows each replica learned. Replicas
 * start from the same weights (zero), as averaging assumes.
 */
export const softmaxRegressionMerge: MergeRule = jsonMergeRule('weighted average', (states, { weights }) => {
  const parsed = states.map((s) => parseState('softmax-regression', stateSchema, s));
  checkSameShape('softmax-regression', parsed.map((p) => `${p.nFeatures}x${p.nClasses}`), SAME_CLASSES_HINT);
  const top = parsed[heaviest(weights)];
  return {
    nFeatures: top.nFeatures,
    nClasses: top.nClasses,
    weights: averageArrays(parsed.map((p) => p.weights), weights, 'weights'),
    optimizer: {
      // Adam's bias correction follows the step count: the furthest replica's.
      step: Math.max(...parsed.map((p) => p.optimizer.step)),
      first: averageArrays(parsed.map((p) => p.optimizer.first), weights, 'optimizer moments'),
      second: averageArrays(parsed.map((p) => p.optimizer.second), weights, 'optimizer moments'),
    },
    rng: top.rng,
  };
});

/** The perceptron's and passive-aggressive's merge: their weights averaged, weighted by rows learned. */
const marginMerge: MergeRule = jsonMergeRule('weighted average', (states, { learner, weights }) => {
  const parsed = states.map((s) => parseState(learner, marginStateSchema, s));
  checkSameShape(learner, parsed.map((p) => `${p.nFeatures}x${p.nClasses}`), SAME_CLASSES_HINT);
  return { nFeatures: parsed[0].nFeatures, nClasses: parsed[0].nClasses, weights: averageArrays(parsed.map((p) => p.weights), weights, 'weights') };
});

// The registry checks every value against its ParamSpec before these casts.
const paramsAs = <T>(params: Params): Partial<T> => params as unknown as Partial<T>;

export const perceptronDefinition: LearnerDefinition = {
  name: 'perceptron',
  summary: 'multiclass perceptron (max update) on standardised features; softmax of the scores as probabilities',
  reference: 'Rosenblatt 1958; Crammer & Singer 2003',
  params: {
    learningRate: { type: 'number', default: perceptronDefaults.learningRate, min: 0, exclusiveMin: true, doc: 'step on a mistake' },
  },
  scaleInputs: true,
  create: async (ctx, p) => new Perceptron(ctx, paramsAs(p)),
  restore: async (ctx, p, s) => Perceptron.restore(ctx, paramsAs(p), s),
  merge: marginMerge,
};

export const passiveAggressiveDefinition: LearnerDefinition = {
  name: 'passive-aggressive',
  summary: 'multiclass passive-aggressive classifier (PA, PA-I, PA-II) on standardised features',
  reference: 'Crammer, Dekel, Keshet, Shalev-Shwartz & Singer 2006',
  params: {
    variant: { type: 'choice', default: passiveAggressiveDefaults.variant, choices: passiveAggressiveVariants, doc: 'pa, pa-i or pa-ii' },
    c: { type: 'number', default: passiveAggressiveDefaults.c, min: 0, exclusiveMin: true, doc: 'aggressiveness C (pa-i, pa-ii)' },
  },
  scaleInputs: true,
  create: async (ctx, p) => new PassiveAggressive(ctx, paramsAs(p)),
  restore: async (ctx, p, s) => PassiveAggressive.restore(ctx, paramsAs(p), s),
  merge: marginMerge,
};
