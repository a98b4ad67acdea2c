import { closeSync, createReadStream, fdatasync, openSync, writeSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fail } from '../core/errors.js';
import { isErrno } from '../data/input.js';
import { syncDir } from './model-files.js';

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

/** What replaying a model directory's learn log did. */
export interface LogReplay {
  /** Requests replayed. */
  readonly requests: number;
  /** Rows replayed. */
  readonly rows: number;
  /** The log followed another save than the directory's (it was replaced): nothing was replayed. */
  readonly stale: boolean;
}

/**
 * Replays the learn log in `dir`, request by request in order, through
 * `apply`, when its header names the save `modelId`. No log, an empty one,
 * or one of another save replays nothing. A last line without its newline
 * is a write cut off by a crash, never acknowledged, and is skipped; any
 * other line that does not parse fails naming the file and line.
 */
export async function replayLearnLog(dir: string, modelId: string, apply: (rows: RecordRow[]) => Promise<void>): Promise<LogReplay> {
  const path = join(dir, LEARN_LOG_FILE);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { requests: 0, rows: 0, stale: false };
    throw err;
  }
  if (size === 0) return { requests: 0, rows: 0, stale: false };
  const torn = (await lastByte(path, size)) !== 0x0a;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let lineNo = 0;
  let pending: string | null = null;
  let requests = 0;
  let rows = 0;
  const take = async (line: string, no: number): Promise<boolean> => {
    if (no === 1) {
      const header = parseJson(line) as { format?: unknown; model?: unknown } | undefined;
      if (!header || header.format !== LOG_FORMAT) fail(`${path}: line 1: not a streamlearn learn log`);
      return header.model === modelId;
    }
    const record = parseJson(line) as { rows?: unknown } | undefined;
    if (!record || !Array.isArray(record.rows)) fail(`${path}: line ${no}: not a valid log record; the learn log is corrupt`);
    await apply(record.rows as RecordRow[]);
    requests++;
    rows += record.rows.length;
    return true;
  };
  // Each line is handled when the next one arrives, so the last is known to be last (and maybe torn).
  for await (const line of lines) {
    lineNo++;
    if (pending !== null && !(await take(pending, lineNo - 1))) {
      lines.close();
      return { requests: 0, rows: 0, stale: true };
    }
    pending = line;
  }
  if (pending !== null && !torn && !(await take(pending, lineNo))) return { requests: 0, rows: 0, stale: true };
  return { requests, rows, stale: false };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

async function lastByte(path: string, size: number): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(1);
    await handle.read(buffer, 0, 1, size - 1);
    return buffer[0];
  } finally {
    await handle.close();
  }
}
