import { closeSync, createReadStream, fdatasync, openSync, writeSync } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fail, StreamlearnError } from '../../core/errors.js';
import { isErrno } from '../files/input.js';
import { RequestError } from './http-errors.js';
import { syncDir } from './model-files.js';
import { checkRow } from './schemas.js';

/** The write-ahead log of acknowledged learn requests, inside the model directory. */
export const LEARN_LOG_FILE = 'learn-log.jsonl';
const LOG_FORMAT = 'streamlearn-learn-log';
const LOG_VERSION = 1;

/** A feature (or label) value as a request carries it. */
export type FeatureValue = number | string | null;
/** One row of a request: feature name (and, to learn, the label name) to value. */
export type RecordRow = Readonly<Record<string, FeatureValue>>;

const datasync = promisify(fdatasync);

/**
 * The log of learn requests applied since the model directory's last save,
 * one JSON line per request, after a header naming that save (its manifest's
 * identity). A request is acknowledged only once its line is on disk
 * (fdatasync), so a restart that loads the directory and replays the log has
 * every acknowledged update, even after SIGKILL. Concurrent requests share
 * one fdatasync (group commit). Each checkpoint saves the model, which
 * replaces the directory and so this file, and starts a new, empty log.
 */
export class LearnLog {
  private written = 0;
  private size = 0;
  private synced = 0;
  private syncing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    /** -1 for a detached log. */
    private readonly fd: number,
    readonly path: string,
  ) {}

  /**
   * A log that keeps nothing, for a model whose directory another save has
   * replaced: the server is about to serve that save instead, and drops
   * what the old model learned, so there is nothing to make durable.
   */
  static detached(dir: string): LearnLog {
    return new LearnLog(-1, join(dir, LEARN_LOG_FILE));
  }

  /** Whether this log keeps nothing (see detached). */
  get isDetached(): boolean {
    return this.fd === -1;
  }

  /**
   * Starts an empty log in `dir` for the save whose identity is `modelId`,
   * replacing any log there. The header is written to a temporary file and
   * renamed over, so a crash leaves the old log or the new one, never a torn header.
   */
  static async start(dir: string, modelId: string): Promise<LearnLog> {
    const path = join(dir, LEARN_LOG_FILE);
    const tmp = `${path}.tmp-${process.pid}`;
    // The file stays open from here on: opening it again by name after the rename could create
    // a headerless log in a directory that another save has just put in place.
    const fd = openSync(tmp, 'w');
    const log = new LearnLog(fd, path);
    try {
      log.write(JSON.stringify({ format: LOG_FORMAT, version: LOG_VERSION, model: modelId }) + '\n');
      await datasync(fd);
      await rename(tmp, path);
      await syncDir(dir);
    } catch (err) {
      closeSync(fd);
      await rm(tmp, { force: true });
      throw err;
    }
    return log;
  }

  private write(text: string): void {
    if (this.fd === -1) return;
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
    this.size += bytes.length;
  }

  /** Bytes written to the log, its header included: what a restart would replay. */
  get bytes(): number {
    return this.size;
  }

  /** Requests appended so far. */
  get length(): number {
    return this.written;
  }

  /**
   * Appends one request's rows and returns its sequence number, for
   * durable(). Synchronous on purpose: the caller holds the model's write
   * lock, so lines land in the order the updates were applied.
   */
  append(rows: readonly RecordRow[]): number {
    if (this.closed) throw new Error(`${this.path}: the learn log is closed`);
    this.write(JSON.stringify({ rows }) + '\n');
    return ++this.written;
  }

  /** Resolves once request `seq` and all before it are on disk. */
  async durable(seq: number): Promise<void> {
    if (this.fd === -1) return;
    while (this.synced < seq) {
      if (!this.syncing) {
        const upTo = this.written;
        this.syncing = datasync(this.fd)
          .then(() => {
            this.synced = Math.max(this.synced, upTo);
          })
          .finally(() => {
            this.syncing = null;
          });
      }
      await this.syncing;
    }
  }

  /** Flushes what was appended and closes the file; durable() of anything appended then resolves at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.durable(this.written);
    this.closed = true;
    if (this.fd !== -1) closeSync(this.fd);
  }
}

/** Records moved out of a learn log (--learn-log-recovery keep-prefix). */
export interface SetAside {
  /** The file they were moved to, beside the model directory. */
  readonly path: string;
  /** The log line of the first (the bad record). */
  readonly fromLine: number;
  /** How many lines were moved: the bad record and every one after it. */
  readonly lines: number;
  /** Why the first could not be replayed. */
  readonly reason: string;
  /**
   * The model threw while learning the first (not one of its own checks), so
   * it may have learned part of it: the model replayed into is not the
   * prefix alone, and must be loaded again (the log now ends before it).
   */
  readonly partial?: boolean;
}

