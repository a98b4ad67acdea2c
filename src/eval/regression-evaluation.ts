import { fail } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { Matrix, RegressionBatch } from '../core/types.js';
import type { DriftDetector } from '../drift/contract.js';
import { watchLoss } from '../drift/error-rise.js';
import { splitRegressionBatch } from '../stream/split.js';
import { holdoutSchedule, type HoldoutOptions } from './holdout.js';
import { mean, sampleStd } from './metrics.js';
import { RegressionMetrics, WindowedRegressionMetrics, type RegressionSummary } from './regression-metrics.js';
import { addWarningRow, type RowRange } from './report.js';

/**
 * The three evaluation protocols for regressors, as they are for
 * classifiers (batch-split, prequential, periodic holdout), scored by MAE,
 * RMSE and R² (regression-metrics.ts). A drift detector watches each scored
 * row's absolute error, and a drift counts only when that error rose.
 */

/** What the protocols need of a regression model. */
export interface IncrementalRegressor {
  learn(batch: RegressionBatch): void | Promise<void>;
  predict(x: Matrix): Float64Array | Promise<Float64Array>;
  /** Optional test-then-train: each row's prediction just before it was learned. */
  learnScored?(batch: RegressionBatch): Float64Array | Promise<Float64Array>;
}

/** One point of a regression learning curve: rows seen (learned, for holdout) and the errors so far. */
export interface RegressionCurvePoint {
  readonly row: number;
  readonly mae: number;
  readonly rmse: number;
  /** Null while undefined (fewer than two rows, or all targets equal). */
  readonly r2: number | null;
  /** Over the last `window` rows, when a window was asked for (prequential). */
  readonly windowMae?: number;
  readonly windowRmse?: number;
  readonly windowR2?: number | null;
}

/** What one batch of batch-split did; null errors for a batch too small to split. */
export interface RegressionBatchResult {
  readonly index: number;
  readonly trainRows: number;
  readonly testRows: number;
  readonly mae: number | null;
  readonly rmse: number | null;
  readonly r2: number | null;
}

/** What a regression protocol run gives back, whichever the protocol. */
export interface RegressionOutcome {
  readonly rows: number;
  readonly trainRows: number;
  readonly testRows: number;
  /** Pooled over every scored row (holdout: the last evaluation's). */
  readonly metrics: RegressionSummary;
  readonly batches: RegressionBatchResult[];
  readonly unscoredBatches: number;
  /** batch-split: means and sample standard deviations of the per-batch errors (R² over batches where it is defined); else null. */
  readonly perBatch: { mae: MeanStd; rmse: MeanStd; r2: MeanStd | null } | null;
  readonly drifts: number[];
  readonly warnings: RowRange[];
  readonly curve: RegressionCurvePoint[];
}

export interface MeanStd {
  readonly mean: number;
  readonly std: number;
}

/** NaN as null, for JSON reports. */
export function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/** A regression model, or a function that makes one from the first batch (once the data has started). */
export type RegressorArg = IncrementalRegressor | ((first: RegressionBatch) => Promise<IncrementalRegressor>);

async function modelFor(model: RegressorArg, first: RegressionBatch): Promise<IncrementalRegressor> {
  return typeof model === 'function' ? model(first) : model;
}

/** Watches one scored row's absolute error; records drifts and warnings at 1-based position `at`. */
function watch(detector: DriftDetector | undefined, loss: number, at: number, drifts: number[], warnings: RowRange[]): void {
  if (!detector) return;
  const signal = watchLoss(detector, loss);
  if (signal === 'drift') drifts.push(at);
  else if (signal === 'warning') addWarningRow(warnings, at);
}

export interface RegressionPrequentialOptions {
  readonly drift?: DriftDetector;
  /** Called every `progressEvery` rows (default 10,000) with the metrics so far. */
  readonly onProgress?: (rows: number, metrics: RegressionMetrics) => void;
  readonly progressEvery?: number;
  /** A curve point every this many rows (default 1,000), and one at the last row. */
  readonly curveEvery?: number;
  /** Also track the errors over the last `window` rows (MOA's windowed evaluator). */
  readonly window?: number;
  readonly onCurve?: (point: RegressionCurvePoint) => void;
}

