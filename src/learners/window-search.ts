/**
 * The k nearest rows (squared Euclidean distance) to a query among the rows
 * of a sliding window kept as a ring buffer: what the kNN classifier and the
 * kNN regressor share. Rows are scanned newest to oldest, and a candidate
 * must be strictly nearer than the current k-th, so ties go to the more
 * recent row; a distance's partial sum stops as soon as it cannot get in.
 */
export interface WindowRows {
  /** The ring buffer: row slot s at rows[s * d .. s * d + d). */
  readonly rows: Float64Array;
  readonly d: number;
  /** Rows held (at most windowSize). */
  readonly size: number;
  /** The slot the next row goes into; the newest row is at next - 1. */
  readonly next: number;
  readonly windowSize: number;
}

/**
 * Writes the up to k nearest slots into bestSlot and their squared
 * distances into bestDist, nearest first, and returns how many were found
 * (fewer than k only when the window holds fewer rows, or distances were NaN).
 */
export function nearestInWindow(window: WindowRows, query: Float64Array, q: number, k: number, bestDist: Float64Array, bestSlot: Int32Array): number {
  const { rows, d, size, next, windowSize } = window;
  const kk = Math.min(k, size);
  let found = 0;
  for (let i = 0; i < size; i++) {
    let slot = next - 1 - i;
    if (slot < 0) slot += windowSize;
    const worst = found === kk ? bestDist[kk - 1] : Infinity;
    const o = slot * d;
    let dist = 0;
    for (let j = 0; j < d; j++) {
      const diff = query[q + j] - rows[o + j];
      dist += diff * diff;
      if (dist >= worst) break; // partial sums only grow: it cannot get in
    }
    if (!(dist < worst)) continue;
    let p = found < kk ? found++ : kk - 1;
    while (p > 0 && bestDist[p - 1] > dist) {
      bestDist[p] = bestDist[p - 1];
      bestSlot[p] = bestSlot[p - 1];
      p--;
    }
    bestDist[p] = dist;
    bestSlot[p] = slot;
  }
  return found;
}
