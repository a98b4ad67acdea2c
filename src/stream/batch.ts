import { rowsToBatch, type Batch, type Row } from '../core/types.js';

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
 * row `at` (row-major) and their classes into y; it returns how many, fewer
 * only when the rows have ended. They are the rows `next()` would give.
 */
export interface FillRows {
  readonly width: number;
  fillRows(data: Float64Array, y: Int32Array, at: number, max: number): number;
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
export async function* batches(rows: AsyncIterable<Row>, size: number, cols: number): AsyncGenerator<Batch> {
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
      const y = new Int32Array(size);
      const n = fill.fillRows(data, y, 0, size);
      if (n === size) {
        yield { x: { data, rows: size, cols }, y };
        continue;
      }
      finished = true;
      if (n > 0) yield { x: { data: data.slice(0, n * cols), rows: n, cols }, y: y.slice(0, n) };
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
        yield rowsToBatch(pending, cols);
        pending = [];
      }
    }
  } finally {
    if (!finished) await it.return?.();
  }
  if (pending.length > 0) yield rowsToBatch(pending, cols);
}
