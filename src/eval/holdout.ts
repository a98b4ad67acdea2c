import { fail } from '../core/errors.js';
import { Random } from '../core/random.js';
import { takeRows, type Batch, type Matrix } from '../core/types.js';
import { scoreRows, type IncrementalModel } from './batch-split.js';
import { ClassificationMetrics, type MetricsSummary } from './classification-metrics.js';
import type { CurvePoint } from './prequential.js';

export interface HoldoutOptions {
  /** Rows held out for testing. */
  readonly rows: number;
  /** The held-out rows are scored every this many training rows, and once at the end. */
  readonly every: number;
  /**
   * Draw the held-out rows as a seeded uniform sample of `rows` rows from the
   * first `sampleFrom` rows (the rest of that prefix trains); absent: the
   * held-out rows are the stream's first `rows` rows (MOA's default).
   */
  readonly sampleFrom?: number;
  readonly seed: number;
  /** Called after each evaluation of the held-out rows. */
  readonly onEvaluation?: (point: CurvePoint, trainRows: number) => void;
  /** Flag names for error messages (the CLI's spelling). */
  readonly names?: { rows: string; every: string; sampleFrom: string };
}

export interface HoldoutResult {
  readonly rows: number;
  readonly trainRows: number;
  readonly testRows: number;
  /** Right predictions on the held-out rows at the last evaluation (after all training). */
  readonly correct: number;
  /** The metrics of the last evaluation: the final model on the held-out rows. */
  readonly metrics: MetricsSummary;
  /** One point per evaluation: rows learned so far, accuracy on the held-out rows. */
  readonly curve: CurvePoint[];
}

/** Collects the held-out rows into one matrix. */
class HeldOut {
  private readonly data: Float64Array;
  private readonly y: Int32Array;
  count = 0;

  constructor(
    readonly capacity: number,
    private readonly cols: number,
  ) {
    this.data = new Float64Array(capacity * cols);
    this.y = new Int32Array(capacity);
  }

