import { parse, CsvError } from 'csv-parse';
import { fail, StreamlearnError } from '../core/errors.js';
import type { Row, Schema } from '../core/types.js';
import { displayName, featureCellParser, openInput, parseNumber, type FeatureReadOptions } from './input.js';

/** How many data rows `categorical: 'auto'` looks at to decide which columns are categorical. */
export const AUTO_CATEGORICAL_ROWS = 1000;

/** A bounded or unbounded stream of labelled rows with a schema. */
export interface Source {
  /** What the data is called in reports: a bundled data set's name or the file's base name. */
  readonly name: string;
  readonly schema: Schema;
  /** The rows, in source order. Single use: a second call fails. */
  rows(): AsyncIterable<Row>;
}

export interface CsvSourceOptions {
  /** The label column, by name. */
  label: string;
  /** Known class labels in their canonical order; labels not listed are added as they appear. */
  classes?: readonly string[];
  /** The name reports use; defaults to the file's base name without extensions. */
  name?: string;
  delimiter?: string;
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
}

interface CsvRecord {
  fields: string[];
  line: number;
}

interface CsvTable {
  header: string[];
  /** The data records after the header; fails when there are none. Closes the file when done or abandoned. */
  records(): AsyncGenerator<CsvRecord>;
  /** Closes the file without reading on. */
  close(): Promise<void>;
}

/**
 * Opens a CSV file (or `-` for stdin, or a .gz file) and reads its header row.
 * Records are parsed as a stream (csv-parse), so files larger than memory are fine.
 */
async function openCsv(path: string, delimiter = ','): Promise<CsvTable> {
  const name = displayName(path);
  const input = await openInput(path);
  const parser = input.pipe(
    parse({ delimiter, info: true, skip_empty_lines: true, trim: true, bom: true }),
  );
  // Errors of the byte stream (a corrupt gzip, say) surface through the parser.
  input.on('error', (err) => parser.destroy(err));
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{
    record: string[];
    info: { lines: number };
  }>;
  const next = async (): Promise<IteratorResult<CsvRecord>> => {
    try {
      const item = await iterator.next();
      if (item.done) return { done: true, value: undefined };
      return { done: false, value: { fields: item.value.record, line: item.value.info.lines } };
    } catch (err) {
      throw csvError(name, err);
    }
  };
  const first = await next();
  if (first.done) fail(`${name}: the file is empty (expected a header row)`);
  const header = first.value.fields.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((column, i) => {
    if (column === '') fail(`${name}: line ${first.value.line}: column ${i + 1} of the header has no name`);
    if (seen.has(column)) fail(`${name}: line ${first.value.line}: column "${column}" appears twice in the header`);
    seen.add(column);
  });
  const close = async (): Promise<void> => {
    parser.destroy();
    input.destroy();
  };
  return {
    header,
    close,
    async *records() {
      let count = 0;
      try {
        for (let item = await next(); !item.done; item = await next()) {
          count++;
          yield item.value;
        }
      } finally {
        await close();
      }
      if (count === 0) fail(`${name}: no data rows after the header`);
    },
  };
}

