import { parse, CsvError } from 'csv-parse';
import { fail, StreamlearnError } from '../core/errors.js';
import type { Row, Schema } from '../core/types.js';
import { displayName, openInput, parseNumber } from './input.js';

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
  /** Parses the given columns of a record as numbers, failing with file, line and column. */
  numbers(record: CsvRecord, columns: readonly number[]): Float64Array;
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
    numbers({ fields, line }, columns) {
      const x = new Float64Array(columns.length);
      for (let j = 0; j < columns.length; j++) {
        const col = columns[j];
        x[j] = parseNumber(fields[col], () => `${name}: line ${line}, column "${header[col]}"`);
      }
      return x;
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

/**
 * A labelled CSV source: every column but the label is a numeric feature.
 * A non-numeric cell fails with the file, line and column.
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
  const schema: Schema = {
    features: featureIndex.map((i) => header[i]),
    label: options.label,
    classes: [...(options.classes ?? [])],
  };
  const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
  let used = false;
  return {
    name: options.name ?? baseName(path),
    schema,
    async *rows() {
      if (used) throw new Error(`${name}: rows() may be iterated only once`);
      used = true;
      for await (const record of table.records()) {
        const x = table.numbers(record, featureIndex);
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

/**
 * Reads the named feature columns from a CSV file for inference; other
 * columns (the label, ids) are ignored. A missing feature column fails at the header.
 */
export async function* csvFeatureRows(
  path: string,
  features: readonly string[],
  delimiter?: string,
): AsyncGenerator<FeatureRow> {
  const name = displayName(path);
  const table = await openCsv(path, delimiter);
  const index = features.map((f) => table.header.indexOf(f));
  const missing = features.filter((_, j) => index[j] < 0);
  if (missing.length > 0) {
    await table.close();
    const what = missing.length === 1 ? 'column' : 'columns';
    fail(`${name}: missing feature ${what} ${missing.map((m) => `"${m}"`).join(', ')} that the model needs`);
  }
  for await (const record of table.records()) yield { x: table.numbers(record, index), line: record.line };
}