  add(batch: Batch, r: number): void {
    const { cols } = this;
    this.data.set(batch.x.data.subarray(r * cols, r * cols + cols), this.count * cols);
    this.y[this.count++] = batch.y[r];
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  get batch(): Batch {
    const x: Matrix = { data: this.data, rows: this.count, cols: this.cols };
    return { x, y: this.y };
  }
}

/**
 * Periodic held-out evaluation (MOA's EvaluatePeriodicHeldOutTest): a fixed
 * set of rows is set aside and never learned; the model learns every other
 * row in stream order and is scored on the whole held-out set every `every`
 * training rows. The held-out rows are the first `rows` rows of the stream,
 * or a seeded uniform sample of them from a longer prefix (Knuth's selection
 * sampling, so each row's fate is decided as it arrives and the rows not
 * drawn can be learned at once, in order).
 *
 * Each evaluation scores the same rows, so pooling them would count each
 * row several times: the report's accuracy and metrics are the last
 * evaluation's, the final model on the held-out set; the curve holds them all.
 */
export async function periodicHoldout(
  batches: AsyncIterable<Batch>,
  model: IncrementalModel | ((first: Batch) => Promise<IncrementalModel>),
  options: HoldoutOptions,
): Promise<HoldoutResult> {
  let learner = typeof model === 'function' ? null : model;
  let held: HeldOut | null = null;
  const curve: CurvePoint[] = [];
  let latest: { correct: number; metrics: MetricsSummary } | null = null;
  const { seen, trainRows } = await holdoutSchedule(batches, options, {
    start: async (batch) => {
      learner ??= await (model as (first: Batch) => Promise<IncrementalModel>)(batch);
      held = new HeldOut(options.rows, batch.x.cols);
      return held;
    },
    learn: async (batch, part) => learner!.learn(part === null ? batch : takeRows(batch, part)),
    evaluate: async (trainRows) => {
      const test = held!.batch;
      const { predicted, proba, k } = await scoreRows(learner!, test.x);
      const metrics = new ClassificationMetrics();
      let correct = 0;
      for (let i = 0; i < predicted.length; i++) {
        metrics.update(test.y[i], predicted[i], proba ? proba.subarray(i * k, i * k + k) : undefined);
        if (predicted[i] === test.y[i]) correct++;
      }
      const point: CurvePoint = { row: trainRows, accuracy: correct / test.x.rows };
      curve.push(point);
      latest = { correct, metrics: metrics.summary() };
      options.onEvaluation?.(point, trainRows);
    },
  });
  const final = latest as { correct: number; metrics: MetricsSummary } | null;
  if (!final) throw new Error('periodicHoldout: no evaluation was made');
  return { rows: seen, trainRows, testRows: options.rows, correct: final.correct, metrics: final.metrics, curve };
}

/** Where a holdout run keeps its held-out rows: filled row by row until full. */
export interface HeldOutRows<B> {
  add(batch: B, r: number): void;
  readonly count: number;
  readonly full: boolean;
}

/** What the holdout schedule asks of a task (classification, regression). */
export interface HoldoutHooks<B> {
  /** At the first batch: make the model if need be, and the held-out store. */
  start(first: B): Promise<HeldOutRows<B>>;
  /** Learns the given rows of the batch, in order (null: all of them). */
  learn(batch: B, rows: number[] | null): Promise<void>;
  /** Scores the held-out rows with the model as it is after `trainRows` training rows. */
  evaluate(trainRows: number): Promise<void>;
}

/**
 * The periodic held-out schedule, whatever the task: checks the options,
 * routes each row to the held-out set or to training (first rows, or
 * selection sampling from a prefix), learns in runs that end exactly at each
 * evaluation point, evaluates there and once at the end, and fails in one
 * line when the stream was too short for it.
 */
export async function holdoutSchedule<B extends { readonly x: Matrix }>(
  batches: AsyncIterable<B>,
  options: Omit<HoldoutOptions, 'onEvaluation'>,
  hooks: HoldoutHooks<B>,
): Promise<{ seen: number; trainRows: number }> {
  const names = options.names ?? { rows: 'rows', every: 'every', sampleFrom: 'sampleFrom' };
  const { rows: holdRows, every, sampleFrom } = options;
  if (!(Number.isInteger(holdRows) && holdRows >= 1)) fail(`${names.rows} must be an integer of at least 1, got ${holdRows}`);
  if (!(Number.isInteger(every) && every >= 1)) fail(`${names.every} must be an integer of at least 1, got ${every}`);
  if (sampleFrom !== undefined && !(Number.isInteger(sampleFrom) && sampleFrom >= holdRows)) {
    fail(`${names.sampleFrom} must be an integer of at least ${names.rows} (${holdRows}), got ${sampleFrom}`);
  }
  const prefix = sampleFrom ?? holdRows;
  const rng = Random.derive(options.seed, 'holdout');
  let held: HeldOutRows<B> | null = null;
  let seen = 0;
  let trainRows = 0;
  let lastEvaluated = -1;
  const evaluate = async (): Promise<void> => {
    await hooks.evaluate(trainRows);
    lastEvaluated = trainRows;
  };

  for await (const batch of batches) {
    held ??= await hooks.start(batch);
    // Indices of this batch's rows that train, in order.
    const train: number[] = [];
    for (let r = 0; r < batch.x.rows; r++, seen++) {
      if (seen < prefix && !held.full) {
        // Selection sampling: take this row with probability (still needed) / (still to come in the prefix).
        const needed = holdRows - held.count;
        if (sampleFrom === undefined || rng.next() * (prefix - seen) < needed) {
          held.add(batch, r);
          continue;
        }
      }
      train.push(r);
    }
    // Learn in runs that end exactly at each evaluation point.
    let start = 0;
    while (start < train.length) {
      const untilPoint = every - (trainRows % every);
      const end = Math.min(train.length, start + untilPoint);
      const part = train.slice(start, end);
      await hooks.learn(batch, part.length === batch.x.rows ? null : part);
      trainRows += part.length;
      start = end;
      if (trainRows % every === 0 && held.full) await evaluate();
    }
    // A sample completes at the end of its prefix; points due before then are taken now.
    if (held.full && lastEvaluated < 0 && trainRows >= every) await evaluate();
  }
  if (!held || seen === 0) fail('the data has no rows');
  if (!held.full) {
    fail(`${names.rows} ${holdRows}: the stream ended after ${seen} rows, before the held-out rows were complete; hold out fewer rows`);
  }
  if (trainRows === 0) fail(`${names.rows} ${holdRows}: every row of the stream (${seen}) was held out, none was left to learn; hold out fewer rows`);
  if (lastEvaluated !== trainRows) await evaluate();
  return { seen, trainRows };
}
