import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerConfig, type ConsumerInfo, type JsMsg } from '@nats-io/jetstream';
import { fail, StreamlearnError } from '../../core/errors.js';
import { formatCount } from '../cli/format.js';
import type { Row, Schema, Task } from '../../core/types.js';
import type { ReadyRows } from '../../stream/batch.js';
import { tableSource, type BadRowPolicy, type RecordBatch, type SkippedRow, type Source } from '../../data/source.js';
import { retrying, type Broker, type Reporter } from './connection.js';
import type { NewClassPolicy } from './defaults.js';
import { firstJsonKeys, messageRecords } from './records.js';
import { readStreamFormat, type RowEncoding } from './stream-format.js';
import type { StreamUrl } from './url.js';

/** JetStream durations are nanoseconds. */
export const nanos = (seconds: number): number => Math.round(seconds * 1e9);

/** How a stream's messages are read into rows: its format record's, or, without one, the flags'. */
export interface ReadFormat {
  readonly encoding: RowEncoding;
  readonly columns: readonly string[];
  readonly label: string;
  /** 'regression': each label is a number to predict, and there are no classes. Absent: classification. */
  readonly task?: Task;
  readonly classes: readonly string[];
  readonly categorical: readonly string[];
  readonly categories: Readonly<Record<string, readonly string[]>>;
  readonly nominal: readonly string[];
  readonly missing: boolean;
  /** The subject the rows were published on (the default filter), when recorded. */
  readonly subject?: string;
  /** Whether it came from the stream's format record (else from flags and the first message). */
  readonly recorded: boolean;
}

/** What a reader needs to know when the stream has no format record, and what its learner does. */
export interface UnrecordedFormatOptions {
  readonly label?: string;
  readonly classes?: readonly string[];
  /** Checked before the first message is taken: skip or fail need the classes. */
  readonly newClasses?: NewClassPolicy;
  /**
   * The learner's task. A stream whose format record says the other task is
   * refused in one line naming both, before any message is taken; a stream
   * without a record is read as this task. Absent: the record's task, else
   * classification.
   */
  readonly task?: Task;
  /** The learner's name, for that line ("but linear-regression is a regressor"). */
  readonly learner?: string;
}

/** A learner and its task in words, for messages: "linear-regression is a regressor", or "the learner is a regressor". */
function learnerWords(task: Task, learner: string | undefined): string {
  const kind = task === 'regression' ? 'a regressor' : 'a classifier';
  return learner ? `${learner} is ${kind}` : `the learner is ${kind}`;
}

/** Fails, naming both tasks, when a stream of `streamTask` rows meets a learner of the other task. */
export function checkStreamTask(streamTask: Task, label: string, task: Task | undefined, learner: string | undefined, where: string): void {
  if (task === undefined || task === streamTask) return;
  const what = streamTask === 'regression' ? `its label "${label}" is a number to predict` : `its label "${label}" is a class`;
  const advice =
    task === 'regression'
      ? 'choose a classifier, or publish rows with numeric labels as regression rows (streamlearn publish --task regression) to another stream'
      : 'choose a regressor (streamlearn regressors), or publish the rows as classification rows to another stream';
  fail(`${where}: the stream holds ${streamTask} rows (${what}), but ${learnerWords(task, learner)}: ${advice}`);
}

/** The stream's configuration, or a one-line failure naming the flag when there is no such stream. */
export async function streamSubjects(broker: Broker, url: StreamUrl, flag: string, report?: Reporter): Promise<string[]> {
  try {
    const info = await retrying(`reading stream ${url.display}`, () => broker.jsm.streams.info(url.stream), { report });
    return info.config.subjects ?? [];
  } catch (err) {
    if (err instanceof Error && err.name === 'StreamNotFoundError') {
      fail(`${flag} ${url.display}: no stream "${url.stream}" on the server (put rows in it first: streamlearn publish FILE --to ${url.display})`);
    }
    throw err;
  }
}

