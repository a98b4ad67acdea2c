import { fail } from '../core/errors.js';
import { checkedParams, onOffParam, resolveParams, type ParamSpec } from '../core/params.js';
import { finiteNumber, numbers, object, parseState, positiveInteger } from '../core/state.js';
import type { Matrix } from '../core/types.js';
import { checkSavedFeatures, toNumbers, type FeatureContext, type LearnerState, type Params } from './contract.js';
import { passiveAggressiveVariants, type PassiveAggressiveVariant } from './linear.js';
import { averageArrays, checkSameShape, jsonMergeRule, type MergeRule } from './merge-rule.js';
import { learnRows, predictRows, type RegressionBatch, type Regressor, type RegressorDefinition } from './regressor.js';

export interface PassiveAggressiveRegressorParams {
  /** pa: the step that brings the loss to 0; pa-i: that step capped at C; pa-ii: a squared-slack soft step. */
  readonly variant: PassiveAggressiveVariant;
  /** Aggressiveness C of pa-i and pa-ii (unused by pa). */
  readonly c: number;
  /** Width of the insensitive band: errors up to epsilon cost nothing and change nothing. */
  readonly epsilon: number;
  /** Whether an intercept is learned (as a constant input of 1). */
  readonly learnIntercept: 'on' | 'off';
}

/** River's linear_model.PARegressor defaults: C 1.0, mode 1 (PA-I), eps 0.1, learn_intercept True. */
export const passiveAggressiveRegressorDefaults: PassiveAggressiveRegressorParams = {
  variant: 'pa-i',
  c: 1,
  epsilon: 0.1,
  learnIntercept: 'on',
};

const stateSchema = object({ nFeatures: positiveInteger, weights: numbers, intercept: finiteNumber });

/**
 * Passive-Aggressive regression (Crammer, Dekel, Keshet, Shalev-Shwartz &
 * Singer 2006, "Online Passive-Aggressive Algorithms", JMLR 7, section 4):
 * with the ε-insensitive loss ℓ = max(0, |y − ŷ| − ε), a row inside the band
 * leaves the model alone (passive); otherwise the weights move along
 * sign(y − ŷ) x by the step τ (aggressive):
 *   PA     τ = ℓ / |x|²               (the smallest move that brings ℓ to 0),
 *   PA-I   τ = min(C, ℓ / |x|²)       (C caps the step),
 *   PA-II  τ = ℓ / (|x|² + 1 / (2C))  (always shorter than PA's).
 * The intercept is the weight of a constant input 1, so |x|² counts it and
 * the step is the paper's projection for the whole vector (River leaves the
 * 1 out of |x|², which over-steps by the intercept's share). With the
 * intercept off, a row of zeros has |x|² = 0 and PA and PA-I skip it, as
 * River does. PA-I and PA-II tolerate noisy targets that drag PA around.
 * Defaults are River's (the paper fixes none): PA-I, C 1, ε 0.1, intercept on.
 * Features should be standardised: the pipeline puts an online standard
 * scaler in front.
 *
 * @example
 * const pa = new PassiveAggressiveRegressor({ nFeatures: 1, seed: 1 }, { variant: 'pa' });
 * pa.learnOne(Float64Array.of(1), 2.1);
 * pa.predictOne(Float64Array.of(1)); // 2.0: the error left is exactly ε
 */
export class PassiveAggressiveRegressor implements Regressor {
  readonly name = 'passive-aggressive-regressor';
  readonly task = 'regression' as const;
  readonly params: PassiveAggressiveRegressorParams;
  private readonly d: number;
  private weights: Float64Array;
  private intercept = 0;

  constructor(ctx: FeatureContext, params: Partial<PassiveAggressiveRegressorParams> = {}) {
    this.params = checkedParams({ name: 'passive-aggressive-regressor', params: passiveAggressiveRegressorParamSpecs }, passiveAggressiveRegressorDefaults, params);
    this.d = ctx.nFeatures;
    this.weights = new Float64Array(this.d);
  }

  learn(batch: RegressionBatch): void {
    learnRows(this, batch);
  }

  predict(x: Matrix): Float64Array {
    return predictRows(this, x);
  }

