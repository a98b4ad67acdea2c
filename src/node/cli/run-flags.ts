// The flags `train` and `compare` share, defined from light modules only: every command's flags are
// registered at start-up, and what they run (the pipeline, the learners) loads only when a command runs.
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_MAX_LINE_BYTES, MAX_LINE_BYTES_LIMIT } from '../../data/line-limit.js';
import { protocols, type Protocol } from '../../eval/report.js';
import { DEFAULT_DATASET, DEFAULTS, LIMITS } from '../pipeline-defaults.js';
import { detectorNames, transformerNames } from './names.js';
import { choiceArg, countArg, integerRange, numberArg, paramArg, seedArg } from './options.js';

/** `--max-line-bytes N`, for every command that reads data files. */
export const maxLineBytesArg = integerRange(1, MAX_LINE_BYTES_LIMIT);
export const MAX_LINE_BYTES_HELP = `the longest line a data file may have, in bytes (default ${DEFAULT_MAX_LINE_BYTES}, 16 MiB; at most ${MAX_LINE_BYTES_LIMIT}); a longer one is an error naming the file and line`;

/** `--categorical a,b` or `--categorical auto`. */
function categoricalArg(value: string): string[] | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  const columns = value.split(',').map((c) => c.trim());
  if (columns.some((c) => c === '')) throw new InvalidArgumentError('expected column names separated by commas, or auto.');
  return columns;
}

/** A comma-separated list of names: columns, learners. */
export function namesArg(value: string): string[] {
  const names = value.split(',').map((c) => c.trim());
  if (names.some((c) => c === '')) throw new InvalidArgumentError('expected names separated by commas.');
  return names;
}

/** `--preprocess a,b` or `--preprocess none`; names are checked by train(), which lists the valid ones. */
function stepsArg(value: string): string[] {
  if (value.trim() === 'none') return [];
  const steps = value.split(',').map((c) => c.trim());
  if (steps.some((c) => c === '')) throw new InvalidArgumentError(`expected step names separated by commas (${transformerNames.join(', ')}), or none.`);
  return steps;
}

/** Collects repeated `--flag OWNER.key=value` flags by owner (a preprocessing step, or a learner in compare). */
export function scopedParamArg(example: string): (value: string, previous?: Record<string, Record<string, string>>) => Record<string, Record<string, string>> {
  return (value, previous = {}) => {
    const dot = value.indexOf('.');
    const eq = value.indexOf('=');
    if (dot <= 0 || eq < dot + 2) throw new InvalidArgumentError(`expected name.key=value, e.g. ${example}.`);
    const owner = value.slice(0, dot).trim();
    return { ...previous, [owner]: { ...previous[owner], [value.slice(dot + 1, eq).trim()]: value.slice(eq + 1).trim() } };
  };
}

/** The flags that `train` and `compare` share: the data, the stream, the protocol, the report. */
export interface RunFlags {
  dataset?: string;
  data?: string;
  label?: string;
  classes?: string[];
  rows?: number;
  protocol: Protocol;
  shuffle?: boolean;
  shuffleBuffer?: number;
  curveEvery?: number;
  window?: number;
  fading?: number;
  holdoutRows?: number;
  holdoutEvery?: number;
  holdoutSampleFrom?: number;
  sizeEvery?: number;
  drift?: string;
  driftParam?: Record<string, string>;
  seed: number;
  batchSize: number;
  testSize: number;
  format: 'table' | 'json' | 'markdown';
  report?: string;
  progress: boolean;
  categorical?: string[] | 'auto';
  missing: 'fail' | 'allow';
  inputFormat?: 'csv' | 'jsonl';
  delimiter?: string;
  quote?: string;
  features?: string[];
  exclude?: string[];
  onBadRow: 'fail' | 'skip';
  maxLineBytes?: number;
  preprocess?: string[];
  preprocessParam?: Record<string, Record<string, string>>;
}

/** Adds the shared flags, in the order `--help` lists them: data, preprocessing, protocol, output. */
export function addDataOptions(command: Command): Command {
  return command
    .option('--dataset <name>', `a bundled data set (see "streamlearn datasets"; default ${DEFAULT_DATASET})`)
    .option('--data <file>', 'a CSV or JSON lines file instead (gzip is unzipped; - reads stdin; needs --label), or synth:SPEC for a generated stream')
    .option('--label <column>', 'the label column of --data')
    .option('--classes <a,b,...>', 'the label\'s classes in their canonical order (default: order of first appearance)', (v: string) => v.split(',').map((c) => c.trim()))
    .option('--rows <n>', `rows to generate for --data synth:SPEC (default ${DEFAULTS.synthRows})`, countArg);
}

