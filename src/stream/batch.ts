import type { Batch, Matrix, RegressionBatch, Row } from '../core/types.js';

/**
 * An async iterator of rows that can also hand out, without a promise per
 * row, the rows it already holds: a file reader's converted chunk, a
 * generator's next rows. `takeReady` appends at most `max` of them to `out`,
 * in order, and returns how many (0 when it must wait for more input, or is
 * done: `next()` then tells which). Rows taken this way are exactly the ones
 * `next()` would have returned, in the same order.
 */
export interface ReadyRows {
  takeReady(out: Row[], max: number): number;
}

/**
 * An async iterator of rows that never waits (a generator): it can write
 * its next rows straight into a batch's arrays, with no object per row.
 * `fillRows` writes up to `max` rows, `width` values each, into data from
 * row `at` (row-major) and their labels into y (class indices, or target
 * values for a regression stream); it returns how many, fewer only when the
 * rows have ended. They are the rows `next()` would give.
 */
export interface FillRows {
  readonly width: number;
  fillRows(data: Float64Array, y: Int32Array | Float64Array, at: number, max: number): number;
}

/** What a batch's labels are kept in: class indices, or a regression stream's target values. */
type LabelArray = Int32Array | Float64Array;
interface Labelled<Y extends LabelArray> {
  readonly x: Matrix;
  readonly y: Y;
}

function fillRows(it: AsyncIterator<Row>, cols: number): FillRows | null {
  const candidate = it as AsyncIterator<Row> & Partial<FillRows>;
  return typeof candidate.fillRows === 'function' && candidate.width === cols ? (candidate as FillRows) : null;
}

function readyRows(it: AsyncIterator<Row>): ReadyRows | null {
  const candidate = it as AsyncIterator<Row> & Partial<ReadyRows>;
  return typeof candidate.takeReady === 'function' ? (candidate as ReadyRows) : null;
}

/**
 * Groups rows into consecutive batches of `size` rows; the last batch holds
 * what is left. Works the same on bounded and unbounded input: a batch is
 * yielded as soon as it is full, so at most `size` rows are held. Rows that
 * the source holds already (ReadyRows) are taken in a run, not awaited one
 * by one: an await per row costs more than generating or parsing the row;
 * a generator (FillRows) writes its rows straight into the batch.
 */
export function batches(rows: AsyncIterable<Row>, size: number, cols: number): AsyncGenerator<Batch> {
  return batchesOf(rows, size, cols, (n) => new Int32Array(n));
}

/** batches() for a regression stream: each row's label is its target value, kept as a double. */
export function regressionBatches(rows: AsyncIterable<Row>, size: number, cols: number): AsyncGenerator<RegressionBatch> {
  return batchesOf(rows, size, cols, (n) => new Float64Array(n));
}

/** Packs rows into one batch, labels into an array made by `labels`. */
function pack<Y extends LabelArray>(rows: readonly Row[], cols: number, labels: (n: number) => Y): Labelled<Y> {
  const data = new Float64Array(rows.length * cols);
  const y = labels(rows.length);
  for (let i = 0; i < rows.length; i++) {
    data.set(rows[i].x, i * cols);
    y[i] = rows[i].y;
  }
  return { x: { data, rows: rows.length, cols }, y };
}

async function* batchesOf<Y extends LabelArray>(rows: AsyncIterable<Row>, size: number, cols: number, labels: (n: number) => Y): AsyncGenerator<Labelled<Y>> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const it = rows[Symbol.asyncIterator]();
  const fill = fillRows(it, cols);
  const ready = readyRows(it);
  let pending: Row[] = [];
  // As `for await` does: the source is closed when the consumer stops early, not when it ended or failed.
  let finished = false;
  try {
    while (fill !== null) {
      const data = new Float64Array(size * cols);
      const y = labels(size);
      const n = fill.fillRows(data, y, 0, size);
      if (n === size) {
        yield { x: { data, rows: size, cols }, y };
        continue;
      }
      finished = true;
      if (n > 0) yield { x: { data: data.slice(0, n * cols), rows: n, cols }, y: y.slice(0, n) as Y };
      return;
    }
    for (;;) {
      if (ready !== null) ready.takeReady(pending, size - pending.length);
      if (pending.length < size) {
        let item: IteratorResult<Row>;
        try {
          item = await it.next();
        } catch (err) {
          finished = true;
          throw err;
        }
        if (item.done) {
          finished = true;
          break;
        }
        pending.push(item.value);
      }
      if (pending.length === size) {
        yield pack(pending, cols, labels);
        pending = [];
      }
    }
  } finally {
    if (!finished) await it.return?.();
  }
  if (pending.length > 0) yield pack(pending, cols, labels);
}
