import { fail } from '../core/errors.js';

/** Text for a message, cut to its first 60 characters: a cell may be megabytes long. */
export function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A cell's value for a message, short and on one line: a string quoted
 * (cut to 60 characters), a number or boolean as is, an array or object by
 * its kind alone. Never JSON.stringify of a container: JSON.parse reads
 * arrays nested 100,000 deep, and stringify's recursion overflows the stack on them.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(clip(value));
  return String(value);
}

/** Parses one cell as a finite number, or fails naming the place. */
export function parseNumber(cell: unknown, where: () => string): number {
  if (typeof cell === 'number') {
    if (Number.isFinite(cell)) return cell;
    fail(`${where()}: ${String(cell)} is not a finite number`);
  }
  if (typeof cell !== 'string') fail(`${where()}: expected a number, got ${describeValue(cell)}`);
  const text = cell.trim();
  if (text === '') fail(`${where()}: empty value (missing values are not supported by this reader)`);
  const value = Number(text);
  if (!Number.isFinite(value)) fail(`${where()}: "${clip(cell)}" is not a number`);
  return value;
}

/** Whether a cell is a missing value: an empty (or blank) string, or null. */
export function isMissingCell(cell: unknown): boolean {
  return cell === null || (typeof cell === 'string' && cell.trim() === '');
}

/** How a model reads the feature values of rows to predict. */
export interface FeatureReadOptions {
  /**
   * Per feature, the category names in code order, or null for a numeric
   * feature: a model's schema.categories. A category not listed gets a code
   * past the listed ones (the one-hot encoder's "other"; a tree has no branch for it).
   */
  readonly categories?: readonly (readonly string[] | null)[];
  /** Whether a missing value (empty cell, null) is read as NaN rather than failing: true when the model imputes. */
  readonly missing?: boolean;
}

/**
 * A parser of one feature's cell as a model reads it: a number, a category's
 * code, or NaN for a missing value when allowed; else it fails naming the
 * place. Unknown categories get codes of their own, the same one each time
 * within one parser, and are not added to the model's schema.
 */
export function featureCellParser(options: FeatureReadOptions = {}): (cell: unknown, j: number, where: () => string) => number {
  const known = (options.categories ?? []).map((names) => (names ? new Map(names.map((n, code) => [n, code])) : null));
  const unseen = known.map(() => new Map<string, number>());
  return (cell, j, where) => {
    if (isMissingCell(cell) || (typeof cell === 'number' && Number.isNaN(cell))) {
      if (options.missing) return NaN;
      const what = cell === null ? 'null' : typeof cell === 'number' ? 'NaN' : 'empty value';
      fail(`${where()}: ${what} (the model does not impute missing values; train it with --missing allow)`);
    }
    const codes = known[j];
    if (!codes) return parseNumber(cell, where);
    if (typeof cell !== 'string' && typeof cell !== 'number' && typeof cell !== 'boolean') {
      fail(`${where()}: expected a category, got ${describeValue(cell)}`);
    }
    const name = String(cell).trim();
    const code = codes.get(name);
    if (code !== undefined) return code;
    const extra = unseen[j];
    let late = extra.get(name);
    if (late === undefined) {
      late = codes.size + extra.size;
      extra.set(name, late);
    }
    return late;
  };
}
