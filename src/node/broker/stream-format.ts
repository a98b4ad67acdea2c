import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import * as v from 'valibot';
import { fail } from '../../core/errors.js';
import { checkWith } from '../../core/state.js';
import { backoffMs, brokerFailure, isTransient, retrying, sleep, stderrReporter, type Broker, type Reporter } from './connection.js';

/**
 * The key-value bucket where `streamlearn publish` records each stream's
 * format (one key per stream). JetStream 2.9 has no stream metadata, and a
 * header message inside the stream would go to only one of the workers
 * sharing a consumer, so the schema lives beside the stream, where every
 * reader finds it before its first message.
 */
export const STREAM_FORMATS_BUCKET = 'streamlearn_streams';

export { rowEncodings, type RowEncoding } from './defaults.js';

/** A stream's format record: what its messages hold and the schema rows are read with. */
export interface StreamFormat {
  format: 'streamlearn-stream';
  formatVersion: 1;
  /** The subject the rows are published on. */
  subject: string;
  /** How each line of a message is written: CSV (cells in `columns` order, no header) or a JSON object. */
  encoding: 'csv' | 'jsonl';
  /** Every column of a line, in order: the features, then the label. */
  columns: string[];
  label: string;
  /**
   * 'regression' when the label is a number to predict (each label cell a
   * finite number, `classes` empty); absent: classification. Readers refuse
   * a learner of the other task before they take a message.
   */
  task?: 'regression';
  /**
   * The label's classes in index order. Every reader starts from this list,
   * so replicas learned by different workers index classes alike and merge.
   */
  classes: string[];
  /** Feature columns whose values are category names. */
  categorical?: string[];
  /**
   * Each categorical column's category names in code order. Readers code
   * categories by this list (new ones appended), not by the order they meet
   * them, so workers agree on the codes and their models merge.
   */
  categories?: Record<string, string[]>;
  /** Feature columns of nominal codes without names (a synth: stream's), read as numbers and flagged nominal. */
  nominal?: string[];
  /** Whether feature values may be missing (an empty CSV cell, a JSON null). */
  missing?: boolean;
  /** What was published: a file's name or a synth: spec. */
  origin?: string;
  updatedAt: string;
}

// The record as read back, checked field by field (StreamFormat says what each field is).
const streamFormatSchema = v.object({
  format: v.literal('streamlearn-stream'),
  formatVersion: v.literal(1),
  subject: v.pipe(v.string(), v.minLength(1)),
  encoding: v.picklist(['csv', 'jsonl']),
  columns: v.pipe(v.array(v.string()), v.minLength(2)),
  label: v.string(),
  task: v.optional(v.literal('regression')),
  classes: v.array(v.string()),
  categorical: v.optional(v.array(v.string())),
  categories: v.optional(v.record(v.string(), v.array(v.string()))),
  nominal: v.optional(v.array(v.string())),
  missing: v.optional(v.boolean()),
  origin: v.optional(v.string()),
  updatedAt: v.string(),
}) satisfies v.GenericSchema<unknown, StreamFormat>;

async function formatsBucket(broker: Broker, create: boolean, report?: Reporter): Promise<KV | null> {
  const kvm = new Kvm(broker.nc);
  const what = `opening the stream formats bucket ${STREAM_FORMATS_BUCKET}`;
  if (create) return retrying(what, () => kvm.create(STREAM_FORMATS_BUCKET, { history: 1 }), { report });
  // Opening a bucket that does not exist succeeds (it is lazy); the stream behind it says whether it does.
  const there = await retrying(
    what,
    async () => {
      try {
        await broker.jsm.streams.info(`KV_${STREAM_FORMATS_BUCKET}`);
        return true;
      } catch (err) {
        if (err instanceof Error && err.name === 'StreamNotFoundError') return false;
        throw err;
      }
    },
    { report },
  );
  return there ? retrying(what, () => kvm.open(STREAM_FORMATS_BUCKET), { report }) : null;
}