/**
 * Prequential evaluation for a regressor (MOA's EvaluatePrequentialRegression,
 * River's progressive_val_score): every row is predicted, scored, then learned.
 */
export async function prequentialRegression(
  batches: AsyncIterable<RegressionBatch>,
  model: RegressorArg,
  options: RegressionPrequentialOptions = {},
): Promise<RegressionOutcome> {
  const curveEvery = options.curveEvery ?? 1000;
  if (!(Number.isInteger(curveEvery) && curveEvery >= 1)) throw new RangeError(`curveEvery must be a positive integer, got ${curveEvery}`);
  const every = options.progressEvery ?? 10_000;
  const metrics = new RegressionMetrics();
  const windowed = options.window !== undefined ? new WindowedRegressionMetrics(options.window) : null;
  const curve: RegressionCurvePoint[] = [];
  const drifts: number[] = [];
  const warnings: RowRange[] = [];
  let learner: IncrementalRegressor | null = null;
  let rows = 0;
  const addPoint = (): void => {
    const p: RegressionCurvePoint = {
      row: rows,
      mae: metrics.mae,
      rmse: metrics.rmse,
      r2: orNull(metrics.r2),
      ...(windowed ? { windowMae: windowed.mae, windowRmse: windowed.rmse, windowR2: orNull(windowed.r2) } : {}),
    };
    curve.push(p);
    options.onCurve?.(p);
  };
  for await (const batch of batches) {
    learner ??= await modelFor(model, batch);
    let predicted: Float64Array;
    if (learner.learnScored) predicted = await learner.learnScored(batch);
    else {
      // Row by row: predict, then learn.
      predicted = new Float64Array(batch.x.rows);
      const { cols } = batch.x;
      for (let r = 0; r < batch.x.rows; r++) {
        const x: Matrix = { data: batch.x.data.subarray(r * cols, r * cols + cols), rows: 1, cols };
        predicted[r] = (await learner.predict(x))[0];
        await learner.learn({ x, y: batch.y.subarray(r, r + 1) });
      }
    }
    for (let r = 0; r < batch.x.rows; r++) {
      const truth = batch.y[r];
      metrics.update(truth, predicted[r]);
      windowed?.update(truth, predicted[r]);
      rows++;
      watch(options.drift, Math.abs(truth - predicted[r]), rows, drifts, warnings);
      if (rows % curveEvery === 0) addPoint();
      if (options.onProgress && rows % every === 0) options.onProgress(rows, metrics);
    }
  }
  if (rows === 0) fail('the data has no rows');
  if (rows % curveEvery !== 0) addPoint();
  return { rows, trainRows: rows, testRows: rows, metrics: metrics.summary(), batches: [], unscoredBatches: 0, perBatch: null, drifts, warnings, curve };
}

export interface RegressionBatchSplitOptions {
  readonly testSize: number;
  readonly seed: number;
  readonly onBatch?: (result: RegressionBatchResult) => void;
  readonly drift?: DriftDetector;
}

/**
 * The per-batch train/test protocol for a regressor: each batch is split at
 * random (seeded), the model learns the train part and is scored on the
 * test part; per-batch MAE, RMSE and R² are averaged over scored batches,
 * as per-batch accuracies are for a classifier.
 */