/**
 * The stream's read format: its format record when `streamlearn publish`
 * wrote one; else JSON lines whose columns are the first message's keys,
 * with the label and classes from the flags (CSV lines need the record,
 * which holds their columns).
 */
export async function resolveReadFormat(
  broker: Broker,
  url: StreamUrl,
  flag: string,
  options: UnrecordedFormatOptions,
  firstPayload: () => Promise<string | null>,
  report?: Reporter,
): Promise<ReadFormat> {
  const record = await readStreamFormat(broker, url.stream, `${flag} ${url.display}`, report);
  if (record) {
    if (options.label !== undefined && options.label !== record.label) {
      fail(`--label ${options.label}: the stream's rows are labelled by "${record.label}" (its format record says so); leave --label out`);
    }
    const task: Task = record.task ?? 'classification';
    checkStreamTask(task, record.label, options.task, options.learner, `${flag} ${url.display}`);
    if (task === 'regression' && (options.classes ?? []).length > 0) fail(`--classes applies to a classification stream; ${url.display} holds regression rows (its label is a number to predict)`);
    const classes = [...record.classes, ...(options.classes ?? []).filter((c) => !record.classes.includes(c))];
    return {
      encoding: record.encoding,
      columns: record.columns,
      label: record.label,
      ...(task === 'regression' ? { task } : {}),
      classes,
      categorical: record.categorical ?? [],
      categories: record.categories ?? {},
      nominal: record.nominal ?? [],
      missing: record.missing ?? false,
      subject: record.subject,
      recorded: true,
    };
  }
  if (!options.label) {
    fail(`${flag} ${url.display}: the stream has no format record (it was not filled by streamlearn publish); give its label field with --label (rows must then be JSON lines)`);
  }
  const regression = options.task === 'regression';
  if (regression && (options.classes ?? []).length > 0) fail('--classes applies to classifiers: a regressor predicts a number');
  const policy = options.newClasses ?? 'allow';
  // A regression stream's labels are numbers: no class can be outside the classes.
  if (!regression && policy !== 'allow' && (options.classes ?? []).length === 0) {
    fail(
      `${flag} ${url.display}: the stream has no format record and --classes is not given, so every label would be outside the classes (--new-classes ${policy}); ` +
        'give the classes in order with --classes a,b,... (the same list to every worker, so that their models merge), or --new-classes allow to learn labels as they appear',
    );
  }
  const payload = await firstPayload();
  if (payload === null) fail(`${flag} ${url.display}: the stream has no format record and no message to take the fields from`);
  const columns = firstJsonKeys(payload);
  if (!columns) fail(`${flag} ${url.display}: the stream has no format record and its first message is not a JSON object (CSV rows need the record that streamlearn publish writes)`);
  if (!columns.includes(options.label)) fail(`--label ${options.label}: no such field in the stream's first message (fields: ${columns.join(', ')})`);
  return {
    encoding: 'jsonl',
    columns,
    label: options.label,
    ...(regression ? { task: 'regression' as const } : {}),
    classes: [...(options.classes ?? [])],
    categorical: [],
    categories: {},
    nominal: [],
    missing: false,
    recorded: false,
  };
}

/**
 * Fails in one line saying that durable consumer `durable` has nothing
 * pending, and how many messages the stream holds: what a reader says when
 * it would otherwise learn nothing, or have no message to take a stream's
 * fields from.
 */
export async function failNothingPending(
  broker: Broker,
  url: StreamUrl,
  flag: string,
  durable: string,
  context: { waited?: number; redeliverable?: number; report?: Reporter; advice?: string },
): Promise<never> {
  const held = (await retrying(`reading stream ${url.display}`, () => broker.jsm.streams.info(url.stream), { report: context.report })).state.messages;
  const redeliverable = context.redeliverable ?? 0;
  const waited = context.waited ?? 0;
  const stream =
    (held === 0 ? 'the stream holds no message yet' : `the stream holds ${formatCount(held)} message${held === 1 ? '' : 's'}, and it has taken every one it reads already`) +
    (redeliverable > 0 ? `; ${formatCount(redeliverable)} taken and not acknowledged come back after its ack wait` : '');
  fail(
    `${flag} ${url.display}: consumer ${durable} has nothing pending` +
      `${waited > 0 ? ` after waiting ${waited} s` : ''} (${stream}); ${context.advice ?? 'publish more rows, or leave out --durable to read the stream from its first message'}`,
  );
}

