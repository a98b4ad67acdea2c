import * as v from 'valibot';
import { fail } from '../core/errors.js';
import { count, finiteNumber, type Json, nonNegative, object, parseState } from '../core/state.js';
import type { DriftDetector, DriftSignal } from './contract.js';
import { Run, runSchema } from './run.js';

export interface EDDMParams {
  /** Errors seen before the detector keeps its reference level or decides anything. */
  readonly minErrors: number;
  /** Warning when (p' + 2s') / (p'_max + 2s'_max) falls below alpha. */
  readonly alpha: number;
  /** Drift when that ratio falls below beta. */
  readonly beta: number;
}

export const eddmDefaults: EDDMParams = { minErrors: 30, alpha: 0.95, beta: 0.9 };

const stateSchema = object({
  n: count,
  errors: count,
  lastError: count,
  meanDistance: nonNegative,
  m2Distance: nonNegative,
  max: v.nullable(finiteNumber),
  // The values since the warning began (n = 0: no warning).
  warning: runSchema,
  carry: runSchema,
});

/**
 * EDDM, the early drift detection method of Baena-García, del Campo-Ávila,
 * Fidalgo, Bifet, Gavaldà & Morales-Bueno (2006, "Early drift detection
 * method"), for a stream of errors (a value of 0.5 or more counts as a
 * mistake).
 *
 * It watches the distance between consecutive errors rather than the error
 * rate, which reacts sooner to gradual drift: with p' the mean distance and
 * s' its standard deviation, it keeps the largest p' + 2s' seen and says
 * 'warning' when the current p' + 2s' falls below alpha times it and
 * 'drift' below beta times it. The warning holds until the next error is
 * judged, since only errors move the statistic. The reference level is kept
 * only from `minErrors` errors on: the first few distances are noisy, and a
 * maximum taken from them would raise false alarms once the statistic
 * settles.
 *
 * Defaults as MOA: alpha = 0.95, beta = 0.90, minErrors = 30.
 *
 * `estimate` is the error rate since the change point of the last restart:
 * the values since the warning began (the drifting error alone when no
 * warning came first) carry over, while the distances start afresh.
 * `meanDistance` is p'.
 *
 * These defaults are sensitive: the largest p' + 2s' is a maximum over
 * noisy estimates, and on a stationary stream with error rate 0.2 most runs
 * raise a false 'drift' within 2,000 values. minErrors = 100, alpha = 0.8,
 * beta = 0.7 make that rare, at the cost of a slower reaction.
 */
export class EDDM implements DriftDetector {
  readonly name = 'eddm';
  readonly params: EDDMParams;
  private n = 0;
  private errors = 0;
  private lastError = 0;
  private mean = 0;
  private m2 = 0;
  private max = 0;
  private hasMax = false;
  // The values since the warning began (n = 0: no warning), their sum the errors among them.
  private readonly warning = new Run();
  private readonly carry = new Run();

  constructor(params: Partial<EDDMParams> = {}) {
    this.params = { ...eddmDefaults, ...params };
    if (this.params.beta > this.params.alpha) {
      fail(`eddm: beta (${this.params.beta}) must not exceed alpha (${this.params.alpha})`);
    }
  }

  get estimate(): number {
    return this.carry.meanWith(this.n, this.errors);
  }

  /** The mean number of values from one error to the next since the last restart. */
  get meanDistance(): number {
    return this.mean;
  }

  update(value: number): DriftSignal {
    this.n++;
    const error = value >= 0.5;
    const warned = this.warning.n > 0;
    if (warned) this.warning.add(error ? 1 : 0);
    if (!error) return warned ? 'warning' : 'stable';
    const errors = ++this.errors;
    const distance = this.n - this.lastError;
    this.lastError = this.n;
    const delta = distance - this.mean;
    this.mean += delta / errors;
    this.m2 += delta * (distance - this.mean);
    if (errors < this.params.minErrors) return 'stable';
    const level = this.mean + 2 * Math.sqrt(this.m2 / errors);
    if (!this.hasMax || level > this.max) {
      this.max = level;
      this.hasMax = true;
    }
    const ratio = level / this.max;
    if (ratio < this.params.beta) {
      this.restart(warned ? this.warning.n : 1, warned ? this.warning.sum : 1);
      return 'drift';
    }
    if (ratio < this.params.alpha) {
      if (!warned) this.warning.set(1, 1);
      return 'warning';
    }
    this.warning.set(0, 0);
    return 'stable';
  }

  reset(): void {
    this.restart(0, 0);
  }

  getState(): Json {
    return {
      n: this.n,
      errors: this.errors,
      lastError: this.lastError,
      meanDistance: this.mean,
      m2Distance: this.m2,
      max: this.hasMax ? this.max : null,
      warning: this.warning.toJSON(),
      carry: this.carry.toJSON(),
    };
  }

  static restore(params: Partial<EDDMParams>, json: Json): EDDM {
    const s = parseState('eddm', stateSchema, json);
    const eddm = new EDDM(params);
    eddm.n = s.n;
    eddm.errors = s.errors;
    eddm.lastError = s.lastError;
    eddm.mean = s.meanDistance;
    eddm.m2 = s.m2Distance;
    eddm.hasMax = s.max !== null;
    eddm.max = s.max ?? 0;
    eddm.warning.set(s.warning.n, s.warning.sum);
    eddm.carry.set(s.carry.n, s.carry.sum);
    return eddm;
  }

  private restart(carryN: number, carryErrors: number): void {
    this.n = 0;
    this.errors = 0;
    this.lastError = 0;
    this.mean = 0;
    this.m2 = 0;
    this.max = 0;
    this.hasMax = false;
    this.warning.set(0, 0);
    this.carry.set(carryN, carryErrors);
  }
}
