import { readFile, rename, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { fail } from '../../core/errors.js';
import { deriveSeed } from '../../core/random.js';
import { rowsToBatch, type RegressionBatch, type Row, type Task } from '../../core/types.js';
import type { RecordBatch } from '../../data/source.js';
import { RegressionMetrics } from '../../eval/regression-metrics.js';
import { argmaxRows, type ParamValue } from '../../learners/contract.js';
import { mergeKinds, mergeModels } from '../../learners/merge.js';
import { Model } from '../../learners/model.js';
import { anyLearnerDefinition, learnerDefinition } from '../../learners/registry.js';
import { RegressionModel } from '../../learners/regression-model.js';
import { isRegressorName, regressorDefinition, regressorDefinitions } from '../../learners/regressor-registry.js';
import { MANIFEST_FILE, type AnyModel } from '../persist/model-dir.js';
import { writeFileSynced } from '../persist/atomic.js';
import { resolveParams } from '../../core/params.js';
import { backoffMs, connectBroker, isTransient, retrying, sleep, stderrReporter, type Broker, type Reporter } from './connection.js';
import { newClassPolicies, type NewClassPolicy } from './defaults.js';
import { formatCount } from '../cli/format.js';
import {
  acknowledgeConfirmed,
  classList,
  NAK,
  WORKING,
  decodeMessages,
  ensureDurable,
  failNothingPending,
  checkStreamTask,
  fetchMessages,
  firstPayload,
  nanos,
  resolveReadFormat,
  rowSource,
  streamSubjects,
  type ReadFormat,
} from './reader.js';
import { readStreamFormat } from './stream-format.js';
import { badRowPolicies, type BadRowPolicy } from '../../data/source.js';
import { assertModelOutWritable, loadAnyModelFrom, loadAnyReplicas, putReplica, saveModelTo } from './registry.js';
import { replySubject } from './source.js';
import { isNatsUrl, parseModelRef, parseStreamUrl, type ModelRef } from './url.js';

import { WORKER_DEFAULTS } from './defaults.js';
export { WORKER_DEFAULTS };

/** What `streamlearn worker` is told. */
export interface WorkerOptions {
  /** `nats://HOST:PORT/STREAM`. */
  readonly source: string;
  /** The durable pull consumer the workers share; made when absent. */
  readonly durable: string;
  /** Where this worker's checkpoints go: its own model directory, or a registry reference. A checkpoint there is resumed. */
  readonly out: string;
  /** Subject filter of a consumer this worker makes (default: the subject the rows were published on). */
  readonly subject?: string;
  /**
   * The learner (default gaussian-nb; a resumed checkpoint's learner
   * otherwise) and its parameters: a classifier for a stream of class
   * labels, a regressor for a regression stream (one published with its
   * task regression, whose labels are numbers); the other task is refused
   * in one line naming both.
   */
  readonly model?: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
  /**
   * Seed of the learner (default 42). Learners merged by averaging use it as
   * it is, so every worker starts from the same weights; ensembles, whose
   * members pool, derive a seed per worker from it and the worker's name.
   */
  readonly seed?: number;
  /** This worker's name, in reports, summaries and replica names; default HOST-PID. */
  readonly name?: string;
  /**
   * Rows learned at a time (default 500); a pull asks for about four
   * batches' worth of messages, by the rows per message seen, and at most
   * this many messages.
   */
  readonly batchSize?: number;
  /**
   * A checkpoint at least every this many completed messages (default 5,000;
   * left at its default, it waits until ten times the last checkpoint's
   * duration has passed, or until the consumer's max ack pending, less two
   * batches, is reached) ...
   */
  readonly checkpointMessages?: number;
  /**
   * ... and every this many seconds while there is something to acknowledge
   * (default 5, or a third of the ack wait when that is shorter; left at its
   * default, at least ten times the last checkpoint's duration, at most 60
   * s). Also whenever a pull comes back short (nothing more for now).
   */
  readonly checkpointSeconds?: number;
  /** Ack wait (s) of a consumer this worker makes (default 30); must exceed checkpointSeconds. */
  readonly ackWait?: number;
  /** Max ack pending of a consumer this worker makes (default 100,000): shared by all its workers. */
  readonly maxAckPending?: number;
  /** Stop after the consumer has had nothing pending or in flight for this many seconds (default 10); 0: run until stopped. */
  readonly idleTimeout?: number;
  /** A JSON file rewritten (atomically) at each checkpoint: the summary, with the stream sequences acknowledged. */
  readonly summaryFile?: string;
  /** Periodic merge: this worker's model becomes its replica of this registry reference, and all replicas merged become its next version. */
  readonly mergeInto?: string;
  /**
   * Seconds between periodic merges (default 60); one more at the end. 0:
   * this worker stores its replica at each checkpoint and never merges
   * (another worker, or `streamlearn merge --replicas`, does): each merge
   * reads every replica, so with many workers all merging, merging grows as
   * the square of their number.
   */
  readonly mergeEvery?: number;
  /** For a stream without a format record (JSON lines from other producers): the label field and classes. */
  readonly label?: string;
  readonly classes?: readonly string[];
  /**
   * A bad row, or an empty message: 'skip' (the default: left out, counted
   * in the summary, its message acknowledged with the next checkpoint, the
   * first one reported) or 'fail' (the worker stops with its message; the
   * message is not acknowledged, so it goes to another worker, which stops
   * too unless told to skip).
   */
  readonly onBadRow?: BadRowPolicy;
  /**
   * A label that is not one of the stream's classes (its format record's,
   * read again when such a label comes, and --classes): 'skip' (the
   * default: the row is left out, counted, its message acknowledged; each
   * such label is reported), 'fail' (stop with one line naming the message
   * and the label), or 'allow' (learn it as a new class: this replica's
   * classes then differ from the other workers', and they no longer merge).
   * A regression stream has no classes: given for one, it is refused.
   */
  readonly newClasses?: NewClassPolicy;
  readonly connectTimeout?: number;
  readonly report?: Reporter;
  /** Aborting stops the worker cleanly: it learns what it holds, checkpoints, acknowledges and returns. */
  readonly signal?: AbortSignal;
  /** Called after each checkpoint with the summary so far. */
  readonly onCheckpoint?: (summary: WorkerSummary) => void;
}

/** What a worker did: written to --summary at every checkpoint and returned at the end. */
export interface WorkerSummary {
  readonly worker: string;
  readonly stream: string;
  readonly consumer: string;
  readonly learner: string;
  /** What the learner predicts: a class (classification) or a number (regression). */
  readonly task: Task;
  readonly out: string;
  /** Rows the model has learned, those of a resumed checkpoint included (all of them in the last checkpoint once finished). */
  readonly rows: number;
  /** Rows the resumed checkpoint had learned before this run (0 for a new model). */
  readonly resumedRows: number;
  /** Distinct messages (stream sequences) acknowledged: every one was in a checkpoint first. */
  readonly messages: number;
  /**
   * The acknowledged messages' stream sequences, as inclusive ranges [first,
   * last]. The summary is written after the checkpoint and before the
   * acknowledgements go out, so every sequence listed is in the checkpoint; a
   * worker killed between the two lists some whose acknowledgement never
   * reached the server (another worker then learns them too).
   */
  readonly acked: [number, number][];
  /** Messages that reached this worker with a delivery count above 1 (another worker, or this one, held them before). */
  readonly redelivered: number;
  /** Redelivered messages this worker had checkpointed and acknowledged already (the acknowledgement was lost): acknowledged again, not learned again. */
  readonly reacknowledged: number;
  /**
   * Acknowledgements sent again because the server had not confirmed them
   * (the connection was down when they were sent, and the client drops what
   * it sends then): each is retried after the reconnection, before the ack
   * wait hands its message to another worker.
   */
  readonly acksResent: number;
  /** Acknowledgements still unconfirmed when the worker stopped: the server redelivers those messages after the ack wait, and whoever takes them learns them again. */
  readonly unconfirmedAcks: number;
  /** Bad rows (and empty messages) left out, their messages acknowledged (--on-bad-row skip), with the first one's message. */
  readonly skippedRows: number;
  readonly firstSkipped: string | null;
  /** Rows left out because their label is not one of the classes (--new-classes skip), their messages acknowledged. */
  readonly newClassRows: number;
  /** Those labels, the first 20 distinct ones. */
  readonly newClassLabels: string[];
  readonly checkpoints: number;
  /** Accuracy over the rows learned in this run, each predicted before it was learned (its batch predicted before the batch was learned, for a learner without a one-pass test-then-train); null for a regressor. */
  readonly accuracy: number | null;
  /**
   * A regressor's errors over the rows learned in this run, each predicted
   * before it was learned (as accuracy is): mean absolute error, root mean
   * squared error, and R² against the running mean of the targets (null
   * when undefined: fewer than two rows, or all targets equal). Null for a
   * classifier.
   */
  readonly mae: number | null;
  readonly rmse: number | null;
  readonly r2: number | null;
  readonly merges: number;
  /** The registry version the last merge wrote (null: none). */
  readonly mergedVersion: string | null;
  readonly disconnects: number;
  readonly reconnects: number;
  readonly seconds: number;
  /** Rows learned in this run per second, until the last of them (the idle wait before stopping left out). */
  readonly rowsPerSecond: number;
  /** Why it stopped (null while running): idle, signal. */
  readonly stopped: 'idle' | 'signal' | null;
  readonly finished: boolean;
  /** The consumer's ack wait and max ack pending, as the server has them. */
  readonly ackWait: number;
  readonly maxAckPending: number;
  /**
   * Times a pull came back short while the consumer was at its max ack
   * pending with messages waiting: the workers together held all it allows
   * (read at most every 5 s, so a count of waits, not of seconds).
   */
  readonly maxAckPendingWaits: number;
}

/** Rows with numeric targets packed into one batch (rowsToBatch's, for a regressor). */
function regressionBatchOf(rows: readonly Row[], cols: number): RegressionBatch {
  const data = new Float64Array(rows.length * cols);
  const y = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    data.set(rows[i].x, i * cols);
    y[i] = rows[i].y;
  }
  return { x: { data, rows: rows.length, cols }, y };
}

