/**
 * The broker's defaults and names, in a module that imports nothing: the
 * CLI's flag definitions (help text, choices) read them without loading the
 * NATS clients, which only the command that runs needs.
 */

/** Seconds the first connection is retried for unless told otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_S = 5;

/** A durable consumer made by `train --source --durable` holds its messages until the model is saved: a long ack wait, no limit on pending. */
export const TRAIN_ACK_WAIT_S = 600;

/** The worker's defaults, chosen together: see WorkerOptions. */
export const WORKER_DEFAULTS = {
  model: 'gaussian-nb',
  seed: 42,
  batchSize: 500,
  checkpointMessages: 5000,
  checkpointSeconds: 5,
  ackWait: 30,
  // Shared by every worker of the consumer: each holds the messages it learned since its last checkpoint (5,000 by
  // default, more when its checkpoints are slow) and two pulls, so 20,000 stalled a fourth worker; the server keeps a
  // few dozen bytes per message held.
  maxAckPending: 100_000,
  idleTimeout: 10,
  mergeEvery: 60,
  // A long-running worker shares its stream with producers it does not control: one foreign message with a bad
  // row or a stray label is left out and counted (summary, stderr), not allowed to stop the fleet (every worker
  // would meet it in turn, as the message is redelivered); `fail` is there for those who want that.
  onBadRow: 'skip',
  // Not `allow`: a label learned as a new class by one worker only makes its replica unmergeable with the others'.
  newClasses: 'skip',
} as const;

/**
 * What a stream reader does with a label that is not one of the stream's
 * classes (its format record's, then --classes): learn it as a new class
 * (appended, as `train --data` does), leave its row out and count it, or
 * stop with one line naming the stream, the message and the label.
 */
export type NewClassPolicy = 'allow' | 'skip' | 'fail';
export const newClassPolicies: readonly NewClassPolicy[] = ['allow', 'skip', 'fail'];

/** train --source reads a stream as --data reads a file: labels not listed are added as they appear. */
export const TRAIN_NEW_CLASSES: NewClassPolicy = 'allow';

/** How rows are written in a stream's messages. */
export type RowEncoding = 'csv' | 'jsonl';
export const rowEncodings: readonly RowEncoding[] = ['csv', 'jsonl'];

/** Rows generated for a synth: stream unless --rows says otherwise (train's default too). */
export const DEFAULT_SYNTH_ROWS = 100_000;
