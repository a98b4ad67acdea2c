import type { Batch, Matrix } from '../core/types.js';
import type { Json } from '../core/state.js';

export type { Json };

/**
 * A learner's saved state: a JSON document, plus binary files for learners
 * whose state has its own format (a TensorFlow.js network's weights).
 */
export interface LearnerState {
  readonly json: Json;
  readonly files?: Readonly<Record<string, Uint8Array>>;
}

export type { ParamValue, Params } from '../core/params.js';
import type { Params } from '../core/params.js';

/** What any learner (a classifier or a regressor) is told about its input when it is made. */
export interface FeatureContext {
  readonly nFeatures: number;
  /** Seeds every random choice the learner makes. */
  readonly seed: number;
  /** Per feature, whether it is nominal (category codes); absent means all numeric. */
  readonly nominal?: readonly boolean[];
}

/** What a classifier is told about the data when it is made. */
export interface LearnerContext extends FeatureContext {
  readonly nClasses: number;
}

/**
 * The contract every incremental classifier honours (scikit-learn's estimator
 * contract, made incremental): parameters are fixed at construction, learned
 * state is separate and serialisable, and learning happens batch by batch.
 * Methods may return promises (TensorFlow.js learners); callers await them.
 */
export interface Classifier {
  /** The registry name, e.g. "gaussian-nb". */
  readonly name: string;
  /** The number of classes the learner currently knows. */
  readonly nClasses: number;
  /** Updates the model with labelled rows. Labels at or past nClasses are new classes. */
  learn(batch: Batch): void | Promise<void>;
  /** Class probabilities, row-major: rows x nClasses, each row summing to 1. */
  predictProba(x: Matrix): Float64Array | Promise<Float64Array>;
  /**
   * Optional fast path for test-then-train: learns the rows in order and
   * returns each row's probabilities (rows x nClasses after the batch) as
   * they were just before that row was learned. Exactly what predicting and
   * then learning each row in turn would give.
   */
  learnScored?(batch: Batch): Float64Array | Promise<Float64Array>;
  /**
   * Optional fast path for one row (Model.predictOne, predictProbaOne): the
   * probabilities (nClasses values) of the row x (nFeatures values) in a work
   * array of the learner's, read before its next call; what predictProba
   * gives for the row, to the bit, without allocating.
   */
  predictProbaOne?(x: Float64Array): Float64Array;
  /** Optional fast path for one row (Model.learnOne): learn() of a one-row batch, to the bit. The row is not kept. */
  learnOne?(x: Float64Array, y: number): void;
  /**
   * Optional: learns one row with a weight (a positive whole number in the
   * ensembles: a Poisson draw), as MOA's instance weights. Not learnOne
   * repeated `weight` times to the bit (sums differ in rounding, and a tree
   * tries its splits at other counts), but its counterpart, in one update.
   */
  learnOneWeighted?(x: Float64Array, y: number, weight: number): void;
  /**
   * Optional: predictProbaOne(x), then learnOneWeighted(x, y, weight), to the
   * bit, in one pass where the two share work (a tree's descent and leaf
   * scores); for y below nClasses. The array is the learner's work area.
   */
  learnOneWeightedScored?(x: Float64Array, y: number, weight: number): Float64Array;
  /** The learned state; the learner can be rebuilt from it and its parameters. */
  saveState(): LearnerState | Promise<LearnerState>;
  /** Frees resources held outside the JS heap (tensors). */
  dispose?(): void;
}

/**
 * Fails unless the feature count a learner's saved state records is the one
 * its context gives (the schema through the preprocessing), naming the field:
 * a model directory may come from anyone, and a state of another width would
 * read past its arrays or give other answers silently.
 */
export function checkSavedFeatures(learner: string, field: string, saved: number, ctx: FeatureContext): void {
  if (saved !== ctx.nFeatures) {
    throw new Error(`${learner}: saved state's ${field} is ${saved}, but the schema and preprocessing give ${ctx.nFeatures} features`);
  }
}

/**
 * Fails when a learner's saved state knows more classes than the schema
 * lists (fewer is fine: classes not learned yet), naming the field. `floor`:
 * the classes the learner keeps even when the schema has fewer (1 for those
 * that never have zero).
 */
export function checkSavedClasses(learner: string, field: string, saved: number, ctx: LearnerContext, floor = 0): void {
  if (!Number.isInteger(saved) || saved < 0 || saved > Math.max(ctx.nClasses, floor)) {
    throw new Error(`${learner}: saved state's ${field} is ${saved}, but the schema lists ${ctx.nClasses} classes`);
  }
}

/** Index of the largest value in each row of a rows x k probability matrix. */
export function argmaxRows(proba: Float64Array, k: number): Int32Array {
  const rows = k === 0 ? 0 : proba.length / k;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestP = proba[r * k];
    for (let c = 1; c < k; c++) {
      const p = proba[r * k + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Converts per-class log scores into probabilities, row by row, stably. */
export function softmaxRowsInPlace(scores: Float64Array, k: number): Float64Array {
  const rows = scores.length / k;
  for (let r = 0; r < rows; r++) softmaxRowInPlace(scores, r * k, k);
  return scores;
}

/** Converts the k log scores at scores[o..o+k) into probabilities, in place, stably; uniform when all are -Infinity. */
export function softmaxRowInPlace(scores: Float64Array, o: number, k: number): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (scores[o + c] > max) max = scores[o + c];
  if (max === -Infinity) {
    for (let c = 0; c < k; c++) scores[o + c] = 1 / k;
    return;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(scores[o + c] - max);
    scores[o + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) scores[o + c] /= sum;
}

/** The largest label in a batch plus one: how many classes a learner must know after it. */
export function classesNeeded(y: Int32Array, current: number): number {
  let k = current;
  for (let i = 0; i < y.length; i++) if (y[i] >= k) k = y[i] + 1;
  return k;
}

/** A copy of a k1-wide row-major array widened to k2 columns, new columns set to `fill`. */
export function widenRows(values: Float64Array, rows: number, k1: number, k2: number, fill = 0): Float64Array {
  const out = new Float64Array(rows * k2).fill(fill);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * k1, r * k1 + k1), r * k2);
  return out;
}

export function toNumbers(values: ArrayLike<number>): number[] {
  return Array.from(values);
}
