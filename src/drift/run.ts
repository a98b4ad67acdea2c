import * as v from 'valibot';
import { count, finiteNumber, object } from '../core/state.js';

/** How a Run is saved. */
export const runSchema = object({ n: count, sum: finiteNumber });

/**
 * A count and a sum of watched values: those since a warning began, those
 * after a cut point, or those a restart carries over because they belong to
 * the new concept already. The detectors keep several; this is their one
 * bookkeeping, and their estimate of the mean error since the last change.
 */
export class Run {
  n = 0;
  sum = 0;

  add(value: number): void {
    this.n++;
    this.sum += value;
  }

  set(n: number, sum: number): void {
    this.n = n;
    this.sum = sum;
  }

  /** The mean of this run's values and `n` more that sum to `sum`; 0 when there are none. */
  meanWith(n: number, sum: number): number {
    const all = this.n + n;
    return all > 0 ? (this.sum + sum) / all : 0;
  }

  toJSON(): v.InferOutput<typeof runSchema> {
    return { n: this.n, sum: this.sum };
  }
}
