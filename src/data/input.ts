import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { fail } from '../core/errors.js';

/** How a path is shown in messages: `-` is standard input. */
export function displayName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}

/**
 * Opens a file (or `-` for standard input) as a byte stream, unzipping it when
 * its name ends in .gz. Fails with a one-line message when the file is missing.
 */
export async function openInput(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  try {
    const info = await stat(path);
    if (info.isDirectory()) fail(`${path}: is a directory, not a data file`);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) fail(`${path}: no such file`);
    if (isErrno(err, 'EACCES')) fail(`${path}: permission denied`);
    throw err;
  }
  const bytes = createReadStream(path);
  return path.endsWith('.gz') ? bytes.pipe(createGunzip()) : bytes;
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Parses one cell as a finite number, or fails naming the place. */
export function parseNumber(cell: unknown, where: () => string): number {
  if (typeof cell === 'number') {
    if (Number.isFinite(cell)) return cell;
    fail(`${where()}: ${String(cell)} is not a finite number`);
  }
  if (typeof cell !== 'string') fail(`${where()}: expected a number, got ${JSON.stringify(cell)}`);
  const text = cell.trim();
  if (text === '') fail(`${where()}: empty value (missing values are not supported by this reader)`);
  const value = Number(text);
  if (!Number.isFinite(value)) fail(`${where()}: "${cell}" is not a number`);
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
      fail(`${where()}: expected a category, got ${JSON.stringify(cell)}`);
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
