/**
 * DataFrame in and out, through danfojs-node (an optional peer dependency).
 *
 * Types: nothing here names danfojs-node's own types. DataFrameLike is a small
 * structural interface of the DataFrame members used, so this file (and the
 * declarations built from it) compiles for users who have not installed
 * danfojs-node, and any danfo DataFrame is assignable to it.
 *
 * Laziness: dataFrameSource only reads the frame it is given and never loads
 * danfojs-node; reportToDataFrame loads it with a dynamic import() on its
 * first call. Nothing is imported at module load, so importing streamlearn
 * does not pay danfo's import time (over a second).
 */
import { fail } from '../core/errors.js';
import type { Row, Schema, Task } from '../core/types.js';
import type { BatchResult } from '../eval/batch-split.js';
import type { CurvePoint } from '../eval/prequential.js';
import type { Protocol } from '../eval/report.js';
import { categoryCoder, isNumeric, type Source } from '../node/files/csv.js';
import { isErrno } from '../node/files/input.js';
import { parseNumber } from '../data/cells.js';

/**
 * The members of a danfo DataFrame (danfojs-node 1.1.2) that streamlearn
 * uses; a danfo DataFrame is one. The functions here return real danfo
 * DataFrames typed as this: with danfojs-node installed, `as DataFrame`
 * (`import type { DataFrame } from 'danfojs-node'`) gives the full type.
 */
export interface DataFrameLike {
  readonly columns: readonly string[];
  /** [rows, columns]. */
  readonly shape: readonly number[];
  /** The row labels (0, 1, ... unless set). */
  readonly index: readonly (string | number)[];
  /** One column as a Series; its `values` is the frame's own array for the column, not a copy. */
  column(name: string): { readonly values: readonly unknown[] };
}

export interface DataFrameSourceOptions {
  /** The label column, by name; its values, as strings, are the class names. */
  label: string;
  /** The feature columns, in order. Default: every column but the label, in the frame's order. */
  features?: readonly string[];
  /** Known class labels in their canonical order; labels not listed are added as they appear. */
  classes?: readonly string[];
  /** 'regression': the label column holds the numbers to predict (each a finite number, or the row fails naming it). Default: classification. */
  task?: Task;
  /**
   * Feature columns read as categories rather than numbers (coded as
   * csvSource codes them: in order of first appearance, the schema's list
   * growing mid-stream). 'auto': a column is categorical when it holds a
   * string that is neither blank nor a number, looking at the whole column
   * (it is in memory), not only its first rows as for a CSV file. Default:
   * none (every feature numeric).
   */
  categorical?: readonly string[] | 'auto';
  /**
   * 'fail' (the default): a missing feature value (null, undefined, NaN or a
   * blank string) fails naming the row and column. 'allow': it is NaN in the
   * row and the schema says so (`missing: true`), as for csvSource. A missing
   * label always fails.
   */
  missing?: 'fail' | 'allow';
  /** The name reports and messages use; default "dataframe". */
  name?: string;
}

const DEFAULT_NAME = 'dataframe';

/** Whether a cell is a missing value: null, undefined, NaN or a blank string. */
function isMissing(cell: unknown): boolean {
  return cell === null || cell === undefined || (typeof cell === 'number' && Number.isNaN(cell)) || (typeof cell === 'string' && cell.trim() === '');
}

/** A value for a message, on one line. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return `a Date (${String(value)})`;
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    // Cyclic or otherwise unprintable: say what it is instead.
  }
  return typeof value === 'object' ? 'an object' : String(value);
}

function describeMissing(cell: unknown): string {
  return typeof cell === 'string' ? 'empty value' : `missing value (${String(cell)})`;
}

/** A column holds a category when it has a string that is neither blank nor numeric (the CSV reader's rule). */
function holdsCategory(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const cell = values[i];
    if (typeof cell === 'string' && cell.trim() !== '' && !isNumeric(cell)) return true;
  }
  return false;
}

function isDataFrameLike(df: unknown): df is DataFrameLike {
  const d = df as Partial<DataFrameLike> | null;
  return typeof d === 'object' && d !== null && Array.isArray(d.columns) && typeof d.column === 'function';
}

/**
 * A labelled source over a danfo DataFrame, with the same contract as
 * csvSource: the schema is known when the promise resolves, and rows() (single
 * use) yields the rows in frame order. Rows are made lazily, one at a time,
 * from the frame's column arrays; the frame is neither copied nor converted.
 *
 * Numeric features take numbers (booleans are 1 and 0, numeric strings are
 * parsed); categorical ones take strings (numbers and booleans by their
 * string). A bad value fails with one line naming the row (its 0-based
 * position, and its index label when that differs) and the column, e.g.
 * `dataframe: row 7, column "petal_width_cm": "abc" is not a number`.
 * Row.line is the 1-based row number. danfojs-node is not loaded.
 */
