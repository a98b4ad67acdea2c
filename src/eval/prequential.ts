import type { Batch } from '../core/types.js';
import type { DriftDetector } from '../drift/contract.js';
import { watchErrors } from '../drift/error-rise.js';
import { scoreRows, type IncrementalModel } from './batch-split.js';
import { ClassificationMetrics, type MetricsSummary } from './classification-metrics.js';

export interface PrequentialOptions {
  /** Watches the error stream (1 wrong, 0 right); its drifts (rises of the error) are reported by row. */
  readonly drift?: DriftDetector;
  /** Called every `progressEvery` rows with the rows seen and the right predictions so far. */
  readonly onProgress?: (rows: number, correct: number) => void;
  readonly progressEvery?: number;
}

export interface PrequentialResult {
  readonly rows: number;
  readonly correct: number;
  /** Share of rows predicted right before they were learned. */
  readonly accuracy: number;
  /** 1-based rows at which the drift detector signalled drift. */
  readonly drifts: number[];
  /** 1-based rows at which it signalled a warning. */
  readonly warnings: number[];
  /** The field's metrics over every row, pooled. */
  readonly metrics: MetricsSummary;
}

/**
 * Prequential evaluation, interleaved test-then-train (Dawid 1984; as MOA's
 * EvaluatePrequential with its basic cumulative evaluator, and River's
 * progressive_val_score): every row is predicted first, scored, and only
 * then learned. Rows are taken in stream order, one at a time, whatever the
 * size of the batches they arrive in.
 */
export async function prequential(
  batches: AsyncIterable<Batch>,
  model: IncrementalModel,
  options: PrequentialOptions = {},
): Promise<PrequentialResult> {
  let rows = 0;
  let correct = 0;
  const drifts: number[] = [];
  const warnings: number[] = [];
  const every = options.progressEvery ?? 10_000;
  const metrics = new ClassificationMetrics();
  const score = (predicted: number, truth: number, proba?: Float64Array): void => {
    metrics.update(truth, predicted, proba);
    const right = predicted === truth;
    rows++;
    if (right) correct++;
    if (options.drift) {
      const signal = watchErrors(options.drift, !right);
      if (signal === 'drift') drifts.push(rows);
      else if (signal === 'warning') warnings.push(rows);
    }
    if (options.onProgress && rows % every === 0) options.onProgress(rows, correct);
  };
  for await (const batch of batches) {
    if (model.learnScored) {
      // The whole batch in one call: the model predicts each row before it learns it.
      const proba = await model.learnScored(batch);
      const k = batch.x.rows > 0 ? proba.length / batch.x.rows : 0;
      for (let r = 0; r < batch.x.rows; r++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (proba[r * k + c] > proba[r * k + best]) best = c;
        score(best, batch.y[r], proba.subarray(r * k, r * k + k));
      }
      continue;
    }
    const { cols } = batch.x;
    for (let r = 0; r < batch.x.rows; r++) {
      // Views, not copies: one row of the batch.
      const one: Batch = { x: { data: batch.x.data.subarray(r * cols, r * cols + cols), rows: 1, cols }, y: batch.y.subarray(r, r + 1) };
      const { predicted, proba } = await scoreRows(model, one.x);
      score(predicted[0], one.y[0], proba ?? undefined);
      await model.learn(one);
    }
  }
  return { rows, correct, metrics: metrics.summary(), accuracy: rows > 0 ? correct / rows : NaN, drifts, warnings };
}
