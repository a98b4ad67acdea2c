import { InvalidArgumentError, type Command } from 'commander';
import { connectTimeoutOption } from '../broker/cli-options.js';
import { DEFAULT_SYNTH_ROWS, rowEncodings, type RowEncoding } from '../broker/defaults.js';
import type { Task } from '../../core/types.js';
import type { InputFormat } from '../files/file-source.js';
import { inputFormats } from './names.js';
import { choiceArg, countArg, integerRange, seedArg } from './options.js';
import { MAX_LINE_BYTES_HELP, maxLineBytesArg } from './run-flags.js';

export interface PublishFlags {
  to: string;
  label?: string;
  classes?: string[];
  task?: Task;
  inputFormat?: InputFormat;
  delimiter?: string;
  quote?: string;
  features?: string[];
  exclude?: string[];
  categorical?: string[] | 'auto';
  missing?: 'fail' | 'allow';
  onBadRow?: 'fail' | 'skip';
  maxLineBytes?: number;
  rows?: number;
  seed?: number;
  subject?: string;
  encoding?: RowEncoding;
  linesPerMessage?: number;
  connectTimeout?: number;
  format: 'text' | 'json';
}

/** Rows in one message: NATS refuses messages over its max_payload (1 MiB by default) long before this many. */
const MAX_LINES_PER_MESSAGE = 1_000_000;

function list(value: string): string[] {
  const items = value.split(',').map((c) => c.trim());
  if (items.some((c) => c === '')) throw new InvalidArgumentError('expected names separated by commas.');
  return items;
}

export function registerPublish(program: Command): void {
  const command = program
    .command('publish')
    .argument('<file>', 'a CSV or JSON lines file (gzip is unzipped; - reads stdin), or synth:SPEC for a generated stream')
    .description('load rows into a NATS JetStream stream (made when absent), one row per message, for train --source and workers')
    .requiredOption('--to <url>', 'the stream: nats://HOST:PORT/STREAM')
    .option('--label <column>', 'the label column of a data file')
    .option('--classes <a,b,...>', 'the classes in their canonical order (recorded with the stream, so every worker indexes them alike)', list)
    .option(
      '--task <task>',
      'what a data file\'s label is: classification (class names; the default) or regression (a number to predict, for regressors; a label that is not a number is a bad row); a synth: stream\'s is its generator\'s',
      choiceArg(['classification', 'regression'] as const),
    )
    .option('--input-format <format>', 'csv or jsonl (default: from the file name)', choiceArg(inputFormats))
    .option('--delimiter <char>', 'the CSV field delimiter')
    .option('--quote <char>', 'the CSV quote character')
    .option('--features <columns>', 'only these columns are features, in this order', list)
    .option('--exclude <columns>', 'leave these columns out', list)
    .option('--categorical <columns>', 'columns read as categories, or auto', (v: string) => (v.trim() === 'auto' ? 'auto' : list(v)))
    .option('--missing <mode>', 'an empty cell: fail, or allow it as a missing value', choiceArg(['fail', 'allow'] as const))
    .option('--on-bad-row <mode>', 'a bad row: fail, or skip it', choiceArg(['fail', 'skip'] as const))
    .option('--max-line-bytes <n>', MAX_LINE_BYTES_HELP, maxLineBytesArg)
    .option('--rows <n>', `synth: rows to generate (default ${DEFAULT_SYNTH_ROWS})`, countArg)
    .option('--seed <n>', 'synth: seed of the generator (default 42)', seedArg)
    .option('--subject <subject>', 'the subject to publish on (default: the stream\'s recorded one, else STREAM.rows)')
    .option('--encoding <encoding>', 'how rows are written in messages: csv or jsonl (default: jsonl for a JSON lines file, else csv)', choiceArg(rowEncodings))
    .option('--lines-per-message <n>', `rows per message (default 1, at most ${MAX_LINES_PER_MESSAGE})`, integerRange(1, MAX_LINES_PER_MESSAGE))
    .option('--format <format>', 'the final report: text or json', choiceArg(['text', 'json'] as const), 'text');
  connectTimeoutOption(command).action(async (file: string, flags: PublishFlags) => (await import('./publish-run.js')).runPublish(file, flags));
}
