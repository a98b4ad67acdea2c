/**
 * Hands one async stream to `n` consumers in turn, each seeing every item in
 * the same order: how `compare` runs several learners on the identical
 * stream in one pass. The source is read once and one item is held at a
 * time. Consumers take turns, item by item: consumer i gets an item once
 * consumer i-1 is done with it (has asked for the next one), and the next
 * item is read when the last consumer is done. So only one consumer works
 * at any moment, even across awaits, and the time each spends is its own.
 * A consumer that stops early (return) is skipped from then on.
 */
export function tee<T>(source: AsyncIterable<T>, n: number): AsyncIterable<T>[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`tee: consumers must be a positive integer, got ${n}`);
  const iterator = source[Symbol.asyncIterator]();
  let current: IteratorResult<T> | null = null;
  let turn = 0;
  let fetched = 0;
  const taken = new Array<number>(n).fill(0);
  const active = new Array<boolean>(n).fill(true);
  const waiting = new Map<number, () => void>();

  const pass = (from: number): void => {
    for (let step = 1; step <= n; step++) {
      const next = (from + step) % n;
      if (active[next]) {
        turn = next;
        waiting.get(next)?.();
        return;
      }
    }
  };
  const myTurn = (i: number): Promise<void> =>
    turn === i ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(i, () => (waiting.delete(i), resolve())));

  const consumer = (i: number): AsyncIterable<T> => ({
    [Symbol.asyncIterator]: (): AsyncIterator<T> => ({
      async next(): Promise<IteratorResult<T>> {
        if (!active[i]) return { done: true, value: undefined };
        // Asking for the next item means the last one is done with: the turn moves on.
        if (taken[i] > 0) pass(i);
        await myTurn(i);
        // The first consumer still going reads the next item; the others take the one held.
        if (taken[i] === fetched) {
          current = await iterator.next();
          fetched++;
        }
        taken[i]++;
        const item = current as IteratorResult<T>;
        if (item.done) {
          active[i] = false;
          pass(i);
        }
        return item;
      },
      async return(): Promise<IteratorResult<T>> {
        if (active[i]) {
          active[i] = false;
          if (turn === i) pass(i);
        }
        return { done: true, value: undefined };
      },
    }),
  });
  return Array.from({ length: n }, (_, i) => consumer(i));
}
