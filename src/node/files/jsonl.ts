import type { Readable } from 'node:stream';
import { fail } from '../../core/errors.js';
import { baseName, type FeatureRow } from './csv.js';
import { displayName, lineBatches, openInput } from './input.js';
import { featureCellParser, type FeatureReadOptions } from '../../data/cells.js';
import { type LineLimit } from '../../data/line-limit.js';
import { checkFileOptions, tableSource, type FileSourceOptions, type RecordBatch, type RecordTable, type Source } from '../../data/source.js';

/** Options of a JSON lines source: those of every file source (see FileSourceOptions). */
export type JsonlSourceOptions = FileSourceOptions;

/** Whether a file's name says JSON lines: .jsonl or .ndjson, optionally .gz. */
export function isJsonlPath(path: string): boolean {
  return /\.(jsonl|ndjson)(\.gz)?$/i.test(path);
}

/** One line as a JSON object, or why it is not one (without the file and line). */
function parseLine(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object of field name to value';
  return value as Record<string, unknown>;
}

/**
 * Opens a JSON lines file (or `-` for stdin, or a byte stream; gzip by name
 * or by its first bytes) as records: the fields are the keys of the first object, in its
 * order, and each line's cells are its values for them (undefined where a
 * line lacks one). Blank lines are skipped; a line that is not a JSON object
 * is a record that says so, for the source to fail or skip, except the
 * first, which must be one.
 */
export async function openJsonlTable(path: string | Readable, name = displayName(path), options: LineLimit = {}): Promise<RecordTable> {
  const input = await openInput(path);
  const lines = lineBatches(input, name, options);
  const close = async (): Promise<void> => {
    await lines.return(undefined);
    input.destroy();
  };
  let header: string[] | null = null;
  let first: RecordBatch | null = null;
  const toBatch = (texts: readonly string[], from: number, keys: readonly string[]): RecordBatch => {
    const records: (unknown[] | string)[] = [];
    const numbers: number[] = [];
    for (let i = from; i < texts.length; i++) {
      const text = texts[i];
      if (text.trim() === '') continue;
      const value = parseLine(text);
      records.push(typeof value === 'string' ? value : keys.map((k) => (Object.hasOwn(value, k) ? value[k] : undefined)));
      numbers.push(i);
    }
    return { records, lines: numbers };
  };
  while (header === null) {
    const item = await lines.next();
    if (item.done) fail(`${name}: the file is empty (no JSON lines)`);
    const { lines: texts, first: line } = item.value;
    const at = texts.findIndex((t) => t.trim() !== '');
    if (at < 0) continue;
    const value = parseLine(texts[at]);
    if (typeof value === 'string') {
      await close();
      fail(`${name}: line ${line + at}: ${value}`);
    }
    header = Object.keys(value);
    const batch = toBatch(texts, at, header);
    first = { records: batch.records, lines: batch.lines.map((i) => line + i) };
  }
  const keys = header;
  return {
    header: keys,
    close,
    async *batches() {
      try {
        if (first) yield first;
        first = null;
        for await (const { lines: texts, first: line } of lines) {
          const batch = toBatch(texts, 0, keys);
          if (batch.records.length > 0) yield { records: batch.records, lines: batch.lines.map((i) => line + i) };
        }
      } finally {
        await close();
      }
    },
  };
}

/**
 * A labelled JSON lines source: one JSON object per line, field name to
 * value, with the same contract as csvSource (Schema, Row, skipped). The
 * features are the first object's fields but the label, in its order (or
 * those `features` names, or all but those `exclude` names). Values are
 * numbers, or numeric strings; a categorical feature's (see `categorical`)
 * are strings (a number by its string form); null or "" is a missing value
 * with `missing: 'allow'`. A line that is not a JSON object, lacks a field
 * or has a bad value fails naming the file, line and field, or with
 * `onBadRow: 'skip'` is left out and counted. Fields other lines have that
 * the first lacks are ignored. Like csvSource, it reads a file, `-` (stdin)
 * or a Readable, gzip or not, as a stream.
 */
export async function jsonlSource(path: string | Readable, options: JsonlSourceOptions): Promise<Source> {
  checkFileOptions(options);
  const file = displayName(path, options.name);
  const table = await openJsonlTable(path, file, options);
  return tableSource(
    table,
    {
      file,
      name: baseName(path),
      unit: 'field',
      listed: "the first line's fields",
      missingHint: '(read null and empty values as missing values with --missing allow)',
    },
    options,
  );
}

/**
 * Reads JSON lines (one object per line, feature name to value) for inference.
 * Keys the model does not know are ignored; a missing feature fails naming the line.
 * A categorical feature's value is its category name (a number is read as
 * its string form); null or "" is a missing value when `missing` is set,
 * else fails (see FeatureReadOptions).
 */
export async function* jsonlFeatureRows(
  path: string,
  features: readonly string[],
  options: FeatureReadOptions & LineLimit = {},
): AsyncGenerator<FeatureRow> {
  const name = displayName(path);
  const parse = featureCellParser(options);
  let count = 0;
  for await (const { lines, first } of lineBatches(await openInput(path), name, options)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i];
      const lineNo = first + i;
      if (text.trim() === '') continue;
      const value = parseLine(text);
      if (typeof value === 'string') {
        fail(`${name}: line ${lineNo}: ${value.startsWith('expected') ? 'expected a JSON object of feature name to value' : value}`);
      }
      const x = new Float64Array(features.length);
      for (let j = 0; j < features.length; j++) {
        const feature = features[j];
        if (!Object.hasOwn(value, feature)) fail(`${name}: line ${lineNo}: missing feature "${feature}" that the model needs`);
        x[j] = parse(value[feature], j, () => `${name}: line ${lineNo}, field "${feature}"`);
      }
      count++;
      yield { x, line: lineNo };
    }
  }
  if (count === 0) fail(`${name}: the file is empty (no JSON lines)`);
}
