import * as v from 'valibot';
import type { Matrix } from '../core/types.js';
import type { Json } from '../core/state.js';
import { finiteNumber, numbers, object, parseState } from '../core/state.js';
import type { Params } from '../learners/contract.js';
import { checkSavedColumns, checkWidth, toColumns, type Columns, type Transformer } from './contract.js';

/** Per column, the values seen and their counts, in first-seen order (so ties go to the earliest). */
const valueCounts = v.array(v.array(v.strictTuple([finiteNumber, finiteNumber])));

export const imputerStateSchema = object({ count: v.optional(numbers), mean: v.optional(numbers), values: valueCounts });

/**
 * What the two imputers share: missing values (NaN) are replaced by a running
 * statistic of the column learned from training rows, the mean or the most
 * frequent value; a column never seen yet fills with 0. Nominal columns
 * (category codes, named or not) always get their most frequent category,
 * since the mean of codes is no category. Output columns are the input's.
 */
export abstract class Imputer implements Transformer {
  abstract readonly name: string;
  abstract readonly params: Params;
  readonly output: Columns;
  readonly nFeatures: number;
  /** Per column: filled with its mode (else its mean). */
  protected readonly byMode: boolean[];
  /** Per column: the most distinct values counted for its mode (the first ones seen). */
  private readonly limits: number[];
  private count: Float64Array;
  private mean: Float64Array;
  private values: Map<number, number>[];

  /**
   * `numericMode`: whether numeric columns too are filled with their mode,
   * counting at most `maxNumericValues` distinct values each.
   */
  protected constructor(input: Columns | number, numericMode: boolean, maxNumericValues: number) {
    const columns = toColumns(input);
    const d = columns.names.length;
    this.nFeatures = d;
    this.output = columns;
    this.byMode = columns.nominal.map((nominal) => nominal || numericMode);
    // A category code's count is bounded by the categories; a number's is not, hence the limit.
    this.limits = columns.nominal.map((nominal) => (nominal ? Infinity : maxNumericValues));
    this.count = new Float64Array(d);
    this.mean = new Float64Array(d);
    this.values = Array.from({ length: d }, () => new Map<number, number>());
  }

  learn(x: Matrix): void {
    checkWidth(this.name, x, this.nFeatures);
    const d = this.nFeatures;
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < d; j++) {
        const v = x.data[r * d + j];
        if (Number.isNaN(v)) continue;
        if (this.byMode[j]) {
          const counts = this.values[j];
          const seen = counts.get(v);
          if (seen !== undefined) counts.set(v, seen + 1);
          else if (counts.size < this.limits[j]) counts.set(v, 1);
        } else {
          const n = ++this.count[j];
          this.mean[j] += (v - this.mean[j]) / n;
        }
      }
    }
  }

  /** Per column, the value a missing one becomes now. */
  fillValues(): Float64Array {
    const fill = new Float64Array(this.nFeatures);
    for (let j = 0; j < this.nFeatures; j++) {
      if (!this.byMode[j]) {
        fill[j] = this.count[j] > 0 ? this.mean[j] : 0;
        continue;
      }
      let best = 0;
      let bestCount = 0;
      for (const [value, count] of this.values[j]) {
        if (count > bestCount) {
          best = value;
          bestCount = count;
        }
      }
      fill[j] = best;
    }
    return fill;
  }

  transform(x: Matrix): Matrix {
    checkWidth(this.name, x, this.nFeatures);
    const d = this.nFeatures;
    const fill = this.fillValues();
    const out = Float64Array.from(x.data);
    for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i])) out[i] = fill[i % d];
    return { data: out, rows: x.rows, cols: d };
  }

  getState(): Json {
    const values = this.values.map((counts) => [...counts].map(([v, c]) => [v, c]));
    if (this.byMode.every(Boolean)) return { values };
    return { count: Array.from(this.count), mean: Array.from(this.mean), values };
  }

  /** Loads getState()'s JSON into this freshly made imputer. */
  protected load(json: Json): this {
    const s = parseState(this.name, imputerStateSchema, json);
    const d = this.nFeatures;
    const needsMean = !this.byMode.every(Boolean);
    checkSavedColumns(this.name, { values: s.values, count: s.count, mean: s.mean }, d);
    if (needsMean && (!s.count || !s.mean)) throw new Error(`${this.name}: saved state has no count and mean, which its numeric columns need`);
    if (s.count) this.count = Float64Array.from(s.count);
    if (s.mean) this.mean = Float64Array.from(s.mean);
    // A named category's mode is one of its codes: another would fill rows with a category the schema does not have.
    s.values.forEach((pairs, j) => {
      const names = this.output.categories[j];
      if (!this.output.nominal[j] || !names) return;
      const bad = pairs.find(([code]) => !Number.isInteger(code) || code < 0 || code >= names.length);
      if (bad) throw new Error(`${this.name}: saved state's values of "${this.output.names[j]}" hold category code ${bad[0]}, but the schema lists ${names.length} categories`);
    });
    this.values = s.values.map((pairs) => new Map(pairs));
    return this;
  }
}
