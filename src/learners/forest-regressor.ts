import * as v from 'valibot';
import { fail } from '../core/errors.js';
import type { Params } from '../core/params.js';
import { probabilityParam } from '../core/params.js';
import { Random } from '../core/random.js';
import { anything, count, finiteNumber, type Json, nonNegative, object, parseState, positiveInteger, rngState } from '../core/state.js';
import type { Matrix } from '../core/types.js';
import { ADWIN } from '../drift/adwin.js';
import { lossRose } from '../drift/error-rise.js';
import { checkSavedFeatures, type FeatureContext, type LearnerState } from './contract.js';
import { allocateSlots, jsonMergeRule, type MergeRule } from './merge-rule.js';
import { learnRows, predictRows, type RegressionBatch, type Regressor, type RegressorDefinition } from './regressor.js';
import {
  HoeffdingTreeRegressor,
  hoeffdingTreeRegressorDefaults,
  treeRegressorParams,
  treeRegressorParamsOf,
  type HoeffdingTreeRegressorParams,
} from './tree/hoeffding-tree-regressor.js';
import { addTarget, emptyStats, type TargetStats } from './tree/regression-observers.js';

export type ForestAggregation = 'mean' | 'median';
export const forestAggregations: readonly ForestAggregation[] = ['mean', 'median'];

export interface AdaptiveRandomForestRegressorParams extends HoeffdingTreeRegressorParams {
  readonly ensembleSize: number;
  /** Rate of the Poisson draw that weighs each row for each member (online bagging). */
  readonly lambda: number;
  /** Features each leaf may split on; 0 means round(sqrt(d)) + 1, as the paper and MOA. */
  readonly subspaceSize: number;
  /** How the members' predictions make the forest's. */
  readonly aggregation: ForestAggregation;
  /** ADWIN confidence of the warning detector, which starts a background tree. */
  readonly warningDelta: number;
  /** ADWIN confidence of the drift detector, which replaces the member. */
  readonly driftDelta: number;
}

/**
 * The paper's, MOA's and River's: 10 trees (River's n_models; MOA's
 * ensembleSize is 100 in its regressor, 10 in its classifier), Poisson(6),
 * warning ADWIN 0.01, drift ADWIN 0.001; trees with grace period 50 and
 * split confidence 0.01 (MOA's ARFFIMTDD -g 50 -c 0.01, River's
 * ARFRegressor), the rest the tree regressor's own defaults.
 */
export const adaptiveRandomForestRegressorDefaults: AdaptiveRandomForestRegressorParams = {
  ...hoeffdingTreeRegressorDefaults,
  gracePeriod: 50,
  splitConfidence: 0.01,
  ensembleSize: 10,
  lambda: 6,
  subspaceSize: 0,
  aggregation: 'mean',
  warningDelta: 0.01,
  driftDelta: 0.001,
};

const MAX_MEMBERS = 1_000;

interface Member {
  /** The member's own generator: its Poisson weights and its trees' subspaces. */
  readonly rng: Random;
  tree: HoeffdingTreeRegressor;
  background: HoeffdingTreeRegressor | null;
  warning: ADWIN;
  drift: ADWIN;
  /** Absolute errors of the tree since it was made: what the detectors' input is normalised by. */
  errors: TargetStats;
  drifts: number;
  warnings: number;
}

const memberSchema = object({
  rng: rngState,
  tree: anything,
  background: anything,
  warning: anything,
  drift: anything,
  errors: object({ w: nonNegative, mean: finiteNumber, m2: nonNegative }),
  drifts: count,
  warnings: count,
});

const stateSchema = object({
  nFeatures: positiveInteger,
  members: v.pipe(v.array(memberSchema), v.minLength(1), v.maxLength(MAX_MEMBERS)),
});

