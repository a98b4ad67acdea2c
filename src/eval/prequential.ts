import type { Batch } from '../core/types.js';
import type { DriftDetector } from '../drift/contract.js';
import { watchErrors } from '../drift/error-rise.js';
import { argmaxRows } from '../learners/contract.js';
import { scoreRows, type IncrementalModel } from './batch-split.js';
import { ClassificationMetrics, FadingAccuracy, WindowedAccuracy, type MetricsSummary } from './classification-metrics.js';
import { addWarningRow, type RowRange } from './report.js';

export interface PrequentialOptions {
  /** Watches the error stream (1 wrong, 0 right); its drifts (rises of the error) are reported by row. */
  readonly drift?: DriftDetector;
  /** Called every `progressEvery` rows with the rows seen and the right predictions so far. */
  readonly onProgress?: (rows: number, correct: number) => void;
  readonly progressEvery?: number;
  /** A learning-curve point every this many rows (default 1,000). */
  readonly curveEvery?: number;
  /** Also track accuracy over the last `window` rows (MOA's windowed evaluator). */
  readonly window?: number;
  /** Also track accuracy with this fading factor, in (0, 1] (MOA's fading-factor evaluator). */
  readonly fading?: number;
  /** Called with each learning-curve point as it is made (the last row's included). */
  readonly onCurve?: (point: CurvePoint) => void;
}

/** One point of a prequential learning curve. */
export interface CurvePoint {
  /** Rows seen so far. */
  readonly row: number;
  /** Accuracy over every row so far. */
  readonly accuracy: number;
  /** Accuracy over the last `window` rows, when a window was asked for. */
  readonly windowAccuracy?: number;
  /** Faded accuracy, when a fading factor was asked for. */
  readonly fadingAccuracy?: number;
}

export interface PrequentialResult {
  readonly rows: number;
  readonly correct: number;
  /** Share of rows predicted right before they were learned. */
  readonly accuracy: number;
  /** 1-based rows at which the drift detector signalled drift. */
  readonly drifts: number[];
  /** Its warning periods: the first and last 1-based row of each run of rows in its warning state. */
  readonly warnings: RowRange[];
  /** The field's metrics over every row, pooled. */
  readonly metrics: MetricsSummary;
  /** The learning curve: a point every `curveEvery` rows, and one at the last row. */
  readonly curve: CurvePoint[];
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
  const warnings: RowRange[] = [];
  const every = options.progressEvery ?? 10_000;
  const metrics = new ClassificationMetrics();
  const curveEvery = options.curveEvery ?? 1000;
  if (!(Number.isInteger(curveEvery) && curveEvery >= 1)) throw new RangeError(`curveEvery must be a positive integer, got ${curveEvery}`);
  const windowed = options.window !== undefined ? new WindowedAccuracy(options.window) : null;
  const faded = options.fading !== undefined ? new FadingAccuracy(options.fading) : null;
  const curve: CurvePoint[] = [];
  const addPoint = (): void => {
    const p = point();
    curve.push(p);
    options.onCurve?.(p);
  };
  const point = (): CurvePoint => ({
    row: rows,
    accuracy: correct / rows,
    ...(windowed ? { windowAccuracy: windowed.value } : {}),
    ...(faded ? { fadingAccuracy: faded.value } : {}),
  });
  // The row's probabilities are proba[offset..offset + k): no view made per row.
  const score = (predicted: number, truth: number, proba?: Float64Array, offset = 0, k = proba?.length ?? 0): void => {
    if (proba) metrics.updateRow(truth, predicted, proba, offset, k);
    else metrics.update(truth, predicted);
    const right = predicted === truth;
    rows++;
    if (right) correct++;
    windowed?.update(right);
    faded?.update(right);
    if (rows % curveEvery === 0) addPoint();
    if (options.drift) {
      const signal = watchErrors(options.drift, !right);
      if (signal === 'drift') drifts.push(rows);
      else if (signal === 'warning') addWarningRow(warnings, rows);
    }
    if (options.onProgress && rows % every === 0) options.onProgress(rows, correct);
  };
  for await (const batch of batches) {
    if (model.learnScored) {
      // The whole batch in one call: the model predicts each row before it learns it.
      const proba = await model.learnScored(batch);
      const k = batch.x.rows > 0 ? proba.length / batch.x.rows : 0;
      const predicted = argmaxRows(proba, k);
      for (let r = 0; r < batch.x.rows; r++) score(predicted[r], batch.y[r], proba, r * k, k);
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
  if (rows > 0 && rows % curveEvery !== 0) addPoint();
  return { rows, correct, metrics: metrics.summary(), curve, accuracy: rows > 0 ? correct / rows : NaN, drifts, warnings };
}