export async function batchSplitRegression(
  batches: AsyncIterable<RegressionBatch>,
  model: RegressorArg,
  options: RegressionBatchSplitOptions,
): Promise<RegressionOutcome> {
  const rng = Random.derive(options.seed, 'split');
  const results: RegressionBatchResult[] = [];
  const pooled = new RegressionMetrics();
  const drifts: number[] = [];
  const warnings: RowRange[] = [];
  let learner: IncrementalRegressor | null = null;
  let rows = 0;
  let trainRows = 0;
  let testRows = 0;
  for await (const batch of batches) {
    learner ??= await modelFor(model, batch);
    const { train, test } = splitRegressionBatch(batch, options.testSize, rng);
    await learner.learn(train);
    let scored: RegressionMetrics | null = null;
    if (test) {
      const predicted = await learner.predict(test.x);
      scored = new RegressionMetrics();
      for (let i = 0; i < predicted.length; i++) {
        scored.update(test.y[i], predicted[i]);
        pooled.update(test.y[i], predicted[i]);
        watch(options.drift, Math.abs(test.y[i] - predicted[i]), testRows + i + 1, drifts, warnings);
      }
    }
    const result: RegressionBatchResult = {
      index: results.length,
      trainRows: train.x.rows,
      testRows: test ? test.x.rows : 0,
      mae: scored ? scored.mae : null,
      rmse: scored ? scored.rmse : null,
      r2: scored ? orNull(scored.r2) : null,
    };
    results.push(result);
    rows += batch.x.rows;
    trainRows += result.trainRows;
    testRows += result.testRows;
    options.onBatch?.(result);
  }
  if (rows === 0) fail('the data has no rows');
  const scoredBatches = results.filter((r) => r.mae !== null);
  if (scoredBatches.length === 0) fail('no batch could be scored: every batch had a single row; use --batch-size 2 or more');
  const stats = (values: number[]): MeanStd => ({ mean: mean(values), std: sampleStd(values) });
  const r2s = scoredBatches.flatMap((r) => (r.r2 === null ? [] : [r.r2]));
  return {
    rows,
    trainRows,
    testRows,
    metrics: pooled.summary(),
    batches: results,
    unscoredBatches: results.length - scoredBatches.length,
    perBatch: { mae: stats(scoredBatches.map((r) => r.mae!)), rmse: stats(scoredBatches.map((r) => r.rmse!)), r2: r2s.length > 0 ? stats(r2s) : null },
    drifts,
    warnings,
    curve: [],
  };
}

export interface RegressionHoldoutOptions extends Omit<HoldoutOptions, 'onEvaluation'> {
  readonly onEvaluation?: (point: RegressionCurvePoint, trainRows: number) => void;
}

/** Periodic held-out evaluation for a regressor (MOA's EvaluatePeriodicHeldOutTest): the same schedule as the classifiers'. */
export async function holdoutRegression(
  batches: AsyncIterable<RegressionBatch>,
  model: RegressorArg,
  options: RegressionHoldoutOptions,
): Promise<RegressionOutcome> {
  let learner: IncrementalRegressor | null = null;
  let cols = 0;
  let data = new Float64Array(0);
  const y = new Float64Array(options.rows);
  let count = 0;
  const curve: RegressionCurvePoint[] = [];
  let last: RegressionSummary | null = null;
  const { seen, trainRows } = await holdoutSchedule(batches, options, {
    start: async (first) => {
      learner = await modelFor(model, first);
      cols = first.x.cols;
      data = new Float64Array(options.rows * cols);
      return {
        add: (batch, r) => {
          data.set(batch.x.data.subarray(r * cols, r * cols + cols), count * cols);
          y[count++] = batch.y[r];
        },
        get count() {
          return count;
        },
        get full() {
          return count === options.rows;
        },
      };
    },
    learn: async (batch, part) => {
      if (part === null) return learner!.learn(batch);
      const x = new Float64Array(part.length * cols);
      const t = new Float64Array(part.length);
      part.forEach((r, i) => {
        x.set(batch.x.data.subarray(r * cols, r * cols + cols), i * cols);
        t[i] = batch.y[r];
      });
      return learner!.learn({ x: { data: x, rows: part.length, cols }, y: t });
    },
    evaluate: async (trained) => {
      const predicted = await learner!.predict({ data, rows: count, cols });
      const m = new RegressionMetrics();
      for (let i = 0; i < count; i++) m.update(y[i], predicted[i]);
      last = m.summary();
      const point: RegressionCurvePoint = { row: trained, mae: m.mae, rmse: m.rmse, r2: orNull(m.r2) };
      curve.push(point);
      options.onEvaluation?.(point, trained);
    },
  });
  const final = last as RegressionSummary | null;
  if (!final) throw new Error('holdoutRegression: no evaluation was made');
  return { rows: seen, trainRows, testRows: options.rows, metrics: final, batches: [], unscoredBatches: 0, perBatch: null, drifts: [], warnings: [], curve };
}
