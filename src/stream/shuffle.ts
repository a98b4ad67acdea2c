import { Random } from '../core/random.js';

/**
 * Exact seeded shuffle: holds every item, then yields a uniformly random
 * permutation (Fisher-Yates). For bounded input; memory grows with the input.
 */
export async function* shuffle<T>(items: AsyncIterable<T>, seed: number): AsyncGenerator<T> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  Random.derive(seed, 'shuffle').shuffle(all);
  yield* all;
}

/**
 * Approximate seeded shuffle in bounded memory, for unbounded or
 * larger-than-memory input (as tf.data's and Spark's shuffle buffers): the
 * first `size` items fill a buffer; from then on each new item takes the
 * place of one drawn at random from the buffer, which is yielded; at the end
 * the buffer is yielded in random order. At most `size` items are held. It
 * is not a uniform permutation: an item comes out no earlier than `size`
 * places before where it went in, and late items tend to stay late, so the
 * larger the buffer the closer to exact.
 */
export async function* shuffleBuffer<T>(items: AsyncIterable<T>, size: number, seed: number): AsyncGenerator<T> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`shuffle buffer size must be a positive integer, got ${size}`);
  const rng = Random.derive(seed, 'shuffle-buffer');
  const buffer: T[] = [];
  for await (const item of items) {
    if (buffer.length < size) {
      buffer.push(item);
      continue;
    }
    const j = rng.int(size);
    const out = buffer[j];
    buffer[j] = item;
    yield out;
  }
  rng.shuffle(buffer);
  yield* buffer;
}
