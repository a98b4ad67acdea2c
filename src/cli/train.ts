import type { Command } from 'commander';
import type { BatchResult } from '../eval/batch-split.js';
import { learnerNames } from '../learners/registry.js';
import { checkSettings, DEFAULT_DATASET, DEFAULT_LEARNER, DEFAULTS, train, type TrainReport } from '../pipeline.js';
import { formatCount, formatRow } from './format.js';
import { choiceArg, integerArg, numberArg, paramArg } from './options.js';

interface TrainFlags {
  dataset?: string;
  data?: string;
  label?: string;
  model: string;
  param?: Record<string, string>;
  seed: number;
  batchSize: number;
  testSize: number;
  format: 'table' | 'json';
  out?: string;
  save: boolean;
}

const WIDTHS = [5, 5, 4, 8];

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('stream a data set in shuffled batches, fit an incremental classifier per batch, report and save it')
    .option('--dataset <name>', `a bundled data set (see "streamlearn datasets"; default ${DEFAULT_DATASET})`)
    .option('--data <file>', 'a CSV file instead (.gz is unzipped; - reads stdin); needs --label')
    .option('--label <column>', 'the label column of --data')
    .option('--model <name>', `the learner: ${learnerNames.join(', ')}`, DEFAULT_LEARNER)
    .option('--param <key=value>', 'a learner parameter, repeatable (see "streamlearn learners")', paramArg)
    .option('--seed <n>', 'seed of the shuffle, the splits and the learner', integerArg, DEFAULTS.seed)
    .option('--batch-size <n>', 'rows per batch', integerArg, DEFAULTS.batchSize)
    .option('--test-size <fraction>', 'share of each batch held out for scoring, in (0, 1)', numberArg, DEFAULTS.testSize)
    .option('--format <format>', 'table or json (json: one object on stdout)', choiceArg(['table', 'json'] as const), 'table')
    .option('--out <dir>', 'where to save the model (default models/<dataset>-<model>)')
    .option('--no-save', 'do not save the model')
    .action(async (flags: TrainFlags) => {
      checkSettings(flags, { seed: '--seed', batchSize: '--batch-size', testSize: '--test-size' });
      const table = flags.format === 'table';
      let headerShown = false;
      const onBatch = (b: BatchResult): void => {
        if (!table) return;
        if (!headerShown) {
          const source = flags.data ?? flags.dataset ?? DEFAULT_DATASET;
          process.stdout.write(
            `streamlearn train: ${source}, model ${flags.model}, seed ${flags.seed}, batch size ${flags.batchSize}, test size ${flags.testSize}\n\n` +
              `${formatRow(['batch', 'train', 'test', 'accuracy'], WIDTHS)}\n`,
          );
          headerShown = true;
        }
        const score = b.accuracy === null ? '-       (one row: learned, not scored)' : b.accuracy.toFixed(4);
        process.stdout.write(`${formatRow([b.index, b.trainRows, b.testRows, score], WIDTHS)}\n`);
      };
      const { report, model } = await train({
        dataset: flags.dataset,
        data: flags.data,
        label: flags.label,
        model: flags.model,
        params: flags.param,
        seed: flags.seed,
        batchSize: flags.batchSize,
        testSize: flags.testSize,
        out: flags.save ? flags.out : null,
        onBatch,
      });
      model.dispose();
      process.stdout.write(table ? summaryText(report) : `${JSON.stringify(report, null, 2)}\n`);
    });
}

function summaryText(r: TrainReport): string {
  const scored = r.batches.length - r.unscoredBatches;
  const lines = [
    '',
    `data           ${r.dataset}: ${r.rows} rows (${r.trainRows} learned, ${r.testRows} scored), ${r.features} features, ${r.classes.length} classes`,
    `model          ${r.model}${r.backend ? ` (TensorFlow.js backend: ${r.backend})` : ''}`,
    `mean accuracy  ${r.meanAccuracy.toFixed(4)} ± ${r.stdAccuracy.toFixed(4)} (sample std over ${scored} scored batch${scored === 1 ? '' : 'es'})`,
    `speed          ${r.wallSeconds.toFixed(3)} s, ${formatCount(r.rowsPerSecond)} rows/s`,
  ];
  if (r.modelPath) {
    lines.push(`model saved    ${r.modelPath}`);
    lines.push(`predict with   npx streamlearn predict --model ${r.modelPath} --input <file.csv>`);
  } else {
    lines.push('model saved    no (--no-save)');
  }
  return `${lines.join('\n')}\n`;
}
