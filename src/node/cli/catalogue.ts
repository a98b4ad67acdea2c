import type { Command } from 'commander';
import { kebabCase, type Parameterised } from '../../core/params.js';
import { formatRow } from './format.js';
import { choiceArg } from './options.js';

export function registerCatalogue(program: Command): void {
  program
    .command('datasets')
    .description('list the bundled data sets')
    .option('--format <format>', 'table or json', choiceArg(['table', 'json'] as const), 'table')
    .action(async (flags: { format: 'table' | 'json' }) => {
      const cards = (await import('../files/datasets.js')).listDatasets();
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify(cards, null, 2)}\n`);
        return;
      }
      const widths = [14, 5, 8, 10, 9];
      const lines = [formatRow(['name', 'rows', 'features', 'classes', 'licence'], widths)];
      for (const c of cards) lines.push(formatRow([c.name, c.rows, c.features, c.task === 'regression' ? 'regression' : c.classes.length, c.licence], widths));
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  // How each kind spells a parameter on the command line; its registry loads only when it is listed.
  const catalogues: [string, string, () => Promise<readonly Listed[]>, (def: string, param: string) => string][] = [
    ['learners', 'list the learners with their parameters and defaults', async () => (await import('../../learners/registry.js')).learnerDefinitions, (_, p) => `--param ${p}`],
    ['regressors', 'list the regressors (learners of a numeric label) with their parameters and defaults', async () => (await import('../../learners/regressor-registry.js')).regressorDefinitions, (_, p) => `--param ${p}`],
    ['detectors', 'list the drift detectors (--drift) with their parameters', async () => (await import('../../drift/registry.js')).detectorDefinitions, (_, p) => `--drift-param ${p}`],
    ['generators', 'list the synthetic streams (--data synth:NAME(key=value,...)) with their parameters', async () => (await import('../../data/synth/registry.js')).generatorDefinitions, (_, p) => p],
    ['steps', 'list the preprocessing steps (--preprocess) with their parameters', async () => (await import('../../preprocess/registry.js')).transformerDefinitions, (d, p) => `--preprocess-param ${d}.${p}`],
  ];
  for (const [command, description, definitions, spell] of catalogues) {
    program
      .command(command)
      .description(description)
      .action(async () => {
        process.stdout.write(describe(await definitions(), spell));
      });
  }
}

interface Listed extends Parameterised {
  readonly summary?: string;
  readonly reference?: string;
}

/** One line per entry, then one per parameter with its default and what it does. */
function describe(definitions: readonly Listed[], spell: (def: string, param: string) => string): string {
  const lines: string[] = [];
  for (const def of definitions) {
    const about = [def.summary, def.reference ? `(${def.reference})` : ''].filter(Boolean).join(' ');
    lines.push(about ? `${def.name}: ${about}` : def.name);
    for (const [key, spec] of Object.entries(def.params)) {
      const choices = spec.choices ? ` [${spec.choices.join('|')}]` : '';
      lines.push(`  ${spell(def.name, `${kebabCase(key)}=${spec.default}`)}${choices}  ${spec.doc}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
