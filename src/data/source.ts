import { fail, StreamlearnError } from '../core/errors.js';
import type { Row, Schema, Task } from '../core/types.js';
import type { ReadyRows } from '../stream/batch.js';
import { clip, describeValue, parseNumber } from './cells.js';
import { resolveMaxLineBytes, type LineLimit } from './line-limit.js';

/** How many data rows `categorical: 'auto'` looks at to decide which columns are categorical. */
export const AUTO_CATEGORICAL_ROWS = 1000;

/** A bounded or unbounded stream of labelled rows with a schema. */
export interface Source {
  /** What the data is called in reports: a bundled data set's name or the file's base name. */
  readonly name: string;
  readonly schema: Schema;
  /** The rows, in source order. Single use: a second call fails. */
  rows(): AsyncIterable<Row>;
  /**
   * Bad rows left out so far (a file read with onBadRow 'skip'): final once
   * rows() is done. Absent for sources that never leave a row out.
   */
  readonly skipped?: number;
}

/** What a file source does with a bad row: fail naming the file, line and column (the default), or skip it and count it. */
export type BadRowPolicy = 'fail' | 'skip';
export const badRowPolicies: readonly BadRowPolicy[] = ['fail', 'skip'];

/** A bad row left out, and the message it would have failed with. */
export interface SkippedRow {
  readonly line: number;
  readonly message: string;
}

/** What a labelled file source (CSV or JSON lines) reads, and how. */
export interface FileSourceOptions extends LineLimit {
  /** The label column (a JSON lines field), by name. */
  label: string;
  /** Known class labels in their canonical order; labels not listed are added as they appear. */
  classes?: readonly string[];
  /**
   * 'regression': the label is a number to predict (each label cell must be
   * a finite number, or the row is bad, naming the file, line and column),
   * and the schema lists no classes. Default: classification.
   */
  task?: Task;
  /** The name reports use; defaults to the file's base name without extensions. */
  name?: string;
  /**
   * The feature columns, in this order; default: every column but the label
   * (for JSON lines, the first line's fields). A name that is not a column fails.
   */
  features?: readonly string[];
  /** Columns left out of the features (with the label); not with `features`. */
  exclude?: readonly string[];
  /**
   * Feature columns read as categories rather than numbers: each distinct
   * string gets a code, in order of first appearance, and a category first
   * seen mid-stream gets the next code (the schema's category list grows).
   * 'auto': a column is categorical when a non-numeric value appears in it in
   * the first 1,000 data rows (AUTO_CATEGORICAL_ROWS), else numeric; a
   * non-numeric value later in a numeric column is still an error naming the
   * file, line and column. Default: none (every feature numeric).
   */
  categorical?: readonly string[] | 'auto';
  /**
   * 'fail' (the default): an empty feature cell fails naming the file, line
   * and column. 'allow': it is a missing value, NaN in the row, and the
   * schema says so (`missing: true`), which puts an imputer in a model's
   * default preprocessing. An empty label always fails.
   */
  missing?: 'fail' | 'allow';
  /**
   * A bad row: one with the wrong number of fields, a value that is not a
   * number in a numeric column, an empty value (unless missing values are
   * allowed) or an empty label; for JSON lines also a line that is not a
   * JSON object or lacks a field. 'fail' (the default) stops with its
   * message; 'skip' leaves it out, unlearned, and counts it (Source.skipped).
   * A file that cannot be parsed on (a quote never closed) fails either way.
   */
  onBadRow?: BadRowPolicy;
  /** Called for each bad row left out with onBadRow 'skip'. */
  onSkip?: (row: SkippedRow) => void;
}

// Exact powers of ten: every one up to 1e22 is a double without rounding.
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * +text, faster for the plain decimals that fill numeric CSV files: an
 * optional sign, digits and an optional fraction, 15 significant digits at
 * most. Such a text's digits make an integer m below 2^53 and its fraction
 * f digits, so m and 10^f are exact doubles and m / 10^f, one correctly
 * rounded division, is the double nearest the decimal: what +text gives
 * (Clinger 1990, "How to read floating point numbers accurately", the fast
 * path). Anything else (spaces, exponents, more digits, hexadecimal,
 * Infinity) goes to +text itself.
 */