/**
 * A member's absolute error in [0, 1] for its ADWINs, as River's Hoeffding
 * adaptive tree regressor (and ours) feed theirs: by the three-sigma rule,
 * (|e| + 3 sd) / (6 sd) with sd the deviation of the tree's absolute errors
 * so far, clipped to [0, 1] (ADWIN's bound is for values in a unit range);
 * 0.5 until the errors have spread.
 */
function normalisedError(errors: TargetStats, absError: number): number {
  addTarget(errors, absError, 1);
  if (errors.w <= 1) return 0.5;
  const sd = Math.sqrt(errors.m2 / (errors.w - 1));
  return sd > 0 ? Math.min(1, (absError + 3 * sd) / (6 * sd)) : 0.5;
}


/**
 * Adaptive random forest regressor, ARF-Reg (Gomes, Barddal, Ferreira &
 * Bifet 2018, "Adaptive random forests for data stream regression"; MOA's
 * AdaptiveRandomForestRegressor, River's forest.ARFRegressor). Each member
 * is a Hoeffding tree regressor (FIMT-DD) whose leaves split on a random
 * subspace of the features, trained by online bagging with Poisson(lambda =
 * 6) weights. Once a member has learned a row (weight > 0), its absolute
 * error on it, normalised (see normalisedError), feeds a warning detector
 * (ADWIN, delta 0.01), which starts a background tree, and a drift detector
 * (ADWIN, delta 0.001), which puts the background tree (or a new tree) in
 * the member's place; both react to rises of the error only. The background
 * tree learns each row its member learns, with the same weight (River).
 *
 * What the detectors watch differs between the references: MOA's code
 * feeds them the member's prediction itself, River's ARFRegressor the
 * signed error e as (e + 3 sd) / (6 sd). A signed error's mean need not
 * move when the concept does: after a change that swaps which features
 * matter, the target keeps its distribution and the errors stay centred on
 * 0, only larger. On Friedman #1 so changed at row 10,000 of 20,000,
 * River's input had 2 members replaced and a windowed RMSE (1,000 rows) of
 * 3.8 a thousand rows after the change; the absolute error 11, and 2.0, as
 * before the change. So the absolute error is watched here, normalised as
 * River's Hoeffding adaptive tree regressor (and ours) normalise theirs.
 *
 * The forest predicts the mean of its members' predictions ('mean', MOA's
 * and the paper's; the average is what lowers a bagged regressor's
 * variance) or their median ('median', River's default, robust to a member
 * just replaced). Votes are not weighted (River's default; MOA computes
 * weights it does not use). Subspace size 0 means round(sqrt(d)) + 1 (the
 * paper, MOA's SqrtM1, as our classifier forest); River takes round(sqrt(d)).
 *
 * Each tree descends once a row: what it predicted for the row
 * (learnOneScored, test-then-train), what it learns, and its error once it
 * has learned (the detectors' input) all come from the leaf it reached.
 *
 * @example
 * const forest = new AdaptiveRandomForestRegressor({ nFeatures: 3, seed: 1 }, { ensembleSize: 5 });
 * for (let i = 0; i < 3000; i++) forest.learnOne(Float64Array.of(i % 7, i % 3, 0), i % 7 < 3 ? 1 : 9);
 * forest.predictOne(Float64Array.of(1, 0, 0)); // about 1
 */
export class AdaptiveRandomForestRegressor implements Regressor {
  readonly name = 'adaptive-random-forest-regressor';
  readonly task = 'regression' as const;
  readonly params: AdaptiveRandomForestRegressorParams;
  private readonly ctx: FeatureContext;
  private readonly treeParams: HoeffdingTreeRegressorParams;
  private readonly subspaceSize: number;
  private members: Member[];
  private readonly votes: Float64Array;

