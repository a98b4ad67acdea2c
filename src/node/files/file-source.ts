import { fail } from '../../core/errors.js';
import { csvSource, type CsvSourceOptions } from './csv.js';
import { isJsonlPath, jsonlSource } from './jsonl.js';
import type { Source } from '../../data/source.js';

/** The formats a data file may have. */
export type InputFormat = 'csv' | 'jsonl';
export const inputFormats: readonly InputFormat[] = ['csv', 'jsonl'];

/** A data file's options: a file source's, the CSV dialect (CSV only), and its format. */
export interface FileSourceChoice extends CsvSourceOptions {
  /** csv or jsonl; default: jsonl when the name ends in .jsonl or .ndjson (optionally .gz), else csv (so stdin is csv). */
  format?: InputFormat;
}

/** The format a data file is read as: the one given, else by its name. */
export function inputFormatOf(path: string, format?: InputFormat): InputFormat {
  if (format !== undefined && !inputFormats.includes(format)) fail(`--input-format must be csv or jsonl, got ${JSON.stringify(format)}`);
  return format ?? (isJsonlPath(path) ? 'jsonl' : 'csv');
}

/** A labelled source over a data file, CSV or JSON lines (see csvSource, jsonlSource). */
export async function fileSource(path: string, options: FileSourceChoice): Promise<Source> {
  const { format, delimiter, quote, ...rest } = options;
  if (inputFormatOf(path, format) === 'csv') return csvSource(path, { ...rest, delimiter, quote });
  const flag = delimiter !== undefined ? '--delimiter' : quote !== undefined ? '--quote' : null;
  if (flag) fail(`${flag} applies to CSV, not to JSON lines (${path})`);
  return jsonlSource(path, rest);
}