/** The first message's payload that holds more than blank lines (the fields of a stream without a format record come from it), or null. */
export function firstPayload(msgs: readonly JsMsg[]): string | null {
  const decoder = new TextDecoder();
  for (const m of msgs) {
    const text = decoder.decode(m.data);
    if (text.trim() !== '') return text;
  }
  return null;
}

/** Why an empty message (no bytes, or only blank lines) is a bad row. */
export const EMPTY_MESSAGE = 'an empty message (no row in it)';

/**
 * A batch of messages as records: every non-blank line is one, and its
 * "line" is its message's stream sequence; an empty message is one bad
 * record (EMPTY_MESSAGE).
 */
export interface DecodedMessages {
  readonly batch: RecordBatch;
  /** Per message, in order: how many records it held (at least 1). */
  readonly counts: number[];
}

/** A message's bytes and stream sequence (a JsMsg has both). */
export interface MessageBytes {
  readonly seq: number;
  readonly data: Uint8Array;
}

export function decodeMessages(msgs: readonly MessageBytes[], format: ReadFormat): DecodedMessages {
  const records: (readonly unknown[] | string)[] = [];
  const lines: number[] = [];
  const counts: number[] = [];
  const decoder = new TextDecoder();
  for (const msg of msgs) {
    const recs = messageRecords(decoder.decode(msg.data), format.encoding, format.columns);
    // A message with no row at all is a bad message, failed or left out (and counted) as a bad row is, not zero rows
    // in silence: a producer that sends empty messages has a bug worth hearing of.
    if (recs.length === 0) recs.push(EMPTY_MESSAGE);
    for (const r of recs) {
      records.push(r);
      lines.push(msg.seq);
    }
    counts.push(recs.length);
  }
  return { batch: { records, lines }, counts };
}

/** A file source's messages speak of lines; a stream's "lines" are stream sequences. */
function messageTerms(text: string): string {
  return text.replace(/: line (\d+)/g, ': message $1');
}

/** A row left out because its label is not one of the classes (newClasses 'skip'). */
export interface NewClassRow {
  /** The message's stream sequence. */
  readonly line: number;
  readonly label: string;
  /** What it would have failed with, and that it was left out. */
  readonly message: string;
}

/** What rowSource reads bad rows and unknown labels with. */
export interface RowSourceOptions {
  readonly onBadRow?: BadRowPolicy;
  readonly onSkip?: (row: SkippedRow) => void;
  /** A label that is not one of the classes (the format's, then the record's as read again): default 'allow'. */
  readonly newClasses?: NewClassPolicy;
  /** The classes the stream's format record lists now: read again when a label is not one of those known. Absent without a record. */
  readonly recordedClasses?: () => Promise<readonly string[] | null>;
  /** Called for each row left out by newClasses 'skip' (else onSkip is, with the message). */
  readonly onNewClassSkip?: (row: NewClassRow) => void;
}

/** A stream's Source, with what a worker resuming a checkpoint needs. */
export interface StreamRowSource extends Source {
  /**
   * Makes `target` (a resumed model's classes) the source's class list:
   * their common part must agree, and each list is extended with what the
   * other has. False (and nothing changed) when they disagree.
   */
  adoptClasses(target: string[]): boolean;
  /** Rows left out so far because their label is not one of the classes (also counted in `skipped`). */
  readonly newClassRows: number;
  /**
   * The rows in runs, each the rows of one batch of messages, in order:
   * what rows() gives, for a reader that learns batches. Single use, and
   * not with rows().
   */
  chunks(): AsyncGenerator<Row[]>;
}

