import { fail } from '../core/errors.js';
import { checkedParams, type ParamSpec } from '../core/params.js';
import { count, finiteNumber, numbers, object, parseState, positiveInteger } from '../core/state.js';
import type { Matrix } from '../core/types.js';
import { checkSavedFeatures, toNumbers, type FeatureContext, type LearnerState, type Params } from './contract.js';
import { averageArrays, checkSameShape, jsonMergeRule, type MergeRule } from './merge-rule.js';
import { Optimizer, optimizerNames, type OptimizerName } from './optimizers.js';
import { learnRows, predictRows, type RegressionBatch, type Regressor, type RegressorDefinition } from './regressor.js';

export interface LinearRegressionParams {
  /** How the feature weights move: plain SGD, Adam or AdaGrad (the intercept always moves by plain SGD at interceptLr). */
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /** L2 penalty on the feature weights (not the intercept). */
  readonly l2: number;
  /** Step of the intercept's own SGD update; 0 keeps the intercept at 0. */
  readonly interceptLr: number;
  /** Bound on the absolute value of the loss gradient 2 (ŷ − y) of one row. */
  readonly clipGradient: number;
}

/** River's linear_model.LinearRegression defaults: optim.SGD(0.01), l2 0, intercept_lr 0.01, clip_gradient 1e12. */
export const linearRegressionDefaults: LinearRegressionParams = {
  optimizer: 'sgd',
  learningRate: 0.01,
  l2: 0,
  interceptLr: 0.01,
  clipGradient: 1e12,
};

const stateSchema = object({
  nFeatures: positiveInteger,
  weights: numbers,
  intercept: finiteNumber,
  optimizer: object({ step: count, first: numbers, second: numbers }),
});

/**
 * Linear least squares learned online, one stochastic gradient step per row
 * (the Widrow-Hoff LMS rule: Widrow & Hoff 1960, "Adaptive switching
 * circuits"), in River's form (linear_model.LinearRegression): the squared
 * loss (ŷ − y)², whose gradient in ŷ is g = 2 (ŷ − y), clipped to
 * ±clipGradient and times the row's weight; the feature weights move by the
 * optimizer (SGD, Adam of Kingma & Ba 2015, or AdaGrad of Duchi, Hazan &
 * Singer 2011) along g x + l2 w, the intercept by plain SGD, b −= interceptLr g.
 * Weights and intercept start at 0, so it predicts 0 before it learns and is
 * deterministic (no random choices). Defaults are River's (its paper, LMS,
 * fixes none): SGD at 0.01, no L2 penalty, interceptLr 0.01, clipGradient
 * 1e12. Features should be standardised: the pipeline puts an online
 * standard scaler in front.
 *
 * @example
 * const lr = new LinearRegression({ nFeatures: 2, seed: 1 }, { optimizer: 'adam' });
 * lr.learnOne(Float64Array.of(0.5, -1), 3);
 * lr.predictOne(Float64Array.of(0.5, -1)); // a little above 0, on its way to 3
 */
export class LinearRegression implements Regressor {
  readonly name = 'linear-regression';
  readonly task = 'regression' as const;
  readonly params: LinearRegressionParams;
  private readonly d: number;
  private weights: Float64Array;
  private intercept = 0;
  private readonly optimizer: Optimizer;
  // The feature weights' gradient, reused row after row.
  private readonly gradient: Float64Array;

  constructor(ctx: FeatureContext, params: Partial<LinearRegressionParams> = {}) {
    this.params = checkedParams({ name: 'linear-regression', params: linearRegressionParamSpecs }, linearRegressionDefaults, params);
    this.d = ctx.nFeatures;
    this.weights = new Float64Array(this.d);
    this.gradient = new Float64Array(this.d);
    this.optimizer = new Optimizer(this.params.optimizer, this.params.learningRate, this.d);
  }

  learn(batch: RegressionBatch): void {
    learnRows(this, batch);
  }

  predict(x: Matrix): Float64Array {
    return predictRows(this, x);
  }

  learnOne(x: Float64Array, y: number): void {
    this.learnOneWeighted(x, y, 1);
  }

  /** A weighted row multiplies its loss gradient by the weight before clipping, as River's `learn_one(x, y, w)`. */
  learnOneWeighted(x: Float64Array, y: number, weight: number): void {
    const { d, weights, gradient } = this;
    const { clipGradient, l2, interceptLr } = this.params;
    let g = 2 * (this.predictOne(x) - y) * weight;
    if (g > clipGradient) g = clipGradient;
    else if (g < -clipGradient) g = -clipGradient;
    for (let j = 0; j < d; j++) gradient[j] = g * x[j] + l2 * weights[j];
    this.intercept -= interceptLr * g;
    this.optimizer.apply(weights, gradient);
  }

