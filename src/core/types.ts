/**
 * Row-major numeric data: `rows` rows of `cols` features each, row r at
 * data[r * cols .. r * cols + cols).
 */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** A batch of labelled rows; `y` holds class indices into Schema.classes. */
export interface Batch {
  readonly x: Matrix;
  readonly y: Int32Array;
}

/**
 * A batch of rows with numeric targets, for regressors: `y[r]` is row r's
 * target value (finite).
 */
export interface RegressionBatch {
  readonly x: Matrix;
  readonly y: Float64Array;
}

/**
 * What is learned from the label: a class (classification, the default) or
 * a number (regression).
 */
export type Task = 'classification' | 'regression';

/** One labelled row as it comes off a source, with where it came from. */
export interface Row {
  readonly x: Float64Array;
  /** The class index into Schema.classes, or for a regression schema the target value. */
  readonly y: number;
  /** 1-based line in the source file (or message number), for error messages. */
  readonly line: number;
}

/**
 * What the data looks like. Fixed when the stream starts and saved with the
 * model, except that `classes` may grow when a new label appears mid-stream.
 */
export interface Schema {
  readonly features: readonly string[];
  readonly label: string;
  /** The class labels in index order; empty for a regression schema. */
  readonly classes: string[];
  /** 'regression' when the label is a number to predict; absent: classification. */
  readonly task?: Task;
  /** Per feature, whether it is nominal (its values are category codes) rather than numeric. Absent: all numeric. */
  readonly nominal?: readonly boolean[];
  /**
   * Per feature, null if numeric, else the category names in code order (code
   * i is categories[j][i]); a list grows when a new category appears
   * mid-stream. When present, nominal[j] is categories[j] !== null. Nominal
   * features without names (synthetic streams' codes) leave it absent.
   */
  readonly categories?: readonly (string[] | null)[];
  /** Whether feature values may be missing (NaN in rows); csvSource sets it with missing: 'allow'. */
  readonly missing?: boolean;
}

export function matrix(data: Float64Array, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix: ${data.length} values do not make ${rows} x ${cols}`);
  }
  return { data, rows, cols };
}

/** Gathers the given rows of a matrix (and labels, class indices or targets) into a new batch. */
export function takeRows<B extends Batch | RegressionBatch>(batch: B, indices: ArrayLike<number>): B {
  const { cols } = batch.x;
  const data = new Float64Array(indices.length * cols);
  const y = batch.y instanceof Float64Array ? new Float64Array(indices.length) : new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    data.set(batch.x.data.subarray(r * cols, r * cols + cols), i * cols);
    y[i] = batch.y[r];
  }
  return { x: { data, rows: indices.length, cols }, y } as B;
}

/** Packs rows into one batch. */
export function rowsToBatch(rows: readonly Row[], cols: number): Batch {
  const data = new Float64Array(rows.length * cols);
  const y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    data.set(rows[i].x, i * cols);
    y[i] = rows[i].y;
  }
  return { x: { data, rows: rows.length, cols }, y };
}