/** At most this many rows are taken from the inner source in one run (a batch of records is never near it). */
const CHUNK_ROWS = 1 << 30;

/**
 * Rows one by one over runs of rows, with the runs' rows ready to take
 * without a promise each (ReadyRows: batches() takes them so).
 */
class ChunkRows implements AsyncIterableIterator<Row>, ReadyRows {
  private run: Row[] = [];
  private at = 0;
  private pending: Promise<IteratorResult<Row>> | null = null;

  constructor(private readonly runs: AsyncGenerator<Row[]>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Row>> {
    if (this.at < this.run.length) return Promise.resolve({ value: this.run[this.at++], done: false });
    if (this.pending) return this.pending.then(() => this.next());
    this.pending = this.refill().finally(() => (this.pending = null));
    return this.pending;
  }

  takeReady(out: Row[], max: number): number {
    if (this.pending) return 0;
    const end = Math.min(this.run.length, this.at + max);
    const n = end - this.at;
    while (this.at < end) out.push(this.run[this.at++]);
    return n;
  }

  private async refill(): Promise<IteratorResult<Row>> {
    const item = await this.runs.next();
    if (item.done) return { value: undefined, done: true };
    this.run = item.value;
    this.at = 0;
    return { value: this.run[this.at++], done: false };
  }

  async return(): Promise<IteratorResult<Row>> {
    this.run = [];
    this.at = 0;
    await this.runs.return(undefined);
    return { value: undefined, done: true };
  }
}

/** A label outside the classes is looked up in the format record again at most this often (ms), while rows of it keep coming. */
const RECHECK_MS = 5000;

/** The classes as messages list them: the first ten, then how many in all. */
export function classList(classes: readonly string[]): string {
  return classes.length === 0 ? 'none given' : classes.length <= 10 ? classes.join(', ') : `${classes.slice(0, 10).join(', ')}, ... (${classes.length} in all)`;
}

/**
 * A Source over a stream's records: tableSource reads them (numbers,
 * categories, missing values, labels, bad rows), exactly as it reads a
 * file's, with errors naming the stream and the message's sequence. On
 * top: classes start from the format's list, categories are coded by the
 * format's lists (so every worker codes them alike), and nominal code
 * columns are flagged nominal. A label that is not one of the classes is
 * looked up in the format record again (a publisher records a class before
 * its first row), whose classes are then taken in the record's order; one
 * still unknown is learned as a new class, left out, or fatal, as
 * `newClasses` says.
 */
export async function rowSource(url: StreamUrl, format: ReadFormat, batches: () => AsyncGenerator<RecordBatch>, close: () => Promise<void>, options: RowSourceOptions = {}): Promise<StreamRowSource> {
  let inner: Source;
  const regression = format.task === 'regression';
  try {
    inner = await tableSource(
      { header: format.columns, batches, close },
      { file: url.display, name: url.stream, unit: 'field', listed: 'fields', missingHint: '(the stream was published without missing values)' },
      {
        label: format.label,
        // A regression label is read as a number (a bad row when it is not one), and there are no classes.
        ...(regression ? { task: 'regression' as const } : { classes: format.classes }),
        ...(format.categorical.length > 0 ? { categorical: format.categorical } : {}),
        missing: format.missing ? 'allow' : 'fail',
        onBadRow: options.onBadRow ?? 'fail',
        onSkip: options.onSkip ? (row) => options.onSkip!({ line: row.line, message: messageTerms(row.message) }) : undefined,
      },
    );
  } catch (err) {
    if (err instanceof StreamlearnError) throw new StreamlearnError(messageTerms(err.message));
    throw err;
  }
  const schema0 = inner.schema;
  const features = schema0.features;
  const canonical = features.map((f) => (format.categorical.includes(f) ? [...(format.categories[f] ?? [])] : null));
  const nominalFlags = features.map((f) => format.categorical.includes(f) || format.nominal.includes(f));
  const remap = canonical.map((names, j) => (names ? { names, index: new Map(names.map((n, i) => [n, i])), local: schema0.categories?.[j] ?? [] } : null));
  // The classes rows are indexed by: the format's, then the record's as read again, then (allow) new labels. The
  // inner source indexes labels in the order it meets them (starting from the format's, so alike at first).
  let classes: string[] = [...format.classes];
  let classIndex = new Map(classes.map((c, i) => [c, i]));
  const local = schema0.classes;
  // Inner class index -> index in `classes`; -1: left out (until recheckAt, for a stream with a record).
  const toClass: number[] = local.map((_, i) => i);
  const recheckAt: number[] = [];
  const policy = options.newClasses ?? 'allow';
  let newClassRows = 0;
  const schema: Schema = {
    ...schema0,
    classes,
    ...(nominalFlags.some(Boolean) ? { nominal: nominalFlags } : {}),
    ...(remap.some(Boolean) ? { categories: canonical } : {}),
  };
  const add = (name: string): number => {
    classIndex.set(name, classes.length);
    classes.push(name);
    return classes.length - 1;
  };
  /** The class of an inner class index met for the first time (or again after being left out): -1 to leave the row out. */
  const resolve = async (at: number, line: number): Promise<number> => {
    const name = local[at];
    let y = classIndex.get(name);
    if (y === undefined && options.recordedClasses && Date.now() >= (recheckAt[at] ?? 0)) {
      for (const c of (await options.recordedClasses()) ?? []) if (!classIndex.has(c)) add(c);
      y = classIndex.get(name);
    }
    if (y === undefined) {
      const what = `${url.display}: message ${line}: label "${name}" is not one of the classes (${classList(classes)})`;
      if (policy === 'fail') fail(`${what}; --new-classes fail stops here (skip leaves such rows out and counts them, allow learns the label as a new class)`);
      if (policy === 'skip') {
        recheckAt[at] = options.recordedClasses ? Date.now() + RECHECK_MS : Infinity;
        toClass[at] = -1;
        return -1;
      }
      y = add(name);
    }
    toClass[at] = y;
    return y;
  };
  const anyRemap = remap.some(Boolean);
  /** A row of the inner source with class y (-1: left out) and its categories as this source indexes them; null: left out. */
  const place = (row: Row, y: number): Row | null => {
    if (y < 0) {
      newClassRows++;
      const label = local[row.y];
      const message = `${url.display}: message ${row.line}: label "${label}" is not one of the classes (${classList(classes)}); left out (--new-classes skip)`;
      if (options.onNewClassSkip) options.onNewClassSkip({ line: row.line, label, message });
      else options.onSkip?.({ line: row.line, message });
      return null;
    }
    // The inner index and the class agree unless a class came from the record out of the order met.
    const out = y === row.y ? row : { x: row.x, y, line: row.line };
    if (anyRemap) recode(row);
    return out;
  };
  /** Puts a row's category codes in the format's order (the inner source codes them in the order it meets them). */
  const recode = (row: Row): void => {
    for (let j = 0; j < remap.length; j++) {
      const r = remap[j];
      const code = row.x[j];
      if (!r || Number.isNaN(code)) continue;
      const name = r.local[code];
      let canonicalCode = r.index.get(name);
      if (canonicalCode === undefined) {
        canonicalCode = r.names.length;
        r.names.push(name);
        r.index.set(name, canonicalCode);
      }
      row.x[j] = canonicalCode;
    }
  };
  let used = false;
  /**
   * The rows in runs: all those the inner source converted from one batch of
   * records (one pull of messages) at once, with one await per run rather
   * than one per row, which costs more than reading the row.
   */
  async function* chunks(): AsyncGenerator<Row[]> {
    if (used) throw new Error(`${url.display}: rows may be read only once`);
    used = true;
    const it = inner.rows()[Symbol.asyncIterator]() as AsyncIterator<Row> & Partial<ReadyRows>;
    let ended = false;
    try {
      for (;;) {
        const first = await it.next();
        if (first.done) {
          ended = true;
          return;
        }
        const run: Row[] = [first.value];
        if (it.takeReady) while (it.takeReady(run, CHUNK_ROWS) > 0);
        if (regression) {
          // A regression row's y is its target: no class to place it by.
          if (anyRemap) for (const row of run) recode(row);
          yield run;
          continue;
        }
        const out: Row[] = [];
        for (const row of run) {
          let y = toClass[row.y];
          // Only a label met for the first time (or due to be looked up again) waits; the others are placed at once.
          if (y === undefined || (y < 0 && Date.now() >= recheckAt[row.y])) y = await resolve(row.y, row.line);
          const placed = place(row, y);
          if (placed) out.push(placed);
        }
        if (out.length > 0) yield out;
      }
    } catch (err) {
      ended = true;
      if (err instanceof StreamlearnError) throw new StreamlearnError(messageTerms(err.message));
      throw err;
    } finally {
      // As `for await` does: the inner source is closed when its reader stops early.
      if (!ended) await it.return?.(undefined);
    }
  }
  return {
    name: inner.name,
    schema,
    chunks,
    rows: () => ({ [Symbol.asyncIterator]: () => new ChunkRows(chunks()) }),
    get skipped() {
      return (inner.skipped ?? 0) + newClassRows;
    },
    get newClassRows() {
      return newClassRows;
    },
    adoptClasses(target: string[]): boolean {
      if (regression) return target.length === 0;
      const common = Math.min(target.length, classes.length);
      for (let i = 0; i < common; i++) if (target[i] !== classes[i]) return false;
      for (const c of classes.slice(common)) target.push(c);
      classes = target;
      classIndex = new Map(classes.map((c, i) => [c, i]));
      (schema as { classes: string[] }).classes = classes;
      return true;
    },
  };
}

/** The consumer's settings a durable reader asks for when it creates the consumer. */
export interface DurableSettings {
  readonly durable: string;
  readonly filter?: string;
  /** Seconds the server waits for an acknowledgement before it redelivers the message. */
  readonly ackWait: number;
  /** Messages delivered and not yet acknowledged at most, across all readers of the consumer; -1: no limit. */
  readonly maxAckPending: number;
}

const CONSUMER_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The durable pull consumer, made when absent with explicit acknowledgement,
 * from the stream's first message, with the given ack wait and limit. One
 * that exists is used as it is (its settings are the ones that count, and are
 * returned); its filter must match the one asked for.
 */
export async function ensureDurable(broker: Broker, url: StreamUrl, settings: DurableSettings, report?: Reporter): Promise<{ consumer: Consumer; info: ConsumerInfo; created: boolean }> {
  const { durable } = settings;
  if (!CONSUMER_NAME.test(durable)) fail(`--durable ${durable}: not a valid consumer name (letters, digits, - and _ only)`);
  const getInfo = async (): Promise<ConsumerInfo | null> => {
    try {
      return await broker.jsm.consumers.info(url.stream, durable);
    } catch (err) {
      if (err instanceof Error && err.name === 'ConsumerNotFoundError') return null;
      throw err;
    }
  };
  let info = await retrying(`reading consumer ${durable}`, getInfo, { report });
  let created = false;
  if (!info) {
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(settings.ackWait),
      max_ack_pending: settings.maxAckPending,
      max_deliver: -1,
      ...(settings.filter ? { filter_subject: settings.filter } : {}),
    };
    const made = await retrying(
      `creating consumer ${durable} on ${url.display}`,
      async () => {
        try {
          return await broker.jsm.consumers.add(url.stream, config);
        } catch (err) {
          // Another worker made it at the same moment (or this request did, its answer lost with the connection): use it.
          const there = await getInfo();
          if (there) return { info: there };
          throw err;
        }
      },
      { report },
    );
    if ('info' in made) info = made.info;
    else {
      info = made;
      created = true;
    }
  }
  const filter = info.config.filter_subject ?? '';
  if ((settings.filter ?? '') !== '' && filter !== settings.filter) {
    fail(`--subject ${settings.filter}: consumer ${durable} exists with filter "${filter || '(none)'}"; use its filter or another --durable`);
  }
  if (info.config.ack_policy !== AckPolicy.Explicit) fail(`--durable ${durable}: the consumer exists without explicit acknowledgement (ack policy ${info.config.ack_policy}); use another name`);
  const consumer = await pullConsumer(broker, url, durable, report);
  return { consumer, info, created };
}

