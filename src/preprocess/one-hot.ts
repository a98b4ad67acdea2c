import * as v from 'valibot';
import type { Matrix } from '../core/types.js';
import type { Json } from '../core/state.js';
import { count, object, parseState } from '../core/state.js';
import type { Params } from '../learners/contract.js';
import { checkSavedColumns, checkWidth, isCategorical, toColumns, type Columns, type Transformer } from './contract.js';

const stateSchema = object({ sizes: v.array(v.nullable(count)) });

/** The name of the column that takes a feature's categories unknown when the encoder was made. */
export const OTHER = '(other)';

/**
 * One-hot encoding: each named categorical column becomes one indicator
 * column per category, other columns pass through (numbers, and nominal codes
 * without names). No parameters. River's preprocessing.OneHotEncoder and
 * scikit-learn's OneHotEncoder(handle_unknown="infrequent_if_exist"), with a
 * width fixed for the life of the model, since the learner behind it is
 * sized once.
 *
 * The width is fixed when the encoder is made: one column per category known
 * then (from the schema), named `feature=category`, plus one `feature=(other)`
 * column per categorical feature. A category first seen later (new
 * mid-stream, or only at prediction) sets the "other" column: it is accepted
 * and never fails. A missing value (NaN) sets no column of its feature.
 */
export class OneHotEncoder implements Transformer {
  readonly name = 'one-hot';
  readonly params: Params = {};
  readonly nFeatures: number;
  readonly output: Columns;
  /** Per input column: the categories encoded (codes 0..size-1), or null when it passes through. */
  private readonly sizes: (number | null)[];
  /** Per input column: its first output column. */
  private readonly offsets: number[];

  /** `sizes` (restore only): the categories known when the encoder was first made. */
  constructor(input: Columns | number, sizes?: readonly (number | null)[]) {
    const columns = toColumns(input);
    const d = columns.names.length;
    this.nFeatures = d;
    this.sizes = sizes ? [...sizes] : columns.names.map((_, j) => (isCategorical(columns, j) ? columns.categories[j]!.length : null));
    const names: string[] = [];
    const nominal: boolean[] = [];
    const categories: (readonly string[] | null)[] = [];
    this.offsets = [];
    for (let j = 0; j < d; j++) {
      this.offsets.push(names.length);
      const size = this.sizes[j];
      if (size === null) {
        names.push(columns.names[j]);
        nominal.push(columns.nominal[j]);
        categories.push(columns.categories[j]);
        continue;
      }
      const known = columns.categories[j] ?? [];
      for (let c = 0; c < size; c++) names.push(`${columns.names[j]}=${known[c] ?? c}`);
      names.push(`${columns.names[j]}=${OTHER}`);
      for (let c = 0; c <= size; c++) {
        nominal.push(false);
        categories.push(null);
      }
    }
    this.output = { names, nominal, categories };
  }

  /** Nothing to learn: the categories are the schema's. */
  learn(x: Matrix): void {
    checkWidth(this.name, x, this.nFeatures);
  }

  transform(x: Matrix): Matrix {
    checkWidth(this.name, x, this.nFeatures);
    const d = this.nFeatures;
    const w = this.output.names.length;
    const out = new Float64Array(x.rows * w);
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < d; j++) {
        const v = x.data[r * d + j];
        const at = r * w + this.offsets[j];
        const size = this.sizes[j];
        if (size === null) out[at] = v;
        else if (Number.isNaN(v)) continue;
        else if (Number.isInteger(v) && v >= 0 && v < size) out[at + v] = 1;
        else out[at + size] = 1;
      }
    }
    return { data: out, rows: x.rows, cols: w };
  }

  getState(): Json {
    return { sizes: [...this.sizes] };
  }

  /** Rebuilds an encoder from getState()'s JSON, for the same input columns (whose category lists may have grown since). */
  static restore(input: Columns | number, json: Json): OneHotEncoder {
    const s = parseState('one-hot', stateSchema, json);
    const columns = toColumns(input);
    checkSavedColumns('one-hot', { sizes: s.sizes }, columns.names.length);
    s.sizes.forEach((size, j) => {
      if (size !== null && !isCategorical(columns, j)) throw new Error(`one-hot: saved state encodes "${columns.names[j]}", which the schema does not list as categorical`);
      if (size !== null && size > columns.categories[j]!.length) throw new Error(`one-hot: saved state knows more categories of "${columns.names[j]}" than the schema`);
    });
    return new OneHotEncoder(columns, s.sizes);
  }
}
