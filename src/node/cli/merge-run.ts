import { fail } from '../../core/errors.js';
import { mergeModels, type MergeInput, type SequenceOverlap } from '../../learners/merge.js';
import { stderrReporter } from '../broker/connection.js';
import { assertModelOutWritable, loadAnyModelFrom, loadAnyReplicas, saveModelTo } from '../broker/registry.js';
import type { AnyModel } from '../persist/model-dir.js';
import { formatCount } from './format.js';
import type { MergeFlags } from './merge.js';

/** Runs of overlapping sequences spelled out on stderr; the rest are counted (the JSON report lists all). */
const OVERLAPS_SHOWN = 5;

/**
 * The warning lines for stream sequences learned by more than one replica
 * (workers sharing a consumer learn a message twice when its acknowledgement
 * is lost: see the README's Workers section). The merge goes on: those rows
 * simply count twice.
 */
export function overlapWarnings(overlaps: readonly SequenceOverlap[]): string[] {
  const lines = overlaps.slice(0, OVERLAPS_SHOWN).map(({ first, last, replicas }) => {
    const n = last - first + 1;
    const which = first === last ? `sequence ${first} (1 message) was` : `sequences ${first}-${last} (${formatCount(n)} messages) were`;
    return `merge: ${which} learned by more than one replica (${replicas.join(', ')})`;
  });
  if (overlaps.length > OVERLAPS_SHOWN) {
    const total = overlaps.reduce((sum, o) => sum + o.last - o.first + 1, 0);
    lines.push(`merge: and ${formatCount(overlaps.length - OVERLAPS_SHOWN)} more runs; ${formatCount(total)} messages in all were learned by more than one replica (--format json lists them)`);
  }
  return lines;
}

/**
 * `streamlearn merge`: loads the replicas (classifiers or regressors: the
 * merge checks they are one model, so one task), merges them, saves the one
 * model and reports.
 */
export async function runMerge(models: string[], flags: MergeFlags): Promise<void> {
  await assertModelOutWritable(flags.out, '--out');
  const inputs: MergeInput<AnyModel>[] = [];
  const options = { connectTimeout: flags.connectTimeout };
  try {
    for (const from of models) inputs.push({ model: await loadAnyModelFrom(from, { ...options, flag: 'merge' }), label: from });
    if (flags.replicas) {
      for (const r of await loadAnyReplicas(flags.replicas, options)) inputs.push({ model: r.model, label: `${flags.replicas} replica ${r.replica}` });
    }
    if (inputs.length === 0) fail('merge: no models given (name model directories or references, or --replicas)');
    const outcome = await mergeModels(inputs);
    const saved = await saveModelTo(outcome.model, flags.out, { ...options, flag: '--out' });
    outcome.model.dispose();
    for (const line of overlapWarnings(outcome.overlaps)) stderrReporter(line);
    const report = {
      learner: outcome.learner,
      kind: outcome.kind,
      inputs: inputs.map((i) => i.label),
      rows: outcome.rows,
      totalRows: outcome.rows.reduce((s, r) => s + r, 0),
      notes: outcome.notes,
      // Stream sequences learned by more than one replica (workers' replicas list what they learned).
      overlaps: outcome.overlaps.map((o) => ({ ...o, messages: o.last - o.first + 1 })),
      out: saved.location,
    };
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      [
        `merged ${inputs.length} ${outcome.learner} model${inputs.length === 1 ? '' : 's'} (${outcome.kind}); ${formatCount(report.totalRows)} rows learned in all`,
        ...outcome.notes.map((n) => `  ${n}`),
        `model saved    ${saved.location}`,
      ].join('\n') + '\n',
    );
  } finally {
    for (const i of inputs) i.model.dispose();
  }
}
