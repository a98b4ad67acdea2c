import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { fail } from '../../core/errors.js';
import type { Task } from '../../core/types.js';
import type { RecordBatch, BadRowPolicy, SkippedRow, Source } from '../../data/source.js';
import { connectBroker, retrying, sleep, stderrReporter, type Broker, type Reporter } from './connection.js';
import { newClassPolicies, TRAIN_NEW_CLASSES, type NewClassPolicy } from './defaults.js';
import { decodeMessages, ensureDurable, ephemeralReader, failNothingPending, fetchMessages, firstPayload, pullConsumer, resolveReadFormat, rowSource, streamSubjects, type ReadFormat } from './reader.js';
import { readStreamFormat } from './stream-format.js';
import { parseStreamUrl, type StreamUrl } from './url.js';

/** Messages pulled at a time by a single reader. */
const FETCH = 1000;
import { TRAIN_ACK_WAIT_S } from './defaults.js';
export { TRAIN_ACK_WAIT_S };

/** How `train --source nats://HOST:PORT/STREAM` reads. */
export interface JetStreamSourceOptions {
  /** The subject filter; default: the subject the rows were published on (from the format record), else the whole stream. */
  readonly subject?: string;
  /**
   * A durable consumer to read through. Without one the stream is read from
   * its first message by an ephemeral consumer that acknowledges nothing (the
   * stream is read as a file is, and can be read again). With one, reading
   * continues where that consumer stopped, and its messages are acknowledged
   * once the model that learned them has been saved (see settle).
   */
  readonly durable?: string;
  /** Seconds to wait for more messages once none is pending; 0 (the default) stops as soon as none is. */
  readonly idleTimeout?: number;
  /** Seconds of ack wait for a durable consumer this call creates (default 600). */
  readonly ackWait?: number;
  /** For a stream without a format record (JSON lines published by other producers): the label field and the classes. */
  readonly label?: string;
  readonly classes?: readonly string[];
  /** A bad row (and an empty message): 'fail' (the default, as for a data file) or 'skip' it, counted in `skipped`. */
  readonly onBadRow?: BadRowPolicy;
  /** Called for each row left out: a bad row (onBadRow 'skip') or one whose label is not a class (newClasses 'skip'). */
  readonly onSkip?: (row: SkippedRow) => void;
  /**
   * A label that is not one of the stream's classes (its format record's,
   * read again when such a label comes, and --classes): 'allow' (the
   * default, as a data file's labels not listed are added as they appear)
   * learns it as a new class; 'skip' leaves its rows out, counted in
   * `skipped`; 'fail' stops with one line naming the message and the label.
   */
  readonly newClasses?: NewClassPolicy;
  /**
   * What the learner does: 'regression' reads each label as a number to
   * predict (a label that is not one is a bad row, under onBadRow).
   * A stream whose format record says the other task is refused in one line
   * naming both, before any message is taken. Absent: the record's task,
   * else classification.
   */
  readonly task?: Task;
  /** The learner's name, for that line. */
  readonly learner?: string;
  readonly connectTimeout?: number;
  readonly report?: Reporter;
}

/** How many distinct labels outside the classes are reported on stderr as they come (all are counted). */
export const NEW_LABELS_REPORTED = 10;

/** A Source over a JetStream stream: what train() reads from `--source`. */
export interface JetStreamSource extends Source {
  /**
   * Called once the run is over: with `saved` true, the model that learned
   * every row read has been written, and a durable consumer's messages are
   * acknowledged; otherwise they are handed back (nak) for redelivery.
   * Nothing to do for an ephemeral read.
   */
  settle(saved: boolean): Promise<void>;
  /** Messages read, and those among them that had been delivered before (a durable consumer's redeliveries). */
  readonly messages: number;
  readonly redelivered: number;
}

/**
 * Opens `nats://HOST:PORT/STREAM` as a bounded Source: it reads until its
 * consumer has nothing pending (or, with idleTimeout, until nothing has
 * come for that long), then closes its connection. The schema comes from
 * the stream's format record (see publishRows).
 */
