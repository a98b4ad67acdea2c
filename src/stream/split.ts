import { takeRows, type Batch, type RegressionBatch } from '../core/types.js';
import type { Random } from '../core/random.js';

export interface BatchSplit {
  readonly train: Batch;
  /** Null when the batch is too small to split: fewer than 2 rows. */
  readonly test: Batch | null;
  /** Whether class proportions were kept in both parts. */
  readonly stratified: boolean;
}

/**
 * Splits one batch into a train part and a test part.
 *
 * The test part has ceil(testSize x rows) rows, at least 1 and at most
 * rows - 1, so neither part is ever empty. When every class present in the
 * batch has at least two rows the split is stratified: each class gives the
 * test part its share of rows (largest remainders, ties broken at random) and
 * keeps at least one row for training. Otherwise the rows are drawn at
 * random. A batch of one row cannot be split: it is returned as train only
 * (test = null), and the caller must report it as unscored.
 */
export function splitBatch(batch: Batch, testSize: number, rng: Random): BatchSplit {
  const n = batch.x.rows;
  const nTest = testRowsOf(n, testSize);
  if (nTest === 0) return { train: batch, test: null, stratified: false };

  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const members = byClass.get(batch.y[i]);
    if (members) members.push(i);
    else byClass.set(batch.y[i], [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const stratified = classes.every((c) => byClass.get(c)!.length >= 2);

  const isTest = new Uint8Array(n);
  if (stratified) {
    const quota = allocate(classes.map((c) => byClass.get(c)!.length), nTest, rng);
    classes.forEach((c, k) => {
      const members = rng.shuffle(byClass.get(c)!.slice());
      for (let i = 0; i < quota[k]; i++) isTest[members[i]] = 1;
    });
  } else {
    const order = rng.permutation(n);
    for (let i = 0; i < nTest; i++) isTest[order[i]] = 1;
  }
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  for (let i = 0; i < n; i++) (isTest[i] ? testIdx : trainIdx).push(i);
  return { train: takeRows(batch, trainIdx), test: takeRows(batch, testIdx), stratified };
}

/** How many of n rows a split tests: ceil(testSize x n), at least 1 and at most n - 1; 0 for a batch of one row. */
function testRowsOf(n: number, testSize: number): number {
  if (!(testSize > 0 && testSize < 1)) throw new RangeError(`test size must be in (0, 1), got ${testSize}`);
  if (n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.ceil(testSize * n - 1e-9)));
}

/**
 * splitBatch for a regression batch: the test rows are drawn at random
 * (there are no classes to stratify by), as many as splitBatch would take.
 */
export function splitRegressionBatch(batch: RegressionBatch, testSize: number, rng: Random): { train: RegressionBatch; test: RegressionBatch | null } {
  const n = batch.x.rows;
  const nTest = testRowsOf(n, testSize);
  if (nTest === 0) return { train: batch, test: null };
  const isTest = new Uint8Array(n);
  const order = rng.permutation(n);
  for (let i = 0; i < nTest; i++) isTest[order[i]] = 1;
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  for (let i = 0; i < n; i++) (isTest[i] ? testIdx : trainIdx).push(i);
  return { train: takeRows(batch, trainIdx), test: takeRows(batch, testIdx) };
}

/**
 * Shares `total` test rows among classes in proportion to their counts
 * (largest remainder method), each class keeping at least one row back.
 */
function allocate(counts: number[], total: number, rng: Random): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => (total * c) / n);
  const quota = exact.map((e, k) => Math.min(Math.floor(e), counts[k] - 1));
  let left = total - quota.reduce((a, b) => a + b, 0);
  // Random tie-break: a seeded shuffle first, then a stable sort by remainder.
  const order = rng.shuffle(counts.map((_, k) => k));
  order.sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])));
  while (left > 0) {
    let gave = false;
    for (const k of order) {
      if (left === 0) break;
      if (quota[k] < counts[k] - 1) {
        quota[k]++;
        left--;
        gave = true;
      }
    }
    if (!gave) break; // every class is down to one training row
  }
  return quota;
}
