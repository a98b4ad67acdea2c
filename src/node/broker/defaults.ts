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
  maxAckPending: 20_000,
  idleTimeout: 10,
  mergeEvery: 60,
} as const;

/** How rows are written in a stream's messages. */
export type RowEncoding = 'csv' | 'jsonl';
export const rowEncodings: readonly RowEncoding[] = ['csv', 'jsonl'];

/** Rows generated for a synth: stream unless --rows says otherwise (train's default too). */
export const DEFAULT_SYNTH_ROWS = 100_000;
