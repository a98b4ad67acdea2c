import { describe, expect, it } from 'vitest';
import { Random } from '../src/core/random.js';
import type { Row } from '../src/core/types.js';
import { batches } from '../src/stream/batch.js';
import { shuffle, shuffleBuffer } from '../src/stream/shuffle.js';
import { splitBatch } from '../src/stream/split.js';
import { datasetSource } from '../src/node/files/datasets.js';
import { batchOf } from './helpers.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* rowsOf(n: number): AsyncGenerator<Row> {
  for (let i = 0; i < n; i++) yield { x: Float64Array.of(i), y: i % 3, line: i + 2 };
}

const lines = (rows: Row[]) => rows.map((r) => r.line);

describe('shuffle', () => {
  it('is an exact permutation, the same for the same seed, another for another seed', async () => {
    const a = lines(await collect(shuffle(rowsOf(100), 42)));
    const b = lines(await collect(shuffle(rowsOf(100), 42)));
    const c = lines(await collect(shuffle(rowsOf(100), 7)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
  });
});

describe('batches', () => {
  it('cuts consecutive batches of the given size, the remainder last', async () => {
    const sizes = (await collect(batches(rowsOf(150), 16, 1))).map((b) => b.x.rows);
    expect(sizes).toEqual([16, 16, 16, 16, 16, 16, 16, 16, 16, 6]);
  });

  it('gives Iris different first batches under different seeds', async () => {
    const firstBatch = async (seed: number) => {
      const source = await datasetSource('iris');
      const [first] = await collect(batches(shuffle(source.rows(), seed), 16, 4));
      return Array.from(first.x.data);
    };
    expect(await firstBatch(42)).toEqual(await firstBatch(42));
    expect(await firstBatch(42)).not.toEqual(await firstBatch(1));
  });
});

describe('splitBatch', () => {
  const rng = () => new Random(42);

  it('holds out ceil(testSize x rows), stratified when every class has two rows', () => {
    // 8 of class 0, 6 of class 1, 2 of class 2.
    const y = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2];
    const batch = batchOf(y.map((v, i) => [i]), y);
    const { train, test, stratified } = splitBatch(batch, 0.2, rng());
    expect(stratified).toBe(true);
    expect(test!.x.rows).toBe(4);
    expect(train.x.rows).toBe(12);
    // Exact shares of 4 test rows are 2, 1.5 and 0.5: class 0 gets 2, the tied remainders share the last 2.
    const testCounts = [0, 1, 2].map((c) => Array.from(test!.y).filter((v) => v === c).length);
    expect(testCounts[0]).toBe(2);
    expect(testCounts[1] + testCounts[2]).toBe(2);
    // Every class keeps a row for training.
    for (const c of [0, 1, 2]) expect(Array.from(train.y)).toContain(c);
    // The parts are a partition of the batch.
    const all = [...Array.from(train.x.data), ...Array.from(test!.x.data)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('allocates test rows in proportion to class sizes', () => {
    const y = [...new Array(10).fill(0), ...new Array(6).fill(1)];
    const { test } = splitBatch(batchOf(y.map((v) => [v]), y), 0.5, rng());
    expect(Array.from(test!.y).filter((v) => v === 0).length).toBe(5);
    expect(Array.from(test!.y).filter((v) => v === 1).length).toBe(3);
  });

  it('falls back to a random split when a class has a single row', () => {
    const y = [0, 0, 0, 1, 1, 2];
    const { train, test, stratified } = splitBatch(batchOf(y.map((v) => [v]), y), 0.2, rng());
    expect(stratified).toBe(false);
    expect(test!.x.rows).toBe(2);
    expect(train.x.rows).toBe(4);
  });

  it('never leaves an empty part: two rows split one and one, whatever the test size', () => {
    for (const testSize of [0.01, 0.5, 0.99]) {
      const { train, test } = splitBatch(batchOf([[1], [2]], [0, 1]), testSize, rng());
      expect(train.x.rows).toBe(1);
      expect(test!.x.rows).toBe(1);
    }
  });

  it('returns a one-row batch as train only, for the caller to report unscored', () => {
    const { train, test } = splitBatch(batchOf([[1]], [0]), 0.2, rng());
    expect(train.x.rows).toBe(1);
    expect(test).toBeNull();
  });

  it('is repeatable for the same seed', () => {
    const y = Array.from({ length: 16 }, (_, i) => i % 3);
    const batch = batchOf(y.map((_, i) => [i]), y);
    const a = splitBatch(batch, 0.2, rng());
    const b = splitBatch(batch, 0.2, rng());
    expect(Array.from(a.test!.x.data)).toEqual(Array.from(b.test!.x.data));
  });
});

describe('shuffleBuffer', () => {
  it('is a seeded permutation of its input: the same for the same seed, another for another', async () => {
    const a = lines(await collect(shuffleBuffer(rowsOf(1000), 64, 42)));
    const b = lines(await collect(shuffleBuffer(rowsOf(1000), 64, 42)));
    const c = lines(await collect(shuffleBuffer(rowsOf(1000), 64, 7)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 2));
  });

  it('holds at most its size: no item comes out more than `size` places early', async () => {
    const out = lines(await collect(shuffleBuffer(rowsOf(5000), 100, 1)));
    // When item i (line i + 2) is read, i - size items have been yielded, so it comes out at position i - size or later.
    out.forEach((line, position) => expect(position).toBeGreaterThanOrEqual(line - 2 - 100));
    // And it does mix: most items move by more than a few places.
    const moved = out.filter((line, position) => Math.abs(line - 2 - position) > 10).length;
    expect(moved).toBeGreaterThan(4000);
  });

  it('is the identity order only when its size is 1, and keeps a short stream whole', async () => {
    expect(lines(await collect(shuffleBuffer(rowsOf(50), 1, 3)))).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    const few = lines(await collect(shuffleBuffer(rowsOf(10), 1000, 3)));
    expect([...few].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
  });

  it('reads no further ahead of its consumer than the buffer', async () => {
    let produced = 0;
    async function* counted() {
      for (let i = 0; i < 10_000; i++) {
        produced++;
        yield { x: Float64Array.of(i), y: 0, line: i + 2 };
      }
    }
    let consumed = 0;
    for await (const _ of shuffleBuffer(counted(), 256, 5)) {
      consumed++;
      expect(produced - consumed).toBeLessThanOrEqual(256);
    }
    expect(consumed).toBe(10_000);
  });
});