  learnOne(x: Float64Array, y: number): void {
    const { d, weights } = this;
    const error = y - this.predictOne(x);
    const loss = Math.abs(error) - this.params.epsilon;
    if (!(loss > 0)) return;
    const withIntercept = this.params.learnIntercept === 'on';
    let norm2 = withIntercept ? 1 : 0;
    for (let j = 0; j < d; j++) norm2 += x[j] * x[j];
    const tau = this.step(loss, norm2);
    if (tau === 0) return;
    const step = error > 0 ? tau : -tau;
    for (let j = 0; j < d; j++) weights[j] += step * x[j];
    if (withIntercept) this.intercept += step;
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
    return { json: { nFeatures: this.d, weights: toNumbers(this.weights), intercept: this.intercept } };
  }

  static restore(ctx: FeatureContext, params: Partial<PassiveAggressiveRegressorParams>, state: LearnerState): PassiveAggressiveRegressor {
    const s = parseState('passive-aggressive-regressor', stateSchema, state.json);
    checkSavedFeatures('passive-aggressive-regressor', 'nFeatures', s.nFeatures, ctx);
    if (s.weights.length !== s.nFeatures) {
      fail(`passive-aggressive-regressor: saved state's weights has ${s.weights.length} values, not nFeatures = ${s.nFeatures}`);
    }
    const model = new PassiveAggressiveRegressor(ctx, params);
    if (model.params.learnIntercept === 'off' && s.intercept !== 0) {
      fail(`passive-aggressive-regressor: saved state's intercept is ${s.intercept}, but learnIntercept is off`);
    }
    model.weights = Float64Array.from(s.weights);
    model.intercept = s.intercept;
    return model;
  }

  /** τ for a loss above the band when the row (with the intercept's 1) has squared norm `norm2`. */
  private step(loss: number, norm2: number): number {
    const { variant, c } = this.params;
    if (variant === 'pa-ii') return loss / (norm2 + 1 / (2 * c));
    if (norm2 === 0) return 0;
    return variant === 'pa' ? loss / norm2 : Math.min(c, loss / norm2);
  }
}

const passiveAggressiveRegressorParamSpecs: Readonly<Record<string, ParamSpec>> = {
  variant: { type: 'choice', default: passiveAggressiveRegressorDefaults.variant, choices: passiveAggressiveVariants, doc: 'pa, pa-i or pa-ii' },
  c: { type: 'number', default: passiveAggressiveRegressorDefaults.c, min: 0, exclusiveMin: true, doc: 'aggressiveness C (pa-i, pa-ii)' },
  epsilon: { type: 'number', default: passiveAggressiveRegressorDefaults.epsilon, min: 0, doc: 'width of the insensitive band around the target' },
  learnIntercept: onOffParam(passiveAggressiveRegressorDefaults.learnIntercept, 'learn an intercept'),
};

/** Weights and intercept averaged, weighted by the rows each replica learned (PA keeps no other state). */
export const passiveAggressiveRegressorMerge: MergeRule = jsonMergeRule(
  'weighted average',
  (states, { weights }) => {
    const parsed = states.map((s) => parseState('passive-aggressive-regressor', stateSchema, s));
    checkSameShape('passive-aggressive-regressor', parsed.map((p) => `${p.nFeatures} features`));
    return {
      nFeatures: parsed[0].nFeatures,
      weights: averageArrays(parsed.map((p) => p.weights), weights, 'weights'),
      intercept: parsed.reduce((sum, p, i) => sum + weights[i] * p.intercept, 0),
    };
  },
  () => 'passive-aggressive-regressor: weights and intercept averaged, weighted by rows learned',
);

// resolveParams checked every value against its spec before this cast.
const paramsAs = (params: Params): Partial<PassiveAggressiveRegressorParams> => params as unknown as Partial<PassiveAggressiveRegressorParams>;

export const passiveAggressiveRegressorDefinition: RegressorDefinition = {
  name: 'passive-aggressive-regressor',
  task: 'regression',
  summary: 'passive-aggressive regression (PA, PA-I, PA-II) with the epsilon-insensitive loss, on standardised features',
  reference: 'Crammer, Dekel, Keshet, Shalev-Shwartz & Singer 2006; defaults of River linear_model.PARegressor',
  params: passiveAggressiveRegressorParamSpecs,
  scaleInputs: true,
  create: (ctx, p) => new PassiveAggressiveRegressor(ctx, paramsAs(p)),
  restore: (ctx, p, s) => PassiveAggressiveRegressor.restore(ctx, paramsAs(p), s),
  merge: passiveAggressiveRegressorMerge,
};
