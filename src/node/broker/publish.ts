import { randomBytes } from 'node:crypto';
import { fail } from '../../core/errors.js';
import type { Row, Task } from '../../core/types.js';
import { fileSource, type InputFormat } from '../files/file-source.js';
import { isJsonlPath } from '../files/jsonl.js';
import type { BadRowPolicy, Source } from '../../data/source.js';
import { synthSource } from '../../data/synth/registry.js';
import { AsyncPublisher } from './async-publish.js';
import { connectBroker, retrying, type Broker, type Reporter } from './connection.js';
import { rowEncoder } from './records.js';
import { readStreamFormat, writeStreamFormat, type RowEncoding, type StreamFormat } from './stream-format.js';
import { parseStreamUrl, type StreamUrl } from './url.js';

/** `publish synth:SPEC` names a generated stream, as `train --data` does. */
const SYNTH = 'synth:';
import { DEFAULT_SYNTH_ROWS } from './defaults.js';
export { DEFAULT_SYNTH_ROWS };
/** Publications awaiting the server's acknowledgement at once: enough to hide the round trip. */
export const DEFAULT_IN_FLIGHT = 8192;
/** Messages handed to the client together: one socket write for all of them. */
const BURST = 256;

/** What `publishRows` reads and how it writes it. */
export interface PublishOptions {
  /** The label column of a data file (required for a file; a synth: stream has its own). */
  readonly label?: string;
  /** The classes in their canonical order; recorded in the stream's format so every reader indexes them alike. */
  readonly classes?: readonly string[];
  /**
   * What a data file's label is: 'classification' (class names, the
   * default) or 'regression' (a number to predict: a label cell that is not
   * a finite number is a bad row, naming the file, line and column). A
   * synth: stream's task is its generator's; a --task that disagrees is
   * refused. Recorded in the stream's format, so readers know it.
   */
  readonly task?: Task;
  readonly inputFormat?: InputFormat;
  readonly delimiter?: string;
  readonly quote?: string;
  readonly features?: readonly string[];
  readonly exclude?: readonly string[];
  readonly categorical?: readonly string[] | 'auto';
  readonly missing?: 'fail' | 'allow';
  readonly onBadRow?: BadRowPolicy;
  /** A data file's longest line in bytes (default 16 MiB); a longer one fails naming the file and line. */
  readonly maxLineBytes?: number;
  /** synth: only: rows to generate (default 100,000) and the generator's seed (default 42). */
  readonly rows?: number;
  readonly seed?: number;
  /** The subject to publish on; default: the one recorded for the stream, else `<STREAM>.rows`. */
  readonly subject?: string;
  /** How lines are written; default: jsonl for a JSON lines file, else csv. */
  readonly encoding?: RowEncoding;
  /** Lines per message (default 1: one row, one message, as producers of events publish them). */
  readonly linesPerMessage?: number;
  readonly inFlight?: number;
  readonly connectTimeout?: number;
  readonly report?: Reporter;
  /** Called as rows are acknowledged by the server: rows so far, and the total when known. */
  readonly onProgress?: (rows: number, total: number | undefined) => void;
}