export async function dataFrameSource(df: DataFrameLike, options: DataFrameSourceOptions): Promise<Source> {
  const name = options.name ?? DEFAULT_NAME;
  if (!isDataFrameLike(df)) fail(`${name}: expected a danfo DataFrame (with columns and column()), got ${df === null ? 'null' : typeof df}`);
  const columns = [...df.columns];
  const label = options.label;
  if (!columns.includes(label)) fail(`${name}: no label column "${label}" (columns: ${columns.join(', ')})`);
  const features = options.features ? [...options.features] : columns.filter((c) => c !== label);
  for (const [j, f] of features.entries()) {
    if (!columns.includes(f)) fail(`${name}: no feature column "${f}" (columns: ${columns.join(', ')})`);
    if (f === label) fail(`${name}: the label column "${label}" cannot also be a feature`);
    if (features.indexOf(f) !== j) fail(`${name}: feature column "${f}" is listed twice`);
  }
  if (features.length === 0) fail(`${name}: no feature columns besides the label "${label}"`);
  const missing = options.missing ?? 'fail';
  if (missing !== 'fail' && missing !== 'allow') fail(`${name}: missing must be "fail" or "allow", got ${JSON.stringify(missing)}`);
  const allowMissing = missing === 'allow';

  // The frame's own column arrays (danfo's Series.values), read in place.
  const labels = df.column(label).values;
  const values = features.map((f) => df.column(f).values);
  const n = labels.length;
  if (n === 0) fail(`${name}: the DataFrame has no rows`);

  let categorical: boolean[];
  if (options.categorical === 'auto') {
    categorical = values.map(holdsCategory);
  } else {
    const listed = options.categorical ?? [];
    if (!Array.isArray(listed)) fail(`${name}: categorical must be a list of column names or "auto", got ${JSON.stringify(listed)}`);
    const unknown = listed.find((c) => !features.includes(c));
    if (unknown !== undefined) fail(`${name}: no feature column "${unknown}" to read as categorical (features: ${features.join(', ')})`);
    categorical = features.map((f) => listed.includes(f));
  }
  const categories = categorical.map((c) => (c ? ([] as string[]) : null));
  const schema: Schema = {
    features,
    label,
    classes: [...(options.classes ?? [])],
    ...(options.task === 'regression' ? { task: 'regression' as const } : {}),
    // Absent when all numeric, as csvSource does.
    ...(categorical.some(Boolean) ? { nominal: categorical, categories } : {}),
    ...(allowMissing ? { missing: true } : {}),
  };
  const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
  const regression = options.task === 'regression';
  if (regression && schema.classes.length > 0) fail(`${name}: a regression label has no classes; give classes to a classifier only`);
  const coders = categories.map((list) => (list ? categoryCoder(list) : null));
  const d = features.length;

  /** Where row i is, for messages: its position, and its index label when that differs. */
  const row = (i: number): string => {
    const at = Array.isArray(df.index) ? df.index[i] : undefined;
    return at === undefined || at === i ? `row ${i}` : `row ${i} (index ${JSON.stringify(at)})`;
  };

  const featuresOf = (i: number): Float64Array => {
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const cell = values[j][i];
      const where = () => `${name}: ${row(i)}, column "${features[j]}"`;
      if (isMissing(cell)) {
        if (!allowMissing) fail(`${where()}: ${describeMissing(cell)} (read missing values as NaN with missing: 'allow')`);
        x[j] = NaN;
        continue;
      }
      const coder = coders[j];
      if (coder) {
        if (typeof cell !== 'string' && typeof cell !== 'number' && typeof cell !== 'boolean' && typeof cell !== 'bigint') {
          fail(`${where()}: expected a category (a string), got ${show(cell)}`);
        }
        x[j] = coder(String(cell).trim());
      } else if (typeof cell === 'boolean') {
        x[j] = cell ? 1 : 0;
      } else if (typeof cell === 'bigint') {
        x[j] = Number(cell);
      } else if (typeof cell === 'object' || typeof cell === 'function' || typeof cell === 'symbol') {
        fail(`${where()}: expected a number, got ${show(cell)}`);
      } else {
        x[j] = parseNumber(cell, where);
      }
    }
    return x;
  };

  let used = false;
  return {
    name,
    schema,
    async *rows(): AsyncGenerator<Row> {
      if (used) throw new Error(`${name}: rows() may be iterated only once`);
      used = true;
      for (let i = 0; i < n; i++) {
        const x = featuresOf(i);
        const cell = labels[i];
        if (isMissing(cell)) fail(`${name}: ${row(i)}, column "${label}": empty label (${describeMissing(cell)})`);
        if (regression) {
          yield { x, y: typeof cell === 'number' && Number.isFinite(cell) ? cell : parseNumber(cell, () => `${name}: ${row(i)}, column "${label}"`), line: i + 1 };
          continue;
        }
        const className = String(cell);
        let y = classIndex.get(className);
        if (y === undefined) {
          y = schema.classes.length;
          schema.classes.push(className);
          classIndex.set(className, y);
        }
        yield { x, y, line: i + 1 };
      }
    },
  };
}

/** What `new DataFrame(...)` of danfojs-node takes, as used here. */
interface DanfoModule {
  DataFrame: new (
    data: Record<string, readonly unknown[]> | readonly unknown[][],
    options?: { columns?: string[]; dtypes?: string[]; index?: (string | number)[] },
  ) => DataFrameLike;
}

