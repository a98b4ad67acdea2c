import { stderrReporter } from '../broker/connection.js';
import { WORKER_DEFAULTS } from '../broker/defaults.js';
import { runWorker, type WorkerSummary } from '../broker/worker.js';
import { formatCount } from './format.js';
import { Progress } from './progress.js';
import type { WorkerFlags } from './worker.js';

/** A figure of the summary with four decimals, or - when there is none. */
function fixedOrDash(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

/** `streamlearn worker`: learns its share of the stream until idle or a signal, then reports. */
export async function runWorkerCommand(flags: WorkerFlags): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    stderrReporter(`worker: ${signal}: learning what is held, checkpointing and acknowledging, then stopping (again to quit at once)`);
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const progress = new Progress({ label: `worker ${flags.name ?? ''}`.trimEnd() + ' rows learned', linesEveryMs: 2000 });
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
      onBadRow: flags.onBadRow,
      newClasses: flags.newClasses,
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
    s.task === 'regression'
      ? `errors       MAE ${fixedOrDash(s.mae)}, RMSE ${fixedOrDash(s.rmse)}, R² ${fixedOrDash(s.r2)} (each row predicted before it was learned)`
      : `accuracy     ${fixedOrDash(s.accuracy)} (each row predicted before it was learned)`,
    `stopped      ${s.stopped === 'idle' ? `nothing pending for ${flags.idleTimeout ?? WORKER_DEFAULTS.idleTimeout} s` : 'on a signal'} after ${s.seconds.toFixed(1)} s; learned ${formatCount(s.rowsPerSecond)} rows/s`,
    `model        ${s.learner} in ${s.out}`,
  ];
  if (s.skippedRows > 0) lines.push(`skipped      ${formatCount(s.skippedRows)} bad row${s.skippedRows === 1 ? '' : 's'} (--on-bad-row skip), acknowledged, not learned; the first: ${s.firstSkipped}`);
  if (s.newClassRows > 0) {
    lines.push(
      `new labels   ${formatCount(s.newClassRows)} row${s.newClassRows === 1 ? '' : 's'} labelled outside the classes (--new-classes skip), acknowledged, not learned: ` +
        `${s.newClassLabels.map((l) => `"${l}"`).join(', ')}${s.newClassLabels.length >= 20 ? ', ...' : ''}`,
    );
  }
  if (s.disconnects > 0) {
    lines.push(
      `connection   lost ${s.disconnects} time${s.disconnects === 1 ? '' : 's'}, reconnected ${s.reconnects}` +
        (s.acksResent > 0 ? `; ${formatCount(s.acksResent)} acknowledgements sent again (the first were sent while it was down)` : '') +
        (s.unconfirmedAcks > 0 ? `; ${formatCount(s.unconfirmedAcks)} never confirmed (redelivered after the ack wait)` : ''),
    );
  }
  if (s.maxAckPendingWaits > 0) {
    lines.push(
      `waited       ${s.maxAckPendingWaits} time${s.maxAckPendingWaits === 1 ? '' : 's'} on the consumer's max ack pending (${formatCount(s.maxAckPending)}): ` +
        'the workers together held all the unacknowledged messages it allows',
    );
  }
  if (s.mergedVersion) lines.push(`merged       ${s.merges} time${s.merges === 1 ? '' : 's'}; last: ${s.mergedVersion}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
