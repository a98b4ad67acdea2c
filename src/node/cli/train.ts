import type { Command } from 'commander';
import { addBrokerTrainOptions, type BrokerTrainFlags } from '../broker/cli-options.js';
import { DEFAULT_LEARNER } from '../pipeline-defaults.js';
import { learnerNames, regressorNames } from './names.js';
import { paramArg } from './options.js';
import { addDataOptions, addStreamOptions, type RunFlags } from './run-flags.js';

export interface TrainFlags extends RunFlags, BrokerTrainFlags {
  model: string;
  param?: Record<string, string>;
  out?: string;
  save: boolean;
}

// The flags come from light modules only; the run (the pipeline, the learners, NATS) loads when the command runs.
export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('stream a data set in shuffled batches, fit an incremental classifier (or regressor) per batch, report and save it');
  addDataOptions(addBrokerTrainOptions(command))
    .option('--model <name>', `the learner: a classifier (${learnerNames.join(', ')}) or a regressor, which learns a numeric label (${regressorNames.join(', ')})`, DEFAULT_LEARNER)
    .option('--param <key=value>', 'a learner parameter, repeatable (see "streamlearn learners")', paramArg);
  addStreamOptions(command)
    .option('--out <dir>', 'where to save the model (default models/<dataset>-<model>)')
    .option('--no-save', 'do not save the model')
    .action(async (flags: TrainFlags) => (await import('./train-run.js')).runTrain(flags));
}