export async function jetStreamSource(urlText: string, options: JetStreamSourceOptions = {}): Promise<JetStreamSource> {
  const flag = '--source';
  const url = parseStreamUrl(urlText, flag);
  const idle = options.idleTimeout ?? 0;
  if (!(idle >= 0)) fail(`--idle-timeout must be a number of seconds of at least 0, got ${idle}`);
  const ackWait = options.ackWait ?? TRAIN_ACK_WAIT_S;
  if (!(ackWait >= 1)) fail(`--ack-wait must be at least 1 second, got ${ackWait}`);
  const report = options.report;
  const connect = (): Promise<Broker> => connectBroker(url, { flag, display: url.display, connectTimeout: options.connectTimeout, report, name: 'streamlearn train' });
  // The set-up connection is closed before returning, and rows() opens its own: a run that fails between
  // the two (a bad --out) leaves no socket holding the process open.
  const newClasses = options.newClasses ?? TRAIN_NEW_CLASSES;
  if (!newClassPolicies.includes(newClasses)) fail(`--new-classes must be ${newClassPolicies.join(', ')}, got ${JSON.stringify(newClasses)}`);
  const setup = await connect();
  let format: ReadFormat;
  let consumerName = '';
  let pending = 0;
  let redeliverable = 0;
  const first: JsMsg[] = [];
  try {
    await streamSubjects(setup, url, flag, report);
    let opened: Consumer | undefined;
    const open = async (filter: string | undefined): Promise<Consumer> => {
      if (options.durable) {
        const made = await ensureDurable(setup, url, { durable: options.durable, filter, ackWait, maxAckPending: -1 }, report);
        pending = made.info.num_pending;
        redeliverable = made.info.num_ack_pending;
        consumerName = options.durable;
        return made.consumer;
      }
      const consumer = await ephemeralReader(setup, url, filter, report);
      const info = await retrying(`reading ${url.display}`, () => consumer.info(), { report });
      pending = info.num_pending;
      consumerName = info.name;
      return consumer;
    };
    // A durable consumer with nothing left for it: say so, rather than learn nothing (or fail for want of a message).
    const nothingPending = (waited: number): Promise<never> => failNothingPending(setup, url, flag, options.durable!, { waited, redeliverable, report });
    format = await resolveReadFormat(
      setup,
      url,
      flag,
      { ...options, newClasses },
      async () => {
        opened = await open(options.subject);
        if (pending > 0 || redeliverable > 0) first.push(...(await fetchMessages(opened, Math.min(FETCH, Math.max(pending, 1)), 2000)));
        // With --idle-timeout, new rows may still come: wait that long for the first.
        else if (options.durable && idle > 0) first.push(...(await fetchMessages(opened, FETCH, idle * 1000)));
        if (first.length === 0 && options.durable) await nothingPending(idle);
        return firstPayload(first);
      },
      report,
    );
    // Labels that are numbers are never outside the classes: the policy speaks of classes only.
    if (format.task === 'regression' && options.newClasses !== undefined) {
      fail(`--new-classes applies to a classification stream; ${url.display} holds regression rows (its label is a number to predict)`);
    }
    // Rows published through `streamlearn publish` are on the recorded subject: read that one unless told otherwise.
    if (!opened) await open(options.subject ?? format.subject);
    if (options.durable && first.length === 0 && pending === 0 && redeliverable === 0 && idle === 0) await nothingPending(0);
  } catch (err) {
    // Taken for the fields and not to be learned now: handed back at once rather than after the ack wait.
    if (options.durable && !setup.nc.isClosed()) for (const m of first.splice(0)) m.nak();
    throw err;
  } finally {
    await setup.close();
  }
  const held: JsMsg[] = [];
  const seen = new Set<number>();
  let messages = 0;
  let redelivered = 0;
  let ended = false;
  let reader: Broker | undefined;
  const close = async (): Promise<void> => {
    await reader?.close();
  };
  const take = (msgs: JsMsg[]): RecordBatch | null => {
    const fresh = msgs.filter((m) => {
      // A durable consumer may redeliver to us what we hold (its ack wait ran out): it is learned once.
      if (seen.has(m.seq)) return false;
      seen.add(m.seq);
      return true;
    });
    messages += fresh.length;
    redelivered += fresh.filter((m) => m.info.deliveryCount > 1).length;
    if (options.durable) held.push(...fresh);
    return fresh.length > 0 ? decodeMessages(fresh, format).batch : null;
  };
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      let left = pending;
      // A durable consumer may hold messages handed back (nak) by an earlier run, which come at once but
      // are not "pending": probe for them with one pull before deciding that nothing is left.
      let probe = options.durable !== undefined && redeliverable > 0;
      let lastSeen = Date.now();
      if (first.length > 0) {
        left = first[first.length - 1].info.pending;
        const start = take(first.splice(0));
        if (start) yield start;
      }
      if (left === 0 && !probe && idle === 0) {
        ended = true;
        return;
      }
      reader = await connect();
      const consumer = await pullConsumer(reader, url, consumerName, report);
      for (;;) {
        if (left === 0 && !probe && idle === 0) {
          ended = true;
          return;
        }
        const msgs = await retrying(`reading ${url.display}`, () => fetchMessages(consumer, left > 0 ? Math.min(FETCH, left) : FETCH, 1000), { report });
        if (msgs.length === 0) {
          probe = false;
          left = (await retrying(`reading ${url.display}`, () => consumer.info(), { report })).num_pending;
          if (left > 0) continue;
          if (Date.now() - lastSeen >= idle * 1000) {
            ended = true;
            return;
          }
          await sleep(Math.min(250, idle * 1000));
          continue;
        }
        lastSeen = Date.now();
        left = msgs[msgs.length - 1].info.pending;
        // Redeliveries may come in more pulls than one.
        probe = msgs.some((m) => m.info.deliveryCount > 1);
        const batch = take(msgs);
        if (batch) yield batch;
      }
    } finally {
      // Stopped by a failure (not by reaching the end): hand a durable consumer's messages back at once.
      if (!ended && reader && !reader.nc.isClosed()) {
        const nak = new TextEncoder().encode('-NAK');
        for (const m of held.splice(0)) reader.nc.publish(replySubject(m), nak);
      }
      await close();
    }
  }
  const say = report ?? stderrReporter;
  const labelsSeen = new Set<string>();
  const source = await rowSource(url, format, batches, close, {
    onBadRow: options.onBadRow,
    onSkip: options.onSkip,
    newClasses,
    ...(format.recorded && format.task !== 'regression' ? { recordedClasses: () => recordedClasses(url, reader, connect, report) } : {}),
    onNewClassSkip: (row) => {
      if (!labelsSeen.has(row.label) && labelsSeen.size < NEW_LABELS_REPORTED) {
        labelsSeen.add(row.label);
        say(`${row.message}, with every other row so labelled (counted with the rows left out)`);
      }
      options.onSkip?.({ line: row.line, message: row.message });
    },
  });
  return Object.assign(source, {
    get messages() {
      return messages;
    },
    get redelivered() {
      return redelivered;
    },
    async settle(saved: boolean): Promise<void> {
      await close();
      if (!options.durable || held.length === 0) return;
      // The reading connection is gone (it closes when the rows end, so that a failure later never leaves
      // it holding the process open): acknowledge over a new one. An acknowledgement is a plain
      // publication to the message's reply subject, valid from any connection of the account.
      const acker = await connectBroker(url, { flag, display: url.display, connectTimeout: options.connectTimeout, report, name: 'streamlearn train (ack)' });
      try {
        const payload = new TextEncoder().encode(saved ? '+ACK' : '-NAK');
        for (const msg of held.splice(0)) acker.nc.publish(replySubject(msg), payload);
        await retrying(`acknowledging on ${url.display}`, () => acker.nc.flush(), { report });
      } finally {
        await acker.close();
      }
    },
  });
}

