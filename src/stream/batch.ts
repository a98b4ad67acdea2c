import { rowsToBatch, type Batch, type Row } from '../core/types.js';

/**
 * Groups rows into consecutive batches of `size` rows; the last batch holds
 * what is left. Works the same on bounded and unbounded input: a batch is
 * yielded as soon as it is full, so at most `size` rows are held.
 */
export async function* batches(rows: AsyncIterable<Row>, size: number, cols: number): AsyncGenerator<Batch> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  let pending: Row[] = [];
  for await (const row of rows) {
    pending.push(row);
    if (pending.length === size) {
      yield rowsToBatch(pending, cols);
      pending = [];
    }
  }
  if (pending.length > 0) yield rowsToBatch(pending, cols);
}