/**
 * An ephemeral consumer that reads the stream without acknowledging
 * anything: reading leaves the stream and every durable consumer as they
 * were, as reading a file does. Deleted by the server a minute after its
 * reader goes away.
 */
export async function ephemeralReader(broker: Broker, url: StreamUrl, filter: string | undefined, report?: Reporter): Promise<Consumer> {
  const name = `streamlearn-read-${Math.random().toString(36).slice(2, 10)}`;
  // Adding it again after a lost answer is harmless: the same name and configuration make no second consumer.
  await retrying(
    `reading ${url.display}`,
    () =>
      broker.jsm.consumers.add(url.stream, {
        name,
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        inactive_threshold: nanos(60),
        mem_storage: true,
        ...(filter ? { filter_subject: filter } : {}),
      }),
    { report },
  );
  return pullConsumer(broker, url, name, report);
}

/** The client's handle on a pull consumer (a request to the server, retried as the others). */
export async function pullConsumer(broker: Broker, url: StreamUrl, name: string, report?: Reporter): Promise<Consumer> {
  try {
    return await retrying(`reading consumer ${name} of ${url.display}`, () => broker.js.consumers.get(url.stream, name), { report });
  } catch (err) {
    if (err instanceof Error && /not a pull consumer/.test(err.message)) fail(`--durable ${name}: consumer ${name} exists as a push consumer; use another name`);
    throw err;
  }
}

