import { fail } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { Batch } from '../core/types.js';
import { splitBatch } from '../stream/split.js';
import { accuracy, mean, sampleStd } from './metrics.js';

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
  readonly meanAccuracy: number;
  readonly stdAccuracy: number;
  readonly unscoredBatches: number;
}

/** What the protocol needs of a model: learn from a batch, predict class indices. */
export interface IncrementalModel {
  learn(batch: Batch): Promise<void> | void;
  predict(x: Batch['x']): Promise<Int32Array> | Int32Array;
}

export interface BatchSplitOptions {
  readonly testSize: number;
  readonly seed: number;
  /** Called after each batch, e.g. to print a table row as it happens. */
  readonly onBatch?: (result: BatchResult) => void;
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
  for await (const batch of batches) {
    learner ??= await (model as (first: Batch) => Promise<IncrementalModel>)(batch);
    const { train, test, stratified } = splitBatch(batch, options.testSize, rng);
    await learner.learn(train);
    let score: number | null = null;
    if (test) score = accuracy(test.y, await learner.predict(test.x));
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
    meanAccuracy: mean(scores),
    stdAccuracy: sampleStd(scores),
    unscoredBatches: results.length - scores.length,
  };
}
