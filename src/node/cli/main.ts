import { Command, CommanderError } from 'commander';
import { StreamlearnError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import { registerCatalogue } from './catalogue.js';
import { registerCompare } from './compare.js';
import { registerGenerate } from './generate.js';
import { registerMerge } from './merge.js';
import { registerPredict } from './predict.js';
import { registerServe } from './serve.js';
import { registerPublish } from './publish.js';
import { registerTrain } from './train.js';
import { registerWorker } from './worker.js';

export function buildProgram(): Command {
  const program = new Command('streamlearn')
    .description('online machine learning for Node.js: train incremental classifiers on streams, evaluate, save, predict')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError();
  registerTrain(program);
  registerCompare(program);
  registerPredict(program);
  registerServe(program);
  registerGenerate(program);
  registerCatalogue(program);
  registerPublish(program);
  registerWorker(program);
  registerMerge(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI. User errors print one line on stderr and exit 1; bugs print a stack and exit 70. */
export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`| head`) is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message already; --help and --version end with code 0.
      process.exitCode = err.exitCode;
    } else if (err instanceof StreamlearnError) {
      process.stderr.write(`streamlearn: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`streamlearn: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    }
  }
}
