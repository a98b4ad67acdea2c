import { fail } from '../core/errors.js';
import { count, finiteNumber, type Json, object, parseState, refine } from '../core/state.js';
import type { DriftDetector, DriftSignal } from './contract.js';
import { Run, runSchema } from './run.js';

export const hddmATests = ['two-sided', 'one-sided'] as const;
export type HDDMATest = (typeof hddmATests)[number];

export interface HDDMAParams {
  /** Significance of the test that reports 'drift'. */
  readonly driftConfidence: number;
  /** Significance of the test that reports 'warning'; larger than driftConfidence. */
  readonly warningConfidence: number;
  /** Whether a fall of the mean also re-anchors the test ('two-sided') or only rises count ('one-sided'). */
  readonly test: HDDMATest;
}

export const hddmADefaults: HDDMAParams = { driftConfidence: 0.001, warningConfidence: 0.005, test: 'two-sided' };

const stateSchema = refine(
  object({
    n: count,
    sum: finiteNumber,
    low: runSchema,
    high: runSchema,
    carry: runSchema,
  }),
  (s, problem) => {
    for (const key of ['low', 'high'] as const) {
      // Every value seen so far has set both cut points at least once.
      if (s[key].n > s.n || (s.n > 0 && s[key].n === 0)) problem([key, 'n'], `must lie in 1..${s.n}`);
    }
  },
);

/**
 * HDDM_A, the A-test of Frías-Blanco, del Campo-Ávila, Ramos-Jiménez,
 * Morales-Bueno, Ortiz-Díaz & Caballero-Mota (2015, "Online and
 * non-parametric drift detection methods based on Hoeffding's bounds"),
 * for values in [0, 1].
 *
 * It compares the mean of all values since the last restart with the mean
 * of a prefix ending at a cut point: the point where the prefix's mean plus
 * its Hoeffding bound was lowest. When the overall mean exceeds the prefix's
 * by more than sqrt(m/2 ln(2/confidence)), with m = (n - c)/(c n) for a cut
 * after c of n values, the mean has risen: 'drift' at driftConfidence
 * (the statistics restart), else 'warning' at warningConfidence.
 *
 * Two-sided, as MOA's default: a second cut point tracks the highest
 * prefix, and a significant fall of the mean (at driftConfidence) restarts
 * the statistics too, so that a later rise is measured against the new,
 * lower level rather than a mean that still holds the old, worse stretch.
 * As in MOA, a fall is not reported as 'drift': on an error stream it is a
 * learner improving (a fresh learner after a drift does exactly that), no
 * reason to replace it. 'one-sided' watches rises only.
 *
 * Defaults as MOA: driftConfidence = 0.001, warningConfidence = 0.005,
 * test = two-sided. `estimate` is the mean since the change point the last
 * restart found (the values after its cut and all values since).
 * The test runs at every value, so false alarms add up over a long stable
 * stretch: on a stationary stream with error rate 0.2, about 4% of runs
 * alarm within 2,000 values at these defaults (0.3% at driftConfidence
 * 0.0001).
 */
export class HDDMA implements DriftDetector {
  readonly name = 'hddm-a';
  readonly params: HDDMAParams;
  private n = 0;
  private sum = 0;
  // The prefix with the lowest upper bound (for rises) and with the highest lower bound (for falls).
  private lowN = 0;
  private lowSum = 0;
  private highN = 0;
  private highSum = 0;
  // The values after the cut point of the last restart: they belong to the new level already.
  private readonly carry = new Run();
  private readonly cutLog: number;
  private readonly driftLog: number;
  private readonly warningLog: number;

  constructor(params: Partial<HDDMAParams> = {}) {
    this.params = { ...hddmADefaults, ...params };
    const { driftConfidence, warningConfidence } = this.params;
    if (warningConfidence < driftConfidence) {
      fail(`hddm-a: warning-confidence (${warningConfidence}) must be at least drift-confidence (${driftConfidence})`);
    }
    this.cutLog = Math.log(1 / driftConfidence);
    // Both sides at the same constant as MOA, so that results match it at the defaults.
    this.driftLog = Math.log(2 / driftConfidence);
    this.warningLog = Math.log(2 / warningConfidence);
  }

  get estimate(): number {
    return this.carry.meanWith(this.n, this.sum);
  }

  update(value: number): DriftSignal {
    const n = ++this.n;
    const sum = (this.sum += value);
    if (this.lowN === 0) {
      this.lowN = n;
      this.lowSum = sum;
    }
    if (this.highN === 0) {
      this.highN = n;
      this.highSum = sum;
    }
    const mean = sum / n;
    const bound = this.bound(n);
    if (this.lowSum / this.lowN + this.bound(this.lowN) >= mean + bound) {
      this.lowN = n;
      this.lowSum = sum;
    }
    if (this.highSum / this.highN - this.bound(this.highN) <= mean - bound) {
      this.highN = n;
      this.highSum = sum;
    }
    if (this.separated(this.lowN, mean - this.lowSum / this.lowN, this.driftLog)) {
      this.restart(n - this.lowN, sum - this.lowSum);
      return 'drift';
    }
    const signal = this.separated(this.lowN, mean - this.lowSum / this.lowN, this.warningLog) ? 'warning' : 'stable';
    if (this.params.test === 'two-sided' && this.separated(this.highN, this.highSum / this.highN - mean, this.driftLog)) {
      this.restart(n - this.highN, sum - this.highSum);
    }
    return signal;
  }

  reset(): void {
    this.restart(0, 0);
  }

  getState(): Json {
    return {
      n: this.n,
      sum: this.sum,
      low: { n: this.lowN, sum: this.lowSum },
      high: { n: this.highN, sum: this.highSum },
      carry: this.carry.toJSON(),
    };
  }

  static restore(params: Partial<HDDMAParams>, json: Json): HDDMA {
    const s = parseState('hddm-a', stateSchema, json);
    const hddm = new HDDMA(params);
    hddm.n = s.n;
    hddm.sum = s.sum;
    hddm.lowN = s.low.n;
    hddm.lowSum = s.low.sum;
    hddm.highN = s.high.n;
    hddm.highSum = s.high.sum;
    hddm.carry.set(s.carry.n, s.carry.sum);
    return hddm;
  }

  /** Hoeffding's bound on the mean of n values in [0, 1], at driftConfidence. */
  private bound(n: number): number {
    return Math.sqrt(this.cutLog / (2 * n));
  }

  /** Whether the mean of all n values and that of the first c differ by `gap` beyond chance. */
  private separated(c: number, gap: number, log: number): boolean {
    const n = this.n;
    if (c === n) return false;
    const m = (n - c) / (c * n);
    return gap >= Math.sqrt((m / 2) * log);
  }

  private restart(carryN: number, carrySum: number): void {
    this.n = 0;
    this.sum = 0;
    this.lowN = 0;
    this.lowSum = 0;
    this.highN = 0;
    this.highSum = 0;
    this.carry.set(carryN, carrySum);
  }
}
