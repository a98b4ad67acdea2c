import * as v from 'valibot';
import { count, finiteNumber, type Json, object, parseState } from '../core/state.js';
import type { DriftDetector, DriftSignal } from './contract.js';
import { Run, runSchema } from './run.js';

export interface PageHinkleyParams {
  /** Values seen before the detector decides anything. */
  readonly minInstances: number;
  /** Rises of the mean smaller than this are tolerated. */
  readonly delta: number;
  /** The threshold on the cumulative deviation above its minimum. */
  readonly lambda: number;
  /** Fading factor of the cumulative deviation (1: no fading). */
  readonly alpha: number;
}

export const pageHinkleyDefaults: PageHinkleyParams = { minInstances: 30, delta: 0.005, lambda: 50, alpha: 1 - 0.0001 };

const stateSchema = object({
  n: count,
  mean: finiteNumber,
  sum: finiteNumber,
  min: v.nullable(finiteNumber),
  sinceMin: runSchema,
  carry: runSchema,
});

/**
 * The Page-Hinkley test (Page 1954, "Continuous inspection schemes"), in the
 * form of MOA's PageHinkleyDM: it accumulates the deviations of each value
 * from the running mean, less a tolerance delta, as
 *   m_t = alpha m_{t-1} + (x_t - mean_t - delta),
 * and says 'drift' when m_t exceeds its smallest value so far by more than
 * lambda. It detects a rise of the mean, which is what an error stream does
 * when the concept changes; a fall passes unremarked. The fading factor
 * alpha lets the old deviations decay so that a long stable stretch does
 * not bury a later change. No warning level.
 *
 * Defaults as MOA: minInstances = 30, delta = 0.005, lambda = 50,
 * alpha = 1 - 0.0001.
 *
 * `estimate` is the mean since the change point of the last restart: the
 * values after the minimum of the cumulative sum (Page's estimate of where
 * the change began) carry over, while the test starts afresh.
 * lambda = 50 suits error streams over a few thousand values: on a
 * stationary one with error rate 0.2, about one run in eight raises a false
 * 'drift' within 10,000 values, as the faded sum wanders.
 */
export class PageHinkley implements DriftDetector {
  readonly name = 'page-hinkley';
  readonly params: PageHinkleyParams;
  private n = 0;
  private mean = 0;
  private sum = 0;
  private min = 0;
  private hasMin = false;
  // The values after the point where the cumulative deviation was lowest.
  private readonly sinceMin = new Run();
  private readonly carry = new Run();

  constructor(params: Partial<PageHinkleyParams> = {}) {
    this.params = { ...pageHinkleyDefaults, ...params };
  }

  get estimate(): number {
    return this.carry.meanWith(this.n, this.mean * this.n);
  }

  update(value: number): DriftSignal {
    const n = ++this.n;
    this.mean += (value - this.mean) / n;
    this.sum = this.params.alpha * this.sum + (value - this.mean - this.params.delta);
    if (!this.hasMin || this.sum < this.min) {
      this.min = this.sum;
      this.hasMin = true;
      this.sinceMin.set(0, 0);
    } else {
      this.sinceMin.add(value);
    }
    if (n < this.params.minInstances || this.sum - this.min <= this.params.lambda) return 'stable';
    this.restart(this.sinceMin.n, this.sinceMin.sum);
    return 'drift';
  }

  reset(): void {
    this.restart(0, 0);
  }

  getState(): Json {
    return {
      n: this.n,
      mean: this.mean,
      sum: this.sum,
      min: this.hasMin ? this.min : null,
      sinceMin: this.sinceMin.toJSON(),
      carry: this.carry.toJSON(),
    };
  }

  static restore(params: Partial<PageHinkleyParams>, json: Json): PageHinkley {
    const s = parseState('page-hinkley', stateSchema, json);
    const ph = new PageHinkley(params);
    ph.n = s.n;
    ph.mean = s.mean;
    ph.sum = s.sum;
    ph.hasMin = s.min !== null;
    ph.min = s.min ?? 0;
    ph.sinceMin.set(s.sinceMin.n, s.sinceMin.sum);
    ph.carry.set(s.carry.n, s.carry.sum);
    return ph;
  }

  private restart(carryN: number, carrySum: number): void {
    this.n = 0;
    this.mean = 0;
    this.sum = 0;
    this.min = 0;
    this.hasMin = false;
    this.sinceMin.set(0, 0);
    this.carry.set(carryN, carrySum);
  }
}