const DANFO = 'danfojs-node';
/**
 * danfojs-node 1.1.2 depends on @tensorflow/tfjs-node (native, and it fails
 * to build on many machines) but loads @tensorflow/tfjs: the override puts a
 * plain-JavaScript package in the native one's place.
 */
export const DANFO_INSTALL =
  'add "overrides": {"danfojs-node": {"@tensorflow/tfjs-node": "npm:@tensorflow/tfjs-core@4.22.0"}} to package.json, then npm install danfojs-node@1.1.2 @tensorflow/tfjs@4.22.0';
const DANFO_MISSING = `DataFrame support needs danfojs-node: ${DANFO_INSTALL}`;
let danfo: Promise<DanfoModule> | undefined;

/** Loads danfojs-node once, on first use; a one-line error when it is not installed. */
function loadDanfo(): Promise<DanfoModule> {
  danfo ??= (async () => {
    let mod: Partial<DanfoModule> & { default?: Partial<DanfoModule> };
    try {
      // A variable, not a literal: TypeScript then neither resolves nor requires the package's types.
      const specifier: string = DANFO;
      mod = (await import(specifier)) as typeof mod;
    } catch (err) {
      danfo = undefined;
      const message = err instanceof Error ? err.message : String(err);
      if ((isErrno(err, 'ERR_MODULE_NOT_FOUND') || isErrno(err, 'MODULE_NOT_FOUND')) && message.includes(`'${DANFO}'`)) fail(DANFO_MISSING);
      fail(`danfojs-node is installed but failed to load: ${message.split('\n')[0]}`);
    }
    const DataFrame = mod.DataFrame ?? mod.default?.DataFrame;
    if (typeof DataFrame !== 'function') fail(`danfojs-node loaded, but has no DataFrame (${DANFO_MISSING})`);
    return { DataFrame };
  })();
  return danfo;
}

/** The columns of reportToDataFrame's frame of batches, in order, and their danfo dtypes. */
const REPORT_COLUMNS = ['batch', 'trainRows', 'testRows', 'accuracy', 'stratified'] as const;
const REPORT_DTYPES = ['int32', 'int32', 'int32', 'float32', 'boolean'];

/** What reportToDataFrame reads of a report: a TrainReport is one. */
export interface ReportLike {
  /** Batch-split's per-batch results (empty for the other protocols). */
  readonly batches: readonly BatchResult[];
  /** Prequential's and holdout's learning curve (empty for batch-split). */
  readonly curve?: readonly CurvePoint[];
  readonly protocol?: Protocol;
}

/**
 * A training report as a danfo DataFrame, one row per point of what the
 * protocol measured as it went.
 *
 * Batch-split: one row per batch, with `batch` (the batch's index, also the
 * frame's row index), `trainRows`, `testRows`, `accuracy` (NaN for a
 * one-row batch, which was learned, not scored; null in the report) and
 * `stratified`. The batch index is the column `batch`, not `index`: a danfo
 * column named "index" hides the frame's own `index` and breaks print().
 *
 * Prequential and holdout: the learning curve, one row per point: `row`
 * (rows seen so far, also the frame's row index) and `accuracy` (over every
 * row so far for prequential; on the held-out rows for holdout), then
 * `windowAccuracy` and `fadingAccuracy` when the run asked for them. A run
 * too short for a point gives a frame of 0 rows with the same columns.
 *
 * Loads danfojs-node on first use, and fails with one line when it is not
 * installed.
 */
export async function reportToDataFrame(report: ReportLike): Promise<DataFrameLike> {
  const { DataFrame } = await loadDanfo();
  const curve = report.curve ?? [];
  const byCurve = report.protocol !== undefined ? report.protocol !== 'batch-split' : report.batches.length === 0 && curve.length > 0;
  if (byCurve) {
    const optional = (['windowAccuracy', 'fadingAccuracy'] as const).filter((k) => curve.some((p) => p[k] !== undefined));
    const columns = ['row', 'accuracy', ...optional];
    const dtypes = ['int32', ...columns.slice(1).map(() => 'float32')];
    if (curve.length === 0) return new DataFrame([], { columns, dtypes });
    const data: Record<string, number[]> = { row: curve.map((p) => p.row), accuracy: curve.map((p) => p.accuracy) };
    for (const k of optional) data[k] = curve.map((p) => p[k] ?? NaN);
    return new DataFrame(data, { columns, dtypes, index: curve.map((p) => p.row) });
  }
  const batches = report.batches;
  const columns = [...REPORT_COLUMNS];
  if (batches.length === 0) return new DataFrame([], { columns, dtypes: REPORT_DTYPES });
  return new DataFrame(
    {
      batch: batches.map((b) => b.index),
      trainRows: batches.map((b) => b.trainRows),
      testRows: batches.map((b) => b.testRows),
      accuracy: batches.map((b) => b.accuracy ?? NaN),
      stratified: batches.map((b) => b.stratified),
    },
    { columns, dtypes: REPORT_DTYPES, index: batches.map((b) => b.index) },
  );
}
