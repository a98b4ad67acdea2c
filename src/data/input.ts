import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { fail, StreamlearnError } from '../core/errors.js';

/** How a path is shown in messages: `-` is standard input; a stream is `<stream>` unless named. */
export function displayName(path: string | Readable, name?: string): string {
  if (typeof path !== 'string') return name ?? '<stream>';
  return path === '-' ? '<stdin>' : path;
}

/** The first two bytes of every gzip stream (RFC 1952). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Whether bytes start as a gzip stream does. */
export function isGzipHead(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/**
 * Opens a file (or `-` for standard input, or a byte stream given as is) as a byte stream, unzipping it when
 * its name ends in .gz or its first two bytes are gzip's magic number (0x1f
 * 0x8b), so a gzip file by any name, or gzip piped into stdin, is read as
 * what it holds. The first bytes are peeked, not lost. Fails with a
 * one-line message when the file is missing. The stream reads ahead at most
 * its high-water mark (64 KiB for a file), so a slow reader holds it back.
 */
export async function openInput(path: string | Readable): Promise<Readable> {
  if (typeof path !== 'string' || path === '-') {
    const { head, stream } = await peek(typeof path === 'string' ? process.stdin : path, GZIP_MAGIC.length);
    return isGzipHead(head) ? gunzip(stream) : stream;
  }
  let regular: boolean;
  try {
    const info = await stat(path);
    if (info.isDirectory()) fail(`${path}: is a directory, not a data file`);
    regular = info.isFile();
  } catch (err) {
    if (isErrno(err, 'ENOENT')) fail(`${path}: no such file`);
    if (isErrno(err, 'EACCES')) fail(`${path}: permission denied`);
    throw err;
  }
  const bytes = createReadStream(path);
  if (/\.gz$/i.test(path)) return gunzip(bytes);
  if (!regular) {
    // A named pipe or device (bash's <(...), /dev/stdin fed by a pipe) cannot seek, and a second open would
    // miss what the first read: its first bytes are peeked from the one stream, as stdin's are.
    const { head, stream } = await peek(bytes, GZIP_MAGIC.length);
    return isGzipHead(head) ? gunzip(stream) : stream;
  }
  return isGzipHead(await readHead(path, GZIP_MAGIC.length)) ? gunzip(bytes) : bytes;
}

/** The first `n` bytes of a file (fewer when it is shorter). */
async function readHead(path: string, n: number): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(n);
    const { bytesRead } = await file.read(buffer, 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * Reads the first `n` bytes of a stream that cannot seek (stdin) and gives
 * back a stream of all of its bytes, those first ones included. The rest is
 * pulled through as the new stream is read, so back-pressure holds.
 */
async function peek(stream: Readable, n: number): Promise<{ head: Uint8Array; stream: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const seen: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    seen.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(seen);
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (done) return;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
    } finally {
      // Reading stops early (an error, a consumer that gives up): let the source go.
      await it.return?.();
    }
  }
  return { head: head.subarray(0, n), stream: Readable.from(all(), { objectMode: false }) };
}

/** Unzips a byte stream; errors of the stream itself come out of the unzipped one. */
function gunzip(bytes: Readable): Readable {
  const out = createGunzip();
  bytes.on('error', (err) => out.destroy(err));
  return bytes.pipe(out);
}

/**
 * The one-line error for a failure while reading `name`'s bytes: a corrupt
 * or truncated gzip stream names the file; other errors pass unchanged.
 */
export function inputError(name: string, err: unknown): Error {
  if (err instanceof StreamlearnError) return err;
  if (isErrno(err, 'Z_DATA_ERROR')) return new StreamlearnError(`${name}: not a valid gzip file (${(err as Error).message})`);
  if (isErrno(err, 'Z_BUF_ERROR')) return new StreamlearnError(`${name}: the gzip data ends early (${(err as Error).message}); the file is truncated`);
  return err instanceof Error ? err : new Error(String(err));
}

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

/** Whether a line (as text) holds more than `limit` bytes of UTF-8; counted only when it may. */
export function longerThan(text: string, limit: number): boolean {
  // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
  return text.length > limit || (text.length * 3 > limit && Buffer.byteLength(text) > limit);
}

/**
 * The line a reader is in the middle of, as the pieces read so far: joined
 * once, when the line ends, so a line costs its length and not its length
 * squared (appending each chunk to one string and splitting it again was
 * quadratic: a 20 MB line took seconds, a 200 MB one minutes). Its bytes are
 * counted as the pieces come, and `add` fails as soon as they pass the
 * limit, allowing one byte more for a \r that the line break may drop.
 */
export class PendingLine {
  private pieces: string[] = [];
  private bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly name: string,
  ) {}

  get empty(): boolean {
    return this.pieces.length === 0;
  }

  /** Adds text that holds no line break; fails, naming `line`, when the line is now too long. */
  add(text: string, line: number): void {
    if (text.length === 0) return;
    this.pieces.push(text);
    this.bytes += text.length > this.limit ? text.length : Buffer.byteLength(text);
    if (this.bytes > this.limit + 1) throw lineTooLong(this.name, line, this.limit);
  }

  /** The pending text followed by `end`, and the pending line emptied. */
  take(end = ''): string {
    if (this.pieces.length === 0) return end;
    const text = this.pieces.length === 1 ? this.pieces[0] + end : this.pieces.join('') + end;
    this.pieces = [];
    this.bytes = 0;
    return text;
  }
}

/** Lines of text read from a byte stream, in batches: `first` is the 1-based line number of `lines[0]`. */
export interface LineBatch {
  readonly lines: readonly string[];
  readonly first: number;
}

/**
 * Splits a byte stream (UTF-8) into lines, one batch per chunk read: a line
 * ends at \n, and a \r before it is dropped. The last line needs no \n. A
 * byte-order mark at the start is dropped. The stream is read as the batches
 * are, so at most one chunk's lines are held, and a line longer than
 * `maxLineBytes` (see LineLimit) fails naming the file and line; errors of
 * the stream come out as one-line messages naming the file (see inputError).
 * Only the new text of each chunk is searched for line breaks.
 */
export async function* lineBatches(input: Readable, name: string, options: LineLimit = {}): AsyncGenerator<LineBatch> {
  const limit = resolveMaxLineBytes(options.maxLineBytes);
  const decoder = new StringDecoder('utf8');
  const pending = new PendingLine(limit, name);
  let line = 1;
  let start = true;
  const batch = (text: string, final: boolean): LineBatch | null => {
    if (start) {
      if (text.length === 0 && !final) return null;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      start = false;
    }
    const lines = text.split('\n');
    const tail = lines.pop() as string;
    if (lines.length > 0) lines[0] = pending.take(lines[0]);
    if (final) {
      const last = pending.take(tail);
      if (last.length > 0) lines.push(last);
    } else {
      pending.add(tail, line + lines.length);
    }
    for (let i = 0; i < lines.length; i++) {
      let l = lines[i];
      if (l.charCodeAt(l.length - 1) === 13) lines[i] = l = l.slice(0, -1);
      if (l.length * 3 > limit && longerThan(l, limit)) throw lineTooLong(name, line + i, limit);
    }
    const out = { lines, first: line };
    line += lines.length;
    return out;
  };
  try {
    for await (const chunk of input) {
      const out = batch(decoder.write(chunk as Buffer), false);
      if (out && out.lines.length > 0) yield out;
    }
  } catch (err) {
    throw inputError(name, err);
  } finally {
    input.destroy();
  }
  const out = batch(decoder.end(), true);
  if (out && out.lines.length > 0) yield out;
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

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
