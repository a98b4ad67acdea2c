import * as v from 'valibot';
import { count, finiteNumber, type Json, nonNegative, object, parseState, refine } from '../core/state.js';
import type { DriftDetector, DriftSignal } from './contract.js';

export interface ADWINParams {
  /** Confidence of the cut test: a smaller delta needs stronger evidence to drop part of the window. */
  readonly delta: number;
  /** Most buckets kept per row of the exponential histogram (M). */
  readonly maxBuckets: number;
  /** The window is checked for a cut once every `clock` values. */
  readonly clock: number;
  /** Fewest values either side of a cut. */
  readonly minWindowLength: number;
}

export const adwinDefaults: ADWINParams = { delta: 0.002, maxBuckets: 5, clock: 32, minWindowLength: 5 };

// Enough rows for a window of about M * 2^8 values; the arrays double past that.
const INITIAL_ROWS = 8;

/**
 * ADWIN, adaptive windowing (Bifet & Gavaldà 2007, "Learning from
 * time-changing data with adaptive windowing"), in its ADWIN2 form: the
 * window is an exponential histogram whose row i holds up to M buckets of
 * 2^i values each, so memory and the cut check are O(M log W) for a window
 * of W values.
 *
 * Once every `clock` values (when the window holds more than twice
 * minWindowLength), every split of the window into an older part W0 and a
 * newer part W1 at a bucket boundary, each holding more than
 * minWindowLength + 1 values, is tested; when the means differ by more than
 *   eps = sqrt(2 σ² ln(2/δ') / m) + 2 ln(2/δ') / (3m),
 * with 1/m = 1/(|W0| - L + 1) + 1/(|W1| - L + 1) (L = minWindowLength),
 * σ² the window's variance and δ' = δ / ln W (the paper's practical
 * correction), the oldest bucket is dropped and the test repeats. The paper
 * takes m as the plain harmonic mean of |W0| and |W1|; MOA's ADWIN and
 * River's discount each side by L - 1, which makes short sub-windows harder
 * to cut on. Taken as they do, so that a model's drift alarms (and the
 * learners built on ADWIN: HAT, ARF, SRP, leveraging bagging, ADWIN
 * boosting) follow the references'. Dropping anything is reported as 'drift':
 * the window is then what is left, which is how ADWIN restarts. The test is
 * two-sided (a fall in the mean is a change too) and there is no warning
 * level.
 *
 * Defaults as MOA: delta = 0.002, maxBuckets (M) = 5, clock = 32,
 * minWindowLength = 5.
 *
 * Updates allocate nothing: the histogram lives in typed arrays, which grow
 * only when the window needs a new row (log2 W times in all).
 */
export class ADWIN implements DriftDetector {
  readonly name = 'adwin';
  readonly params: ADWINParams;
  private readonly slots: number;
  private capacity = 0;
  // Row-major, `slots` per row, oldest bucket first within a row; higher rows are older.
  private totals = new Float64Array(0);
  private m2s = new Float64Array(0);
  private counts = new Int32Array(0);
  private rows = 0;
  private n = 0;
  private sum = 0;
  // Sum of squared deviations from the window's mean.
  private m2 = 0;
  private time = 0;

  constructor(params: Partial<ADWINParams> = {}) {
    this.params = { ...adwinDefaults, ...params };
    // One spare slot: a row overflows to M + 1 before it is merged.
    this.slots = this.params.maxBuckets + 1;
    this.grow(INITIAL_ROWS);
  }

  /** The mean of the window (0 when empty). */
  get estimate(): number {
    return this.n > 0 ? this.sum / this.n : 0;
  }

  /** The number of values in the window. */
  get width(): number {
    return this.n;
  }

  /** The (population) variance of the values in the window. */
  get variance(): number {
    return this.n > 0 ? this.m2 / this.n : 0;
  }

  update(value: number): DriftSignal {
    this.time++;
    this.insert(value);
    const { clock, minWindowLength } = this.params;
    if (this.time % clock !== 0 || this.n <= 2 * minWindowLength) return 'stable';
    let dropped = false;
    while (this.n > 2 * minWindowLength && this.cutFound()) {
      this.dropOldest();
      dropped = true;
    }
    return dropped ? 'drift' : 'stable';
  }

  reset(): void {
    this.counts.fill(0);
    this.rows = 0;
    this.n = 0;
    this.sum = 0;
    this.m2 = 0;
    this.time = 0;
  }

  getState(): Json {
    const totals: number[][] = [];
    const m2s: number[][] = [];
    for (let r = 0; r < this.rows; r++) {
      const base = r * this.slots;
      totals.push(Array.from(this.totals.subarray(base, base + this.counts[r])));
      m2s.push(Array.from(this.m2s.subarray(base, base + this.counts[r])));
    }
    return { time: this.time, width: this.n, total: this.sum, m2: this.m2, totals, m2s };
  }

