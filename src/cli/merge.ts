import type { Command } from 'commander';
import { connectTimeoutOption } from '../broker/cli-options.js';
import { assertModelOutWritable, loadModelFrom, loadReplicas, saveModelTo } from '../broker/registry.js';
import { fail } from '../core/errors.js';
import { mergeModels, type MergeInput } from '../learners/merge.js';
import { formatCount } from './format.js';
import { choiceArg } from './options.js';

interface MergeFlags {
  out: string;
  replicas?: string;
  connectTimeout?: number;
  format: 'text' | 'json';
}

export function registerMerge(program: Command): void {
  const command = program
    .command('merge')
    .argument('[models...]', 'model directories or nats://HOST:PORT/BUCKET/NAME[@VERSION] references: replicas of one model')
    .description('merge replicas of one model learned apart (by workers) into one saved model')
    .requiredOption('--out <dir>', 'where the merged model goes: a directory, or nats://HOST:PORT/BUCKET/NAME (its next version)')
    .option('--replicas <ref>', 'also every replica the workers stored for nats://HOST:PORT/BUCKET/NAME (worker --merge-into)')
    .option('--format <format>', 'the report: text or json', choiceArg(['text', 'json'] as const), 'text');
  connectTimeoutOption(command).action(async (models: string[], flags: MergeFlags) => {
    await assertModelOutWritable(flags.out, '--out');
    const inputs: MergeInput[] = [];
    const options = { connectTimeout: flags.connectTimeout };
    try {
      for (const from of models) inputs.push({ model: await loadModelFrom(from, { ...options, flag: 'merge' }), label: from });
      if (flags.replicas) {
        for (const r of await loadReplicas(flags.replicas, options)) inputs.push({ model: r.model, label: `${flags.replicas} replica ${r.replica}` });
      }
      if (inputs.length === 0) fail('merge: no models given (name model directories or references, or --replicas)');
      const outcome = await mergeModels(inputs);
      const saved = await saveModelTo(outcome.model, flags.out, { ...options, flag: '--out' });
      outcome.model.dispose();
      const report = {
        learner: outcome.learner,
        kind: outcome.kind,
        inputs: inputs.map((i) => i.label),
        rows: outcome.rows,
        totalRows: outcome.rows.reduce((s, r) => s + r, 0),
        notes: outcome.notes,
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
  });
}
