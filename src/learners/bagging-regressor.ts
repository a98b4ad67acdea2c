import * as v from 'valibot';
import { fail } from '../core/errors.js';
import { resolveParams, type Params } from '../core/params.js';
import { deriveSeed, Random } from '../core/random.js';
import { anything, type Json, object, parseState, positiveInteger, rngState } from '../core/state.js';
import type { Matrix } from '../core/types.js';
import { checkSavedFeatures, type FeatureContext, type LearnerState } from './contract.js';
import { allocateSlots, heaviest, jsonMergeRule, type MergeRule } from './merge-rule.js';
import { learnRows, predictRows, type RegressionBatch, type Regressor, type RegressorDefinition } from './regressor.js';

/** The regressors a bagging regressor can be made of: incremental, with JSON state, not ensembles themselves. */
export const baggingRegressorBases = [
  'hoeffding-tree-regressor',
  'hoeffding-adaptive-tree-regressor',
  'linear-regression',
  'passive-aggressive-regressor',
  'knn-regressor',
  'mean-regressor',
] as const;
export type BaggingRegressorBase = (typeof baggingRegressorBases)[number];

export interface BaggingRegressorParams {
  readonly base: BaggingRegressorBase;
  readonly ensembleSize: number;
}

/**
 * River's n_models (10); the base as MOA's OzaBag's, a Hoeffding tree (River
 * has no default base).
 */
export const baggingRegressorDefaults: BaggingRegressorParams = { base: 'hoeffding-tree-regressor', ensembleSize: 10 };

/** The most members a bagging regressor may have: a bound on what a parameter can allocate. */
const MAX_MEMBERS = 1_000;

/** The saved state's shape (also read by the replica merge). */
const stateSchema = object({
  nFeatures: positiveInteger,
  base: v.string(),
  members: v.pipe(v.array(anything), v.minLength(1), v.maxLength(MAX_MEMBERS)),
  rng: rngState,
});

/**
 * Online bagging for regression (Oza & Russell 2001, "Online bagging and
 * boosting"; River's ensemble.BaggingRegressor): each member learns each
 * row k ~ Poisson(1) times, the online counterpart of a bootstrap sample,
 * in one weighted update where the member has one (learnOneWeighted, as
 * MOA's instance weights), else by learning the row k times. The prediction
 * is the mean of the members' predictions. Members are made from any
 * regressor's definition with that regressor's defaults, each with a seed of
 * its own. Defaults: 10 members (River's n_models).
 *
 * @example
 * const bag = new BaggingRegressor({ nFeatures: 1, seed: 1 }, meanRegressorDefinition, { ensembleSize: 5 });
 * for (const y of [2, 4, 6, 8]) bag.learnOne(new Float64Array([0]), y);
 * bag.predictOne(new Float64Array([0])); // 4.77: the mean of five bootstrap means of 2, 4, 6, 8
 */
export class BaggingRegressor implements Regressor {
  readonly name = 'bagging-regressor';
  readonly task = 'regression' as const;
  readonly ensembleSize: number;
  private members: Regressor[];
  private readonly rng: Random;
  private readonly baseParams: Params;

  /**
   * `base`: the members' definition (a regressor's, not an ensemble's);
   * `restored`: the members and generator of a saved state, instead of new ones.
   */
  constructor(
    private readonly ctx: FeatureContext,
    private readonly base: RegressorDefinition,
    params: Partial<Pick<BaggingRegressorParams, 'ensembleSize'>> = {},
    restored?: { members: Regressor[]; rng: readonly number[] },
  ) {
    this.ensembleSize = params.ensembleSize ?? baggingRegressorDefaults.ensembleSize;
    this.baseParams = resolveParams(base);
    this.rng = Random.derive(ctx.seed, 'bagging-regressor');
    if (restored) {
      this.members = restored.members;
      this.rng.setState(restored.rng);
      return;
    }
    this.members = Array.from({ length: this.ensembleSize }, (_, i) =>
      base.create({ ...ctx, seed: deriveSeed(ctx.seed, `bagging-regressor-member-${i}`) }, this.baseParams),
    );
  }

  /** The members' definition's name. */
  get baseName(): string {
    return this.base.name;
  }

  learn(batch: RegressionBatch): void {
    learnRows(this, batch);
  }

  learnOne(x: Float64Array, y: number): void {
    // Rows outer, members inner: the draws for a row do not depend on how the rows were batched.
    for (const m of this.members) {
      const k = this.rng.poisson(1);
      if (k === 0) continue;
      if (m.learnOneWeighted) m.learnOneWeighted(x, y, k);
      else for (let i = 0; i < k; i++) m.learnOne(x, y);
    }
  }

  /**
   * Test-then-train of one row: predictOne(x) as it was, then learnOne(x,
   * y). A member that can (the trees) predicts and learns the row in one
   * descent.
   */
  learnOneScored(x: Float64Array, y: number): number {
    let sum = 0;
    for (const m of this.members) {
      const k = this.rng.poisson(1);
      if (k === 0) sum += m.predictOne(x);
      else if (scoresWhileLearning(m)) sum += m.learnOneWeightedScored(x, y, k, false);
      else {
        sum += m.predictOne(x);
        if (m.learnOneWeighted) m.learnOneWeighted(x, y, k);
        else for (let i = 0; i < k; i++) m.learnOne(x, y);
      }
    }
    return sum / this.members.length;
  }

  predict(x: Matrix): Float64Array {
    return predictRows(this, x);
  }

