import type { Command } from 'commander';
import { listDatasets } from '../data/datasets.js';
import { kebabCase, learnerDefinitions } from '../learners/registry.js';
import { formatRow } from './format.js';
import { choiceArg } from './options.js';

export function registerCatalogue(program: Command): void {
  program
    .command('datasets')
    .description('list the bundled data sets')
    .option('--format <format>', 'table or json', choiceArg(['table', 'json'] as const), 'table')
    .action((flags: { format: 'table' | 'json' }) => {
      const cards = listDatasets();
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify(cards, null, 2)}\n`);
        return;
      }
      const widths = [14, 5, 8, 7, 9];
      const lines = [formatRow(['name', 'rows', 'features', 'classes', 'licence'], widths)];
      for (const c of cards) lines.push(formatRow([c.name, c.rows, c.features, c.classes.length, c.licence], widths));
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  program
    .command('learners')
    .description('list the learners with their parameters and defaults')
    .action(() => {
      const lines: string[] = [];
      for (const def of learnerDefinitions) {
        lines.push(`${def.name}: ${def.summary} (${def.reference})`);
        for (const [key, spec] of Object.entries(def.params)) {
          const choices = spec.choices ? ` [${spec.choices.join('|')}]` : '';
          lines.push(`  --param ${kebabCase(key)}=${spec.default}${choices}  ${spec.doc}`);
        }
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