/** What replaying a model directory's learn log did. */
export interface LogReplay {
  /** Requests replayed. */
  readonly requests: number;
  /** Rows replayed. */
  readonly rows: number;
  /** The log followed another save than the directory's (it was replaced): nothing was replayed. */
  readonly stale: boolean;
  /** With recovery 'keep-prefix': the records that could not be replayed, moved aside; absent when all could. */
  readonly setAside?: SetAside;
}

/** What replayLearnLog does with a record it cannot replay. */
export interface ReplayOptions {
  /**
   * 'refuse' (default): fail, naming the log and line. 'keep-prefix': keep
   * the records replayed before it, move it and every later line (order
   * matters: they were learned after it) to a file beside the model
   * directory, and cut the log there, so the next start replays the same.
   */
  readonly recovery?: 'refuse' | 'keep-prefix';
}

/** A line of a file, with the byte offset it starts at; `ended`: whether a newline ends it. */
interface Line {
  readonly text: string;
  readonly start: number;
  readonly ended: boolean;
}

/** The lines of a file, read in chunks: linear in its size, however long a line. */
async function* fileLines(path: string): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let start = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      parts.push(chunk.subarray(from, nl));
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      parts = [];
      yield { text: bytes.toString('utf8'), start, ended: true };
      start += bytes.length + 1;
      from = nl + 1;
    }
    if (from < chunk.length) parts.push(chunk.subarray(from));
  }
  if (parts.length > 0) yield { text: Buffer.concat(parts).toString('utf8'), start, ended: false };
}

/**
 * Replays the learn log in `dir`, request by request in order, through
 * `apply`, when its header names the save `modelId`. No log, an empty one,
 * or one of another save replays nothing. A last line without its newline
 * is a write cut off by a crash, never acknowledged, and is skipped. A
 * record that does not parse, whose rows are not rows, that `apply`
 * refuses (a StreamlearnError: the model's checks) or on which `apply`
 * throws anything else (the model failed) is bad: by default the
 * replay fails naming the log's path and line and how to start anyway;
 * with `recovery: 'keep-prefix'` it and the rest of the log are set aside
 * (see ReplayOptions) and reported in `setAside`. The log must be a regular
 * file, not a link.
 */
