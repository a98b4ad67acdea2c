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