/** What was published, for the final line and for tests. */
export interface PublishResult {
  /** The stream's URL as messages show it. */
  readonly stream: string;
  readonly subject: string;
  readonly encoding: RowEncoding;
  readonly rows: number;
  readonly messages: number;
  /** The stream sequences of the first and last message published (null when nothing was). */
  readonly firstSequence: number | null;
  readonly lastSequence: number | null;
  /** Publications the server had seen already (retries after a lost acknowledgement), not stored twice. */
  readonly duplicates: number;
  readonly classes: string[];
  /** What the label is: a class (classification) or a number to predict (regression). */
  readonly task: Task;
  /** Whether the stream was created by this call. */
  readonly createdStream: boolean;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

async function openRows(input: string, options: PublishOptions): Promise<Source> {
  if (options.task !== undefined && options.task !== 'classification' && options.task !== 'regression') {
    fail(`--task must be classification or regression, got ${JSON.stringify(options.task)}`);
  }
  if (input.startsWith(SYNTH)) {
    const fileOnly = (['label', 'inputFormat', 'delimiter', 'quote', 'features', 'exclude', 'categorical', 'maxLineBytes'] as const).find((k) => options[k] !== undefined);
    if (fileOnly) fail(`--${fileOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to a data file, not to a synth: stream`);
    const source = synthSource(input.slice(SYNTH.length), { seed: options.seed ?? 42, rows: options.rows ?? DEFAULT_SYNTH_ROWS });
    // A generator makes one task's rows: --task may say it again, not change it.
    const own = source.schema.task ?? 'classification';
    if (options.task !== undefined && options.task !== own) {
      fail(`--task ${options.task}: ${input} generates ${own} rows (its label "${source.schema.label}" is ${own === 'regression' ? 'a number to predict' : 'a class'}); leave --task out`);
    }
    return source;
  }
  if (options.rows !== undefined) fail('--rows applies to a synth: stream, not to a data file (every row of the file is published)');
  if (!options.label) fail('a data file needs its label column (--label COLUMN)');
  const { label, classes, categorical, missing, inputFormat: format, delimiter, quote, features, exclude, onBadRow, maxLineBytes } = options;
  const read = { label, classes, categorical, missing, format, delimiter, quote, features, exclude, onBadRow, maxLineBytes };
  return fileSource(input, options.task === 'regression' ? { ...read, task: 'regression' } : read);
}

/** Whether a subject is matched by a stream's subject filter (`*` one token, `>` the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/** Creates the stream when absent; checks that the subject lands in it. Returns whether it was created. */
async function ensureStream(broker: Broker, url: StreamUrl, subject: string, report?: Reporter): Promise<boolean> {
  const subjects = await retrying(
    `reading stream ${url.display}`,
    async () => {
      try {
        return (await broker.jsm.streams.info(url.stream)).config.subjects ?? [];
      } catch (err) {
        if (err instanceof Error && err.name === 'StreamNotFoundError') return null;
        throw err;
      }
    },
    { report },
  );
  if (subjects === null) {
    const made = await retrying(
      `creating stream ${url.display}`,
      async () => {
        try {
          await broker.jsm.streams.add({ name: url.stream, subjects: [subject] });
          return true;
        } catch (addErr) {
          const message = (addErr as Error).message;
          if (/overlap/i.test(message)) fail(`--subject ${subject}: another stream already takes this subject (${message}); pick another --subject`);
          // Made meanwhile: by another publisher, or by this one's request whose answer was lost with the connection.
          if (/already in use|already exists/i.test(message)) return false;
          throw addErr;
        }
      },
      { report },
    );
    if (made) return true;
    return ensureStream(broker, url, subject, report);
  }
  if (!subjects.some((f) => subjectMatches(f, subject))) {
    fail(`--subject ${subject}: stream ${url.stream} does not take it (its subjects: ${subjects.join(', ') || 'none'})`);
  }
  return false;
}

/**
 * Publishes a CSV or JSON lines file (or a synth: stream) into a JetStream
 * stream, one row per message unless `linesPerMessage` says otherwise,
 * creating the stream (subject `<STREAM>.rows`) when it does not exist, and
 * recording the stream's format (columns, label, task, classes, encoding) in the
 * `streamlearn_streams` key-value bucket, which readers take their schema
 * from. Every message is acknowledged by the server before it counts; a
 * publication that fails (a broker restart) is retried with backoff under
 * the same message id, so the server stores it once.
 */
export async function publishRows(input: string, to: string, options: PublishOptions = {}): Promise<PublishResult> {
  const url = parseStreamUrl(to, '--to');
  const perMessage = options.linesPerMessage ?? 1;
  if (!Number.isInteger(perMessage) || perMessage < 1) fail(`--lines-per-message must be an integer of at least 1, got ${perMessage}`);
  const inFlight = options.inFlight ?? DEFAULT_IN_FLIGHT;
  if (!Number.isInteger(inFlight) || inFlight < 1) fail(`in-flight publications must be an integer of at least 1, got ${inFlight}`);
  const source = await openRows(input, options);
  const schema = source.schema;
  const regression = schema.task === 'regression';
  const encoding: RowEncoding = options.encoding ?? (!input.startsWith(SYNTH) && (options.inputFormat === 'jsonl' || (options.inputFormat === undefined && isJsonlPath(input))) ? 'jsonl' : 'csv');
  const total = input.startsWith(SYNTH) ? (options.rows ?? DEFAULT_SYNTH_ROWS) : undefined;
  const report = options.report;
  const broker = await connectBroker(url, { flag: '--to', display: url.display, connectTimeout: options.connectTimeout, report, name: 'streamlearn publish' });
  try {
    const started = performance.now();
    const { nominal, categoryColumns } = formatColumns(schema);
    const describe = (): Omit<StreamFormat, 'format' | 'formatVersion' | 'updatedAt' | 'subject'> => ({
      encoding,
      columns: [...schema.features, schema.label],
      label: schema.label,
      ...(regression ? { task: 'regression' as const } : {}),
      classes: [...schema.classes],
      ...(categoryColumns.length > 0
        ? {
            categorical: categoryColumns,
            categories: Object.fromEntries(categoryColumns.map((c) => [c, [...(schema.categories?.[schema.features.indexOf(c)] ?? [])]])),
          }
        : {}),
      ...(nominal.length > 0 ? { nominal } : {}),
      ...(schema.missing ? { missing: true } : {}),
      origin: input,
    });
    const recorded = await readStreamFormat(broker, url.stream, `--to ${url.display}`, report);
    const subject = options.subject ?? recorded?.subject ?? `${url.stream}.rows`;
    const created = await ensureStream(broker, url, subject, report);
    // Recorded before the first row, so readers started alongside find it; again at the end with the classes seen.
    await writeStreamFormat(broker, url.stream, { subject, ...describe() }, `--to ${url.display}`, report);
    // ... and before the first row of each class it did not list: a reader that meets a label it does not know reads
    // the record again, and takes the classes in the record's order, so every worker indexes them alike, whenever it
    // started (without this, each would append them in the order it met them, and the replicas would not merge).
    let recordedClasses = schema.classes.length;

    const encode = rowEncoder(schema, encoding);
    const run = randomBytes(6).toString('hex');
    const publisher = new AsyncPublisher(broker, subject, { window: inFlight, report, display: url.display });
    let made = 0;
    let lines: string[] = [];
    let burst: { payload: string; id: string; rows: number }[] = [];
    const send = async (): Promise<void> => {
      await publisher.publish(burst);
      burst = [];
      options.onProgress?.(publisher.rows, total);
    };
    const push = async (): Promise<void> => {
      burst.push({ payload: lines.join('\n'), id: `${run}-${made++}`, rows: lines.length });
      lines = [];
      if (burst.length >= BURST) await send();
    };
    try {
      for await (const row of source.rows() as AsyncIterable<Row>) {
        // A regression row's y is its target, not a class index: there are no classes to record.
        if (!regression && row.y >= recordedClasses) {
          await writeStreamFormat(broker, url.stream, { subject, ...describe() }, `--to ${url.display}`, report);
          recordedClasses = schema.classes.length;
        }
        lines.push(encode(row));
        if (lines.length >= perMessage) await push();
      }
      if (lines.length > 0) await push();
      if (burst.length > 0) await send();
      await publisher.drain();
    } finally {
      publisher.close();
    }
    options.onProgress?.(publisher.rows, total);
    const { rows, messages, duplicates } = publisher;
    const first = publisher.first;
    const last = publisher.last;
    const stored = await writeStreamFormat(broker, url.stream, { subject, ...describe() }, `--to ${url.display}`, report);
    const seconds = (performance.now() - started) / 1000;
    return {
      stream: url.display,
      subject,
      encoding,
      rows,
      messages,
      firstSequence: first,
      lastSequence: last,
      duplicates,
      classes: stored.classes,
      task: regression ? 'regression' : 'classification',
      createdStream: created,
      seconds,
      rowsPerSecond: seconds > 0 ? rows / seconds : rows,
    };
  } finally {
    await broker.close();
  }
}

/** Which features the format record lists as named categories, and which as nominal codes without names (a synth: stream's). */
function formatColumns(schema: Source['schema']): { nominal: string[]; categoryColumns: string[] } {
  const named = schema.features.filter((_, j) => (schema.categories?.[j] ?? null) !== null);
  const nominal = schema.features.filter((f, j) => schema.nominal?.[j] === true && !named.includes(f));
  return { nominal, categoryColumns: named };
}
