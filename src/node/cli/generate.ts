import type { Command } from 'commander';
import { writeOut } from './format.js';
import { choiceArg, integerRange, MAX_COUNT, paramArg, seedArg } from './options.js';

interface GenerateFlags {
  rows?: number;
  seed: number;
  format: 'csv' | 'jsonl';
  param?: Record<string, string>;
}

/** Rows written per call: large enough to keep the writes cheap, small enough to stream. */
const CHUNK = 4096;

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .argument('<spec>', 'a synthetic stream: NAME, NAME(key=value,...), or A>B@POSITION/WIDTH (see "streamlearn generators")')
    .description('write a synthetic stream (MOA\'s generators) to stdout as CSV or JSON lines')
    .option('--rows <n>', 'rows to write (default: until the reader stops)', integerRange(0, MAX_COUNT))
    .option('--seed <n>', 'seed of the generator', seedArg, 42)
    .option('--format <format>', 'csv or jsonl', choiceArg(['csv', 'jsonl'] as const), 'csv')
    .option('--param <key=value>', 'a generator parameter for every stream in the spec, repeatable', paramArg)
    .action(async (spec: string, flags: GenerateFlags) => {
      const [{ stringify }, { synthSource }] = await Promise.all([import('csv-stringify/sync'), import('../../data/synth/registry.js')]);
      const source = synthSource(spec, { seed: flags.seed, rows: flags.rows, params: flags.param });
      const { features, label, classes } = source.schema;
      // Numbers print in their shortest exact form, so the file reproduces the generated rows,
      // and never need quoting; only the class names go through the CSV writer, once each.
      // A regression stream's label is its target value, printed as the features are.
      const regression = source.schema.task === 'regression';
      const labelCells = classes.map((c) => stringify([[c]]).trimEnd());
      const toLine =
        flags.format === 'csv'
          ? (x: Float64Array, y: number): string => `${x.join(',')},${regression ? y : labelCells[y]}\n`
          : (x: Float64Array, y: number): string => {
              const record: Record<string, number | string> = {};
              features.forEach((f, j) => (record[f] = x[j]));
              record[label] = regression ? y : classes[y];
              return `${JSON.stringify(record)}\n`;
            };
      let chunk = flags.format === 'csv' ? stringify([[...features, label]]) : '';
      let n = 0;
      for await (const row of source.rows()) {
        chunk += toLine(row.x, row.y);
        if (++n === CHUNK) {
          await writeOut(process.stdout, chunk);
          chunk = '';
          n = 0;
        }
      }
      if (chunk) await writeOut(process.stdout, chunk);
    });
}