  constructor(ctx: FeatureContext, params: Partial<AdaptiveRandomForestRegressorParams> = {}, states: readonly MemberState[] | null = null) {
    this.params = { ...adaptiveRandomForestRegressorDefaults, ...params };
    const p = this.params;
    this.ctx = ctx;
    const d = ctx.nFeatures;
    this.subspaceSize = p.subspaceSize > 0 ? Math.min(p.subspaceSize, d) : Math.min(d, Math.round(Math.sqrt(d)) + 1);
    this.treeParams = treeParamsOf(p);
    this.members = states ? states.map((s, i) => this.restoreMember(s, i)) : Array.from({ length: p.ensembleSize }, (_, i) => this.newMember(i));
    this.votes = new Float64Array(this.members.length);
  }

  /** Members replaced after a drift, and background trees started at a warning, since the members were made. */
  get drifts(): number {
    return this.members.reduce((s, m) => s + m.drifts, 0);
  }

  get warnings(): number {
    return this.members.reduce((s, m) => s + m.warnings, 0);
  }

  /** Members growing a background tree now (since a warning). */
  get backgroundTrees(): number {
    return this.members.reduce((s, m) => s + (m.background ? 1 : 0), 0);
  }

  learn(batch: RegressionBatch): void {
    learnRows(this, batch);
  }

  learnOne(x: Float64Array, y: number): void {
    this.learnRow(x, y, false);
  }

  /** Test-then-train of one row: predictOne(x) as it was, then learnOne(x, y); each tree descends once for both. */
  learnOneScored(x: Float64Array, y: number): number {
    this.learnRow(x, y, true);
    return this.aggregate();
  }

  /**
   * Learns a row; with `scored`, each member's prediction before learning
   * goes into `votes`. A member that draws a weight of 0 only predicts.
   */
  private learnRow(x: Float64Array, y: number, scored: boolean): void {
    const lambda = this.params.lambda;
    const votes = this.votes;
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i];
      const weight = m.rng.poisson(lambda);
      if (weight === 0) {
        if (scored) votes[i] = m.tree.predictOne(x);
        continue;
      }
      // The detectors watch the tree's error once it has learned the row, as the paper, MOA and River do.
      const predicted = m.tree.learnRow(x, y, weight, scored, true);
      if (scored) votes[i] = predicted;
      m.background?.learnOneWeighted(x, y, weight);
      const input = normalisedError(m.errors, Math.abs(y - m.tree.predictedAfterLearning));
      if (lossRose(m.warning, input)) {
        m.background = this.newTree(m.rng);
        // A fresh detector: the next warning needs evidence of its own, not the tail of this one's window.
        m.warning = new ADWIN({ delta: this.params.warningDelta });
        m.warnings++;
      }
      if (lossRose(m.drift, input)) {
        // The tree that takes the member's place brings detectors and error statistics that have watched nothing else.
        if (m.background) m.warning = new ADWIN({ delta: this.params.warningDelta });
        m.drift = new ADWIN({ delta: this.params.driftDelta });
        m.tree = m.background ?? this.newTree(m.rng);
        m.background = null;
        m.errors = emptyStats();
        m.drifts++;
      }
    }
  }

  predict(x: Matrix): Float64Array {
    return predictRows(this, x);
  }

  predictOne(x: Float64Array): number {
    const votes = this.votes;
    const n = this.members.length;
    for (let i = 0; i < n; i++) votes[i] = this.members[i].tree.predictOne(x);
    return this.aggregate();
  }

  /** The forest's prediction from its members' in `votes` (which a median sorts). */
  private aggregate(): number {
    const votes = this.votes;
    const n = this.members.length;
    if (this.params.aggregation === 'median') {
      votes.sort();
      const mid = n >> 1;
      return n % 2 === 1 ? votes[mid] : (votes[mid - 1] + votes[mid]) / 2;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += votes[i];
    return sum / n;
  }

  saveState(): LearnerState {
    const members = this.members.map(
      (m): MemberState => ({
        rng: m.rng.getState(),
        tree: m.tree.saveState().json,
        background: m.background ? m.background.saveState().json : null,
        warning: m.warning.getState(),
        drift: m.drift.getState(),
        errors: { w: m.errors.w, mean: m.errors.mean, m2: m.errors.m2 },
        drifts: m.drifts,
        warnings: m.warnings,
      }),
    );
    return { json: { nFeatures: this.ctx.nFeatures, members: members as unknown as Json } };
  }

  static restore(ctx: FeatureContext, params: Partial<AdaptiveRandomForestRegressorParams>, state: LearnerState): AdaptiveRandomForestRegressor {
    const s = parseState('adaptive-random-forest-regressor', stateSchema, state.json);
    checkSavedFeatures('adaptive-random-forest-regressor', 'nFeatures', s.nFeatures, ctx);
    const size = params.ensembleSize ?? adaptiveRandomForestRegressorDefaults.ensembleSize;
    if (s.members.length !== size) {
      throw new Error(`adaptive-random-forest-regressor: saved state's members has ${s.members.length} items, but ensembleSize is ${size}`);
    }
    return new AdaptiveRandomForestRegressor(ctx, params, s.members);
  }

  private newTree(rng: Random): HoeffdingTreeRegressor {
    return new HoeffdingTreeRegressor(this.ctx, this.treeParams, { subspaceSize: this.subspaceSize, rng });
  }

  private newMember(index: number): Member {
    const rng = Random.derive(this.ctx.seed, `arf-regressor-member-${index}`);
    return {
      rng,
      tree: this.newTree(rng),
      background: null,
      warning: new ADWIN({ delta: this.params.warningDelta }),
      drift: new ADWIN({ delta: this.params.driftDelta }),
      errors: emptyStats(),
      drifts: 0,
      warnings: 0,
    };
  }

  private restoreMember(s: MemberState, index: number): Member {
    const rng = new Random(0);
    const tree = (field: string, json: unknown): HoeffdingTreeRegressor =>
      guarded(index, field, () => HoeffdingTreeRegressor.restore(this.ctx, this.treeParams, { json: json as Json }, { subspaceSize: this.subspaceSize, rng }));
    const main = tree('tree', s.tree);
    const background = s.background === null ? null : tree('background', s.background);
    // Last: making and restoring the trees above drew from and set the generator.
    rng.setState(s.rng);
    return {
      rng,
      tree: main,
      background,
      warning: guarded(index, 'warning', () => ADWIN.restore({ delta: this.params.warningDelta }, s.warning as Json)),
      drift: guarded(index, 'drift', () => ADWIN.restore({ delta: this.params.driftDelta }, s.drift as Json)),
      errors: { w: s.errors.w, mean: s.errors.mean, m2: s.errors.m2 },
      drifts: s.drifts,
      warnings: s.warnings,
    };
  }
}

