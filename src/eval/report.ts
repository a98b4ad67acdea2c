import type { Params } from '../learners/contract.js';
import type { BatchResult } from './batch-split.js';
import type { ConfidenceInterval, MetricsSummary } from './classification-metrics.js';
import type { ModelSizePoint } from './model-size.js';
import type { CurvePoint } from './prequential.js';
import type { RegressionBatchResult, RegressionCurvePoint, RegressionOutcome } from './regression-evaluation.js';

/** How a run is evaluated: per-batch train/test splits, test-then-train on every row, or a periodic held-out test. */
export type Protocol = 'batch-split' | 'prequential' | 'holdout';
export const protocols: readonly Protocol[] = ['batch-split', 'prequential', 'holdout'];

/** What every training run's report holds, whichever the task: the run's settings and its speed. Field names are stable (they are the JSON output). */
export interface RunReport {
  readonly dataset: string;
  readonly model: string;
  readonly params: Params;
  /** The preprocessing steps in front of the learner, in order. */
  readonly preprocessing: string[];
  readonly protocol: Protocol;
  readonly seed: number;
  readonly shuffled: boolean;
  /** The shuffle buffer's size when the shuffle was approximate; null for the exact shuffle or none. */
  readonly shuffleBuffer: number | null;
  readonly batchSize: number;
  readonly testSize: number;
  readonly features: number;
  readonly rows: number;
  readonly trainRows: number;
  readonly testRows: number;
  /** Rows scored: test rows (batch-split) or every row (prequential). */
  readonly scoredRows: number;
  readonly unscoredBatches: number;
  /** The drift detector watching the errors, and the 1-based scored rows where it signalled drift. */
  readonly driftDetector: string | null;
  readonly drifts: number[];
  /** Its warning periods: the first and last scored row (1-based) of each run of consecutive rows in its warning state. */
  readonly warnings: RowRange[];
  /** Prequential: the rows the windowed measures of the curve cover; null when not asked for (and for the other protocols). */
  readonly window: number | null;
  /** Holdout: the held-out rows and how they were chosen; null for the other protocols. */
  readonly holdout: HoldoutSettings | null;
  /** The model's size in bytes (its saved state) as it learned: a point every `sizeEvery` rows and one at the end. */
  readonly modelSize: ModelSizePoint[];
  readonly wallSeconds: number;
  readonly rowsPerSecond: number;
  /** Seconds spent in the model itself (learning and predicting), apart from reading the stream; compare's per-learner speed. */
  readonly modelSeconds: number;
  readonly modelPath: string | null;
  /** Bad rows of a data file left out with onBadRow 'skip' (0 when none were, and for other sources). */
  readonly skippedRows: number;
}

/** The report of a classifier's training run. */
export interface TrainReport extends RunReport {
  readonly backend: string | null;
  readonly classes: string[];
  /** Right predictions over all scored rows, pooled. */
  readonly accuracy: number;
  /** Per-batch results (batch-split; empty for prequential). */
  readonly batches: BatchResult[];
  /** Mean and sample std of the per-batch accuracies (batch-split; null for prequential). */
  readonly meanAccuracy: number | null;
  readonly stdAccuracy: number | null;
  /** The field's metrics over all scored rows: kappa, kappa-M, kappa-T, balanced accuracy, precision/recall/F1, log loss, confusion matrix. */
  readonly metrics: MetricsSummary;
  /** Batch-split: mean, sample std and 95% Student-t interval of the per-batch accuracies; null for prequential. */
  readonly accuracyInterval: ConfidenceInterval | null;
  /**
   * The learning curve (see CurvePoint). Prequential: running accuracy every
   * `curveEvery` rows. Holdout: accuracy on the held-out rows every
   * `holdoutEvery` rows learned. Empty for batch-split, whose curve is `batches`.
   */
  readonly curve: CurvePoint[];
  /** Prequential: the fading factor of the curve's faded accuracy; null when not asked for (and for the other protocols). */
  readonly fading: number | null;
}

/** The report of a regressor's training run: MAE, RMSE and R² where a classifier's has accuracy. */
export interface RegressionReport extends RunReport {
  readonly task: 'regression';
  /** The label column: the number predicted. */
  readonly label: string;
  /** Over all scored rows, pooled (holdout: the final model on the held-out rows); r2 null where undefined. */
  readonly metrics: { readonly mae: number; readonly rmse: number; readonly r2: number | null; readonly targetMean: number };
  /** Per-batch results (batch-split; empty otherwise). */
  readonly batches: RegressionBatchResult[];
  /** Batch-split: mean and sample std of the per-batch MAE, RMSE and R² (R² over batches where it is defined); null otherwise. */
  readonly perBatch: RegressionOutcome['perBatch'];
  /** Prequential: the running (and windowed) errors every `curveEvery` rows; holdout: the held-out errors per evaluation. */
  readonly curve: RegressionCurvePoint[];
}

/** Whether a report is a regressor's. */
export function isRegressionReport(r: TrainReport | RegressionReport): r is RegressionReport {
  return (r as RegressionReport).task === 'regression';
}

/** How the holdout protocol chose its held-out rows (MOA's EvaluatePeriodicHeldOutTest). */
export interface HoldoutSettings {
  /** 'first': the stream's first `rows` rows; 'sample': a seeded random sample of `rows` rows from the first `fromRows` rows (reservoir). */
  readonly mode: 'first' | 'sample';
  readonly rows: number;
  /** Sample mode: the prefix the sample was drawn from; equals `rows` in first mode. */
  readonly fromRows: number;
  /** The held-out rows are scored every this many training rows. */
  readonly every: number;
}

/** The first and last row, both included, of a run of consecutive rows. */
export type RowRange = [first: number, last: number];

/**
 * Adds a row in a detector's warning state to its warning periods, rows
 * coming in increasing order: the row extends the last period when it
 * follows it, else opens one. A detector can stay in its warning state for
 * most of a long stream (DDM on an error rate that crept up), and the
 * periods keep the report's size that of the number of periods, not rows.
 */
export function addWarningRow(periods: RowRange[], row: number): void {
  const last = periods[periods.length - 1];
  if (last !== undefined && last[1] === row - 1) last[1] = row;
  else periods.push([row, row]);
}

/** The number of rows the periods cover. */
export function rowsInRanges(periods: readonly RowRange[]): number {
  return periods.reduce((n, [first, last]) => n + last - first + 1, 0);
}

/**
 * The warning periods in words, e.g. "2 warning periods (57 rows): rows 101 to 140, 300 to 316";
 * at most `max` are listed (the JSON report has them all), each number through `format`.
 */
export function describeWarnings(periods: readonly RowRange[], max = 20, format: (n: number) => string = String): string {
  if (periods.length === 0) return 'no warning period';
  const rows = rowsInRanges(periods);
  const listed = periods.slice(0, max).map(([first, last]) => (first === last ? format(first) : `${format(first)} to ${format(last)}`));
  const more = periods.length > max ? `, … and ${format(periods.length - max)} more` : '';
  return `${format(periods.length)} warning period${periods.length === 1 ? '' : 's'} (${format(rows)} row${rows === 1 ? '' : 's'}): scored rows ${listed.join(', ')}${more}`;
}
