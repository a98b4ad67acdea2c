import { join } from 'node:path';
import { fail } from './core/errors.js';
import type { Batch } from './core/types.js';
import { csvSource, type Source } from './data/csv.js';
import { datasetSource } from './data/datasets.js';
import { evaluateBatchSplit, type BatchResult } from './eval/batch-split.js';
import type { ParamValue, Params } from './learners/contract.js';
import { Model } from './learners/model.js';
import { learnerDefinition, resolveParams } from './learners/registry.js';
import { assertModelDirWritable, saveModel } from './persist/model-dir.js';
import { batches } from './stream/batch.js';
import { shuffle } from './stream/shuffle.js';

/** The learner `streamlearn train` uses unless told otherwise: the best on Iris under the default protocol. */
export const DEFAULT_LEARNER = 'gaussian-nb';
export const DEFAULT_DATASET = 'iris';
export const DEFAULTS = { seed: 42, batchSize: 16, testSize: 0.2 } as const;

export interface TrainOptions {
  /** A bundled data set by name (default iris). Give `data` instead for a CSV file. */
  readonly dataset?: string;
  /** A CSV file (or `-` for stdin, or .csv.gz); needs `label`. */
  readonly data?: string;
  /** The label column of `data`. */
  readonly label?: string;
  /** A learner name (see `streamlearn learners`). */
  readonly model?: string;
  /** Learner parameters by name, e.g. { learningRate: 0.05 } or { 'learning-rate': '0.05' }. */
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly seed?: number;
  readonly batchSize?: number;
  readonly testSize?: number;
  /** Where the model is saved; default models/<dataset>-<model>; null saves nothing. */
  readonly out?: string | null;
  /** Called after each batch. */
  readonly onBatch?: (result: BatchResult) => void;
}

/** The report of a training run; field names are stable (they are the JSON output). */
export interface TrainReport {
  readonly dataset: string;
  readonly model: string;
  readonly params: Params;
  readonly backend: string | null;
  readonly protocol: 'batch-split';
  readonly seed: number;
  readonly batchSize: number;
  readonly testSize: number;
  readonly features: number;
  readonly classes: string[];
  readonly rows: number;
  readonly trainRows: number;
  readonly testRows: number;
  readonly batches: BatchResult[];
  readonly unscoredBatches: number;
  readonly meanAccuracy: number;
  readonly stdAccuracy: number;
  readonly wallSeconds: number;
  readonly rowsPerSecond: number;
  readonly modelPath: string | null;
}

/** Checks the run's numeric settings; `names` maps each to how the caller spells it (a CLI flag). */
export function checkSettings(
  settings: { seed: number; batchSize: number; testSize: number },
  names: { seed: string; batchSize: string; testSize: string } = { seed: 'seed', batchSize: 'batchSize', testSize: 'testSize' },
): void {
  const { seed, batchSize, testSize } = settings;
  if (!Number.isSafeInteger(seed) || seed < 0) fail(`${names.seed} must be a non-negative integer, got ${seed}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`${names.batchSize} must be an integer of at least 1, got ${batchSize}`);
  if (batchSize < 2) {
    fail(`${names.batchSize} ${batchSize} leaves no row to test: a batch needs one row to learn and one to score; use 2 or more`);
  }
  if (!(testSize > 0 && testSize < 1)) fail(`${names.testSize} must be strictly between 0 and 1, got ${testSize}`);
}

async function openSource(options: TrainOptions): Promise<Source> {
  if (options.data !== undefined) {
    if (options.dataset !== undefined) fail('give either a bundled data set or a data file, not both');
    if (!options.label) fail('a data file needs its label column (--label COLUMN)');
    return csvSource(options.data, { label: options.label });
  }
  return datasetSource(options.dataset ?? DEFAULT_DATASET);
}

/**
 * The whole pipeline: source -> exact seeded shuffle -> batches -> per-batch
 * seeded split -> learn the train part, score the test part -> report, then
 * save the model. Bad input fails before anything is written.
 */
export async function train(options: TrainOptions = {}): Promise<{ report: TrainReport; model: Model }> {
  const seed = options.seed ?? DEFAULTS.seed;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const testSize = options.testSize ?? DEFAULTS.testSize;
  checkSettings({ seed, batchSize, testSize });
  const learnerName = options.model ?? DEFAULT_LEARNER;
  const params = resolveParams(learnerDefinition(learnerName), options.params);

  const started = performance.now();
  const source = await openSource(options);
  const outDir = options.out === null ? null : (options.out ?? join('models', `${source.name}-${learnerName}`));
  if (outDir !== null) await assertModelDirWritable(outDir);

  let model: Model | undefined;
  const cols = source.schema.features.length;
  const result = await evaluateBatchSplit(
    batches(shuffle(source.rows(), seed), batchSize, cols),
    // Made at the first batch: by then the exact shuffle has read every row, so all classes are known.
    async (_first: Batch) => (model = await Model.create(learnerName, source.schema, { params, seed })),
    { testSize, seed, onBatch: options.onBatch },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (!model) fail('the data has no rows');

  model.summary = {
    dataset: source.name,
    protocol: 'batch-split',
    rows: result.rows,
    batches: result.batches.length,
    meanAccuracy: result.meanAccuracy,
    stdAccuracy: result.stdAccuracy,
    seed,
    batchSize,
    testSize,
    trainedAt: new Date().toISOString(),
  };
  if (outDir !== null) await saveModel(model, outDir);

  const report: TrainReport = {
    dataset: source.name,
    model: learnerName,
    params,
    backend: model.backend,
    protocol: 'batch-split',
    seed,
    batchSize,
    testSize,
    features: cols,
    classes: [...source.schema.classes],
    rows: result.rows,
    trainRows: result.trainRows,
    testRows: result.testRows,
    batches: result.batches,
    unscoredBatches: result.unscoredBatches,
    meanAccuracy: result.meanAccuracy,
    stdAccuracy: result.stdAccuracy,
    wallSeconds,
    rowsPerSecond: result.rows / wallSeconds,
    modelPath: outDir,
  };
  return { report, model };
}