export function addStreamOptions(command: Command): Command {
  return command
    .option('--categorical <columns>', 'CSV columns read as categories, comma-separated, or auto (non-numeric in the first 1,000 rows)', categoricalArg)
    .option('--missing <mode>', 'an empty CSV cell: fail, or allow it as a missing value (imputed by default)', choiceArg(['fail', 'allow'] as const), 'fail')
    .option('--input-format <format>', 'csv or jsonl (default: jsonl for .jsonl or .ndjson, optionally .gz; else csv, stdin included)', choiceArg(['csv', 'jsonl'] as const))
    .option('--delimiter <char>', 'the CSV field delimiter (default ","; tab or \\t for a tab)')
    .option('--quote <char>', 'the CSV quote character (default \'"\')')
    .option('--features <columns>', 'only these columns are features, in this order, comma-separated', namesArg)
    .option('--exclude <columns>', 'every column but these (and the label) is a feature, comma-separated', namesArg)
    .option('--on-bad-row <mode>', 'a bad row (wrong number of fields, not a number, empty label): fail, or skip it and count it', choiceArg(['fail', 'skip'] as const), 'fail')
    .option('--max-line-bytes <n>', MAX_LINE_BYTES_HELP, maxLineBytesArg)
    .option('--preprocess <steps>', `preprocessing steps in order, replacing the default ones: ${transformerNames.join(', ')}; or none`, stepsArg)
    .option('--preprocess-param <step.key=value>', 'a preprocessing step parameter, repeatable, e.g. min-max-scaler.clip=off', scopedParamArg('--preprocess-param min-max-scaler.clip=off'))
    .option('--protocol <name>', 'batch-split (learn each batch\'s train part, score its test part), prequential (test-then-train, row by row) or holdout (score held-out rows periodically)', choiceArg(protocols), 'batch-split')
    .option('--shuffle', 'shuffle the rows exactly before batching (default for batch-split over a file or data set)')
    .option('--no-shuffle', 'keep the rows in stream order (default for prequential, holdout and synth: streams)')
    .option('--shuffle-buffer <n>', 'shuffle through a seeded buffer of n rows: approximate, in bounded memory, for unbounded or large input', integerRange(1, LIMITS.shuffleBuffer))
    .option('--curve-every <n>', 'prequential: a learning-curve point every n rows (default 1000)', countArg)
    .option('--window <n>', 'prequential: also report accuracy over the last n rows on the curve', integerRange(1, LIMITS.window))
    .option('--fading <alpha>', 'prequential: also report accuracy faded by alpha in (0, 1] on the curve', numberArg)
    .option('--holdout-rows <n>', `holdout: rows held out, never learned (default ${DEFAULTS.holdoutRows}; the first ones)`, integerRange(1, LIMITS.holdoutRows))
    .option('--holdout-every <n>', `holdout: score the held-out rows every n training rows (default ${DEFAULTS.holdoutEvery})`, countArg)
    .option('--holdout-sample-from <n>', 'holdout: draw the held-out rows as a seeded sample of the first n rows, instead of the first ones', countArg)
    .option('--size-every <n>', `measure the model's size every n rows (default ${DEFAULTS.sizeEvery}) and at the end`, countArg)
    .option('--drift <detector>', `watch the errors with a drift detector: ${detectorNames.join(', ')}`)
    .option('--drift-param <key=value>', 'a drift detector parameter, repeatable', paramArg)
    .option('--seed <n>', 'seed of the shuffle, the splits, the generator and the learner', seedArg, DEFAULTS.seed)
    .option('--batch-size <n>', `rows per batch (batch-split: 2 to ${LIMITS.batchSize}, as each batch is split to learn and score; prequential and holdout score every row: 1 up)`, integerRange(1, LIMITS.batchSize), DEFAULTS.batchSize)
    .option('--test-size <fraction>', 'share of each batch held out for scoring, in (0, 1)', numberArg, DEFAULTS.testSize)
    .option('--format <format>', 'table, json (one object on stdout) or markdown (a report document)', choiceArg(['table', 'json', 'markdown'] as const), 'table')
    .option('--report <file>', 'also write the report to a file: .html (charts, opens offline), .md or .json; written whole or not at all')
    .option('--no-progress', 'no progress bar (drawn on stderr, only when stderr is a terminal)');
}