/** The classes the stream's format record lists now, over the reading connection while it is open, else over one of its own. */
async function recordedClasses(url: StreamUrl, reader: Broker | undefined, connect: () => Promise<Broker>, report?: Reporter): Promise<readonly string[] | null> {
  const broker = reader && !reader.nc.isClosed() ? reader : await connect();
  try {
    return (await readStreamFormat(broker, url.stream, `--source ${url.display}`, report))?.classes ?? null;
  } finally {
    if (broker !== reader) await broker.close();
  }
}

/** The subject a message's acknowledgement goes to (JsMsg keeps it, without typing it). */
export function replySubject(msg: JsMsg): string {
  const reply = (msg as unknown as { reply?: unknown }).reply;
  if (typeof reply !== 'string' || reply === '') throw new Error(`message ${msg.seq} has no reply subject to acknowledge`);
  return reply;
}

/** What train() calls once its model is saved (or not): a broker source settles its messages; other sources have nothing to do. */
export async function settleSource(source: Source, saved: boolean): Promise<void> {
  const settle = (source as Partial<JetStreamSource>).settle;
  if (typeof settle === 'function') await settle.call(source, saved);
}

/** The train() options openBrokerSource reads. */
export interface BrokerTrainOptions {
  readonly source?: string;
  readonly broker?: JetStreamSourceOptions;
  readonly data?: string;
  readonly dataset?: string;
  readonly dataFrame?: unknown;
  readonly label?: string;
  readonly classes?: readonly string[];
  readonly onBadRow?: BadRowPolicy;
  readonly onSkip?: (row: SkippedRow) => void;
  /** The learner (train()'s model), named when its task and the stream's differ. */
  readonly model?: string;
}

/**
 * train()'s source for `--source nats://...`: one source only, the label and
 * classes of a stream without a format record, and the task of the run's
 * learners (a regressor reads the labels as numbers; a stream of the other
 * task is refused in one line naming both).
 */
export async function openBrokerSource(options: BrokerTrainOptions, task: Task = 'classification'): Promise<JetStreamSource> {
  if (options.data !== undefined || options.dataset !== undefined || options.dataFrame !== undefined) {
    fail(`--source ${options.source}: give one source: --source, --data or --dataset, not more`);
  }
  return jetStreamSource(options.source ?? '', {
    ...options.broker,
    ...(options.label !== undefined ? { label: options.label } : {}),
    ...(options.classes !== undefined ? { classes: options.classes } : {}),
    ...(options.onBadRow !== undefined ? { onBadRow: options.onBadRow } : {}),
    ...(options.onSkip !== undefined ? { onSkip: options.onSkip } : {}),
    task,
    ...(options.model !== undefined ? { learner: options.model } : {}),
  });
}
