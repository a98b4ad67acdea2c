import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { fail, StreamlearnError } from '../../core/errors.js';
import { lineTooLong, resolveMaxLineBytes, type LineLimit } from '../../data/line-limit.js';

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