export function decimal(text: string): number {
  const n = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i = 1;
  }
  let m = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      m = m * 10 + c;
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === -2 /* . */ && fraction < 0) fraction = 0;
    else return +text;
  }
  if (digits === 0 || digits > 15) return +text;
  const v = fraction > 0 ? m / POWERS_OF_TEN[fraction] : m;
  return negative ? -v : v;
}

/** Whether a trimmed, non-empty cell reads as a finite number (what parseNumber accepts). */
export function isNumeric(cell: string): boolean {
  const text = cell.trim();
  return text !== '' && Number.isFinite(Number(text));
}

/**
 * The category coding of a source's categorical feature: each distinct
 * category gets a code in order of first appearance (the names already in
 * `list` keep theirs), and a new one is appended to `list`, the schema's
 * category list, which so grows mid-stream. Shared by the file sources and dataFrameSource.
 */
export function categoryCoder(list: string[]): (category: string) => number {
  const codes = new Map(list.map((name, code) => [name, code]));
  return (category) => {
    let code = codes.get(category);
    if (code === undefined) {
      code = codes.size;
      codes.set(category, code);
      list.push(category);
    }
    return code;
  };
}

/** Checks a file source's options before the file is opened; failures name the flag. */
export function checkFileOptions(options: FileSourceOptions): void {
  const { missing = 'fail', onBadRow = 'fail', features, exclude } = options;
  if (missing !== 'fail' && missing !== 'allow') fail(`--missing must be fail or allow, got ${JSON.stringify(missing)}`);
  if (!badRowPolicies.includes(onBadRow)) fail(`--on-bad-row must be fail or skip, got ${JSON.stringify(onBadRow)}`);
  resolveMaxLineBytes(options.maxLineBytes);
  if (features !== undefined && exclude !== undefined) fail('--features and --exclude: give one or the other, not both');
  if (features !== undefined && features.length === 0) fail('--features names no columns');
  for (const [flag, list] of [['--features', features], ['--exclude', exclude]] as const) {
    const twice = list?.find((c, i) => list.indexOf(c) !== i);
    if (twice !== undefined) fail(`${flag} names "${twice}" twice`);
  }
}

/** Records of a file, batch by batch: each record's cells in header order, with the line it ends on. */
export interface RecordBatch {
  /** A record's cells; or a string: why the line is no record at all (JSON lines: not an object). */
  readonly records: readonly (readonly unknown[] | string)[];
  readonly lines: readonly number[];
}

/** A file opened for a source: its column names and its records. */
export interface RecordTable {
  /** The column names: a CSV file's header, a JSON lines file's first object's keys. */
  readonly header: readonly string[];
  /** The records, in file order. Closes the file when done or abandoned. */
  batches(): AsyncGenerator<RecordBatch>;
  /** Closes the file without reading on. */
  close(): Promise<void>;
}

/** How a file's parts are named in messages. */
export interface TableTerms {
  /** The file as messages name it (`<stdin>` for `-`). */
  readonly file: string;
  /** What the source is called in reports. */
  readonly name: string;
  /** 'column' (CSV) or 'field' (JSON lines). */
  readonly unit: 'column' | 'field';
  /** What the list of column names is called in messages: 'columns', or "the first line's fields". */
  readonly listed: string;
  /** Said after an empty (or null) feature value that missing values are not allowed. */
  readonly missingHint: string;
}

type Cell = unknown;

/** Whether a cell is a missing value: null, or a blank string. */
function isMissingValue(cell: Cell): boolean {
  return cell === null || (typeof cell === 'string' && cell.trim() === '');
}

