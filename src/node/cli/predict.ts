import type { Command } from 'commander';
import type { InputFormat } from '../files/file-source.js';
import { inputFormats } from './names.js';
import { choiceArg } from './options.js';
import { MAX_LINE_BYTES_HELP, maxLineBytesArg } from './run-flags.js';

export type OutputFormat = 'csv' | 'jsonl';

export interface PredictFlags {
  model: string;
  input: string;
  inputFormat?: InputFormat;
  format: OutputFormat;
  maxLineBytes?: number;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('load a saved model and print a prediction for each input row (and the class probabilities, for a classifier)')
    .requiredOption('--model <dir>', 'a saved model directory, or nats://HOST:PORT/BUCKET/NAME[@VERSION] in the registry')
    .requiredOption('--input <file>', 'rows to predict: CSV or JSON lines (.gz is unzipped; - reads stdin)')
    .option('--input-format <format>', 'csv or jsonl (default: from the file name, else csv)', choiceArg(inputFormats))
    .option('--format <format>', 'output: csv or jsonl', choiceArg(['csv', 'jsonl'] as const), 'csv')
    .option('--max-line-bytes <n>', MAX_LINE_BYTES_HELP, maxLineBytesArg)
    .action(async (flags: PredictFlags) => (await import('./predict-run.js')).runPredict(flags));
}