/** The stream's format record, or null when nothing was recorded for it (rows published by other producers). */
export async function readStreamFormat(broker: Broker, stream: string, where: string, report?: Reporter): Promise<StreamFormat | null> {
  const kv = await formatsBucket(broker, false, report);
  if (!kv) return null;
  return parseEntry(await retrying(`${where}: reading the stream's format record`, () => kv.get(stream), { report }), stream, where);
}

function parseEntry(entry: KvEntry | null, stream: string, where: string): StreamFormat | null {
  if (!entry || entry.operation !== 'PUT' || entry.length === 0) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(entry.string());
  } catch {
    fail(`${where}: the stream's format record (${STREAM_FORMATS_BUCKET}/${stream}) is not valid JSON`);
  }
  const parsed = checkWith(streamFormatSchema, raw);
  if (!parsed.ok) fail(`${where}: the stream's format record (${STREAM_FORMATS_BUCKET}/${stream}) is invalid at ${parsed.problem}`);
  if (parsed.value.task === 'regression' && parsed.value.classes.length > 0) {
    fail(`${where}: the stream's format record (${STREAM_FORMATS_BUCKET}/${stream}) is invalid at classes: a regression stream lists no classes`);
  }
  return parsed.value;
}

/**
 * Records (or extends) a stream's format. A record already there must
 * describe the same columns, label and encoding; its classes come first and
 * classes it lacks are appended, so a class's index never changes once
 * recorded. Concurrent publishers are serialised by the bucket's revision
 * check. Returns the record as stored.
 */
export async function writeStreamFormat(
  broker: Broker,
  stream: string,
  format: Omit<StreamFormat, 'format' | 'formatVersion' | 'updatedAt'>,
  where: string,
  report?: Reporter,
): Promise<StreamFormat> {
  const kv = (await formatsBucket(broker, true, report))!;
  const what = `${where}: writing the stream's format record`;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const entry = await retrying(what, () => kv.get(stream), { report });
    const current = parseEntry(entry, stream, where);
    let next: StreamFormat;
    if (current) {
      const same =
        current.encoding === format.encoding &&
        current.label === format.label &&
        (current.task ?? 'classification') === (format.task ?? 'classification') &&
        current.columns.length === format.columns.length &&
        current.columns.every((c, i) => c === format.columns[i]);
      if (!same) {
        fail(
          `${where}: the stream already holds rows of another shape (${current.task ?? 'classification'}, ${current.encoding}, columns ${current.columns.join(', ')}); ` +
            'publish these rows to a new stream',
        );
      }
      const classes = [...current.classes, ...format.classes.filter((c) => !current.classes.includes(c))];
      const categories: Record<string, string[]> = { ...current.categories };
      for (const [column, names] of Object.entries(format.categories ?? {})) {
        const known = categories[column] ?? [];
        categories[column] = [...known, ...names.filter((n) => !known.includes(n))];
      }
      next = { ...current, classes, ...(Object.keys(categories).length > 0 ? { categories } : {}), updatedAt: new Date().toISOString() };
    } else {
      next = { format: 'streamlearn-stream', formatVersion: 1, ...format, updatedAt: new Date().toISOString() };
    }
    try {
      if (entry && entry.operation === 'PUT') await kv.update(stream, JSON.stringify(next), entry.revision);
      else await kv.create(stream, JSON.stringify(next));
      return next;
    } catch (err) {
      // Another publisher wrote in between: read again and merge again. A write lost with the connection may have
      // landed: reading again says so (the merge then finds nothing to add, and writes the same record once more).
      if (isTransient(err)) {
        if (Date.now() - started > 60_000) throw brokerFailure(what, err, (Date.now() - started) / 1000);
        const wait = backoffMs(Math.min(attempt, 5));
        (report ?? stderrReporter)(`${what} failed (${(err as Error).message}); retrying in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait);
        continue;
      }
      if (attempt >= 20) throw brokerFailure(what, err);
    }
  }
}

/** Removes a stream's format record (tests and tidy-ups). */
export async function deleteStreamFormat(broker: Broker, stream: string): Promise<void> {
  const kv = await formatsBucket(broker, false, () => undefined);
  if (kv) await kv.purge(stream).catch(() => undefined);
}