  static restore(params: Partial<ADWINParams>, json: Json): ADWIN {
    const adwin = new ADWIN(params);
    const maxBuckets = adwin.params.maxBuckets;
    const schema = refine(
      object({
        time: count,
        width: count,
        total: finiteNumber,
        m2: nonNegative,
        totals: v.array(v.pipe(v.array(finiteNumber), v.maxLength(maxBuckets))),
        m2s: v.array(v.array(nonNegative)),
      }),
      (s, problem) => {
        if (s.m2s.length !== s.totals.length || s.m2s.some((row, r) => row.length !== s.totals[r].length)) {
          problem(['m2s'], 'does not match the shape of totals');
          return;
        }
        if (s.totals.length > 0 && s.totals[s.totals.length - 1].length === 0) problem(['totals'], 'the oldest row is empty');
        const width = s.totals.reduce((w, row, r) => w + row.length * 2 ** r, 0);
        if (width !== s.width) problem(['width'], `the buckets hold ${width} values`);
      },
    );
    const s = parseState('adwin', schema, json);
    adwin.grow(Math.max(INITIAL_ROWS, s.totals.length + 1));
    s.totals.forEach((row, r) => {
      adwin.totals.set(row, r * adwin.slots);
      adwin.m2s.set(s.m2s[r], r * adwin.slots);
      adwin.counts[r] = row.length;
    });
    adwin.rows = s.totals.length;
    adwin.time = s.time;
    adwin.n = s.width;
    adwin.sum = s.total;
    adwin.m2 = s.m2;
    return adwin;
  }

  private insert(value: number): void {
    const n = this.n;
    if (n > 0) {
      const d = value - this.sum / n;
      this.m2 += (n / (n + 1)) * d * d;
    }
    this.n = n + 1;
    this.sum += value;
    if (this.rows === 0) this.rows = 1;
    const slots = this.slots;
    this.totals[this.counts[0]] = value;
    this.m2s[this.counts[0]] = 0;
    this.counts[0]++;
    // A full row merges its two oldest buckets into one of the next row; that may overflow in turn.
    // (grow() replaces the arrays, so they are read through `this` here.)
    let size = 1;
    for (let r = 0; this.counts[r] === slots; r++, size *= 2) {
      if (r + 1 === this.rows) {
        if (this.rows === this.capacity) this.grow(2 * this.capacity);
        this.rows++;
      }
      const base = r * slots;
      const t0 = this.totals[base];
      const t1 = this.totals[base + 1];
      const d = t0 - t1;
      const next = (r + 1) * slots + this.counts[r + 1];
      this.totals[next] = t0 + t1;
      // Chan et al.'s pairwise update with both halves of `size` values.
      this.m2s[next] = this.m2s[base] + this.m2s[base + 1] + (d * d) / (2 * size);
      this.counts[r + 1]++;
      this.shift(base, slots, 2);
      this.counts[r] = slots - 2;
    }
  }

  /** Whether some split of the window at a bucket boundary has sub-window means too far apart. */
  private cutFound(): boolean {
    const { slots, totals, counts, n, sum } = this;
    const minLength = this.params.minWindowLength;
    const logTerm = Math.log((2 * Math.log(n)) / this.params.delta);
    // eps = sqrt(a invM) + b invM with invM = 1/n0 + 1/n1; squared below to spare a sqrt per split.
    const a = (2 * this.m2 * logTerm) / n;
    const b = (2 / 3) * logTerm;
    let n0 = 0;
    let s0 = 0;
    let size = 2 ** (this.rows - 1);
    for (let r = this.rows - 1; r >= 0; r--, size /= 2) {
      const base = r * slots;
      const count = counts[r];
      for (let k = 0; k < count; k++) {
        n0 += size;
        s0 += totals[base + k];
        const n1 = n - n0;
        if (n1 <= minLength + 1) return false;
        if (n0 <= minLength + 1) continue;
        const invM = 1 / (n0 - minLength + 1) + 1 / (n1 - minLength + 1);
        const excess = Math.abs(s0 / n0 - (sum - s0) / n1) - b * invM;
        if (excess > 0 && excess * excess > a * invM) return true;
      }
    }
    return false;
  }

  private dropOldest(): void {
    const r = this.rows - 1;
    const base = r * this.slots;
    const size = 2 ** r;
    const total = this.totals[base];
    const m2 = this.m2s[base];
    this.shift(base, this.counts[r], 1);
    this.counts[r]--;
    const rest = this.n - size;
    this.n = rest;
    this.sum -= total;
    if (rest === 0) {
      this.sum = 0;
      this.m2 = 0;
    } else {
      const d = total / size - this.sum / rest;
      // Rounding can take a near-zero sum of squares just below zero.
      this.m2 = Math.max(0, this.m2 - m2 - ((size * rest) / (size + rest)) * d * d);
    }
    while (this.rows > 0 && this.counts[this.rows - 1] === 0) this.rows--;
  }

  /** Moves a row's buckets `by` places towards its start, over the first `count` slots. */
  private shift(base: number, count: number, by: number): void {
    const { totals, m2s } = this;
    for (let k = by; k < count; k++) {
      totals[base + k - by] = totals[base + k];
      m2s[base + k - by] = m2s[base + k];
    }
  }

  private grow(rows: number): void {
    if (rows <= this.capacity) return;
    const totals = new Float64Array(rows * this.slots);
    const m2s = new Float64Array(rows * this.slots);
    const counts = new Int32Array(rows);
    totals.set(this.totals);
    m2s.set(this.m2s);
    counts.set(this.counts);
    this.totals = totals;
    this.m2s = m2s;
    this.counts = counts;
    this.capacity = rows;
  }
}
