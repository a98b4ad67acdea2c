import type { Matrix } from '../core/types.js';
import type { Json } from '../core/state.js';
import { numbers, object, parseState } from '../core/state.js';
import { checkSavedColumns, checkWidth, scaledColumns, type Columns, type Transformer } from './contract.js';

export type MinMaxScalerParams = {
  /** 'on': values outside the range learned so far are clipped into [0, 1]; 'off': they extrapolate. */
  readonly clip: 'on' | 'off';
};

export const minMaxScalerDefaults: MinMaxScalerParams = { clip: 'on' };

const stateSchema = object({ count: numbers, min: numbers, max: numbers });

/**
 * Online min-max scaling: each feature becomes (x - min) / (max - min) with
 * the running minimum and maximum of the training rows, so the rows it has
 * learned lie in [0, 1]. A feature that has been constant so far (or never
 * seen) maps to 0. River's preprocessing.MinMaxScaler; scikit-learn's
 * MinMaxScaler with partial_fit.
 *
 * Default clip=on: a row to predict often lies outside the range learned so
 * far (it has not been learned yet), and clipping keeps every output in
 * [0, 1]; River and scikit-learn extrapolate instead, which clip=off gives.
 * Named categorical columns pass through unchanged; missing values (NaN) are
 * skipped when learning and stay NaN.
 */
export class MinMaxScaler implements Transformer {
  readonly name = 'min-max-scaler';
  readonly params: MinMaxScalerParams;
  readonly nFeatures: number;
  readonly output: Columns;
  private count: Float64Array;
  private min: Float64Array;
  private max: Float64Array;
  private readonly scaled: boolean[];

  constructor(input: Columns | number, params: Partial<MinMaxScalerParams> = {}) {
    this.params = { ...minMaxScalerDefaults, ...params };
    const { scaled, output } = scaledColumns(input);
    const d = scaled.length;
    this.nFeatures = d;
    this.scaled = scaled;
    this.output = output;
    this.count = new Float64Array(d);
    this.min = new Float64Array(d);
    this.max = new Float64Array(d);
  }

  learn(x: Matrix): void {
    checkWidth(this.name, x, this.nFeatures);
    const d = this.nFeatures;
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < d; j++) {
        const v = x.data[r * d + j];
        if (!this.scaled[j] || Number.isNaN(v)) continue;
        if (this.count[j]++ === 0) {
          this.min[j] = v;
          this.max[j] = v;
        } else if (v < this.min[j]) this.min[j] = v;
        else if (v > this.max[j]) this.max[j] = v;
      }
    }
  }

  transform(x: Matrix): Matrix {
    checkWidth(this.name, x, this.nFeatures);
    const d = this.nFeatures;
    const clip = this.params.clip === 'on';
    const out = new Float64Array(x.data.length);
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < d; j++) {
        const v = x.data[r * d + j];
        if (!this.scaled[j]) {
          out[r * d + j] = v;
          continue;
        }
        const range = this.max[j] - this.min[j];
        let s = Number.isNaN(v) ? NaN : range > 0 ? (v - this.min[j]) / range : 0;
        if (clip) s = s < 0 ? 0 : s > 1 ? 1 : s;
        out[r * d + j] = s;
      }
    }
    return { data: out, rows: x.rows, cols: d };
  }

  getState(): Json {
    return { count: Array.from(this.count), min: Array.from(this.min), max: Array.from(this.max) };
  }

  /** Rebuilds a scaler from getState()'s JSON, for the same input columns and params. */
  static restore(input: Columns | number, json: Json, params: Partial<MinMaxScalerParams> = {}): MinMaxScaler {
    const s = parseState('min-max-scaler', stateSchema, json);
    const scaler = new MinMaxScaler(input, params);
    const d = scaler.nFeatures;
    checkSavedColumns('min-max-scaler', { count: s.count, min: s.min, max: s.max }, d);
    scaler.count = Float64Array.from(s.count);
    scaler.min = Float64Array.from(s.min);
    scaler.max = Float64Array.from(s.max);
    return scaler;
  }
}
