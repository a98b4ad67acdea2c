import * as v from 'valibot';
import { fail } from '../core/errors.js';
import { count, finiteNumber, type Json, object, parseState } from '../core/state.js';
import type { DriftDetector, DriftSignal } from './contract.js';
import { Run, runSchema } from './run.js';

export interface DDMParams {
  /** Values seen before the detector tracks its minimum or decides anything. */
  readonly minInstances: number;
  /** Warning when p + s exceeds p_min + warningLevel * s_min. */
  readonly warningLevel: number;
  /** Drift when p + s exceeds p_min + driftLevel * s_min. */
  readonly driftLevel: number;
}

export const ddmDefaults: DDMParams = { minInstances: 30, warningLevel: 2, driftLevel: 3 };

const stateSchema = object({
  n: count,
  sum: finiteNumber,
  min: v.nullable(object({ p: finiteNumber, s: finiteNumber })),
  warning: runSchema,
  carry: runSchema,
});

/**
 * DDM, the drift detection method of Gama, Medas, Castillo & Rodrigues
 * (2004, "Learning with drift detection"), for a stream of errors (1 a
 * mistake, 0 a correct prediction).
 *
 * The error rate p after n values is a binomial proportion with standard
 * deviation s = sqrt(p(1 - p)/n). The detector remembers p_min and s_min
 * where p + s was smallest, and says 'warning' once p + s > p_min + 2 s_min
 * and 'drift' once p + s > p_min + 3 s_min. The comparisons are strict, as
 * in MOA: with ≥, a run of only correct predictions (s_min = 0) would sit on
 * the threshold and alarm on every value. Only a rise of the error rate is
 * detected.
 *
 * Defaults as MOA: minInstances = 30, warningLevel = 2, driftLevel = 3.
 *
 * `estimate` is the error rate since the change point of the last restart:
 * as in the paper, the values since the warning began belong to the new
 * concept (the drifting value alone when no warning came first), so they
 * carry over, while p and s start afresh.
 *
 * Mind the warm-up: p_min and s_min are taken from the first estimates,
 * which are noisy, so at these defaults a stationary stream with error rate
 * 0.2 raises a false 'drift' within 2,000 values in about a quarter of runs,
 * mostly within the first few hundred. A larger minInstances trades
 * detection delay for fewer of them.
 */
export class DDM implements DriftDetector {
  readonly name = 'ddm';
  readonly params: DDMParams;
  private n = 0;
  private sum = 0;
  private pMin = 0;
  private sMin = 0;
  private hasMin = false;
  // The values since the warning began (n = 0: no warning).
  private readonly warning = new Run();
  private readonly carry = new Run();

  constructor(params: Partial<DDMParams> = {}) {
    this.params = { ...ddmDefaults, ...params };
    if (this.params.driftLevel < this.params.warningLevel) {
      fail(`ddm: drift-level (${this.params.driftLevel}) must be at least warning-level (${this.params.warningLevel})`);
    }
  }

  get estimate(): number {
    return this.carry.meanWith(this.n, this.sum);
  }

  update(value: number): DriftSignal {
    const n = ++this.n;
    this.sum += value;
    const warned = this.warning.n > 0;
    if (warned) this.warning.add(value);
    if (n < this.params.minInstances) return 'stable';
    const p = this.sum / n;
    const s = Math.sqrt((p * (1 - p)) / n);
    if (!this.hasMin || p + s <= this.pMin + this.sMin) {
      this.pMin = p;
      this.sMin = s;
      this.hasMin = true;
    }
    if (p + s > this.pMin + this.params.driftLevel * this.sMin) {
      this.restart(warned ? this.warning.n : 1, warned ? this.warning.sum : value);
      return 'drift';
    }
    if (p + s > this.pMin + this.params.warningLevel * this.sMin) {
      if (!warned) this.warning.set(1, value);
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
      sum: this.sum,
      min: this.hasMin ? { p: this.pMin, s: this.sMin } : null,
      warning: this.warning.toJSON(),
      carry: this.carry.toJSON(),
    };
  }

  static restore(params: Partial<DDMParams>, json: Json): DDM {
    const s = parseState('ddm', stateSchema, json);
    const ddm = new DDM(params);
    ddm.n = s.n;
    ddm.sum = s.sum;
    if (s.min) {
      ddm.pMin = s.min.p;
      ddm.sMin = s.min.s;
      ddm.hasMin = true;
    }
    ddm.warning.set(s.warning.n, s.warning.sum);
    ddm.carry.set(s.carry.n, s.carry.sum);
    return ddm;
  }

  private restart(carryN: number, carrySum: number): void {
    this.n = 0;
    this.sum = 0;
    this.pMin = 0;
    this.sMin = 0;
    this.hasMin = false;
    this.warning.set(0, 0);
    this.carry.set(carryN, carrySum);
  }
}
