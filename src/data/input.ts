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
  try {
    const info = await stat(path);
    if (info.isDirectory()) fail(`${path}: is a directory, not a data file`);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) fail(`${path}: no such file`);
    if (isErrno(err, 'EACCES')) fail(`${path}: permission denied`);
    throw err;
  }
  const bytes = createReadStream(path);
  return /\.gz$/i.test(path) || isGzipHead(await readHead(path, GZIP_MAGIC.length)) ? gunzip(bytes) : bytes;
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

/** Lines of text read from a byte stream, in batches: `first` is the 1-based line number of `lines[0]`. */
export interface LineBatch {
  readonly lines: readonly string[];
  readonly first: number;
}

/**
 * Splits a byte stream (UTF-8) into lines, one batch per chunk read: a line
 * ends at \n, and a \r before it is dropped. The last line needs no \n. A
 * byte-order mark at the start is dropped. The stream is read as the batches
 * are, so at most one chunk's lines are held; errors of the stream come out
 * as one-line messages naming the file (see inputError).
 */
export async function* lineBatches(input: Readable, name: string): AsyncGenerator<LineBatch> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 1;
  let start = true;
  const batch = (text: string, final: boolean): LineBatch | null => {
    if (start) {
      if (text.length === 0 && !final) return null;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      start = false;
    }
    const lines = text.split('\n');
    rest = final ? '' : (lines.pop() ?? '');
    if (final && lines.length === 1 && lines[0] === '') return null;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    const out = { lines, first: line };
    line += lines.length;
    return out;
  };
  try {
    for await (const chunk of input) {
      const out = batch(rest + decoder.write(chunk as Buffer), false);
      if (out && out.lines.length > 0) yield out;
    }
  } catch (err) {
    throw inputError(name, err);
  } finally {
    input.destroy();
  }
  const out = batch(rest + decoder.end(), true);
  if (out && out.lines.length > 0) yield out;
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
