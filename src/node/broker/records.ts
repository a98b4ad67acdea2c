import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { splitFields } from '../files/csv-records.js';
import type { Row, Schema } from '../../core/types.js';
import type { RowEncoding } from './stream-format.js';

/**
 * One message's records: the cells of each non-blank line in `columns`
 * order, or for a line that is no record at all (JSON that is not an
 * object) a string saying why, for the source to fail or skip.
 * A message holds one line or several, separated by \n.
 */
export function messageRecords(payload: string, encoding: RowEncoding, columns: readonly string[]): (unknown[] | string)[] {
  const out: (unknown[] | string)[] = [];
  let at = 0;
  while (at <= payload.length) {
    let end = payload.indexOf('\n', at);
    if (end < 0) end = payload.length;
    let line = payload.slice(at, end);
    at = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    out.push(encoding === 'csv' ? csvCells(line) : jsonCells(line, columns));
  }
  return out;
}

/** A CSV line's trimmed cells: a plain split when it has no quote, else csv-parse's reading of it. */
function csvCells(line: string): unknown[] | string {
  if (!line.includes('"')) return splitFields(line, ',');
  try {
    const records = parseCsv(line, { relax_column_count: true, trim: true }) as string[][];
    return records[0] ?? [];
  } catch (err) {
    return `not a valid CSV line (${(err as Error).message})`;
  }
}

function jsonCells(line: string, columns: readonly string[]): unknown[] | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object of field name to value';
  const record = value as Record<string, unknown>;
  return columns.map((c) => (Object.hasOwn(record, c) ? record[c] : undefined));
}

/** The keys of the first JSON object in a payload: the columns of a stream published without a format record. */
export function firstJsonKeys(payload: string): string[] | null {
  for (const line of payload.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Writes rows of a schema as lines of a stream: CSV cells (features, then
 * the label; no header, the stream's format record has the columns) or JSON
 * objects. Numbers print in their shortest exact form, so readers get the
 * very doubles that were published; a category or class name goes through
 * the CSV writer (quoted when it must be); a missing value is an empty cell
 * or null. A regression row's label is its target, a number like the
 * features.
 */
export function rowEncoder(schema: Schema, encoding: RowEncoding): (row: Row) => string {
  const { features, label, classes } = schema;
  const regression = schema.task === 'regression';
  const categories = schema.categories ?? [];
  // Class and category names go through the CSV writer once each, not once per row.
  const quoted = new Map<string, string>();
  const csvText = (text: string): string => {
    let out = quoted.get(text);
    if (out === undefined) quoted.set(text, (out = stringify([[text]]).trimEnd()));
    return out;
  };
  const d = features.length;
  if (encoding === 'csv') {
    return (row) => {
      let line = '';
      for (let j = 0; j < d; j++) {
        const v = row.x[j];
        const names = categories[j];
        line += Number.isNaN(v) ? '' : names ? csvText(names[v] ?? String(v)) : String(v);
        line += ',';
      }
      return line + (regression ? String(row.y) : csvText(classes[row.y]));
    };
  }
  return (row) => {
    const record: Record<string, number | string | null> = {};
    for (let j = 0; j < d; j++) {
      const v = row.x[j];
      const names = categories[j];
      record[features[j]] = Number.isNaN(v) ? null : names ? (names[v] ?? String(v)) : v;
    }
    record[label] = regression ? row.y : classes[row.y];
    return JSON.stringify(record);
  };
}