  predictOne(x: Float64Array): number {
    const { d, weights } = this;
    let s = this.intercept;
    for (let j = 0; j < d; j++) s += weights[j] * x[j];
    return s;
  }

  /** The feature weights learned so far (a copy). */
  get coefficients(): Float64Array {
    return this.weights.slice();
  }

  get bias(): number {
    return this.intercept;
  }

  saveState(): LearnerState {
    return {
      json: { nFeatures: this.d, weights: toNumbers(this.weights), intercept: this.intercept, optimizer: { ...this.optimizer.getState() } },
    };
  }

  static restore(ctx: FeatureContext, params: Partial<LinearRegressionParams>, state: LearnerState): LinearRegression {
    const s = parseState('linear-regression', stateSchema, state.json);
    checkSavedFeatures('linear-regression', 'nFeatures', s.nFeatures, ctx);
    const model = new LinearRegression(ctx, params);
    const d = s.nFeatures;
    checkLength('weights', s.weights.length, d, 'nFeatures');
    const kind = model.params.optimizer;
    checkLength('optimizer.first', s.optimizer.first.length, kind === 'adam' ? d : 0, `nFeatures for ${kind}`);
    checkLength('optimizer.second', s.optimizer.second.length, kind === 'sgd' ? 0 : d, `nFeatures for ${kind}`);
    if (kind !== 'sgd' && s.optimizer.second.some((v) => v < 0)) fail(`linear-regression: saved state's optimizer.second holds a negative sum of squares`);
    model.weights = Float64Array.from(s.weights);
    model.intercept = s.intercept;
    model.optimizer.setState(s.optimizer);
    return model;
  }
}

function checkLength(field: string, found: number, expected: number, what: string): void {
  if (found !== expected) fail(`linear-regression: saved state's ${field} has ${found} values, not ${what} = ${expected}`);
}

const linearRegressionParamSpecs: Readonly<Record<string, ParamSpec>> = {
  optimizer: { type: 'choice', default: linearRegressionDefaults.optimizer, choices: optimizerNames, doc: 'sgd, adam or adagrad, for the feature weights' },
  learningRate: { type: 'number', default: linearRegressionDefaults.learningRate, min: 0, exclusiveMin: true, doc: 'the optimizer\'s step size' },
  l2: { type: 'number', default: linearRegressionDefaults.l2, min: 0, doc: 'L2 penalty on the feature weights' },
  interceptLr: { type: 'number', default: linearRegressionDefaults.interceptLr, min: 0, doc: 'SGD step of the intercept (0: no intercept)' },
  clipGradient: { type: 'number', default: linearRegressionDefaults.clipGradient, min: 0, exclusiveMin: true, doc: 'bound on |2 (prediction - target)| per row' },
};

/**
 * Federated averaging (McMahan et al. 2017): weights, intercept and the
 * optimizer's state averaged, weighted by the rows each replica learned.
 * AdaGrad's sums of squares are averaged too, not added: workers may start
 * from a merged model, so replicas share their history, and a sum would
 * count it once per replica and grow with every merge. Adam's bias
 * correction follows the step count of the replica that took the most.
 */
export const linearRegressionMerge: MergeRule = jsonMergeRule(
  'weighted average',
  (states, { weights }) => {
    const parsed = states.map((s) => parseState('linear-regression', stateSchema, s));
    checkSameShape('linear-regression', parsed.map((p) => `${p.nFeatures} features`));
    return {
      nFeatures: parsed[0].nFeatures,
      weights: averageArrays(parsed.map((p) => p.weights), weights, 'weights'),
      intercept: parsed.reduce((sum, p, i) => sum + weights[i] * p.intercept, 0),
      optimizer: {
        step: Math.max(...parsed.map((p) => p.optimizer.step)),
        first: averageArrays(parsed.map((p) => p.optimizer.first), weights, 'optimizer moments'),
        second: averageArrays(parsed.map((p) => p.optimizer.second), weights, 'optimizer moments'),
      },
    };
  },
  () => 'linear-regression: weights, intercept and optimizer state averaged, weighted by rows learned',
);

// resolveParams checked every value against its spec before this cast.
const paramsAs = (params: Params): Partial<LinearRegressionParams> => params as unknown as Partial<LinearRegressionParams>;

export const linearRegressionDefinition: RegressorDefinition = {
  name: 'linear-regression',
  task: 'regression',
  summary: 'online least squares (SGD, Adam or AdaGrad; L2; intercept) on standardised features',
  reference: 'Widrow & Hoff 1960; River linear_model.LinearRegression',
  params: linearRegressionParamSpecs,
  scaleInputs: true,
  create: (ctx, p) => new LinearRegression(ctx, paramsAs(p)),
  restore: (ctx, p, s) => LinearRegression.restore(ctx, paramsAs(p), s),
  merge: linearRegressionMerge,
};
