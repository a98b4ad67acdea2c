import type { Command } from 'commander';
import type { BatchResult } from '../eval/batch-split.js';
import { detectorNames } from '../drift/registry.js';
import { reportToMarkdown } from '../eval/report-markdown.js';
import { InvalidArgumentError } from 'commander';
import { learnerNames } from '../learners/registry.js';
import { transformerNames } from '../preprocess/registry.js';
import { checkSettings, DEFAULT_DATASET, DEFAULT_LEARNER, DEFAULTS, protocols, train, type Protocol, type TrainReport } from '../pipeline.js';
import { formatCount, formatRow } from './format.js';
import { choiceArg, integerArg, numberArg, paramArg } from './options.js';
import { addBrokerTrainOptions, brokerTrainOptions, type BrokerTrainFlags } from '../broker/cli-options.js';

/** `--categorical a,b` or `--categorical auto`. */
function categoricalArg(value: string): string[] | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  const columns = value.split(',').map((c) => c.trim());
  if (columns.some((c) => c === '')) throw new InvalidArgumentError('expected column names separated by commas, or auto.');
  return columns;
}

/** `--features a,b,c` or `--exclude a,b`: column names, comma-separated. */
function columnsArg(value: string): string[] {
  const columns = value.split(',').map((c) => c.trim());
  if (columns.some((c) => c === '')) throw new InvalidArgumentError('expected column names separated by commas.');
  return columns;
}

/** `--preprocess a,b` or `--preprocess none`; names are checked by train(), which lists the valid ones. */
function stepsArg(value: string): string[] {
  if (value.trim() === 'none') return [];
  const steps = value.split(',').map((c) => c.trim());
  if (steps.some((c) => c === '')) throw new InvalidArgumentError(`expected step names separated by commas (${transformerNames.join(', ')}), or none.`);
  return steps;
}

/** Collects repeated `--preprocess-param STEP.key=value` flags, by step. */
function stepParamArg(value: string, previous: Record<string, Record<string, string>> = {}): Record<string, Record<string, string>> {
  const dot = value.indexOf('.');
  const eq = value.indexOf('=');
  if (dot <= 0 || eq < dot + 2) throw new InvalidArgumentError('expected step.key=value, e.g. --preprocess-param min-max-scaler.clip=off.');
  const step = value.slice(0, dot).trim();
  return { ...previous, [step]: { ...previous[step], [value.slice(dot + 1, eq).trim()]: value.slice(eq + 1).trim() } };
}

interface TrainFlags extends BrokerTrainFlags {
  dataset?: string;
  data?: string;
  label?: string;
  classes?: string[];
  rows?: number;
  model: string;
  param?: Record<string, string>;
  protocol: Protocol;
  shuffle?: boolean;
  shuffleBuffer?: number;
  curveEvery?: number;
  window?: number;
  fading?: number;
  drift?: string;
  driftParam?: Record<string, string>;
  seed: number;
  batchSize: number;
  testSize: number;
  format: 'table' | 'json' | 'markdown';
  out?: string;
  save: boolean;
  categorical?: string[] | 'auto';
  missing: 'fail' | 'allow';
  inputFormat?: 'csv' | 'jsonl';
  delimiter?: string;
  quote?: string;
  features?: string[];
  exclude?: string[];
  onBadRow: 'fail' | 'skip';
  preprocess?: string[];
  preprocessParam?: Record<string, Record<string, string>>;
}

const WIDTHS = [5, 5, 4, 8];

