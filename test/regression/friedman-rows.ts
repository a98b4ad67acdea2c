import { Random } from '../../src/core/random.js';

/** Rows the regression learners' tests share: a seeded Friedman #1 of the tests' own, independent of the generator it checks against. */

/** A standard normal draw (Box-Muller). */
export function gaussian(rng: Random): number {
  let u = 0;
  while (u === 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

export interface Stream {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly d: number;
  readonly rows: number;
}

/** Friedman #1: y = 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4 + 5 x5 + N(0, 1), x ~ U[0, 1]^10. */
export function friedman(rows: number, seed: number): Stream {
  const rng = new Random(seed);
  const x = new Float64Array(rows * 10);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * 10;
    for (let j = 0; j < 10; j++) x[o + j] = rng.next();
    y[r] = 10 * Math.sin(Math.PI * x[o] * x[o + 1]) + 20 * (x[o + 2] - 0.5) ** 2 + 10 * x[o + 3] + 5 * x[o + 4] + gaussian(rng);
  }
  return { x, y, d: 10, rows };
}

export const row = (s: Stream, r: number): Float64Array => s.x.subarray(r * s.d, r * s.d + s.d);