function positive(value: number, flag: string, integer: boolean, min = 1): void {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    fail(`${flag} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got ${value}`);
  }
}

/** Sorted, merged inclusive ranges of sequence numbers, and of ranges given too. */
export function toRanges(seqs: Iterable<number>, ranges: readonly [number, number][] = []): [number, number][] {
  // The sequences (thousands at a checkpoint, mostly consecutive) sorted as numbers and run together first, so that
  // only a few ranges are sorted as pairs.
  const sorted = Float64Array.from(seqs).sort();
  const runs: [number, number][] = [];
  for (const s of sorted) {
    const last = runs[runs.length - 1];
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], s);
    else runs.push([s, s]);
  }
  const all: [number, number][] = [...ranges.map(([a, b]): [number, number] => [a, b]), ...runs];
  all.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of all) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

async function checkpointExists(out: string, streamBroker: Broker, streamServers: string, report: Reporter, connectTimeout?: number): Promise<boolean> {
  if (!isNatsUrl(out)) {
    try {
      await stat(`${out}/${MANIFEST_FILE}`);
      return true;
    } catch {
      return false;
    }
  }
  const ref = parseModelRef(out, '--out');
  const broker = ref.servers === streamServers ? streamBroker : await connectBroker(ref, { flag: '--out', display: ref.display, connectTimeout, report, name: 'streamlearn worker (checkpoint)' });
  try {
    return await checkpointIn(ref, broker, report);
  } finally {
    if (broker !== streamBroker) await broker.close();
  }
}

async function checkpointIn(ref: ModelRef, broker: Broker, report: Reporter): Promise<boolean> {
  // Only a missing bucket or key means no checkpoint: a server that does not answer must not start the worker
  // afresh, over the checkpoint it would have resumed.
  return retrying(
    `reading the checkpoint in ${ref.display}`,
    async () => {
      try {
        await broker.jsm.streams.info(`KV_${ref.bucket}`);
      } catch (err) {
        if (err instanceof Error && err.name === 'StreamNotFoundError') return false;
        throw err;
      }
      const { Kvm } = await import('@nats-io/kv');
      const entry = await (await new Kvm(broker.nc).open(ref.bucket)).get(ref.name);
      return entry !== null && entry.operation === 'PUT';
    },
    { report },
  );
}

/** A summary file left by an earlier run, or null when there is none or it does not parse. */
async function readPreviousSummary(file: string): Promise<WorkerSummary | null> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<WorkerSummary>;
    if (!Array.isArray(raw.acked) || typeof raw.messages !== 'number') return null;
    return raw as WorkerSummary;
  } catch {
    return null;
  }
}

