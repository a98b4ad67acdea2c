import type { Matrix, Schema } from '../core/types.js';
import type { Json } from '../core/state.js';
import type { Params } from '../learners/contract.js';

/**
 * The columns a preprocessing step reads or writes. Category lists are
 * shared with the schema (not copied), so categories that appear after the
 * step was made are visible to it; steps that fix a width at creation record
 * what they knew then in their state.
 */
export interface Columns {
  readonly names: readonly string[];
  /** Per column, whether it holds category codes rather than numbers. */
  readonly nominal: readonly boolean[];
  /** Per column, the category names in code order, or null (numeric, or codes without names). */
  readonly categories: readonly (readonly string[] | null)[];
}

/**
 * An online preprocessing step (River's `preprocessing` transformers,
 * scikit-learn's transformers made incremental): it learns from training rows
 * only, transforms any rows with what it has learned so far, and its learned
 * state is JSON. Missing values are NaN; a step that does not impute keeps
 * them NaN.
 *
 * Which columns are categorical: a column is categorical when it is nominal
 * and its categories are named (a CSV column read as categories). Nominal
 * codes without names, as synthetic streams give them, are numbers to the
 * encoder and the scalers, which is how the learners saw them before there
 * were steps; the imputers always treat nominal codes as categories.
 */
export interface Transformer {
  /** The registry name, e.g. "one-hot". */
  readonly name: string;
  /** Parameters, fixed at construction. */
  readonly params: Params;
  /** The columns transform() writes, in order; fixed when the step is made. */
  readonly output: Columns;
  /** Updates the learned statistics with training rows. */
  learn(x: Matrix): void;
  /** The rows as the step outputs them: rows x output.names.length. Never changes the input. */
  transform(x: Matrix): Matrix;
  /** The learned state, from which the step's static restore rebuilds it (with the same input and params). */
  getState(): Json;
}

/** The columns of a schema's features, as the first step sees them. */
export function schemaColumns(schema: Schema): Columns {
  const d = schema.features.length;
  return {
    names: schema.features,
    nominal: schema.nominal ?? new Array<boolean>(d).fill(false),
    categories: schema.categories ?? new Array<null>(d).fill(null),
  };
}

/** `d` unnamed numeric columns, for steps made from a feature count alone. */
export function numericColumns(d: number): Columns {
  return {
    names: Array.from({ length: d }, (_, j) => `x${j}`),
    nominal: new Array<boolean>(d).fill(false),
    categories: new Array<null>(d).fill(null),
  };
}

/** Columns from either a description or a feature count (all numeric). */
export function toColumns(input: Columns | number): Columns {
  return typeof input === 'number' ? numericColumns(input) : input;
}

/** Whether column j holds named categories: the encoder and the scalers leave everything else numeric. */
export function isCategorical(columns: Columns, j: number): boolean {
  return columns.nominal[j] === true && columns.categories[j] !== null && columns.categories[j] !== undefined;
}

/**
 * Fails unless each per-column array of a step's saved state has one value
 * per input column, naming the first field that does not: a model directory
 * may come from anyone, and a manifest whose features were edited would
 * otherwise pair statistics with the wrong columns.
 */
export function checkSavedColumns(step: string, fields: Readonly<Record<string, readonly unknown[] | undefined>>, d: number): void {
  for (const [field, values] of Object.entries(fields)) {
    if (values !== undefined && values.length !== d) throw new Error(`${step}: saved state's ${field} has ${values.length} values, but its input has ${d} columns`);
  }
}

/** Fails unless a matrix has the width a step reads. */
export function checkWidth(step: string, x: Matrix, width: number): void {
  if (x.cols !== width) throw new RangeError(`${step}: expected rows of ${width} values, got ${x.cols}`);
}

/**
 * For transformers that rescale numeric columns and pass categorical ones
 * through unchanged (still nominal): which columns they scale, and the
 * columns they output.
 */
export function scaledColumns(input: Columns | number): { scaled: boolean[]; output: Columns } {
  const columns = toColumns(input);
  const scaled = columns.names.map((_, j) => !isCategorical(columns, j));
  return {
    scaled,
    output: {
      names: columns.names,
      nominal: scaled.map((s) => !s),
      categories: scaled.map((s, j) => (s ? null : columns.categories[j])),
    },
  };
}