  predictOne(x: Float64Array): number {
    let sum = 0;
    for (const m of this.members) sum += m.predictOne(x);
    return sum / this.members.length;
  }

  saveState(): LearnerState {
    const members = this.members.map((m, i): Json => {
      const s = m.saveState();
      // Every base named above keeps its state in JSON; a member with files could not be kept here.
      if (s.files && Object.keys(s.files).length > 0) fail(`bagging-regressor: member ${i} (${this.base.name}) has a state with files, which bagging cannot save`);
      return s.json;
    });
    return { json: { nFeatures: this.ctx.nFeatures, base: this.base.name, members, rng: this.rng.getState() } };
  }

  static restore(ctx: FeatureContext, base: RegressorDefinition, params: Partial<Pick<BaggingRegressorParams, 'ensembleSize'>>, state: LearnerState): BaggingRegressor {
    const s = parseState('bagging-regressor', stateSchema, state.json);
    checkSavedFeatures('bagging-regressor', 'nFeatures', s.nFeatures, ctx);
    if (s.base !== base.name) throw new Error(`bagging-regressor: saved state's base is "${s.base}", but the parameters name ${base.name}`);
    const size = params.ensembleSize ?? baggingRegressorDefaults.ensembleSize;
    if (s.members.length !== size) throw new Error(`bagging-regressor: saved state's members has ${s.members.length} items, but ensembleSize is ${size}`);
    const baseParams = resolveParams(base);
    const members = s.members.map((json, i) => {
      try {
        return base.restore(ctx, baseParams, { json: json as Json });
      } catch (e) {
        // One line that says where in the ensemble the member's own complaint comes from.
        throw new Error(`bagging-regressor: saved state is invalid at members.${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    return new BaggingRegressor(ctx, base, { ensembleSize: size }, { members, rng: s.rng });
  }
}

/** A regressor that learns a weighted row and returns what it predicted for it just before (the tree regressors). */
interface ScoresWhileLearning {
  learnOneWeightedScored(x: Float64Array, y: number, weight: number, after: boolean): number;
}

function scoresWhileLearning(m: Regressor): m is Regressor & ScoresWhileLearning {
  return typeof (m as Partial<ScoresWhileLearning>).learnOneWeightedScored === 'function';
}

/**
 * Replicas pool their members, up to ensembleSize: each gives slots in
 * proportion to the rows it learned (largest remainders), its members in
 * their order (they are exchangeable: each saw the replica's rows with its
 * own Poisson weights). The generator is the heaviest replica's.
 */
export const baggingRegressorMerge: MergeRule = jsonMergeRule(
  'pooled members',
  (states, { params, weights }) => {
    const parsed = states.map((s) => parseState('bagging-regressor', stateSchema, s));
    if (new Set(parsed.map((p) => p.nFeatures)).size > 1) fail('merge: the bagging-regressor replicas have different feature counts');
    if (new Set(parsed.map((p) => p.base)).size > 1) fail('merge: the bagging-regressor replicas have members of different regressors');
    const slots = allocateSlots(Number(params.ensembleSize), weights, parsed.map((p) => p.members.length));
    const top = parsed[heaviest(weights)];
    return {
      nFeatures: top.nFeatures,
      base: top.base,
      members: parsed.flatMap((p, r) => p.members.slice(0, slots[r])) as Json[],
      rng: top.rng,
    };
  },
  ({ params, weights }) => `bagging-regressor: ${String(params.ensembleSize)} members pooled from ${weights.length} replicas in proportion to the rows each learned`,
);

/** A base's flag (scaleInputs, nominalNative, missingNative), which may depend on its parameters. */
function baseFlag(flag: boolean | ((p: Params) => boolean) | undefined, base: RegressorDefinition): boolean {
  return typeof flag === 'function' ? flag(resolveParams(base)) : (flag ?? false);
}

/**
 * The bagging regressor's definition, with the base regressors found through
 * `lookup` (the regressor registry's, which lists this definition: a static
 * import of it here would be circular).
 */
export function baggingRegressorDefinition(lookup: (name: string) => RegressorDefinition): RegressorDefinition {
  const baseOf = (p: Params): RegressorDefinition => lookup(String(p.base ?? baggingRegressorDefaults.base));
  const size = (p: Params): number => Number(p.ensembleSize ?? baggingRegressorDefaults.ensembleSize);
  return {
    name: 'bagging-regressor',
    task: 'regression',
    summary: 'online bagging: each member learns each row Poisson(1) times; the mean of their predictions',
    reference: 'Oza & Russell 2001; River ensemble.BaggingRegressor',
    params: {
      base: { type: 'choice', default: baggingRegressorDefaults.base, choices: baggingRegressorBases, doc: "the members' regressor" },
      ensembleSize: { type: 'integer', default: baggingRegressorDefaults.ensembleSize, min: 1, max: MAX_MEMBERS, doc: `members (at most ${MAX_MEMBERS.toLocaleString('en')})` },
    },
    // The members see what their regressor sees alone.
    scaleInputs: (p) => baseFlag(baseOf(p).scaleInputs, baseOf(p)),
    nominalNative: (p) => baseFlag(baseOf(p).nominalNative, baseOf(p)),
    missingNative: (p) => baseFlag(baseOf(p).missingNative, baseOf(p)),
    create: (ctx, p) => new BaggingRegressor(ctx, baseOf(p), { ensembleSize: size(p) }),
    restore: (ctx, p, s) => BaggingRegressor.restore(ctx, baseOf(p), { ensembleSize: size(p) }, s),
    merge: baggingRegressorMerge,
  };
}
