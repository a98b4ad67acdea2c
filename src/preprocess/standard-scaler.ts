import * as v from 'valibot';
import type { Matrix } from '../core/types.js';
import type { Json } from '../core/state.js';
import { finiteNumber, numbers, object, parseState } from '../core/state.js';
import type { Params } from '../learners/contract.js';
import { checkSavedColumns, checkWidth, scaledColumns, type Columns, type Transformer } from './contract.js';

// `counts` is written only once a missing value made a feature's count differ
// from the row count, so states saved before missing values existed still load.
const stateSchema = object({ count: finiteNumber, mean: numbers, m2: numbers, counts: v.optional(numbers) });

/**
 * Online standardisation: each feature is centred on its running mean and
 * divided by its running standard deviation (Welford's algorithm), both
 * learned from training rows only. A feature with zero variance so far is
 * only centred. Same semantics as River's preprocessing.StandardScaler. No
 * parameters.
 *
 * Named categorical columns pass through unchanged (scaling a code would make
 * the same category a moving value); missing values (NaN) are skipped when
 * learning and stay NaN.
 */
export class StandardScaler implements Transformer {
  readonly name = 'standard-scaler';
  readonly params: Params = {};
  readonly nFeatures: number;
  readonly output: Columns;
  private count = 0;
  private counts: Float64Array;
  private mean: Float64Array;
  private m2: Float64Array;
  /** Per column, whether it is scaled (else passed through). */
  private readonly scaled: boolean[];

  constructor(input: Columns | number) {
    const { scaled, output } = scaledColumns(input);
    const d = scaled.length;
    this.nFeatures = d;
    this.scaled = scaled;
    this.output = output;
    this.counts = new Float64Array(d);
    this.mean = new Float64Array(d);
    this.m2 = new Float64Array(d);
  }

  learn(x: Matrix): void {
    checkWidth(this.name, x, this.nFeatures);
    const d = this.nFeatures;
    for (let r = 0; r < x.rows; r++) {
      this.count++;
      for (let j = 0; j < d; j++) {
        const v = x.data[r * d + j];
        if (!this.scaled[j] || Number.isNaN(v)) continue;
        const n = ++this.counts[j];
        const delta = v - this.mean[j];
        this.mean[j] += delta / n;
        this.m2[j] += delta * (v - this.mean[j]);
      }
    }
  }

  transform(x: Matrix): Matrix {
    checkWidth(this.name, x, this.nFeatures);
    const d = this.nFeatures;
    const scale = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const sd = this.counts[j] > 0 ? Math.sqrt(this.m2[j] / this.counts[j]) : 0;
      scale[j] = sd > 0 ? 1 / sd : 1;
    }
    const out = new Float64Array(x.data.length);
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < d; j++) {
        const v = x.data[r * d + j];
        out[r * d + j] = this.scaled[j] ? (v - this.mean[j]) * scale[j] : v;
      }
    }
    return { data: out, rows: x.rows, cols: d };
  }

  getState(): Json {
    const state: { [key: string]: Json } = { count: this.count, mean: Array.from(this.mean), m2: Array.from(this.m2) };
    const uneven = this.counts.some((c, j) => this.scaled[j] && c !== this.count);
    if (uneven) state.counts = Array.from(this.counts);
    return state;
  }

  /** Rebuilds a scaler from getState()'s JSON, for the same input columns (or feature count). */
  static restore(input: Columns | number, json: Json): StandardScaler {
    const s = parseState('standard-scaler', stateSchema, json);
    const scaler = new StandardScaler(input);
    const d = scaler.nFeatures;
    checkSavedColumns('standard-scaler', { mean: s.mean, m2: s.m2, counts: s.counts }, d);
    scaler.count = s.count;
    scaler.mean = Float64Array.from(s.mean);
    scaler.m2 = Float64Array.from(s.m2);
    if (s.counts) scaler.counts = Float64Array.from(s.counts);
    else for (let j = 0; j < d; j++) scaler.counts[j] = scaler.scaled[j] ? s.count : 0;
    return scaler;
  }
}