export async function replayLearnLog(
  dir: string,
  modelId: string,
  apply: (rows: RecordRow[]) => Promise<void>,
  options: ReplayOptions = {},
): Promise<LogReplay> {
  const path = join(dir, LEARN_LOG_FILE);
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { requests: 0, rows: 0, stale: false };
    throw err;
  }
  if (!info.isFile()) fail(`${path}: not a regular file; a learn log is one (a link or a FIFO is refused)`);
  let requests = 0;
  let rows = 0;
  let bad: { line: Line; no: number; reason: string; partial?: boolean } | null = null;
  let no = 0;
  for await (const line of fileLines(path)) {
    no++;
    if (no === 1) {
      const header = parseJson(line.text) as { format?: unknown; model?: unknown } | undefined;
      if (!line.ended || !isPlainObject(header) || header.format !== LOG_FORMAT) {
        bad = { line, no, reason: 'not a streamlearn learn log header' };
        break;
      }
      if (header.model !== modelId) return { requests: 0, rows: 0, stale: true };
      continue;
    }
    // Cut off by a crash before its newline: never acknowledged.
    if (!line.ended) break;
    const replayed = await replayRecord(line.text, apply);
    if (typeof replayed === 'string') {
      bad = { line, no, reason: replayed };
      break;
    }
    if (typeof replayed === 'object') {
      bad = { line, no, reason: replayed.failed, partial: true };
      break;
    }
    requests++;
    rows += replayed;
  }
  if (bad === null) return { requests, rows, stale: false };
  const where = `${path}: line ${bad.no}`;
  if (options.recovery !== 'keep-prefix') {
    fail(
      `${where}: ${bad.reason}; not starting, so that no acknowledged update is dropped: ` +
        `--learn-log-recovery keep-prefix starts with the ${requests} request${requests === 1 ? '' : 's'} before line ${bad.no} and moves line ${bad.no} and the rest of the log to a file beside ${dir}`,
    );
  }
  const moved = await setAside(dir, path, bad.line.start);
  const aside: SetAside = { path: moved.path, fromLine: bad.no, lines: moved.lines, reason: bad.reason, ...(bad.partial ? { partial: true } : {}) };
  return { requests, rows, stale: false, setAside: aside };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An error as one short phrase: its name and message, or its text when it is not an Error. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.message === '' ? err.name : `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Replays one log record: its row count, or why it cannot be replayed: a
 * string when nothing of it was learned (it does not parse, or the model's
 * checks refuse it), `{ failed }` when the model threw part way and may have
 * learned some of its rows.
 */
async function replayRecord(text: string, apply: (rows: RecordRow[]) => Promise<void>): Promise<number | string | { failed: string }> {
  const record = parseJson(text);
  if (record === undefined) return 'not a valid log record (not JSON)';
  if (!isPlainObject(record) || !Array.isArray(record.rows)) return 'not a valid log record (no "rows" array)';
  let rows: RecordRow[];
  try {
    rows = record.rows.map(checkRow);
    // The model's checks refuse the whole request, having learned none of it.
    await apply(rows);
  } catch (err) {
    if (err instanceof RequestError || err instanceof StreamlearnError) return `a record the model refuses: ${err.message}`;
    // Anything else the model throws (a bug, a resource limit) is still this record's fault as far as
    // starting goes: refuse it like a bad record, naming the log and line, never with a stack.
    return { failed: `the model failed on this record (${describeError(err)})` };
  }
  return rows.length;
}

/**
 * Moves the log's bytes from `offset` on to a new file beside the model
 * directory, `<dir>.learn-log.rejected-<time>.jsonl` (not inside it: a
 * checkpoint replaces the directory), durably, and only then cuts the log
 * there: a crash in between leaves both, so nothing is lost.
 */
async function setAside(dir: string, path: string, offset: number): Promise<{ path: string; lines: number }> {
  const target = resolve(dir);
  const parent = dirname(target);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = join(parent, `${basename(target)}.learn-log.rejected-${stamp}.jsonl`);
  const partial = `${out}.partial-${process.pid}`;
  let lines = 0;
  let last = 0x0a;
  try {
    const rest = createReadStream(path, { start: offset });
    const file = await open(partial, 'wx');
    try {
      for await (const chunk of rest as AsyncIterable<Buffer>) {
        for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
        if (chunk.length > 0) last = chunk[chunk.length - 1];
        await file.write(chunk);
      }
      await file.datasync();
    } finally {
      await file.close();
    }
    if (last !== 0x0a) lines++;
    await rename(partial, out);
    await syncDir(parent);
    const log = await open(path, 'r+');
    try {
      await log.truncate(offset);
      await log.datasync();
    } finally {
      await log.close();
    }
  } catch (err) {
    await rm(partial, { force: true });
    if (err instanceof StreamlearnError) throw err;
    fail(`${path}: cannot move the records it cannot replay aside to ${out}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { path: out, lines };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
