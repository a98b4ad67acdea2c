import type { Command } from 'commander';
import { connectTimeoutOption } from '../broker/cli-options.js';
import { choiceArg } from './options.js';

export interface MergeFlags {
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
  connectTimeoutOption(command).action(async (models: string[], flags: MergeFlags) => (await import('./merge-run.js')).runMerge(models, flags));
}
