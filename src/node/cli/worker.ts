import type { Command } from 'commander';
import { connectTimeoutOption } from '../broker/cli-options.js';
import { stderrReporter } from '../broker/connection.js';
import { createProgress } from '../broker/progress.js';
import { runWorker, WORKER_DEFAULTS, type WorkerSummary } from '../broker/worker.js';
import { learnerNames } from '../../learners/registry.js';
import { formatCount } from './format.js';
import { choiceArg, countArg, integerRange, numberArg, paramArg, seedArg } from './options.js';

interface WorkerFlags {
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
    .option('--model <name>', `the learner (default ${WORKER_DEFAULTS.model}): ${learnerNames.join(', ')}`)
    .option('--param <key=value>', 'a learner parameter, repeatable', paramArg)
    .option('--seed <n>', `seed of the learner (default ${WORKER_DEFAULTS.seed}; ensembles derive one per worker from it)`, seedArg)
    .option('--name <id>', 'this worker\'s name in reports and replicas (default HOST-PID)')
    .option('--batch-size <n>', `rows learned, and messages pulled, at a time (default ${WORKER_DEFAULTS.batchSize})`, integerRange(1, 1_000_000))
    .option('--checkpoint-every <n>', `checkpoint at least every n completed messages (default ${WORKER_DEFAULTS.checkpointMessages})`, countArg)
    .option('--checkpoint-seconds <s>', `... and every s seconds while messages await one (default ${WORKER_DEFAULTS.checkpointSeconds}, or a third of the ack wait if shorter)`, numberArg)
    .option('--ack-wait <s>', `ack wait of a consumer made now: unacknowledged messages of a dead worker come back after it (default ${WORKER_DEFAULTS.ackWait})`, numberArg)
    .option('--max-ack-pending <n>', `max ack pending of a consumer made now (default ${WORKER_DEFAULTS.maxAckPending})`, integerRange(1, 2_147_483_647))
    .option('--idle-timeout <s>', `stop when nothing has been pending or in flight for s seconds (default ${WORKER_DEFAULTS.idleTimeout}; 0: run until SIGTERM)`, numberArg)
    .option('--summary <file>', 'rewrite this JSON file at every checkpoint: rows, acknowledged stream sequences, redeliveries')
    .option('--merge-into <ref>', 'periodic merge: store this worker\'s model as a replica of nats://HOST:PORT/BUCKET/NAME and merge all replicas into its next version')
    .option('--merge-every <s>', `seconds between periodic merges (default ${WORKER_DEFAULTS.mergeEvery}); one more at the end`, numberArg)
    .option('--label <field>', 'a stream without a format record (JSON lines): the label field')
    .option('--classes <a,b,...>', 'a stream without a format record: the classes in order', (v: string) => v.split(',').map((c) => c.trim()))
    .option('--format <format>', 'the final report: text or json', choiceArg(['text', 'json'] as const), 'text');
  connectTimeoutOption(command).action(async (flags: WorkerFlags) => {
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) process.exit(130);
      stderrReporter(`worker: ${signal}: learning what is held, checkpointing and acknowledging, then stopping (again to quit at once)`);
      controller.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const progress = createProgress({ label: `worker ${flags.name ?? ''}`.trimEnd() + ' rows learned' });
    let summary: WorkerSummary;
    try {
      summary = await runWorker({
        source: flags.source,
        durable: flags.durable,
        out: flags.out,
        subject: flags.subject,
        model: flags.model,
        params: flags.param,
        seed: flags.seed,
        name: flags.name,
        batchSize: flags.batchSize,
        checkpointMessages: flags.checkpointEvery,
        checkpointSeconds: flags.checkpointSeconds,
        ackWait: flags.ackWait,
        maxAckPending: flags.maxAckPending,
        idleTimeout: flags.idleTimeout,
        summaryFile: flags.summary,
        mergeInto: flags.mergeInto,
        mergeEvery: flags.mergeEvery,
        label: flags.label,
        classes: flags.classes,
        connectTimeout: flags.connectTimeout,
        signal: controller.signal,
        onCheckpoint: (s) => progress.update(s.rows),
      });
    } finally {
      progress.stop();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    const s = summary;
    const lines = [
      `worker ${s.worker}: ${formatCount(s.rows)} rows learned${s.resumedRows > 0 ? ` (${formatCount(s.resumedRows)} of them by the checkpoint it resumed)` : ''}; ` +
        `${formatCount(s.messages)} messages acknowledged after ${s.checkpoints} checkpoint${s.checkpoints === 1 ? '' : 's'}`,
      `stream       ${s.stream}, consumer ${s.consumer} (ack wait ${s.ackWait} s, max ack pending ${s.maxAckPending})`,
      `redelivered  ${formatCount(s.redelivered)} message${s.redelivered === 1 ? '' : 's'} came to this worker a second time or more` +
        (s.reacknowledged > 0 ? ` (${formatCount(s.reacknowledged)} already in its checkpoint: acknowledged again, not learned again)` : ''),
      `accuracy     ${s.accuracy === null ? '-' : s.accuracy.toFixed(4)} (each batch predicted before it was learned)`,
      `stopped      ${s.stopped === 'idle' ? `nothing pending for ${flags.idleTimeout ?? WORKER_DEFAULTS.idleTimeout} s` : 'on a signal'} after ${s.seconds.toFixed(1)} s; learned ${formatCount(s.rowsPerSecond)} rows/s`,
      `model        ${s.learner} in ${s.out}`,
    ];
    if (s.skippedRows > 0) lines.push(`skipped      ${formatCount(s.skippedRows)} bad rows; the first: ${s.firstSkipped}`);
    if (s.disconnects > 0) {
      lines.push(
        `connection   lost ${s.disconnects} time${s.disconnects === 1 ? '' : 's'}, reconnected ${s.reconnects}` +
          (s.acksResent > 0 ? `; ${formatCount(s.acksResent)} acknowledgements sent again (the first were sent while it was down)` : '') +
          (s.unconfirmedAcks > 0 ? `; ${formatCount(s.unconfirmedAcks)} never confirmed (redelivered after the ack wait)` : ''),
      );
    }
    if (s.mergedVersion) lines.push(`merged       ${s.merges} time${s.merges === 1 ? '' : 's'}; last: ${s.mergedVersion}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