function csvError(name: string, err: unknown): Error {
  if (err instanceof CsvError) {
    const e = err as CsvError & { lines?: number; record?: unknown[] };
    if (e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
      const found = Array.isArray(e.record) ? e.record.length : '?';
      return new StreamlearnError(
        `${name}: line ${e.lines}: expected as many fields as the header, found ${found}`,
      );
    }
    return new StreamlearnError(`${name}: line ${e.lines ?? '?'}: ${e.message}`);
  }
  if (err instanceof Error && 'code' in err && (err as { code?: string }).code === 'Z_DATA_ERROR') {
    return new StreamlearnError(`${name}: not a valid gzip file (${err.message})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function baseName(path: string): string {
  if (path === '-') return 'stdin';
  const file = path.split(/[\\/]/).pop() ?? path;
  return file.replace(/\.gz$/, '').replace(/\.(csv|tsv|txt|jsonl|ndjson)$/i, '');
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
 * category list, which so grows mid-stream. Shared by csvSource and dataFrameSource.
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

/**
 * A labelled CSV source. Every column but the label is a feature: numeric
 * unless `categorical` says otherwise; a non-numeric cell in a numeric column
 * fails with the file, line and column, and so does an empty cell unless
 * `missing` is 'allow'.
 */
export async function csvSource(path: string, options: CsvSourceOptions): Promise<Source> {
  const name = displayName(path);
  const table = await openCsv(path, options.delimiter);
  const { header } = table;
  const labelIndex = header.indexOf(options.label);
  if (labelIndex < 0) {
    await table.close();
    fail(`${name}: no label column "${options.label}" (columns: ${header.join(', ')})`);
  }
  const featureIndex = header.map((_, i) => i).filter((i) => i !== labelIndex);
  if (featureIndex.length === 0) {
    await table.close();
    fail(`${name}: no feature columns besides the label "${options.label}"`);
  }
  const missing = options.missing ?? 'fail';
  if (missing !== 'fail' && missing !== 'allow') {
    await table.close();
    fail(`${name}: missing must be "fail" or "allow", got ${JSON.stringify(missing)}`);
  }
  const allowMissing = missing === 'allow';
  const records = table.records();
  // Rows read ahead to infer the column types; rows() yields them first.
  const prefix: CsvRecord[] = [];
  const auto = options.categorical === 'auto';
  let categorical: boolean[];
  if (options.categorical === 'auto') {
    while (prefix.length < AUTO_CATEGORICAL_ROWS) {
      const item = await records.next();
      if (item.done) break;
      prefix.push(item.value);
    }
    categorical = featureIndex.map((col) => prefix.some(({ fields }) => fields[col].trim() !== '' && !isNumeric(fields[col])));
  } else {
    const listed = options.categorical ?? [];
    const unknown = listed.filter((c) => !header.includes(c));
    if (unknown.length > 0) {
      await table.close();
      fail(`${name}: no column "${unknown[0]}" to read as categorical (columns: ${header.join(', ')})`);
    }
    categorical = featureIndex.map((col) => listed.includes(header[col]));
  }
  const categories = categorical.map((c) => (c ? ([] as string[]) : null));
  const schema: Schema = {
    features: featureIndex.map((i) => header[i]),
    label: options.label,
    classes: [...(options.classes ?? [])],
    // Absent when all numeric, so the schema of a numeric file is what it always was.
    ...(categorical.some(Boolean) ? { nominal: categorical, categories } : {}),
    ...(allowMissing ? { missing: true } : {}),
  };
  const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
  const coders = categories.map((list) => (list ? categoryCoder(list) : null));
  const d = featureIndex.length;

  const features = ({ fields, line }: CsvRecord): Float64Array => {
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const col = featureIndex[j];
      const cell = fields[col];
      const where = () => `${name}: line ${line}, column "${header[col]}"`;
      if (cell.trim() === '') {
        if (!allowMissing) fail(`${where()}: empty value (read empty cells as missing values with --missing allow)`);
        x[j] = NaN;
        continue;
      }
      const coder = coders[j];
      if (coder) {
        x[j] = coder(cell.trim());
      } else if (auto && !isNumeric(cell)) {
        fail(
          `${where()}: "${cell}" is not a number (the column was inferred numeric from the first ${AUTO_CATEGORICAL_ROWS} data rows; list it with --categorical to read it as categories)`,
        );
      } else {
        x[j] = parseNumber(cell, where);
      }
    }
    return x;
  };

  let used = false;
  return {
    name: options.name ?? baseName(path),
    schema,
    async *rows() {
      if (used) throw new Error(`${name}: rows() may be iterated only once`);
      used = true;
      async function* all(): AsyncGenerator<CsvRecord> {
        yield* prefix.splice(0);
        yield* records;
      }
      for await (const record of all()) {
        const x = features(record);
        const label = record.fields[labelIndex];
        if (label === '') fail(`${name}: line ${record.line}, column "${options.label}": empty label`);
        let y = classIndex.get(label);
        if (y === undefined) {
          y = schema.classes.length;
          schema.classes.push(label);
          classIndex.set(label, y);
        }
        yield { x, y, line: record.line };
      }
    },
  };
}

/** An unlabelled row for inference. */
export interface FeatureRow {
  readonly x: Float64Array;
  readonly line: number;
}

/** How csvFeatureRows reads a model's features: its categories, whether it imputes, and the delimiter. */
export interface CsvFeatureOptions extends FeatureReadOptions {
  readonly delimiter?: string;
}

/**
 * Reads the named feature columns from a CSV file for inference; other
 * columns (the label, ids) are ignored. A missing feature column fails at the
 * header. Categorical features map their strings to the model's codes (see
 * FeatureReadOptions); empty cells are NaN when `missing` is set, else fail.
 * The third argument may be the delimiter alone, as before options existed.
 */
export async function* csvFeatureRows(
  path: string,
  features: readonly string[],
  options: CsvFeatureOptions | string = {},
): AsyncGenerator<FeatureRow> {
  const opts: CsvFeatureOptions = typeof options === 'string' ? { delimiter: options } : options;
  const name = displayName(path);
  const table = await openCsv(path, opts.delimiter);
  const index = features.map((f) => table.header.indexOf(f));
  const missing = features.filter((_, j) => index[j] < 0);
  if (missing.length > 0) {
    await table.close();
    const what = missing.length === 1 ? 'column' : 'columns';
    fail(`${name}: missing feature ${what} ${missing.map((m) => `"${m}"`).join(', ')} that the model needs`);
  }
  const parse = featureCellParser(opts);
  for await (const { fields, line } of table.records()) {
    const x = new Float64Array(index.length);
    for (let j = 0; j < index.length; j++) {
      x[j] = parse(fields[index[j]], j, () => `${name}: line ${line}, column "${features[j]}"`);
    }
    yield { x, line };
  }
}