/** Whether a cell reads as a number: a finite number, or a string that parses as one. */
function isNumericCell(cell: Cell): boolean {
  return typeof cell === 'number' ? Number.isFinite(cell) : typeof cell === 'string' && isNumeric(cell);
}

/**
 * A labelled source over a file's records: CSV (csvSource) and JSON lines
 * (jsonlSource) share it, so both read features, categories, missing values
 * and labels alike and fail (or skip) bad rows with the same messages.
 */
export async function tableSource(table: RecordTable, terms: TableTerms, options: FileSourceOptions): Promise<Source> {
  const { file, unit } = terms;
  const header = table.header;
  const columns = `(${terms.listed}: ${header.join(', ')})`;
  const refuse = async (message: string): Promise<never> => {
    await table.close();
    fail(message);
  };
  try {
    checkFileOptions(options);
  } catch (err) {
    await table.close();
    throw err;
  }
  const labelIndex = header.indexOf(options.label);
  if (labelIndex < 0) await refuse(`${file}: no label ${unit} "${options.label}" ${columns}`);
  let featureIndex: number[];
  if (options.features !== undefined) {
    featureIndex = [];
    for (const f of options.features) {
      const i = header.indexOf(f);
      if (i < 0) await refuse(`${file}: --features names "${f}", which is not a ${unit} ${columns}`);
      if (i === labelIndex) await refuse(`${file}: --features names "${f}", the label ${unit}; the label cannot be a feature`);
      featureIndex.push(i);
    }
  } else {
    for (const e of options.exclude ?? []) {
      if (!header.includes(e)) await refuse(`${file}: --exclude names "${e}", which is not a ${unit} ${columns}`);
    }
    const excluded = new Set(options.exclude ?? []);
    featureIndex = header.map((_, i) => i).filter((i) => i !== labelIndex && !excluded.has(header[i]));
    if (featureIndex.length === 0) {
      await refuse(
        excluded.size > 0
          ? `${file}: --exclude leaves no feature ${unit}s besides the label "${options.label}"`
          : `${file}: no feature ${unit}s besides the label "${options.label}"`,
      );
    }
  }
  const allowMissing = options.missing === 'allow';
  const regression = options.task === 'regression';
  const skip = options.onBadRow === 'skip';
  const onSkip = options.onSkip;
  const width = header.length;
  const batches = table.batches();

  // Batches read ahead to infer the column types; rows() yields them first.
  const prefix: RecordBatch[] = [];
  const auto = options.categorical === 'auto';
  let categorical: boolean[];
  if (options.categorical === 'auto') {
    categorical = featureIndex.map(() => false);
    let seen = 0;
    while (seen < AUTO_CATEGORICAL_ROWS) {
      const item = await batches.next();
      if (item.done) break;
      prefix.push(item.value);
      const { records } = item.value;
      for (let r = 0; r < records.length && seen < AUTO_CATEGORICAL_ROWS; r++, seen++) {
        const record = records[r];
        // A record that is no row at all (the wrong length, not an object) says nothing of the column types.
        if (typeof record === 'string' || record.length !== width) continue;
        featureIndex.forEach((col, j) => {
          const cell = record[col];
          if (!categorical[j] && cell !== undefined && !isMissingValue(cell) && !isNumericCell(cell)) categorical[j] = true;
        });
      }
    }
  } else {
    const listed = options.categorical ?? [];
    const unknown = listed.filter((c) => !header.includes(c));
    if (unknown.length > 0) {
      await batches.return(undefined);
      await refuse(`${file}: no ${unit} "${unknown[0]}" to read as categorical ${columns}`);
    }
    categorical = featureIndex.map((col) => listed.includes(header[col]));
  }
  const categories = categorical.map((c) => (c ? ([] as string[]) : null));
  const schema: Schema = {
    features: featureIndex.map((i) => header[i]),
    label: options.label,
    classes: [...(options.classes ?? [])],
    ...(regression ? { task: 'regression' as const } : {}),
    // Absent when all numeric, so the schema of a numeric file is what it always was.
    ...(categorical.some(Boolean) ? { nominal: categorical, categories } : {}),
    ...(allowMissing ? { missing: true } : {}),
  };
  const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
  if (regression && (options.classes?.length ?? 0) > 0) await refuse(`${file}: a regression label has no classes; give --classes to a classifier only`);
  /** A regression row's target: a finite number, or a failure naming the file, line and column. */
  const targetOf = (raw: Cell, line: number): number => {
    if (typeof raw === 'number' && raw - raw === 0) return raw;
    if (raw === undefined) fail(`${file}: line ${line}: no ${unit} "${options.label}"`);
    const where = () => `${file}: line ${line}, ${unit} "${options.label}"`;
    if (isMissingValue(raw)) fail(`${where()}: empty target (a regressor learns a number for every row)`);
    if (typeof raw === 'string' && !isNumeric(raw)) fail(`${where()}: "${clip(raw)}" is not a number (a regressor learns a numeric label)`);
    return parseNumber(raw, where);
  };
  const coders = categories.map((list) => (list ? categoryCoder(list) : null));
  const anyCategorical = coders.some((c) => c !== null);
  const d = featureIndex.length;
  const labelName = options.label;

  /** A feature cell that is not a plain number: a missing value, a category, or an error naming the place. */
  const slowCell = (cell: Cell, j: number, line: number, pending: (string | null)[]): number => {
    const column = header[featureIndex[j]];
    const where = () => `${file}: line ${line}, ${unit} "${column}"`;
    if (cell === undefined) fail(`${file}: line ${line}: no ${unit} "${column}"`);
    if (isMissingValue(cell)) {
      if (!allowMissing) fail(`${where()}: ${cell === null ? 'null' : 'empty value'} ${terms.missingHint}`);
      return NaN;
    }
    if (coders[j]) {
      if (typeof cell !== 'string' && typeof cell !== 'number' && typeof cell !== 'boolean') {
        fail(`${where()}: expected a category (a string or a number), got ${describeValue(cell)}`);
      }
      // Coded once the whole row is known to be good, so a skipped row adds no category.
      pending[j] = String(cell).trim();
      return NaN;
    }
    if (auto && typeof cell === 'string' && !isNumeric(cell)) {
      fail(
        `${where()}: "${clip(cell)}" is not a number (the column was inferred numeric from the first ${AUTO_CATEGORICAL_ROWS} data rows; list it with --categorical to read it as categories)`,
      );
    }
    return parseNumber(cell, where);
  };

  const pending: (string | null)[] = featureIndex.map(() => null);
  // The last label read and its class (see toRow).
  let lastLabel: string | null = null;
  let lastClass = -1;
  /** One record as a row, or a failure naming the file, line and column. */
  const toRow = (record: readonly Cell[] | string, line: number): Row => {
    if (typeof record === 'string') fail(`${file}: line ${line}: ${record}`);
    if (record.length !== width) fail(`${file}: line ${line}: expected as many fields as the header, found ${record.length}`);
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const cell = record[featureIndex[j]];
      if (typeof cell === 'string' && cell.length > 0 && coders[j] === null) {
        // The common case: a number, not zero (a blank string also reads as 0).
        const v = decimal(cell);
        if (v - v === 0 && v !== 0) {
          x[j] = v;
          continue;
        }
      } else if (typeof cell === 'number' && coders[j] === null && cell - cell === 0) {
        x[j] = cell;
        continue;
      }
      x[j] = slowCell(cell, j, line, pending);
    }
    const raw = record[labelIndex];
    // A regression target, or the class label: checked before the row's new categories are coded.
    const target = regression ? targetOf(raw, line) : NaN;
    let label = '';
    if (regression) {
      // No class label to read.
    } else if (typeof raw === 'string') label = raw;
    else if (typeof raw === 'number' || typeof raw === 'boolean') label = String(raw);
    else if (raw === undefined) fail(`${file}: line ${line}: no ${unit} "${labelName}"`);
    else if (raw === null) label = '';
    else fail(`${file}: line ${line}, ${unit} "${labelName}": expected a label (a string or a number), got ${describeValue(raw)}`);
    if (!regression && label === '') fail(`${file}: line ${line}, ${unit} "${labelName}": empty label`);
    if (anyCategorical) {
      for (let j = 0; j < d; j++) {
        const category = pending[j];
        if (category !== null) {
          x[j] = coders[j]!(category);
          pending[j] = null;
        }
      }
    }
    if (regression) return { x, y: target, line };
    // Rows of one class often come in runs: comparing with the last label spares hashing a new string.
    if (label === lastLabel) return { x, y: lastClass, line };
    let y = classIndex.get(label);
    if (y === undefined) {
      y = schema.classes.length;
      schema.classes.push(label);
      classIndex.set(label, y);
    }
    lastLabel = label;
    lastClass = y;
    return { x, y, line };
  };

  let skipped = 0;
  /** A batch of records as rows, bad ones failing or skipped. */
  const toRows = ({ records, lines }: RecordBatch): Row[] => {
    const out: Row[] = [];
    for (let r = 0; r < records.length; r++) {
      try {
        out.push(toRow(records[r], lines[r]));
      } catch (err) {
        if (!(skip && err instanceof StreamlearnError)) throw err;
        pending.fill(null);
        skipped++;
        onSkip?.({ line: lines[r], message: err.message });
      }
    }
    return out;
  };
  async function* all(): AsyncGenerator<RecordBatch> {
    yield* prefix.splice(0);
    yield* batches;
  }
  let used = false;
  return {
    name: options.name ?? terms.name,
    schema,
    get skipped() {
      return skipped;
    },
    rows() {
      return {
        [Symbol.asyncIterator]() {
          if (used) throw new Error(`${file}: rows() may be iterated only once`);
          used = true;
          return new RowIterator(all(), toRows);
        },
      };
    },
  };
}

