import type { Readable } from 'node:stream';
import { fail } from '../../core/errors.js';
import { openCsvTable, type CsvDialect } from './csv-records.js';
import { displayName } from './input.js';
import { featureCellParser, type FeatureReadOptions } from '../../data/cells.js';
import { type LineLimit } from '../../data/line-limit.js';
import { checkFileOptions, tableSource, type FileSourceOptions, type Source } from '../../data/source.js';

export { AUTO_CATEGORICAL_ROWS, categoryCoder, isNumeric, type BadRowPolicy, type FileSourceOptions, type SkippedRow, type Source } from '../../data/source.js';
export type { CsvDialect } from './csv-records.js';

/**
 * A labelled CSV file: the file options (label, features, categorical,
 * missing, onBadRow; see FileSourceOptions) and its dialect: `delimiter`
 * (default ",", "\t" or "tab" for a tab) and `quote` (default '"').
 */
export interface CsvSourceOptions extends FileSourceOptions, CsvDialect {}

/** A file's base name without its data extensions, as reports name it: `data/iris.csv.gz` is `iris`, `-` is `stdin`, a stream `stream`. */
export function baseName(path: string | Readable): string {
  if (typeof path !== 'string') return 'stream';
  if (path === '-') return 'stdin';
  const file = path.split(/[\\/]/).pop() ?? path;
  return file.replace(/\.gz$/i, '').replace(/\.(csv|tsv|txt|jsonl|ndjson)$/i, '');
}

/**
 * A labelled CSV source. The first row is the header. Every column but the
 * label is a feature (or those `features` names, in its order, or all but
 * those `exclude` names): numeric unless `categorical` says otherwise. A
 * bad row (the wrong number of fields, a cell that is not a number in a
 * numeric column, an empty cell unless `missing` is 'allow', an empty label)
 * fails with the file, line and column, or with `onBadRow: 'skip'` is left
 * out and counted in `skipped`. The file is read as a stream (see
 * openCsvTable): a file larger than memory is fine, `-` reads stdin, a
 * Readable is read as the file's bytes (messages call it `options.name`, or
 * `<stream>`), and gzip is unzipped (by the .gz name or by its first bytes).
 */
export async function csvSource(path: string | Readable, options: CsvSourceOptions): Promise<Source> {
  checkFileOptions(options);
  const file = displayName(path, options.name);
  const table = await openCsvTable(path, options, file);
  return tableSource(
    { header: table.header, batches: () => table.batches(), close: () => table.close() },
    { file, name: baseName(path), unit: 'column', listed: 'columns', missingHint: '(read empty cells as missing values with --missing allow)' },
    options,
  );
}

/** An unlabelled row for inference. */
export interface FeatureRow {
  readonly x: Float64Array;
  readonly line: number;
}

/** How csvFeatureRows reads a model's features: its categories, whether it imputes, the dialect and the line limit. */
export interface CsvFeatureOptions extends FeatureReadOptions, CsvDialect, LineLimit {}

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
  const table = await openCsvTable(path, opts);
  const index = features.map((f) => table.header.indexOf(f));
  const missing = features.filter((_, j) => index[j] < 0);
  if (missing.length > 0) {
    await table.close();
    const what = missing.length === 1 ? 'column' : 'columns';
    fail(`${name}: missing feature ${what} ${missing.map((m) => `"${m}"`).join(', ')} that the model needs`);
  }
  const parse = featureCellParser(opts);
  const width = table.header.length;
  for await (const { records, lines } of table.batches()) {
    for (let r = 0; r < records.length; r++) {
      const fields = records[r];
      const line = lines[r];
      if (fields.length !== width) fail(`${name}: line ${line}: expected as many fields as the header, found ${fields.length}`);
      const x = new Float64Array(index.length);
      for (let j = 0; j < index.length; j++) {
        x[j] = parse(fields[index[j]], j, () => `${name}: line ${line}, column "${features[j]}"`);
      }
      yield { x, line };
    }
  }
}
