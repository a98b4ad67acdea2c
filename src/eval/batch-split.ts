import { fail } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { Batch } from '../core/types.js';
import { splitBatch } from '../stream/split.js';
import type { DriftDetector } from '../drift/contract.js';
import { argmaxRows } from '../learners/contract.js';
import { watchErrors } from '../drift/error-rise.js';
import { ClassificationMetrics, meanConfidenceInterval, type ConfidenceInterval, type MetricsSummary } from './classification-metrics.js';
import { mean, sampleStd } from './metrics.js';
import { addWarningRow, type RowRange } from './report.js';

/** What one batch did: its split and, when it had a test part, the accuracy on it. */
export interface BatchResult {
  readonly index: number;
  readonly trainRows: number;
  readonly testRows: number;
  /** Null for a batch too small to split (one row): it was learned, not scored. */
  readonly accuracy: number | null;
  readonly stratified: boolean;
}

export interface BatchSplitResult {
  readonly batches: BatchResult[];
  readonly rows: number;
  readonly trainRows: number;
  readonly testRows: number;
  /** Right predictions over all test rows, pooled. */
  readonly correct: number;
  /** 1-based positions among the scored rows where the drift detector signalled drift, and its warning periods (first and last such position). */
  readonly drifts: number[];
  readonly warnings: RowRange[];
  /** The field's metrics over all test rows, pooled. */
  readonly metrics: MetricsSummary;
  /** Mean, sample std and 95% Student-t interval of the per-batch accuracies. */
  readonly accuracyInterval: ConfidenceInterval;
  readonly meanAccuracy: number;
  readonly stdAccuracy: number;
  readonly unscoredBatches: number;
}

/** What the protocol needs of a model: learn from a batch, predict class indices. */
export interface IncrementalModel {
  learn(batch: Batch): Promise<void> | void;
  predict(x: Batch['x']): Promise<Int32Array> | Int32Array;
  /** Optional class probabilities (rows x classes); when given, they are scored too (log loss). */
  predictProba?(x: Batch['x']): Promise<Float64Array> | Float64Array;
  /** Optional test-then-train over a batch (see Classifier.learnScored): rows x classes. */
  learnScored?(batch: Batch): Promise<Float64Array> | Float64Array;
}

export interface BatchSplitOptions {
  readonly testSize: number;
  readonly seed: number;
  /** Called after each batch, e.g. to print a table row as it happens. */
  readonly onBatch?: (result: BatchResult) => void;
  /** Watches the test rows' errors (1 wrong, 0 right), in order. */
  readonly drift?: DriftDetector;
}

/**
 * The per-batch train/test protocol: each batch is split (seeded, stratified
 * when it can be), the model learns the train part, then is scored on the
 * test part, which it never learns. The model carries over from batch to
 * batch. The mean and sample standard deviation are over scored batches.
 *
 * `model` may be given as a function of the first batch, for models that
 * can only be made once the data has started (its classes known).
 */
export async function evaluateBatchSplit(
  batches: AsyncIterable<Batch>,
  model: IncrementalModel | ((first: Batch) => Promise<IncrementalModel>),
  options: BatchSplitOptions,
): Promise<BatchSplitResult> {
  const rng = Random.derive(options.seed, 'split');
  const results: BatchResult[] = [];
  let learner = typeof model === 'function' ? null : model;
  let rows = 0;
  let trainRows = 0;
  let testRows = 0;
  let correct = 0;
  const drifts: number[] = [];
  const warnings: RowRange[] = [];
  const metrics = new ClassificationMetrics();
  for await (const batch of batches) {
    learner ??= await (model as (first: Batch) => Promise<IncrementalModel>)(batch);
    const { train, test, stratified } = splitBatch(batch, options.testSize, rng);
    await learner.learn(train);
    let score: number | null = null;
    if (test) {
      const { predicted, proba, k } = await scoreRows(learner, test.x);
      let right = 0;
      for (let i = 0; i < predicted.length; i++) {
        const ok = predicted[i] === test.y[i];
        metrics.update(test.y[i], predicted[i], proba ? proba.subarray(i * k, i * k + k) : undefined);
        if (ok) right++;
        const signal = options.drift ? watchErrors(options.drift, !ok) : 'stable';
        if (signal === 'drift') drifts.push(testRows + i + 1);
        else if (signal === 'warning') addWarningRow(warnings, testRows + i + 1);
      }
      correct += right;
      score = right / predicted.length;
    }
    const result: BatchResult = {
      index: results.length,
      trainRows: train.x.rows,
      testRows: test ? test.x.rows : 0,
      accuracy: score,
      stratified,
    };
    results.push(result);
    rows += batch.x.rows;
    trainRows += result.trainRows;
    testRows += result.testRows;
    options.onBatch?.(result);
  }
  if (rows === 0) fail('the data has no rows');
  const scores = results.flatMap((r) => (r.accuracy === null ? [] : [r.accuracy]));
  if (scores.length === 0) fail('no batch could be scored: every batch had a single row; use --batch-size 2 or more');
  return {
    batches: results,
    rows,
    trainRows,
    testRows,
    correct,
    drifts,
    warnings,
    metrics: metrics.summary(),
    accuracyInterval: meanConfidenceInterval(scores),
    meanAccuracy: mean(scores),
    stdAccuracy: sampleStd(scores),
    unscoredBatches: results.length - scores.length,
  };
}

/** Predicted classes, with the probabilities behind them when the model gives them. */
export async function scoreRows(
  model: IncrementalModel,
  x: Batch['x'],
): Promise<{ predicted: Int32Array; proba: Float64Array | null; k: number }> {
  if (!model.predictProba) return { predicted: await model.predict(x), proba: null, k: 0 };
  const proba = await model.predictProba(x);
  const k = x.rows > 0 ? proba.length / x.rows : 0;
  return { predicted: argmaxRows(proba, k), proba, k };
}
