import type { Command } from 'commander';
import type { BadRowPolicy } from '../../data/source.js';
import { connectTimeoutOption, newClassesHelp } from '../broker/cli-options.js';
import { newClassPolicies, WORKER_DEFAULTS, type NewClassPolicy } from '../broker/defaults.js';
import { learnerNames, regressorNames } from './names.js';
import { choiceArg, countArg, integerRange, numberArg, paramArg, seedArg } from './options.js';

export interface WorkerFlags {
  source: string;
  durable: string;
  out: string;
  subject?: string;
  model?: string;
  param?: Record<string, string>;
  seed?: number;
  name?: string;
  batchSize?: number;
  checkpointEvery?: number;
  checkpointSeconds?: number;
  ackWait?: number;
  maxAckPending?: number;
  idleTimeout?: number;
  summary?: string;
  mergeInto?: string;
  mergeEvery?: number;
  label?: string;
  classes?: string[];
  onBadRow?: BadRowPolicy;
  newClasses?: NewClassPolicy;
  connectTimeout?: number;
  format: 'text' | 'json';
}

export function registerWorker(program: Command): void {
  const command = program
    .command('worker')
    .description('learn a JetStream stream together with other workers sharing one durable consumer; checkpoint, then acknowledge')
    .requiredOption('--source <url>', 'the stream: nats://HOST:PORT/STREAM')
    .requiredOption('--durable <name>', 'the durable pull consumer the workers share (made when absent)')
    .requiredOption('--out <dir>', 'this worker\'s checkpoint: its own model directory, or nats://HOST:PORT/BUCKET/NAME; resumed when there')
    .option('--subject <filter>', 'subject filter of a consumer made now (default: the subject the rows were published on)')
    .option(
      '--model <name>',
      `the learner (default ${WORKER_DEFAULTS.model}): a classifier (${learnerNames.join(', ')}), or for a regression stream (published with --task regression, or synth:friedman...) a regressor (${regressorNames.join(', ')})`,
    )
    .option('--param <key=value>', 'a learner parameter, repeatable', paramArg)
    .option('--seed <n>', `seed of the learner (default ${WORKER_DEFAULTS.seed}; ensembles derive one per worker from it)`, seedArg)
    .option('--name <id>', 'this worker\'s name in reports and replicas (default HOST-PID)')
    .option(
      '--batch-size <n>',
      `rows learned at a time (default ${WORKER_DEFAULTS.batchSize}); a pull asks for about four batches of rows, at most n messages`,
      integerRange(1, 1_000_000),
    )
    .option(
      '--checkpoint-every <n>',
      `checkpoint at least every n completed messages (default ${WORKER_DEFAULTS.checkpointMessages}; left at its default, not before ten times the last checkpoint's duration has passed, unless max ack pending is near)`,
      countArg,
    )
    .option(
      '--checkpoint-seconds <s>',
      `... and every s seconds while messages await one (default ${WORKER_DEFAULTS.checkpointSeconds}, or a third of the ack wait if shorter; left at its default, at least ten times the last checkpoint's duration, at most 60)`,
      numberArg,
    )
    .option('--ack-wait <s>', `ack wait of a consumer made now: unacknowledged messages of a dead worker come back after it (default ${WORKER_DEFAULTS.ackWait})`, numberArg)
    .option('--max-ack-pending <n>', `max ack pending of a consumer made now (default ${WORKER_DEFAULTS.maxAckPending})`, integerRange(1, 2_147_483_647))
    .option('--idle-timeout <s>', `stop when nothing has been pending or in flight for s seconds (default ${WORKER_DEFAULTS.idleTimeout}; 0: run until SIGTERM)`, numberArg)
    .option('--summary <file>', 'rewrite this JSON file at every checkpoint: rows, acknowledged stream sequences, redeliveries')
    .option('--merge-into <ref>', 'periodic merge: store this worker\'s model as a replica of nats://HOST:PORT/BUCKET/NAME and merge all replicas into its next version')
    .option(
      '--merge-every <s>',
      `seconds between periodic merges (default ${WORKER_DEFAULTS.mergeEvery}); one more at the end; 0: store this worker's replica and leave merging to another worker (or streamlearn merge --replicas)`,
      numberArg,
    )
    .option('--label <field>', 'a stream without a format record (JSON lines): the label field')
    .option('--classes <a,b,...>', 'a stream without a format record: the classes in order (the same list to every worker)', (v: string) => v.split(',').map((c) => c.trim()))
    .option(
      '--on-bad-row <mode>',
      `a bad row (not a number, a missing field, not JSON) or an empty message: skip (leave it out, count it, acknowledge its message) or fail (stop); default ${WORKER_DEFAULTS.onBadRow}, so that one foreign message does not stop every worker in turn`,
      choiceArg(['fail', 'skip'] as const),
    )
    .option(
      '--new-classes <policy>',
      `${newClassesHelp(WORKER_DEFAULTS.newClasses, ', as a replica that learned a class the others did not cannot merge with theirs')} (a classification stream only)`,
      choiceArg(newClassPolicies),
    )
    .option('--format <format>', 'the final report: text or json', choiceArg(['text', 'json'] as const), 'text');
  connectTimeoutOption(command).action(async (flags: WorkerFlags) => (await import('./worker-run.js')).runWorkerCommand(flags));
}