export function registerTrain(program: Command): void {
  addBrokerTrainOptions(program.command('train'))
    .description('stream a data set in shuffled batches, fit an incremental classifier per batch, report and save it')
    .option('--dataset <name>', `a bundled data set (see "streamlearn datasets"; default ${DEFAULT_DATASET})`)
    .option('--data <file>', 'a CSV or JSON lines file instead (gzip is unzipped; - reads stdin; needs --label), or synth:SPEC for a generated stream')
    .option('--label <column>', 'the label column of --data')
    .option('--classes <a,b,...>', 'the label\'s classes in their canonical order (default: order of first appearance)', (v: string) => v.split(',').map((c) => c.trim()))
    .option('--rows <n>', `rows to generate for --data synth:SPEC (default ${DEFAULTS.synthRows})`, integerArg)
    .option('--model <name>', `the learner: ${learnerNames.join(', ')}`, DEFAULT_LEARNER)
    .option('--param <key=value>', 'a learner parameter, repeatable (see "streamlearn learners")', paramArg)
    .option('--categorical <columns>', 'CSV columns read as categories, comma-separated, or auto (non-numeric in the first 1,000 rows)', categoricalArg)
    .option('--missing <mode>', 'an empty CSV cell: fail, or allow it as a missing value (imputed by default)', choiceArg(['fail', 'allow'] as const), 'fail')
    .option('--input-format <format>', 'csv or jsonl (default: jsonl for .jsonl or .ndjson, optionally .gz; else csv, stdin included)', choiceArg(['csv', 'jsonl'] as const))
    .option('--delimiter <char>', 'the CSV field delimiter (default ","; tab or \\t for a tab)')
    .option('--quote <char>', 'the CSV quote character (default \'"\')')
    .option('--features <columns>', 'only these columns are features, in this order, comma-separated', columnsArg)
    .option('--exclude <columns>', 'every column but these (and the label) is a feature, comma-separated', columnsArg)
    .option('--on-bad-row <mode>', 'a bad row (wrong number of fields, not a number, empty label): fail, or skip it and count it', choiceArg(['fail', 'skip'] as const), 'fail')
    .option('--preprocess <steps>', `preprocessing steps in order, replacing the default ones: ${transformerNames.join(', ')}; or none`, stepsArg)
    .option('--preprocess-param <step.key=value>', 'a preprocessing step parameter, repeatable, e.g. min-max-scaler.clip=off', stepParamArg)
    .option('--protocol <name>', 'batch-split (learn each batch\'s train part, score its test part) or prequential (test-then-train, row by row)', choiceArg(protocols), 'batch-split')
    .option('--shuffle', 'shuffle the rows exactly before batching (default for batch-split over a file or data set)')
    .option('--no-shuffle', 'keep the rows in stream order (default for prequential and synth: streams)')
    .option('--shuffle-buffer <n>', 'shuffle through a seeded buffer of n rows: approximate, in bounded memory, for unbounded or large input', integerArg)
    .option('--curve-every <n>', 'prequential: a learning-curve point every n rows (default 1000)', integerArg)
    .option('--window <n>', 'prequential: also report accuracy over the last n rows on the curve', integerArg)
    .option('--fading <alpha>', 'prequential: also report accuracy faded by alpha in (0, 1] on the curve', numberArg)
    .option('--drift <detector>', `watch the errors with a drift detector: ${detectorNames.join(', ')}`)
    .option('--drift-param <key=value>', 'a drift detector parameter, repeatable', paramArg)
    .option('--seed <n>', 'seed of the shuffle, the splits, the generator and the learner', integerArg, DEFAULTS.seed)
    .option('--batch-size <n>', 'rows per batch', integerArg, DEFAULTS.batchSize)
    .option('--test-size <fraction>', 'share of each batch held out for scoring, in (0, 1)', numberArg, DEFAULTS.testSize)
    .option('--format <format>', 'table, json (one object on stdout) or markdown (a report document)', choiceArg(['table', 'json', 'markdown'] as const), 'table')
    .option('--out <dir>', 'where to save the model (default models/<dataset>-<model>)')
    .option('--no-save', 'do not save the model')
    .action(async (flags: TrainFlags) => {
      checkSettings(flags, { seed: '--seed', batchSize: '--batch-size', testSize: '--test-size' });
      const table = flags.format === 'table';
      let headerShown = false;
      const onBatch = (b: BatchResult): void => {
        if (!table) return;
        if (!headerShown) {
          const source = flags.source ?? flags.data ?? flags.dataset ?? DEFAULT_DATASET;
          process.stdout.write(
            `streamlearn train: ${source}, model ${flags.model}, seed ${flags.seed}, batch size ${flags.batchSize}, test size ${flags.testSize}\n\n` +
              `${formatRow(['batch', 'train', 'test', 'accuracy'], WIDTHS)}\n`,
          );
          headerShown = true;
        }
        const score = b.accuracy === null ? '-       (one row: learned, not scored)' : b.accuracy.toFixed(4);
        process.stdout.write(`${formatRow([b.index, b.trainRows, b.testRows, score], WIDTHS)}\n`);
      };
      let progressShown = false;
      const onProgress = (rows: number, correct: number): void => {
        if (!table) return;
        // The title waits for the first rows, so input that fails at once prints nothing on stdout.
        if (!progressShown) {
          process.stdout.write(`streamlearn train: ${flags.source ?? flags.data ?? flags.dataset ?? DEFAULT_DATASET}, model ${flags.model}, prequential, seed ${flags.seed}\n\n`);
          process.stdout.write(`${formatRow(['rows', 'accuracy'], [12, 8])}\n`);
          progressShown = true;
        }
        process.stdout.write(`${formatRow([formatCount(rows), (correct / rows).toFixed(4)], [12, 8])}\n`);
      };
      let firstSkipped: string | undefined;
      const { report, model } = await train({
        ...brokerTrainOptions(flags),
        dataset: flags.dataset,
        data: flags.data,
        label: flags.label,
        classes: flags.classes,
        rows: flags.rows,
        model: flags.model,
        params: flags.param,
        protocol: flags.protocol,
        shuffle: flags.shuffle,
        shuffleBuffer: flags.shuffleBuffer,
        curveEvery: flags.curveEvery,
        window: flags.window,
        fading: flags.fading,
        drift: flags.drift,
        driftParams: flags.driftParam,
        seed: flags.seed,
        batchSize: flags.batchSize,
        testSize: flags.testSize,
        out: flags.save ? flags.out : null,
        categorical: flags.categorical,
        missing: flags.missing,
        inputFormat: flags.inputFormat,
        delimiter: flags.delimiter,
        quote: flags.quote,
        features: flags.features,
        exclude: flags.exclude,
        onBadRow: flags.onBadRow,
        onSkip: ({ message }) => (firstSkipped ??= message),
        preprocess: flags.preprocess,
        preprocessParams: flags.preprocessParam,
        onBatch,
        onProgress,
        progressEvery: progressInterval(flags.rows ?? DEFAULTS.synthRows),
      });
      model.dispose();
      const output = {
        table: () => summaryText(report, firstSkipped),
        json: () => `${JSON.stringify(report, null, 2)}\n`,
        markdown: () => reportToMarkdown(report),
      };
      process.stdout.write(output[flags.format]());
    });
}