/** Whether a sequence lies in sorted inclusive ranges (binary search). */
function inRanges(ranges: readonly [number, number][], seq: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (seq < ranges[mid][0]) hi = mid - 1;
    else if (seq > ranges[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

const TICK = Symbol('tick');
/** Rows of an unfinished batch are learned when nothing more has come, or the first of them came, this long ago (ms). */
const WAIT_MS = 250;

/**
 * A message delivered to this worker: what acknowledging it takes. Its bytes
 * are let go as soon as its rows are read, so a message awaiting its
 * checkpoint holds a few dozen bytes, not the client's read buffer that its
 * payload is a view of.
 */
interface Delivery {
  readonly seq: number;
  readonly reply: string;
}

/**
 * A pull asks for about this many batches' worth of messages (by the rows
 * per message seen so far): enough that the next batch is there when this
 * one is learned, few enough that the rows held between pull and learning
 * stay young (the garbage collector's cheap generation) and small.
 */
const PULL_BATCHES = 4;
/** What a pull brought, and how many messages it asked for. */
interface Pulled {
  readonly msgs: JsMsg[];
  readonly asked: number;
}
/** A pull waits this long (ms) for the messages it asks for: the client's minimum. */
const PULL_EXPIRES_MS = 1000;
/** The consumer's state is read at most this often (ms) to tell whether its max ack pending holds the workers back. */
const LIMIT_CHECK_MS = 5000;
/** Messages in a pull while the rows per message are not known yet (a message may hold thousands). */
const PROBE_MESSAGES = 10;

/**
 * Unless --checkpoint-seconds is given, checkpoints come at least this many
 * times their own duration apart, so that writing them takes at most about
 * a tenth of the worker's time whatever the model's size (a forest of 100
 * MB takes seconds to save) ...
 */
const CHECKPOINT_COST_FACTOR = 10;
/** ... and never more than this far apart (ms): what a worker that dies leaves the others to learn again. */
const CHECKPOINT_STRETCH_MAX_MS = 60_000;

/**
 * A checkpoint lists the stream sequences it learned (for `merge` to report
 * those learned by more than one replica) up to this many ranges; a longer
 * list is left out of the model rather than let the manifest grow without
 * bound (two workers taking turns in batches of 500 make about one range
 * per 1,000 rows).
 */
export const MAX_SEQUENCE_RANGES = 100_000;

/**
 * A worker: learns the rows of a stream that it shares with other workers
 * through one durable pull consumer (JetStream hands each message to one of
 * them), and acknowledges a message only after the batch holding it has
 * been learned and a checkpoint holding it has been written (atomically).
 * A worker killed at any moment loses nothing: what it had not acknowledged
 * is redelivered to the others after the consumer's ack wait; what it had
 * acknowledged is in its checkpoint, which a restarted worker resumes and
 * `streamlearn merge` combines with the others'.
 *
 * It stops when the consumer has had nothing pending and nothing
 * unacknowledged (anywhere) for `idleTimeout` seconds, or when `signal`
 * aborts (SIGTERM): then it learns what it holds, checkpoints, acknowledges
 * and returns its summary. Lost connections and broker restarts are
 * retried with backoff and reported; a message is never acknowledged before
 * its checkpoint, so a failure at any step means redelivery, not loss.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const url = parseStreamUrl(options.source, '--source');
  const name = options.name ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) fail(`--name ${name}: a worker's name may hold letters, digits, ., - and _ only`);
  const batchSize = options.batchSize ?? WORKER_DEFAULTS.batchSize;
  positive(batchSize, '--batch-size', true);
  const checkpointMessages = options.checkpointMessages ?? WORKER_DEFAULTS.checkpointMessages;
  positive(checkpointMessages, '--checkpoint-every', true);
  let checkpointSeconds = options.checkpointSeconds ?? WORKER_DEFAULTS.checkpointSeconds;
  positive(checkpointSeconds, '--checkpoint-seconds', false, 0.1);
  const ackWaitAsked = options.ackWait ?? WORKER_DEFAULTS.ackWait;
  positive(ackWaitAsked, '--ack-wait', false);
  const maxAckAsked = options.maxAckPending ?? WORKER_DEFAULTS.maxAckPending;
  positive(maxAckAsked, '--max-ack-pending', true);
  const idleTimeout = options.idleTimeout ?? WORKER_DEFAULTS.idleTimeout;
  if (!(idleTimeout >= 0)) fail(`--idle-timeout must be a number of seconds of at least 0, got ${idleTimeout}`);
  const mergeEvery = options.mergeEvery ?? WORKER_DEFAULTS.mergeEvery;
  positive(mergeEvery, '--merge-every', false, 0);
  const onBadRow: BadRowPolicy = options.onBadRow ?? WORKER_DEFAULTS.onBadRow;
  if (!badRowPolicies.includes(onBadRow)) fail(`--on-bad-row must be fail or skip, got ${JSON.stringify(onBadRow)}`);
  const newClasses: NewClassPolicy = options.newClasses ?? WORKER_DEFAULTS.newClasses;
  if (!newClassPolicies.includes(newClasses)) fail(`--new-classes must be ${newClassPolicies.join(', ')}, got ${JSON.stringify(newClasses)}`);
  // The learner's task says how the stream's labels are read: checked before anything is taken from the stream.
  if (options.model !== undefined) anyLearnerDefinition(options.model);
  const requestedTask: Task | undefined = options.model === undefined ? undefined : isRegressorName(options.model) ? 'regression' : 'classification';
  await assertModelOutWritable(options.out, '--out');
  if (options.mergeInto) parseModelRef(options.mergeInto, '--merge-into');
  const report = options.report ?? stderrReporter;
  const say = (line: string): void => report(`worker ${name}: ${line}`);

  const broker = await connectBroker(url, { flag: '--source', display: url.display, connectTimeout: options.connectTimeout, report, name: `streamlearn worker ${name}` });
  const started = performance.now();
  try {
    await streamSubjects(broker, url, '--source', report);
    let consumer: Consumer | undefined;
    let ackWait = ackWaitAsked;
    let maxAckPending = maxAckAsked;
    let pendingHint = 0;
    const open = async (filter: string | undefined): Promise<void> => {
      const made = await ensureDurable(broker, url, { durable: options.durable, filter, ackWait: ackWaitAsked, maxAckPending: maxAckAsked }, report);
      consumer = made.consumer;
      ackWait = (made.info.config.ack_wait ?? nanos(ackWaitAsked)) / 1e9;
      maxAckPending = made.info.config.max_ack_pending ?? -1;
      pendingHint = made.info.num_pending;
    };
    const first: JsMsg[] = [];
    const format: ReadFormat = await resolveReadFormat(
      broker,
      url,
      '--source',
      { ...options, newClasses, task: requestedTask, learner: options.model },
      async () => {
        await open(options.subject);
        // Producers may start after the workers: wait up to the idle timeout (2 s at least) for a first message.
        const waitS = Math.max(2, idleTimeout);
        first.push(...(await fetchMessages(consumer!, Math.min(batchSize, 100), waitS * 1000)));
        if (first.length === 0) {
          await failNothingPending(broker, url, '--source', options.durable, {
            waited: waitS,
            report,
            advice: 'publish rows (without a format record, the fields come from the first message), or give another --durable to read the stream from its first message',
          });
        }
        return firstPayload(first);
      },
      report,
    ).catch((err: unknown) => {
      // Taken for the fields and not to be learned now: handed back at once rather than after the ack wait.
      for (const m of first.splice(0)) m.nak();
      throw err;
    });
    const task: Task = format.task ?? 'classification';
    // A regression stream's labels are numbers: the policy for labels outside the classes has nothing to act on.
    if (task === 'regression' && options.newClasses !== undefined) {
      for (const m of first.splice(0)) m.nak();
      fail(`--new-classes applies to a classification stream; ${url.display} holds regression rows (its label is a number to predict)`);
    }
    if (!consumer) await open(options.subject ?? format.subject);
    const theConsumer = consumer!;
    // The ack rule holds only if a checkpoint always comes before the server gives up waiting for the acknowledgement.
    // Unless told otherwise, checkpoints come at least three times per ack wait.
    if (options.checkpointSeconds === undefined) checkpointSeconds = Math.min(checkpointSeconds, ackWait / 3);
    if (checkpointSeconds * 2 > ackWait) {
      fail(`--checkpoint-seconds ${checkpointSeconds} must be at most half the consumer's ack wait (${ackWait} s), or held messages would be redelivered before their checkpoint`);
    }
    if (maxAckPending > 0 && checkpointMessages + 2 * batchSize > maxAckPending) {
      fail(`--checkpoint-every ${checkpointMessages} plus twice --batch-size ${batchSize} (a batch learned, one pulled ahead) exceeds the consumer's max ack pending (${maxAckPending}): the server would stop delivering before a checkpoint`);
    }

    // Messages delivered to this worker and not all learned yet, by stream sequence; and those learned, awaiting a checkpoint.
    const held = new Map<number, { delivery: Delivery; left: number }>();
    let complete: Delivery[] = [];
    const completeSeqs = new Set<number>();
    // Those of a checkpoint being written, until their acknowledgements are sent.
    let saving: Delivery[] = [];
    // Stream sequences acknowledged: merged into ranges at each checkpoint (a worker acknowledges runs of sequences).
    let ackedRanges: [number, number][] = [];
    let ackedCount = 0;
    let redelivered = 0;
    let reacknowledged = 0;
    // Acknowledgements sent and not confirmed by the server, by sequence: sent again once the connection is back.
    const unconfirmed = new Map<number, Delivery>();
    let acksResent = 0;
    let skippedRows = 0;
    let firstSkipped: string | null = null;
    let newClassRows = 0;
    const newClassLabels: string[] = [];
    let stopped: 'idle' | 'signal' | null = null;
    let fetcherIdle = false;
    let ackPendingWaits = 0;
    const stopRequested = (): boolean => options.signal?.aborted === true;

    const finishRow = (seq: number): void => {
      const h = held.get(seq);
      if (!h) return;
      if (--h.left <= 0) {
        held.delete(seq);
        complete.push(h.delivery);
        completeSeqs.add(seq);
      }
    };
    // Rows per message so far, which sizes the pulls.
    let rowsDecoded = 0;
    let messagesDecoded = 0;
    /** Takes delivered messages in: their rows to learn (the message bytes are not kept), or null when none is new. */
    const admit = (msgs: JsMsg[]): RecordBatch | null => {
      const fresh: JsMsg[] = [];
      const deliveries: Delivery[] = [];
      for (const m of msgs) {
        const info = m.info;
        const seq = info.streamSequence;
        const delivery: Delivery = { seq, reply: replySubject(m) };
        const mine = held.get(seq);
        if (mine) {
          // Redelivered to this very worker while it still holds it: keep the newer delivery's handle, learn it once.
          mine.delivery = delivery;
          continue;
        }
        if (completeSeqs.has(seq)) {
          // Learned already, awaiting its checkpoint: acknowledge this delivery too when it comes.
          complete.push(delivery);
          continue;
        }
        if (info.deliveryCount > 1) redelivered++;
        // Already in this worker's checkpoint, but its acknowledgement was lost (a broker restart; a server
        // killed outright may even forget it delivered the message): acknowledge it again, do not learn it twice.
        if (inRanges(ackedRanges, seq)) {
          reacknowledged++;
          // This delivery's acknowledgement, with the next checkpoint, replaces one still unconfirmed.
          unconfirmed.delete(seq);
          complete.push(delivery);
          continue;
        }
        fresh.push(m);
        deliveries.push(delivery);
      }
      if (fresh.length === 0) return null;
      const { batch, counts } = decodeMessages(fresh, format);
      for (let i = 0; i < deliveries.length; i++) {
        const delivery = deliveries[i];
        if (counts[i] > 0) held.set(delivery.seq, { delivery, left: counts[i] });
        else {
          // A message with no row (blank lines): nothing to learn, acknowledged with the next checkpoint.
          complete.push(delivery);
          completeSeqs.add(delivery.seq);
        }
      }
      rowsDecoded += batch.records.length;
      messagesDecoded += fresh.length;
      return batch.records.length > 0 ? batch : null;
    };
    /** Messages to ask for in one pull: about PULL_BATCHES batches of rows, at most batchSize messages; a few until rows have been seen. */
    const messagesPerPull = (): number => {
      if (messagesDecoded === 0) return Math.min(batchSize, PROBE_MESSAGES);
      const rowsPerMessage = Math.max(1, rowsDecoded / messagesDecoded);
      return Math.max(1, Math.min(batchSize, Math.ceil((PULL_BATCHES * batchSize) / rowsPerMessage)));
    };

    let lastLimitCheck = 0;
    /**
     * After a short pull: whether the consumer
     * is at its max ack pending with messages still waiting (the workers
     * together hold as many unacknowledged messages as it allows, so the server
     * delivers none until some are acknowledged). Counted, and said once: it
     * is where adding workers stops paying.
     */
    const noteAckPendingLimit = async (): Promise<void> => {
      if (maxAckPending <= 0 || Date.now() - lastLimitCheck < LIMIT_CHECK_MS) return;
      lastLimitCheck = Date.now();
      const info = await theConsumer.info().catch(() => null);
      if (!info || info.num_pending === 0 || info.num_ack_pending < maxAckPending) return;
      if (ackPendingWaits++ === 0) {
        say(
          `consumer ${options.durable} is at its max ack pending (${formatCount(maxAckPending)} messages delivered and not acknowledged, across all workers) ` +
            `with ${formatCount(info.num_pending)} waiting: the server delivers more only as workers acknowledge. Give a new consumer a --max-ack-pending above ` +
            'the number of workers times the messages each holds between checkpoints, or checkpoint more often (--checkpoint-every, --checkpoint-seconds)',
        );
      }
    };

    async function* batches(): AsyncGenerator<RecordBatch> {
      const start = admit(first.splice(0));
      if (start) yield start;
      let idleSince: number | null = null;
      let failures = 0;
      let failingSince: number | null = null;
      const pull = (): Promise<Pulled | Error> => {
        const asked = pendingHint > 0 ? Math.min(messagesPerPull(), pendingHint) : messagesPerPull();
        return fetchMessages(theConsumer, asked, PULL_EXPIRES_MS).then(
          (msgs) => ({ msgs, asked }),
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        );
      };
      // One pull ahead: the next batch travels while this one is learned.
      let ahead: Promise<Pulled | Error> | null = null;
      while (!stopRequested()) {
        const got = await (ahead ?? pull());
        ahead = null;
        if (got instanceof Error) {
          if (/consumer (deleted|not found)|ConsumerNotFound/i.test(`${got.name} ${got.message}`)) {
            fail(`--durable ${options.durable}: the consumer was deleted while the worker ran (${got.message}); what this worker acknowledged is in --out ${options.out}`);
          }
          if (/stream (deleted|not found)|StreamNotFound/i.test(`${got.name} ${got.message}`)) fail(`--source ${url.display}: the stream was deleted while the worker ran`);
          // The broker is away (restarting, unreachable): keep trying, with backoff, until told to stop. An
          // error of another kind gets a minute of retries, then stops the worker in one line.
          failingSince ??= Date.now();
          if (!isTransient(got) && Date.now() - failingSince > 60_000) fail(`--source ${url.display}: pulling messages keeps failing: ${got.message}`);
          const wait = backoffMs(failures++);
          say(`pulling messages failed (${got.message}); retrying in ${(wait / 1000).toFixed(1)} s`);
          await sleep(wait);
          continue;
        }
        failures = 0;
        failingSince = null;
        const { msgs, asked } = got;
        // A pull that comes back short waited out its expiry: the stream is drained for now, or the consumer is at
        // its max ack pending. Either way what is learned is checkpointed and acknowledged now, not later.
        fetcherIdle = msgs.length < asked;
        if (fetcherIdle) await noteAckPendingLimit();
        if (msgs.length === 0) {
          pendingHint = 0;
          if (idleTimeout === 0 || held.size > 0 || complete.length > 0) {
            idleSince = null;
            continue;
          }
          // Idle only when nothing is left anywhere: no message undelivered, none in flight at another worker
          // (a dead worker's come back after the ack wait, and this worker must be there to take them).
          const info = await retrying(`reading consumer ${options.durable}`, () => theConsumer.info(), { report, stopped: stopRequested }).catch(() => null);
          if (info && info.num_pending === 0 && info.num_ack_pending === 0) {
            idleSince ??= Date.now();
            if (Date.now() - idleSince >= idleTimeout * 1000) {
              stopped = 'idle';
              return;
            }
          } else {
            idleSince = null;
            if (info) pendingHint = info.num_pending;
          }
          continue;
        }
        idleSince = null;
        pendingHint = msgs[msgs.length - 1].info.pending;
        // Read first: the pull ahead is sized by the rows per message seen, these included.
        const batch = admit(msgs);
        if (!stopRequested()) ahead = pull();
        if (batch) yield batch;
      }
      // Stopping: what the pull ahead brings is learned too, rather than left to the ack wait.
      if (ahead) {
        const got = await ahead;
        const batch = got instanceof Error ? null : admit(got.msgs);
        if (batch) yield batch;
      }
      stopped = 'signal';
    }

    const source = await rowSource(url, format, batches, async () => undefined, {
      onBadRow,
      onSkip: ({ line, message }) => {
        skippedRows++;
        if (firstSkipped === null) {
          firstSkipped = message;
          say(`left out a bad row, and will leave out others (--on-bad-row skip; the summary counts them): ${message}`);
        }
        finishRow(line);
      },
      newClasses,
      ...(format.recorded && task === 'classification'
        ? { recordedClasses: async () => (await readStreamFormat(broker, url.stream, `--source ${url.display}`, report))?.classes ?? null }
        : {}),
      onNewClassSkip: ({ line, label, message }) => {
        newClassRows++;
        if (!newClassLabels.includes(label) && newClassLabels.length < 20) {
          newClassLabels.push(label);
          say(`${message}, with every other row so labelled (the summary counts them)`);
        }
        finishRow(line);
      },
    });

    // The model: the checkpoint this worker left (it holds what was acknowledged), else a new one.
    let model: AnyModel;
    let learnedRows = 0;
    let correct = 0;
    let scored = 0;
    // A regressor's errors, each row predicted before it was learned.
    const errors = new RegressionMetrics();
    let batchesLearned = 0;
    let lastLearned = started;
    let resumedRows = 0;
    if (await checkpointExists(options.out, broker, url.servers, report, options.connectTimeout)) {
      model = await loadAnyModelFrom(options.out, { flag: '--out', broker: isNatsUrl(options.out) && parseModelRef(options.out, '--out').servers === url.servers ? broker : undefined, report });
      if (options.model && options.model !== model.learnerName) {
        fail(`--model ${options.model}: the checkpoint in --out ${options.out} is a ${model.learnerName} model; leave --model out to resume it, or give another --out`);
      }
      checkStreamTask(task, source.schema.label, model.task, `the checkpoint in --out ${options.out} (${model.learnerName})`, `--source ${url.display}`);
      const s = source.schema;
      const same = model.schema.features.length === s.features.length && model.schema.features.every((f, i) => f === s.features[i]) && model.schema.label === s.label;
      if (!same) fail(`--out ${options.out}: the checkpoint there was learned on other data (its features or label differ from ${url.display})`);
      // The checkpoint's classes and the stream's agree as far as both go; each takes the other's further ones,
      // and the source then indexes rows by the model's own list (a class added later shows in the model).
      const theirs = [...model.schema.classes];
      if (!source.adoptClasses(model.schema.classes)) {
        fail(`--out ${options.out}: the checkpoint there indexes classes otherwise (${classList(theirs)}) than ${url.display} (${classList(s.classes)})`);
      }
      learnedRows = model.summary?.rows ?? 0;
      resumedRows = learnedRows;
      // The checkpoint lists the sequences it learned: a redelivery of one of those is acknowledged, not learned again.
      if (model.summary?.dataset === url.stream && model.summary.sequences) ackedRanges = toRanges([], model.summary.sequences.map(([a, b]): [number, number] => [a, b]));
      say(`resuming the ${model.learnerName} checkpoint in ${options.out} (${learnedRows} rows learned)`);
      // The last run's summary lists what that checkpoint holds and was acknowledged: a redelivery of one of
      // those (its acknowledgement lost with the connection) is acknowledged again, not learned twice.
      const previous = options.summaryFile ? await readPreviousSummary(options.summaryFile) : null;
      if (previous && previous.worker === name && previous.stream === url.display && previous.consumer === options.durable && previous.out === options.out) {
        ackedRanges = toRanges([], [...ackedRanges, ...previous.acked]);
      }
      ackedCount = ackedRanges.reduce((n, [a, b]) => n + b - a + 1, 0);
    } else {
      const learner = options.model ?? WORKER_DEFAULTS.model;
      // The default learner is a classifier: a regression stream needs a regressor named.
      checkStreamTask(task, source.schema.label, isRegressorName(learner) ? 'regression' : 'classification', options.model ?? `${learner} (the default --model)`, `--source ${url.display}`);
      const base = options.seed ?? WORKER_DEFAULTS.seed;
      const seed = mergeKinds[learner] === 'pooled members' ? deriveSeed(base, `worker-${name}`) : base;
      if (task === 'regression') {
        const params = resolveParams(regressorDefinition(learner), options.params);
        model = await RegressionModel.createByName(learner, source.schema, { params, seed });
      } else {
        const params = resolveParams(learnerDefinition(learner), options.params);
        model = await Model.createByName(learner, source.schema, { params, seed });
      }
    }
    if (options.mergeInto && mergeKinds[model.learnerName] === null) {
      const pooled = task === 'regression' ? regressorDefinitions.filter((d) => d.merge?.kind === 'pooled members').map((d) => d.name).join(' or ') : 'adaptive-random-forest, online-bagging or leveraging-bagging';
      fail(`--merge-into: ${model.learnerName} models cannot be merged; train an ensemble (${pooled}) to merge workers' models`);
    }
    say(
      `reading ${url.display} through consumer ${options.durable} (ack wait ${ackWait} s, max ack pending ${maxAckPending < 0 ? 'unlimited' : maxAckPending}); ` +
        `learning ${model.learnerName}; checkpoints to ${options.out}`,
    );

    let checkpoints = 0;
    let merges = 0;
    let mergedVersion: string | null = null;
    let lastCheckpoint = Date.now();
    // How long the last checkpoint took to write (ms): time-driven checkpoints are spaced by it.
    let checkpointCostMs = 0;
    let lastMerge = Date.now();
    let dirty = false;
    let tooManyRanges = false;
    const cols = source.schema.features.length;
    // How long a confirmation of acknowledgements may take before they count as lost.
    const confirmMs = Math.max(1000, Math.min(5000, (ackWait * 1000) / 4));
    let nextAckRetry = 0;
    let ackRetryFailures = 0;
    let confirming: Promise<void> | null = null;
    /** Sends again the acknowledgements the server has not confirmed, when connected and due (backoff between failures). */
    const confirmAcks = (): Promise<void> =>
      (confirming ??= (async () => {
        if (unconfirmed.size === 0 || !broker.connected() || Date.now() < nextAckRetry) return;
        const sent = [...unconfirmed.values()];
        acksResent += sent.length;
        if (await acknowledgeConfirmed(broker, sent, confirmMs)) {
          // Only those sent: a checkpoint may have added others meanwhile.
          for (const m of sent) if (unconfirmed.get(m.seq) === m) unconfirmed.delete(m.seq);
          ackRetryFailures = 0;
          say(`the server confirmed ${formatCount(sent.length)} acknowledgement${sent.length === 1 ? '' : 's'} sent again after the connection was lost`);
        } else {
          nextAckRetry = Date.now() + backoffMs(ackRetryFailures++);
        }
      })().finally(() => {
        confirming = null;
      }));
    // The ack wait of what this worker holds is restarted while it lives (a checkpoint or a merge that takes long, a
    // broker restart), so only a dead worker's messages go to the others. What was sent while the connection was
    // down is lost: once it is back, restart them at once and send the acknowledgements again.
    const extendHeld = (): void => {
      if (!broker.connected()) return;
      for (const h of held.values()) broker.nc.publish(h.delivery.reply, WORKING);
      for (const d of complete) broker.nc.publish(d.reply, WORKING);
      for (const d of saving) broker.nc.publish(d.reply, WORKING);
    };
    const keepAlive = setInterval(extendHeld, Math.max(250, (ackWait * 1000) / 3));
    keepAlive.unref();
    const offReconnect = broker.onReconnect(() => {
      extendHeld();
      nextAckRetry = 0;
      void confirmAcks();
    });

    const summary = (finished: boolean): WorkerSummary => {
      const seconds = (performance.now() - started) / 1000;
      // The rate is over the time spent until the last row was learned, not the idle wait before stopping.
      const active = (lastLearned - started) / 1000;
      return {
        worker: name,
        stream: url.display,
        consumer: options.durable,
        learner: model.learnerName,
        task,
        out: options.out,
        rows: learnedRows,
        resumedRows,
        messages: ackedCount,
        acked: ackedRanges,
        redelivered,
        reacknowledged,
        acksResent,
        unconfirmedAcks: unconfirmed.size,
        skippedRows,
        firstSkipped,
        newClassRows,
        newClassLabels: [...newClassLabels],
        checkpoints,
        accuracy: task === 'classification' && scored > 0 ? correct / scored : null,
        mae: errors.rows > 0 ? errors.mae : null,
        rmse: errors.rows > 0 ? errors.rmse : null,
        r2: errors.rows > 1 && Number.isFinite(errors.r2) ? errors.r2 : null,
        merges,
        mergedVersion,
        disconnects: broker.stats.disconnects,
        reconnects: broker.stats.reconnects,
        seconds,
        rowsPerSecond: active > 0 ? (learnedRows - resumedRows) / active : 0,
        stopped,
        finished,
        ackWait,
        maxAckPending,
        maxAckPendingWaits: ackPendingWaits,
      };
    };
    const writeSummary = async (finished: boolean): Promise<void> => {
      if (!options.summaryFile) return;
      const tmp = `${options.summaryFile}.tmp-${process.pid}`;
      await writeFileSynced(tmp, `${JSON.stringify(summary(finished), null, 2)}\n`);
      await rename(tmp, options.summaryFile);
    };

    /**
     * Learns a batch of rows, each scored before it is learned: an estimate
     * of the replica's accuracy (a classifier) or errors (a regressor).
     * Test-then-train in one pass (learnScored) where no step stands in front
     * of the learner and it has one (every regressor does): a tree's descent
     * serves both. With steps, learnScored would go row by row, slower than
     * predicting the batch and then learning it.
     */
    const learnScoredBatch = (m: AnyModel): ((rows: Row[]) => Promise<void>) => {
      if (m instanceof RegressionModel) {
        const onePass = m.steps.length === 0;
        return async (rows) => {
          const batch = regressionBatchOf(rows, cols);
          let predicted: Float64Array;
          if (onePass) predicted = m.learnScored(batch);
          else {
            predicted = m.predict(batch.x);
            m.learn(batch);
          }
          for (let i = 0; i < rows.length; i++) errors.update(batch.y[i], predicted[i]);
        };
      }
      const onePass = m.steps.length === 0 && typeof m.learner.learnScored === 'function';
      return async (rows) => {
        const batch = rowsToBatch(rows, cols);
        if (m.learner.nClasses === 0) await m.learn(batch);
        else if (onePass) {
          const proba = await m.learnScored(batch);
          const predicted = argmaxRows(proba, proba.length / rows.length);
          for (let i = 0; i < rows.length; i++) if (predicted[i] === batch.y[i]) correct++;
          scored += rows.length;
        } else {
          const predicted = await m.predict(batch.x);
          for (let i = 0; i < rows.length; i++) if (predicted[i] === batch.y[i]) correct++;
          scored += rows.length;
          await m.learn(batch);
        }
      };
    };
    const learnBatch = learnScoredBatch(model);
    const learn = async (rows: Row[]): Promise<void> => {
      if (rows.length === 0) return;
      await learnBatch(rows);
      learnedRows += rows.length;
      batchesLearned++;
      lastLearned = performance.now();
      dirty = true;
      for (const row of rows) finishRow(row.line);
    };

    // The registry shares the stream's connection when it is on the same server.
    const registryBroker = options.mergeInto && parseModelRef(options.mergeInto, '--merge-into').servers === url.servers ? broker : undefined;
    /** Learned -> checkpoint written -> summary written -> acknowledged: in that order, always. */
    const checkpoint = async (): Promise<void> => {
      const toAck = complete;
      complete = [];
      // Kept alive (extendHeld) while the checkpoint is written, which takes seconds for a large model.
      saving = toAck;
      completeSeqs.clear();
      // The ranges this checkpoint holds: its own sequences, listed in it, and the summary's once it is written.
      const ranges = toRanges(
        toAck.map((m) => m.seq),
        ackedRanges,
      );
      if (ranges.length > MAX_SEQUENCE_RANGES && !tooManyRanges) {
        tooManyRanges = true;
        say(`the checkpoint no longer lists the stream sequences it learned (more than ${MAX_SEQUENCE_RANGES} ranges); merge cannot report those learned twice`);
      }
      const common = {
        ...(ranges.length <= MAX_SEQUENCE_RANGES ? { sequences: ranges } : {}),
        dataset: url.stream,
        protocol: 'prequential' as const,
        rows: learnedRows,
        batches: batchesLearned,
        seed: model.seed,
        batchSize,
        testSize: 0,
        trainedAt: new Date().toISOString(),
      };
      if (model instanceof RegressionModel) {
        // This run's errors (a saved summary needs finite numbers: 0 before any row was scored).
        const r2 = errors.r2;
        model.summary = { task: 'regression', ...common, mae: errors.rows > 0 ? errors.mae : 0, rmse: errors.rows > 0 ? errors.rmse : 0, r2: Number.isFinite(r2) ? r2 : null };
      } else {
        model.summary = { ...common, accuracy: scored > 0 ? correct / scored : 0, meanAccuracy: null, stdAccuracy: null };
      }
      const writing = performance.now();
      try {
        await retrying(`writing the checkpoint to ${options.out}`, () => saveModelTo(model, options.out, { flag: '--out', keep: 3, report }), { report, giveUpAfter: ackWait / 2 });
      } catch (err) {
        // Not acknowledged, so the messages come back to someone; learning goes on.
        complete = toAck.concat(complete);
        for (const m of toAck) completeSeqs.add(m.seq);
        saving = [];
        throw err;
      }
      // With a periodic merge, the replica the merge reads is a checkpoint too: written before the acknowledgement,
      // so a merged model never lacks a row that some worker acknowledged.
      if (options.mergeInto) {
        try {
          await putReplica(options.mergeInto, name, model, { broker: registryBroker, report, flag: '--merge-into' });
        } catch (err) {
          complete = toAck.concat(complete);
          for (const m of toAck) completeSeqs.add(m.seq);
          saving = [];
          throw err;
        }
      }
      checkpointCostMs = performance.now() - writing;
      checkpoints++;
      dirty = false;
      ackedRanges = ranges;
      ackedCount = ackedRanges.reduce((n, [a, b]) => n + b - a + 1, 0);
      await writeSummary(false);
      // Sent while the connection is down (a checkpoint needs no broker), they would be dropped by the client and
      // their messages redelivered after the ack wait, perhaps to another worker, which would learn them again.
      if (!(await acknowledgeConfirmed(broker, toAck, confirmMs))) {
        for (const m of toAck) unconfirmed.set(m.seq, m);
        nextAckRetry = 0;
      }
      saving = [];
      lastCheckpoint = Date.now();
      options.onCheckpoint?.(summary(false));
    };

    const mergeNow = async (): Promise<void> => {
      if (!options.mergeInto) return;
      const into = options.mergeInto;
      const shared = registryBroker;
      try {
        const replicas = await loadAnyReplicas(into, { broker: shared, report, flag: '--merge-into' });
        const merged = await mergeModels<AnyModel>(replicas.map((r) => ({ model: r.model, label: `replica ${r.replica}` })));
        const saved = await saveModelTo(merged.model, into, { broker: shared, report, flag: '--merge-into' });
        for (const r of replicas) r.model.dispose();
        merged.model.dispose();
        merges++;
        mergedVersion = saved.location;
        const twice = merged.overlaps.reduce((n, o) => n + o.last - o.first + 1, 0);
        say(
          `merged ${replicas.length} replica${replicas.length === 1 ? '' : 's'} into ${saved.location}` +
            (twice > 0 ? ` (${formatCount(twice)} messages were learned by more than one replica)` : ''),
        );
      } catch (err) {
        say(`the periodic merge into ${into} failed: ${(err as Error).message}`);
      }
      lastMerge = Date.now();
    };

    /** Milliseconds between time-driven checkpoints: --checkpoint-seconds as given, else stretched to what checkpoints cost. */
    const checkpointEveryMs = (): number =>
      options.checkpointSeconds !== undefined
        ? checkpointSeconds * 1000
        : Math.max(checkpointSeconds * 1000, Math.min(CHECKPOINT_STRETCH_MAX_MS, CHECKPOINT_COST_FACTOR * checkpointCostMs));
    // Messages this worker may hold unacknowledged before the consumer (were it alone) stops delivering: a pull ahead and
    // a batch in the learning besides them.
    const ackBudget = maxAckPending > 0 ? maxAckPending - 2 * batchSize : Number.POSITIVE_INFINITY;
    const due = (): boolean => {
      if (complete.length === 0) return false;
      if (fetcherIdle || stopRequested() || complete.length >= ackBudget) return true;
      const elapsed = Date.now() - lastCheckpoint;
      if (elapsed >= checkpointEveryMs()) return true;
      // The default --checkpoint-every gives way to a checkpoint's cost (up to the ack budget): a model that takes a
      // second to save is not saved every few thousand one-row messages.
      return complete.length >= checkpointMessages && (options.checkpointMessages !== undefined || elapsed >= CHECKPOINT_COST_FACTOR * checkpointCostMs);
    };

    // Rows come in runs (a pull's worth): one wait per run, not per row.
    const runs = source.chunks();
    let next = runs.next();
    /**
     * The next run, or TICK when none has come for WAIT_MS. The timer is this
     * wait's own: a race against a promise that outlives it would keep each
     * race's result (a run of rows) reachable until that promise settles.
     */
    const nextOrTick = async (): Promise<IteratorResult<Row[]> | typeof TICK> => {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<typeof TICK>((resolve) => {
        timer = setTimeout(() => resolve(TICK), WAIT_MS);
      });
      try {
        return await Promise.race([next, tick]);
      } finally {
        clearTimeout(timer);
      }
    };
    let rows: Row[] = [];
    // When the oldest row of an unfinished batch came: a row waits at most about WAIT_MS to be learned.
    let waitingSince = 0;
    try {
      for (;;) {
        const r = await nextOrTick();
        if (r === TICK) {
          // Nothing new for a moment: learn what is waiting, so its messages can be checkpointed and acknowledged.
          await learn(rows);
          rows = [];
        } else if (r.done) {
          break;
        } else {
          next = runs.next();
          for (const row of r.value) {
            if (rows.length === 0) waitingSince = performance.now();
            rows.push(row);
            if (rows.length < batchSize) continue;
            await learn(rows);
            rows = [];
          }
          // Rows that trickle in fill a batch slowly: learn them anyway once the first has waited a while.
          if (rows.length > 0 && performance.now() - waitingSince >= WAIT_MS) {
            await learn(rows);
            rows = [];
          }
        }
        if (due()) await checkpoint();
        if (unconfirmed.size > 0) await confirmAcks();
        if (options.mergeInto && mergeEvery > 0 && Date.now() - lastMerge >= mergeEvery * 1000 && checkpoints > 0) await mergeNow();
      }
      await learn(rows);
      rows = [];
      if (complete.length > 0 || dirty) await checkpoint();
      // Stopping with acknowledgements unconfirmed (the broker is away): wait a while for it, then say what follows.
      const deadline = Date.now() + Math.min(ackWait, 10) * 1000;
      while (unconfirmed.size > 0 && Date.now() < deadline) {
        await confirmAcks();
        if (unconfirmed.size > 0) await sleep(250);
      }
      if (unconfirmed.size > 0) {
        say(
          `${formatCount(unconfirmed.size)} acknowledgement${unconfirmed.size === 1 ? ' was' : 's were'} not confirmed by the server; ` +
            `it redelivers those messages after the ack wait, and the worker that takes them learns them again (they are in ${options.out})`,
        );
      }
      if (options.mergeInto && mergeEvery > 0) await mergeNow();
    } catch (err) {
      // What was learned and is complete can still be kept: checkpoint it before failing (best effort).
      if (complete.length > 0) await checkpoint().catch(() => undefined);
      throw err;
    } finally {
      clearInterval(keepAlive);
      offReconnect();
      // The iterator waits on a fetch at most a second; the tick timer is short too.
      await runs.return(undefined).catch(() => undefined);
    }
    // Messages still held (rows of a message cut by a stop): hand them back at once rather than after the ack wait.
    for (const h of held.values()) broker.nc.publish(h.delivery.reply, NAK);
    const final = summary(true);
    await writeSummary(true);
    model.dispose();
    return final;
  } finally {
    await broker.close();
  }
}
