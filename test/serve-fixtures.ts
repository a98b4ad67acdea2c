/**
 * What the serving tests share: Iris as request rows, and one gaussian-nb
 * model trained once per test file, copied for each test that changes it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { train } from '../src/node/pipeline.js';
import type { RecordRow } from '../src/node/serve/learn-log.js';
import { ROOT } from './helpers.js';

export const FEATURES = ['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm'];

/** Iris as request rows: the four features and the label "species". */
export const IRIS: RecordRow[] = readFileSync(join(ROOT, 'data', 'iris.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const cells = line.split(',');
    return { ...Object.fromEntries(FEATURES.map((f, j) => [f, Number(cells[j])])), species: cells[4] };
  });

/** A row's features alone, as a predict request sends them. */
export const features = (row: RecordRow): RecordRow => Object.fromEntries(FEATURES.map((f) => [f, row[f]]));

/** Rows to learn: iris rows with their labels rotated, so learning them visibly moves the predictions. */
export const relabelled = (from: number, n: number): RecordRow[] =>
  IRIS.slice(from, from + n).map((r) => ({ ...r, species: r.species === 'setosa' ? 'virginica' : r.species === 'virginica' ? 'versicolor' : 'setosa' }));

/**
 * Trains one gaussian-nb model on Iris before the file's tests (not in
 * tempDir(), which is emptied after every test, while servers here outlive
 * one) and gives a function that copies it, each copy alone in its own parent
 * directory, where saves, temporary siblings and set-aside logs go.
 */
export function trainedIrisModel(prefix: string): { readonly scratch: string; readonly trained: string; copy(): string } {
  let scratch = '';
  let copies = 0;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), prefix));
    await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: join(scratch, 'trained') } });
  }, 60_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  return {
    /** A directory of the file's own, removed after its tests. */
    get scratch() {
      return scratch;
    },
    /** The trained model, not to be changed: tests compare against it. */
    get trained() {
      return join(scratch, 'trained');
    },
    copy() {
      const dir = join(scratch, `copy-${++copies}`, 'm');
      cpSync(join(scratch, 'trained'), dir, { recursive: true });
      return dir;
    },
  };
}