/** About ten progress lines for a prequential run, on round numbers. */
function progressInterval(rows: number): number {
  const step = Math.max(1000, rows / 10);
  const magnitude = 10 ** Math.floor(Math.log10(step));
  return Math.ceil(step / magnitude) * magnitude;
}

function summaryText(r: TrainReport, firstSkipped?: string): string {
  const scored = r.batches.length - r.unscoredBatches;
  const lines = [
    '',
    `data           ${r.dataset}: ${r.rows} rows (${r.trainRows} learned, ${r.testRows} scored), ${r.features} features, ${r.classes.length} classes`,
    `model          ${r.model}${r.backend ? ` (TensorFlow.js backend: ${r.backend})` : ''}`,
    `preprocessing  ${r.preprocessing.length > 0 ? r.preprocessing.join(' -> ') : 'none'}`,
  ];
  if (r.meanAccuracy !== null && r.stdAccuracy !== null) {
    lines.push(`mean accuracy  ${r.meanAccuracy.toFixed(4)} ± ${r.stdAccuracy.toFixed(4)} (sample std over ${scored} scored batch${scored === 1 ? '' : 'es'})`);
  } else {
    lines.push(`accuracy       ${r.accuracy.toFixed(4)} (prequential: each row predicted before it was learned)`);
  }
  if (r.accuracyInterval && Number.isFinite(r.accuracyInterval.low)) {
    lines.push(`95% interval   ${r.accuracyInterval.low.toFixed(4)} to ${r.accuracyInterval.high.toFixed(4)} (Student t, per-batch accuracies)`);
  }
  const m = r.metrics;
  const logLoss = m.logLoss === null ? '' : `, log loss ${m.logLoss.toFixed(4)}`;
  lines.push(`metrics        kappa ${m.kappa.toFixed(4)}, kappa-M ${m.kappaM.toFixed(4)}, kappa-T ${m.kappaT.toFixed(4)}, balanced accuracy ${m.balancedAccuracy.toFixed(4)}, macro F1 ${m.macro.f1.toFixed(4)}${logLoss}`);
  if (r.driftDetector) {
    const at = r.drifts.length ? ` at scored rows ${r.drifts.slice(0, 10).join(', ')}${r.drifts.length > 10 ? ', ...' : ''}` : '';
    lines.push(`drift          ${r.drifts.length} detected by ${r.driftDetector}${at}`);
  }
  if (r.skippedRows > 0) {
    lines.push(`skipped        ${r.skippedRows} bad row${r.skippedRows === 1 ? '' : 's'} (--on-bad-row skip), not learned; the first: ${firstSkipped ?? '?'}`);
  }
  lines.push(`speed          ${r.wallSeconds.toFixed(3)} s, ${formatCount(r.rowsPerSecond)} rows/s`);
  if (r.modelPath) {
    lines.push(`model saved    ${r.modelPath}`);
    lines.push(`predict with   npx streamlearn predict --model ${r.modelPath} --input <file.csv>`);
  } else {
    lines.push('model saved    no (--no-save)');
  }
  return `${lines.join('\n')}\n`;
}