/**
 * Rows of a file, a batch of records at a time: each batch is converted in
 * one go, and its rows are handed out from an array, which costs far less
 * per row than an async generator's yield. The next batch is read only when
 * the last row of this one has been taken, so the file is not read ahead of
 * the consumer by more than a batch (one chunk of the file) and what the
 * byte stream buffers.
 */
class RowIterator implements AsyncIterableIterator<Row>, ReadyRows {
  private rows: Row[] = [];
  private at = 0;
  private done = false;
  private pending: Promise<IteratorResult<Row>> | null = null;

  constructor(
    private readonly batches: AsyncGenerator<RecordBatch>,
    private readonly toRows: (batch: RecordBatch) => Row[],
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Row>> {
    if (this.at < this.rows.length) return Promise.resolve({ value: this.rows[this.at++], done: false });
    if (this.pending) return this.pending.then(() => this.next());
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    this.pending = this.refill().finally(() => (this.pending = null));
    return this.pending;
  }

  /** The converted rows of the current batch that are not taken yet, without a promise each (see ReadyRows). */
  takeReady(out: Row[], max: number): number {
    if (this.pending) return 0;
    const end = Math.min(this.rows.length, this.at + max);
    const n = end - this.at;
    while (this.at < end) out.push(this.rows[this.at++]);
    return n;
  }

  private async refill(): Promise<IteratorResult<Row>> {
    try {
      for (;;) {
        const item = await this.batches.next();
        if (item.done) {
          this.done = true;
          return { value: undefined, done: true };
        }
        this.rows = this.toRows(item.value);
        this.at = 0;
        if (this.rows.length > 0) return { value: this.rows[this.at++], done: false };
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async close(): Promise<void> {
    this.done = true;
    this.rows = [];
    this.at = 0;
    await this.batches.return(undefined);
  }

  async return(): Promise<IteratorResult<Row>> {
    await this.close();
    return { value: undefined, done: true };
  }
}