/** A member's part restored by `load`, its own complaint prefixed with where in the forest it lies: still one line. */
function guarded<T>(index: number, field: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    throw new Error(`adaptive-random-forest-regressor: saved state is invalid at members.${index}.${field}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

type MemberState = v.InferOutput<typeof memberSchema>;

/** The trees' own parameters out of the forest's. */
function treeParamsOf(p: HoeffdingTreeRegressorParams): HoeffdingTreeRegressorParams {
  return {
    gracePeriod: p.gracePeriod,
    splitConfidence: p.splitConfidence,
    tieThreshold: p.tieThreshold,
    leafPrediction: p.leafPrediction,
    maxDepth: p.maxDepth,
    minSamplesSplit: p.minSamplesSplit,
    modelSelectorDecay: p.modelSelectorDecay,
    learningRate: p.learningRate,
    learningRateDecay: p.learningRateDecay,
    maxByteSize: p.maxByteSize,
    memoryEstimatePeriod: p.memoryEstimatePeriod,
  };
}

/**
 * Replicas pool their trees, up to ensembleSize: each gives slots in
 * proportion to the rows it learned (largest remainders), its members
 * taken by their mean absolute error since their tree was made, lowest
 * first (a tree just made, with no error yet, last), as the classifier
 * forest takes its most accurate.
 */
export const adaptiveRandomForestRegressorMerge: MergeRule = jsonMergeRule('pooled members', (states, { params, weights }) => {
  const parsed = states.map((s) => parseState('adaptive-random-forest-regressor', stateSchema, s));
  if (new Set(parsed.map((p) => p.nFeatures)).size > 1) fail('merge: the adaptive-random-forest-regressor replicas have different feature counts');
  const slots = allocateSlots(Number(params.ensembleSize), weights, parsed.map((p) => p.members.length));
  const error = (m: MemberState): number => (m.errors.w > 0 ? m.errors.mean : Infinity);
  const members = parsed.flatMap((p, r) =>
    p.members
      .map((m, i) => ({ m, i }))
      .sort((a, b) => error(a.m) - error(b.m) || a.i - b.i)
      .slice(0, slots[r])
      .map(({ m }) => m),
  );
  return { nFeatures: parsed[0].nFeatures, members: members as unknown as Json };
});

const defaults = adaptiveRandomForestRegressorDefaults;

export const adaptiveRandomForestRegressorDefinition: RegressorDefinition = {
  name: 'adaptive-random-forest-regressor',
  task: 'regression',
  summary: 'FIMT-DD trees on random subspaces, Poisson(6) bagging, ADWIN warning/drift on each tree\'s error with background trees',
  reference: 'Gomes, Barddal, Ferreira & Bifet 2018; MOA AdaptiveRandomForestRegressor; River forest.ARFRegressor',
  params: {
    ensembleSize: { type: 'integer', default: defaults.ensembleSize, min: 1, max: MAX_MEMBERS, doc: `trees (at most ${MAX_MEMBERS.toLocaleString('en')})` },
    lambda: { type: 'number', default: defaults.lambda, min: 0, exclusiveMin: true, max: 100, doc: 'Poisson rate of online bagging (at most 100)' },
    subspaceSize: { type: 'integer', default: defaults.subspaceSize, min: 0, doc: 'features per leaf (0: round(sqrt(d)) + 1)' },
    aggregation: { type: 'choice', default: defaults.aggregation, choices: forestAggregations, doc: "mean or median of the trees' predictions" },
    ...treeRegressorParams(defaults),
    warningDelta: probabilityParam(defaults.warningDelta, 'ADWIN confidence of the warning detector'),
    driftDelta: probabilityParam(defaults.driftDelta, 'ADWIN confidence of the drift detector'),
  },
  // Splits do not care about scale, and the leaf perceptrons standardise their own inputs.
  scaleInputs: false,
  nominalNative: true,
  // As its trees: observers skip NaN, a NaN at a split follows the heaviest branch.
  missingNative: true,
  create: (ctx, p) => new AdaptiveRandomForestRegressor(ctx, forestParamsOf(p)),
  restore: (ctx, p, s) => AdaptiveRandomForestRegressor.restore(ctx, forestParamsOf(p), s),
  merge: adaptiveRandomForestRegressorMerge,
};

// The forest's tree defaults (grace period 50, confidence 0.01) where the parameters leave them out.
const treeDefaultsAsParams: Params = { gracePeriod: defaults.gracePeriod, splitConfidence: defaults.splitConfidence };

/** Typed parameters from the registry's resolved ones. */
function forestParamsOf(p: Params): AdaptiveRandomForestRegressorParams {
  const num = (key: keyof AdaptiveRandomForestRegressorParams, fallback: number): number => (p[key] === undefined ? fallback : Number(p[key]));
  return {
    ...treeRegressorParamsOf({ ...treeDefaultsAsParams, ...p }),
    ensembleSize: num('ensembleSize', defaults.ensembleSize),
    lambda: num('lambda', defaults.lambda),
    subspaceSize: num('subspaceSize', defaults.subspaceSize),
    aggregation: forestAggregations.find((a) => a === p.aggregation) ?? defaults.aggregation,
    warningDelta: num('warningDelta', defaults.warningDelta),
    driftDelta: num('driftDelta', defaults.driftDelta),
  };
}
