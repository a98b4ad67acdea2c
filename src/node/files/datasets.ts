import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as v from 'valibot';
import { fail } from '../../core/errors.js';
import type { Task } from '../../core/types.js';
import { checkWith, positiveInteger } from '../../core/state.js';
import { packageRoot } from '../package-root.js';
import { csvSource, type Source } from './csv.js';

/** The data/ folder shipped with the package, beside dist/ (the bundle puts this code in any file of dist/). */
export const DATA_DIR = fileURLToPath(new URL('data', packageRoot(import.meta.url)));

const cardSchema = v.pipe(
  v.object({
    name: v.string(),
    file: v.string(),
    // Absent: a classification set.
    task: v.optional(v.picklist(['classification', 'regression'])),
    rows: positiveInteger,
    features: positiveInteger,
    label: v.string(),
    classes: v.array(v.string()),
    source: v.string(),
    origin: v.optional(v.string()),
    licence: v.string(),
  }),
  v.check((c) => (c.task === 'regression') === (c.classes.length === 0), "classes must list a classification set's labels, and be empty for a regression set"),
);

/** A bundled data set's card: what it is, where it came from, under which licence. */
export type DatasetCard = v.InferOutput<typeof cardSchema>;

/**
 * The bundled data sets' names, as types: `datasetSource('irsi')` does not
 * compile. Kept equal to the cards in data/ (test/one-row.test.ts checks).
 */
export const datasetNames = ['auto-mpg', 'breast-cancer', 'diabetes', 'digits', 'iris', 'wine'] as const;
export type DatasetName = (typeof datasetNames)[number];

let cards: DatasetCard[] | undefined;

/** The bundled data sets, read from their cards in data/. */
export function listDatasets(): DatasetCard[] {
  if (!cards) {
    cards = readdirSync(DATA_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => {
        const parsed = checkWith(cardSchema, JSON.parse(readFileSync(join(DATA_DIR, f), 'utf8')));
        if (!parsed.ok) throw new Error(`data/${f}: invalid data set card: ${parsed.problem}`);
        return parsed.value;
      });
  }
  return cards;
}

export function datasetCard(name: string): DatasetCard {
  const card = listDatasets().find((c) => c.name === name);
  if (!card) {
    fail(`unknown data set "${name}" (bundled: ${listDatasets().map((c) => c.name).join(', ')}; or give a CSV file with --data FILE --label COLUMN)`);
  }
  return card;
}

/** A name given at run time (a command-line flag) as a bundled data set's name, or a one-line error listing them. */
export function datasetName(name: string): DatasetName {
  return datasetCard(name).name as DatasetName;
}

/** What a bundled data set's label is: a class, or a number to predict. */
export function datasetTask(card: DatasetCard): Task {
  return card.task ?? 'classification';
}

/** A bundled data set as a source, its classes in the card's order (a regression set's label read as numbers). */
export function datasetSource(name: DatasetName): Promise<Source> {
  const card = datasetCard(name);
  if (datasetTask(card) === 'regression') return csvSource(join(DATA_DIR, card.file), { label: card.label, task: 'regression', name: card.name });
  return csvSource(join(DATA_DIR, card.file), { label: card.label, classes: card.classes, name: card.name });
}
