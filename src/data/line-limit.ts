import { fail, StreamlearnError } from '../core/errors.js';

/** How long a line of a data file may be: the default of `maxLineBytes`, 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * The largest `maxLineBytes` taken: 256 MiB. A line is joined into one
 * string, and V8's strings stop short of 512 Mi characters.
 */
export const MAX_LINE_BYTES_LIMIT = 256 * 1024 * 1024;

/** How long a line of a data file may be. */
export interface LineLimit {
  /**
   * The most bytes of UTF-8 a line may hold, its line break not counted
   * (default 16 MiB, at most 256 MiB). A longer line fails naming the file
   * and line as soon as the reader is past the limit, so a file of one
   * endless line is never held whole.
   */
  readonly maxLineBytes?: number;
}

/** The line limit a caller asked for, checked; a bad one fails naming the flag. */
export function resolveMaxLineBytes(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LINE_BYTES_LIMIT) {
    fail(`--max-line-bytes (maxLineBytes) must be an integer from 1 to ${MAX_LINE_BYTES_LIMIT}, got ${limit}`);
  }
  return limit;
}

/** The error of a line longer than the limit. */
export function lineTooLong(name: string, line: number, limit: number): StreamlearnError {
  return new StreamlearnError(`${name}: line ${line}: longer than ${limit} bytes (--max-line-bytes)`);
}