/** Pulls up to `max` messages, waiting at most `expiresMs` for them (at least 1 s, the client's minimum). */
export async function fetchMessages(consumer: Consumer, max: number, expiresMs: number): Promise<JsMsg[]> {
  const iter = await consumer.fetch({ max_messages: Math.max(1, max), expires: Math.max(1000, expiresMs) });
  const out: JsMsg[] = [];
  for await (const m of iter) out.push(m);
  return out;
}

/** What acknowledging a message takes: the reply subject its delivery came with. */
export interface Acknowledgeable {
  readonly reply: string;
}

/** The acknowledgement a message's reply subject takes (what JsMsg.ack() sends). */
export const ACK = new TextEncoder().encode('+ACK');
/** Work in progress: the server restarts the message's ack wait (JsMsg.working()). */
export const WORKING = new TextEncoder().encode('+WPI');
/** Handed back: the server redelivers the message at once (JsMsg.nak()). */
export const NAK = new TextEncoder().encode('-NAK');

/**
 * Acknowledges messages and confirms that the server has the
 * acknowledgements: a round trip (PING/PONG) after them on the same
 * connection, which the client fails when the connection is lost meanwhile
 * (nats.js drops what it had buffered, so an acknowledgement sent while the
 * connection is down never arrives). An acknowledgement is a publication to
 * the delivery's reply subject, so sending one again is the same call.
 * Resolves true when confirmed within `timeoutMs`; a failed confirmation
 * may still have delivered some: acknowledging twice is harmless.
 */
export async function acknowledgeConfirmed(broker: Broker, deliveries: readonly Acknowledgeable[], timeoutMs: number): Promise<boolean> {
  if (deliveries.length === 0) return true;
  if (!broker.connected()) return false;
  const disconnects = broker.stats.disconnects;
  for (const d of deliveries) broker.nc.publish(d.reply, ACK);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      broker.nc.flush(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
  return broker.stats.disconnects === disconnects && broker.connected();
}
