import type { Command } from 'commander';
import { addDataOptions, addStreamOptions, namesArg, scopedParamArg, type RunFlags } from './run-flags.js';

export interface CompareFlags extends RunFlags {
  models: string[];
  param?: Record<string, Record<string, string>>;
}

export function registerCompare(program: Command): void {
  const command = program
    .command('compare')
    .description('run several learners on the identical stream in one pass and report them side by side (nothing is saved)');
  addDataOptions(command)
    .requiredOption('--models <a,b,...>', 'the learners to compare, comma-separated (see "streamlearn learners")', namesArg)
    .option('--param <learner.key=value>', 'a parameter of one of the learners, repeatable, e.g. hoeffding-tree.grace-period=50', scopedParamArg('--param hoeffding-tree.grace-period=50'));
  addStreamOptions(command).action(async (flags: CompareFlags) => (await import('./compare-run.js')).runCompare(flags));
}
