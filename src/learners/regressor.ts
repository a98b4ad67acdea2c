import type { Matrix, RegressionBatch } from '../core/types.js';
import type { ParamSpec, Params } from '../core/params.js';
import type { FeatureContext, LearnerState } from './contract.js';
import type { LearnerMerge } from './merge-rule.js';

export type { RegressionBatch };

/**
 * The contract every incremental regressor honours: the classifier's
 * (parameters fixed at construction, learned state separate and
 * serialisable), for a numeric target. Every regressor is plain JavaScript,
 * so its methods are synchronous. Targets are finite numbers; the callers
 * (sources, Model) refuse others before a regressor sees them.
 */
export interface Regressor {
  /** The registry name, e.g. "hoeffding-tree-regressor". */
  readonly name: string;
  readonly task: 'regression';
  /** Updates the model with rows and their targets, in row order. */
  learn(batch: RegressionBatch): void;
  /** One predicted value per row. Before it has learned anything a regressor predicts 0. */
  predict(x: Matrix): Float64Array;
  /** learn() of a one-row batch, to the bit. The row is not kept (a learner that keeps rows copies it). */
  learnOne(x: Float64Array, y: number): void;
  /** predict() of a one-row matrix, to the bit. */
  predictOne(x: Float64Array): number;
  /**
   * Optional: learns one row with a weight (a positive whole number in the
   * ensembles: a Poisson draw), as MOA's instance weights, in one update.
   */
  learnOneWeighted?(x: Float64Array, y: number, weight: number): void;
  /**
   * Optional test-then-train of one row: predictOne(x) as it was, then
   * learnOne(x, y), to the bit, in one pass where the two share work (a
   * tree's descent).
   */
  learnOneScored?(x: Float64Array, y: number): number;
  /** The learned state; the regressor can be rebuilt from it and its parameters. */
  saveState(): LearnerState;
}

/** A regressor as the CLI, the pipeline and the model loader know it: the regression side of LearnerDefinition. */
export interface RegressorDefinition {
  readonly name: string;
  readonly task: 'regression';
  readonly summary: string;
  readonly reference: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Whether an online standard scaler is put in front of the regressor. */
  readonly scaleInputs: boolean | ((params: Params) => boolean);
  /** Whether the regressor splits nominal features (category codes) itself, so no one-hot encoder goes in front. Absent: false. */
  readonly nominalNative?: boolean | ((params: Params) => boolean);
  /** Whether the regressor takes missing values (NaN) as such. Absent: false. */
  readonly missingNative?: boolean | ((params: Params) => boolean);
  create(ctx: FeatureContext, params: Params): Regressor;
  restore(ctx: FeatureContext, params: Params, state: LearnerState): Regressor;
  /** How replicas merge (`streamlearn merge`), or why they cannot. Absent: they cannot. */
  readonly merge?: LearnerMerge;
}

/** learn() as learnOne() row by row: what most regressors' batch update is. */
export function learnRows(regressor: Regressor, batch: RegressionBatch): void {
  const { data, rows, cols } = batch.x;
  for (let r = 0; r < rows; r++) regressor.learnOne(data.subarray(r * cols, r * cols + cols), batch.y[r]);
}

/** predict() as predictOne() row by row. */
export function predictRows(regressor: Regressor, x: Matrix): Float64Array {
  const out = new Float64Array(x.rows);
  for (let r = 0; r < x.rows; r++) out[r] = regressor.predictOne(x.data.subarray(r * x.cols, r * x.cols + x.cols));
  return out;
}
