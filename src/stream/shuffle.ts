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
