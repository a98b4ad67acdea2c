import { join } from 'node:path';
import './forest-threads.js';
import './mlp-loader.js';
import { fail } from '../core/errors.js';
import type { Batch, Row, Task } from '../core/types.js';
import type { DriftDetector } from '../drift/contract.js';
import { isRegressorName, regressorDefinition, regressorDefinitions, regressorNames } from '../learners/regressor-registry.js';
import type { Source } from './files/csv.js';
import { fileSource, type InputFormat } from './files/file-source.js';
import type { BadRowPolicy, SkippedRow } from '../data/source.js';
import { dataFrameSource, type DataFrameLike } from '../dataframe/dataframe.js';
import { datasetSource, type DatasetName } from './files/datasets.js';
import { synthSource } from '../data/synth/registry.js';
import { checkRealValuedDetector, createDetector } from '../drift/registry.js';
import { evaluateBatchSplit, type BatchResult } from '../eval/batch-split.js';
import { prequential, type CurvePoint } from '../eval/prequential.js';
import { periodicHoldout } from '../eval/holdout.js';
import { ModelSizeTracker, type ModelSizePoint } from '../eval/model-size.js';
import { TimedModel } from '../eval/timed-model.js';
import { tee } from '../stream/tee.js';
import type { ConfidenceInterval, MetricsSummary } from '../eval/classification-metrics.js';
import type { ParamValue, Params } from '../learners/contract.js';
import { defaultSteps, Model } from '../learners/model.js';
import { learnerDefinition, learnerDefinitions, learnerNames, learnerTakesMissing } from '../learners/registry.js';
export type { ModelSizePoint };
import { resolveParams } from '../core/params.js';
import { resolveStepParams, transformerDefinition, transformerDefinitions, transformerNames, type StepSpec } from '../preprocess/registry.js';
import type { JetStreamSourceOptions } from './broker/source.js';
import { isNatsUrl } from './broker/url.js';
import { assertModelDirWritable, savedModelBytes, saveModel } from './persist/model-dir.js';
import { batches } from '../stream/batch.js';
import { shuffle, shuffleBuffer } from '../stream/shuffle.js';
import { compareSettings, trainSettings, type CompareOptions, type TrainOptions } from './train-options.js';
export type {
  BatchSplitProtocol, CompareOptions, DataFrameSource, DatasetSource, DriftOption, FileSource, HoldoutProtocol, ModelOptions, NatsSource,
  OutputOptions, PrequentialProtocol, ProtocolOptions, SourceOptions, StreamOptions, SynthSource, TrainOptions,
} from './train-options.js';

// The defaults live in a module of their own, so the CLI's flags read them without loading the pipeline.
import { DEFAULT_DATASET, DEFAULT_LEARNER, DEFAULTS, LIMITS, SYNTH_PREFIX } from './pipeline-defaults.js';
export { DEFAULT_DATASET, DEFAULT_LEARNER, DEFAULTS, LIMITS, SYNTH_PREFIX };
import { protocols, type HoldoutSettings, type Protocol, type RowRange, type TrainReport } from '../eval/report.js';
export { protocols, type HoldoutSettings, type Protocol, type RowRange, type TrainReport };

/**
 * How the checks name each setting in their one-line errors: the CLI's
 * flags (the default), or a library caller's option paths (LIBRARY_NAMES).
 */
export interface SettingNames {
  readonly seed: string;
  readonly batchSize: string;
  readonly testSize: string;
  readonly shuffleBuffer: string;
  readonly noShuffle: string;
  readonly curveEvery: string;
  readonly window: string;
  readonly fading: string;
  readonly holdoutRows: string;
  readonly holdoutEvery: string;
  readonly holdoutSampleFrom: string;
  readonly sizeEvery: string;
  readonly missing: string;
  readonly onBadRow: string;
  readonly preprocess: string;
  readonly preprocessParams: string;
  readonly models: string;
}

export const CLI_NAMES: SettingNames = {
  seed: 'seed',
  batchSize: 'batchSize',
  testSize: 'testSize',
  shuffleBuffer: 'shuffleBuffer (--shuffle-buffer)',
  noShuffle: '--no-shuffle (shuffle: false)',
  curveEvery: '--curve-every (curveEvery)',
  window: '--window (window)',
  fading: '--fading (fading)',
  holdoutRows: '--holdout-rows (holdoutRows)',
  holdoutEvery: '--holdout-every (holdoutEvery)',
  holdoutSampleFrom: '--holdout-sample-from (holdoutSampleFrom)',
  sizeEvery: '--size-every (sizeEvery)',
  missing: '--missing',
  onBadRow: '--on-bad-row',
  preprocess: '--preprocess',
  preprocessParams: '--preprocess-param',
  models: '--models',
};

/**
 * The pipeline's settings, one flat list as the command line's flags are:
 * what the CLI builds from its flags, and what train()'s grouped options
 * (TrainOptions, src/node/train-options.ts) are turned into.
 */
export interface TrainSettings {
  /** How errors name the settings (default: the CLI's flags). */
  readonly names?: SettingNames;
  /** A bundled data set by name (default iris). Give `data` instead for a CSV file. */
  readonly dataset?: DatasetName;
  /** A CSV file (or `-` for stdin, or .csv.gz); needs `label`. Or `synth:SPEC`, a generated stream. */
  readonly data?: string;
  /** A danfo DataFrame (danfojs-node) instead of `dataset` or `data`; needs `label` (see dataFrameSource). */
  readonly dataFrame?: DataFrameLike;
  /** DataFrame only: the name the report and the default model directory use (default "dataframe"). */
  readonly name?: string;
  /** Rows to generate for a synth: source (default 100,000). */
  readonly rows?: number;
  /** The label column of `data` or `dataFrame`. */
  readonly label?: string;
  /** The class labels of `data` in their canonical order (indices follow it); labels not listed are added as they appear. */
  readonly classes?: readonly string[];
  /** A learner name (see `streamlearn learners`). */
  readonly model?: string;
  /** Learner parameters by name, e.g. { learningRate: 0.05 } or { 'learning-rate': '0.05' }. */
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly seed?: number;
  /** batch-split (the default: learn each batch's train part, score its test part) or prequential (test-then-train, row by row). */
  readonly protocol?: Protocol;
  /** Exact seeded shuffle before batching. Default: on for batch-split over a file or bundled data set, off otherwise. */
  readonly shuffle?: boolean;
  /** Shuffle through a seeded buffer of this many rows instead (approximate, bounded memory); implies shuffle. */
  readonly shuffleBuffer?: number;
  readonly batchSize?: number;
  readonly testSize?: number;
  /** A drift detector watching the errors on scored rows, by name, and its parameters. */
  readonly drift?: string;
  readonly driftParams?: Readonly<Record<string, ParamValue>>;
  /** Prequential only: called every `progressEvery` rows. */
  readonly onProgress?: (rows: number, correct: number) => void;
  readonly progressEvery?: number;
  /** Prequential only: a learning-curve point every `curveEvery` rows (default 1,000), with windowed and faded accuracy when asked. */
  readonly curveEvery?: number;
  readonly window?: number;
  readonly fading?: number;
  /** Holdout: rows held out (default 1,000), the first ones unless holdoutSampleFrom is given. */
  readonly holdoutRows?: number;
  /** Holdout: score the held-out rows every this many training rows (default 1,000). */
  readonly holdoutEvery?: number;
  /** Holdout: draw the held-out rows as a seeded sample from this many first rows instead of taking the first ones. */
  readonly holdoutSampleFrom?: number;
  /** Holdout only: called after each evaluation of the held-out rows. */
  readonly onEvaluation?: (point: CurvePoint, trainRows: number) => void;
  /** Called as each batch enters the protocol, with the rows handed on so far (all protocols). */
  readonly onRows?: (rows: number) => void;
  /**
   * Learner i's running accuracy (i in the order the learners were given, 0 for train), as it is
   * scored: after each scored batch (batch-split), every `progressEvery` rows (prequential), after
   * each evaluation (holdout). train and compare alike, so compare's progress can show every learner.
   */
  readonly onScore?: (learner: number, accuracy: number) => void;
  /** Prequential, one learner: each learning-curve point as it is made (the table output prints them). */
  readonly onCurve?: (point: CurvePoint) => void;
  /** The model's size (saved bytes) is measured every this many rows (default 100,000, as MOA's sample frequency) and at the end. */
  readonly sizeEvery?: number;
  /** Where the model is saved; default models/<dataset>-<model>; nats://HOST:PORT/BUCKET/NAME saves to the registry; null saves nothing. */
  readonly out?: string | null;
  /** A JetStream stream, nats://HOST:PORT/STREAM, instead of the other sources; read with `broker`'s options (see jetStreamSource). */
  readonly source?: string;
  readonly broker?: JetStreamSourceOptions;
  /** Called after each batch. */
  readonly onBatch?: (result: BatchResult) => void;
  /** CSV or DataFrame only: feature columns read as categories, or 'auto' to infer them (see CsvSourceOptions, DataFrameSourceOptions). */
  readonly categorical?: readonly string[] | 'auto';
  /** CSV or DataFrame only: 'fail' (default) on an empty cell, or 'allow' it as a missing value (which adds an imputer to the default preprocessing). */
  readonly missing?: 'fail' | 'allow';
  /** A data file only: csv or jsonl; default from the name (.jsonl, .ndjson, optionally .gz: jsonl), else csv, stdin included. */
  readonly inputFormat?: InputFormat;
  /** CSV only: the field delimiter (default ","; "\t" or "tab" for a tab). */
  readonly delimiter?: string;
  /** CSV only: the quote character (default '"'). */
  readonly quote?: string;
  /** A data file only: the feature columns, in this order (default: all but the label). */
  readonly features?: readonly string[];
  /** A data file only: columns left out of the features, besides the label; not with `features`. */
  readonly exclude?: readonly string[];
  /** A data file or a stream (`source`): 'fail' (default) on a bad row, naming file, line and column (stream, message), or 'skip' it: left out, counted in the report's skippedRows. */
  readonly onBadRow?: BadRowPolicy;
  /** Called for each bad row skipped (onBadRow 'skip'), with the message it would have failed with. */
  readonly onSkip?: (row: SkippedRow) => void;
  /** A data file only: the most bytes a line may hold (default 16 MiB, at most 256 MiB); a longer one fails naming the file and line. */
  readonly maxLineBytes?: number;
  /** The preprocessing steps in order, replacing the default ones (see defaultSteps); [] for none. */
  readonly preprocess?: readonly (string | StepSpec)[];
  /** Parameters of preprocessing steps by step name, e.g. { 'min-max-scaler': { clip: 'off' } }; the step must be in the pipeline. */
  readonly preprocessParams?: Readonly<Record<string, Readonly<Record<string, ParamValue>>>>;
}

/** The settings that do not depend on the task: TrainSettings without its classifier-shaped callbacks. */
export type SourceSettings = Omit<TrainSettings, 'onProgress' | 'onScore' | 'onCurve' | 'onEvaluation' | 'onBatch'>;

/** Checks the run's numeric settings; `names` maps each to how the caller spells it (a CLI flag). */
export function checkSettings(
  settings: { seed: number; batchSize: number; testSize: number; protocol?: Protocol },
  names: { seed: string; batchSize: string; testSize: string } = { seed: 'seed', batchSize: 'batchSize', testSize: 'testSize' },
): void {
  const { seed, batchSize, testSize } = settings;
  if (!Number.isSafeInteger(seed) || seed < 0) fail(`${names.seed} must be a non-negative integer, got ${seed}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`${names.batchSize} must be an integer of at least 1, got ${batchSize}`);
  if (batchSize > LIMITS.batchSize) fail(`${names.batchSize} must be at most ${LIMITS.batchSize}, got ${batchSize}`);
  // Only batch-split splits a batch into a train and a test part; prequential and holdout score every row whatever the batch.
  if (batchSize < 2 && (settings.protocol ?? 'batch-split') === 'batch-split') {
    fail(`${names.batchSize} ${batchSize} leaves no row to test: a batch needs one row to learn and one to score; use 2 or more`);
  }
  if (!(testSize > 0 && testSize < 1)) fail(`${names.testSize} must be strictly between 0 and 1, got ${testSize}`);
}

/** Checks a count setting: an integer from 1 to `max`; `name` says how the caller spells it. */
export function checkCount(value: number, max: number, name: string): void {
  if (!(Number.isInteger(value) && value >= 1)) fail(`${name} must be an integer of at least 1, got ${value}`);
  if (value > max) fail(`${name} must be at most ${max}, got ${value}`);
}

/** The learning-curve options: valid values, and only with the protocol that draws a curve. */
export function checkCurveOptions(options: SourceSettings, protocol: Protocol, names: SettingNames): void {
  const given = (['curveEvery', 'window', 'fading'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 0 && protocol !== 'prequential') {
    fail(`${names[given[0]]} applies to --protocol prequential only`);
  }
  for (const [key, max] of [['curveEvery', Number.MAX_SAFE_INTEGER], ['window', LIMITS.window]] as const) {
    const v = options[key];
    if (v !== undefined) checkCount(v, max, names[key]);
  }
  const alpha = options.fading;
  if (alpha !== undefined && !(alpha > 0 && alpha <= 1)) fail(`${names.fading} must be in (0, 1], got ${alpha}`);
}

/**
 * Opens the run's source for the task its learners do: a data file's or a
 * DataFrame's label is read as class names or, for regressors, as numbers; a
 * bundled data set or a generated stream is one task's, and a learner of the
 * other task is refused naming both.
 */
export async function openSource(options: SourceSettings, seed: number, task: Task = 'classification'): Promise<Source> {
  const source = await openSourceFor(options, seed, task);
  const sourceTask = source.schema.task ?? 'classification';
  if (sourceTask !== task) {
    const kind = options.data?.startsWith(SYNTH_PREFIX) ? 'stream' : options.source !== undefined ? 'stream' : 'data set';
    const hint = task === 'regression' ? `choose a classifier (streamlearn learners), or a regression ${kind}` : `choose a regressor (${regressorNames.join(', ')})`;
    fail(`${source.name} is a ${sourceTask} ${kind} (its label "${source.schema.label}" is ${sourceTask === 'regression' ? 'a number to predict' : 'a class'}), but the learner is a ${task === 'regression' ? 'regressor' : 'classifier'}: ${hint}`);
  }
  return source;
}

async function openSourceFor(options: SourceSettings, seed: number, task: Task): Promise<Source> {
  // The NATS clients load only for a nats:// source or destination: most runs never touch a broker.
  if (options.source !== undefined) {
    return (await import('./broker/source.js')).openBrokerSource(options, task);
  }
  if (options.dataFrame !== undefined) {
    if (options.data !== undefined || options.dataset !== undefined) fail('give one source: a DataFrame, a data file or a bundled data set, not more');
    if (!options.label) fail('a DataFrame needs its label column (label)');
    const { label, classes, categorical, missing, name } = options;
    return dataFrameSource(options.dataFrame, { label, classes, categorical, missing, name, ...(task === 'regression' ? { task } : {}) });
  }
  if (options.name !== undefined) fail('name applies to a DataFrame source (dataFrame), not to a bundled data set or a data file');
  if (options.data !== undefined) {
    if (options.dataset !== undefined) fail('give either a bundled data set or a data file, not both');
    if (options.data.startsWith(SYNTH_PREFIX)) {
      return synthSource(options.data.slice(SYNTH_PREFIX.length), { seed, rows: options.rows ?? DEFAULTS.synthRows });
    }
    if (!options.label) fail('a data file needs its label column (--label COLUMN)');
    const { label, classes, categorical, missing, inputFormat: format, delimiter, quote, features, exclude, onBadRow, onSkip, maxLineBytes } = options;
    const read = { label, classes, categorical, missing, format, delimiter, quote, features, exclude, onBadRow, onSkip, maxLineBytes };
    return fileSource(options.data, task === 'regression' ? { ...read, task } : read);
  }
  return datasetSource(options.dataset ?? DEFAULT_DATASET);
}

/** Fails early when CSV-only options are given for a bundled data set or a synth: stream. */
export function checkSourceOptions(options: SourceSettings, names: SettingNames): void {
  const csv = options.dataFrame !== undefined || (options.data !== undefined && !options.data.startsWith(SYNTH_PREFIX));
  if (options.missing !== undefined && options.missing !== 'fail' && options.missing !== 'allow') {
    fail(`${names.missing} must be fail or allow, got ${JSON.stringify(options.missing)}`);
  }
  if (options.onBadRow !== undefined && options.onBadRow !== 'fail' && options.onBadRow !== 'skip') {
    fail(`${names.onBadRow} must be fail or skip, got ${JSON.stringify(options.onBadRow)}`);
  }
  // The reader's options need a data file.
  const file = options.data !== undefined && !options.data.startsWith(SYNTH_PREFIX);
  const fileOnly: [string, unknown][] = [
    ['--input-format', options.inputFormat],
    ['--delimiter', options.delimiter],
    ['--quote', options.quote],
    ['--features', options.features],
    ['--exclude', options.exclude],
    ['--max-line-bytes', options.maxLineBytes],
  ];
  const given = fileOnly.find(([, value]) => value !== undefined);
  if (!file && given) fail(`${given[0]} applies to a data file (--data FILE), not to a bundled data set, a synth: stream or a DataFrame`);
  // A stream's messages are read as a file's lines are, bad ones included.
  if (!file && options.source === undefined && options.onBadRow === 'skip') {
    fail('--on-bad-row skip applies to a data file (--data FILE) or a stream (--source nats://...), not to a bundled data set, a synth: stream or a DataFrame');
  }
  if (csv) return;
  if (options.categorical !== undefined) fail('--categorical applies to a CSV file (--data FILE), not to a bundled data set or a synth: stream');
  if (options.missing === 'allow') fail('--missing allow applies to a CSV file (--data FILE), not to a bundled data set or a synth: stream');
}

/** The given steps as specs, checked by name, before any data is read. */
export function givenSteps(preprocess: readonly (string | StepSpec)[], names: SettingNames): StepSpec[] {
  return preprocess.map((s) => {
    const spec = typeof s === 'string' ? { name: s } : s;
    if (!transformerNames.includes(spec.name)) fail(`${names.preprocess} ${spec.name}: unknown step (steps: ${transformerNames.join(', ')}; or none)`);
    return spec;
  });
}

/** Merges --preprocess-param values into the steps, and checks every step's parameters. */
export function withStepParams(steps: readonly StepSpec[], extra: TrainSettings['preprocessParams'] = {}, names: SettingNames = CLI_NAMES): StepSpec[] {
  for (const [name, params] of Object.entries(extra)) {
    if (!steps.some((s) => s.name === name)) {
      const first = Object.entries(params)[0];
      const flag = `${names.preprocessParams} ${name}.${first ? `${first[0]}=${first[1]}` : ''}`;
      fail(`${flag}: no step "${name}" in the pipeline (steps: ${steps.map((s) => s.name).join(', ') || 'none'})`);
    }
  }
  return steps.map((s) => {
    const params = { ...s.params, ...extra[s.name] };
    resolveStepParams(transformerDefinition(s.name), params);
    return { name: s.name, params };
  });
}

/**
 * Refuses, before anything is learned, a run whose data may hold missing
 * values (NaN) when no step imputes them and the learner cannot take them:
 * it would learn NaN into its state (knn and softmax-regression then saved
 * models that could not be loaded; gaussian-nb behind one-hot crashed).
 * The other steps keep NaN as NaN, so an imputer anywhere in the list will do.
 */
export function checkMissingSteps(learner: { name: string; params: Params }, steps: readonly StepSpec[], names: SettingNames): void {
  if (learnerTakesMissing(learner.name, learner.params)) return;
  if (steps.some((s) => transformerDefinitions.find((t) => t.name === s.name)?.imputes)) return;
  const imputers = transformerDefinitions.filter((t) => t.imputes).map((t) => t.name);
  const regressor = isRegressorName(learner.name);
  const native = (regressor ? regressorDefinitions : learnerDefinitions).filter((d) => d.missingNative === true).map((d) => d.name);
  fail(
    `${names.missing} allow needs an imputer in ${names.preprocess} (add ${imputers.join(' or ')}): ${learner.name} does not take missing values ` +
      `(${regressor ? 'regressors' : 'learners'} that do: ${native.join(', ')}${regressor ? '' : ', and online-bagging or leveraging-bagging of those'})`,
  );
}

/** One learner of a run: its name and parameters, and its own preprocessing (default: the run's). */
export interface LearnerSpec {
  readonly name: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly preprocess?: readonly (string | StepSpec)[];
  readonly preprocessParams?: Readonly<Record<string, Readonly<Record<string, ParamValue>>>>;
}

/** The settings of `compare`: those of `train`, with several learners instead of one; nothing is saved. */
export interface CompareSettings extends Omit<TrainSettings, 'model' | 'params' | 'out'> {
  /** The learners, run side by side on the identical stream (at least one, names distinct). */
  readonly models: readonly (string | LearnerSpec)[];
}

/**
 * The whole pipeline: source -> exact seeded shuffle -> batches -> per-batch
 * seeded split -> learn the train part, score the test part -> report, then
 * save the model. Bad input fails before anything is written.
 */
export async function train(options: TrainOptions = {}): Promise<{ report: TrainReport; model: Model }> {
  return trainWithSettings(trainSettings(options));
}

/** train() on the flat settings the CLI builds from its flags. */
export async function trainWithSettings(settings: TrainSettings): Promise<{ report: TrainReport; model: Model }> {
  if (settings.model !== undefined && isRegressorName(settings.model)) fail(`"${settings.model}" is a regressor: train it with trainRegressor() (the CLI's train does so itself)`);
  const learner = { name: settings.model ?? DEFAULT_LEARNER, params: settings.params };
  const [run] = await runLearners(settings, [learner], settings.out === null ? null : (settings.out ?? 'default'));
  return run;
}

/**
 * Several learners on the identical stream, in one pass (as MOA's and
 * River's comparisons): the source is read, shuffled and batched once, and
 * every learner sees the same rows in the same order, the same per-batch
 * splits (batch-split) or the same held-out rows (holdout). One report per
 * learner, in the order given; nothing is saved.
 */
export async function compare(options: CompareOptions): Promise<{ reports: TrainReport[]; models: Model[] }> {
  return compareWithSettings(compareSettings(options));
}

/** compare() on the flat settings the CLI builds from its flags. */
export async function compareWithSettings(settings: CompareSettings): Promise<{ reports: TrainReport[]; models: Model[] }> {
  const names = settings.names ?? CLI_NAMES;
  const specs = checkedSpecs(settings.models, names.models);
  const regressor = specs.find((spec) => isRegressorName(spec.name));
  if (regressor) fail(`${names.models} ${regressor.name}: a regressor; compare regressors with each other (compareRegressors), classifiers with each other`);
  const runs = await runLearners(settings, specs, null);
  return { reports: runs.map((r) => r.report), models: runs.map((r) => r.model) };
}

/** Compare's learners as specs: at least one, each once. */
export function checkedSpecs(models: readonly (string | LearnerSpec)[], flag: string): LearnerSpec[] {
  const specs = models.map((m) => (typeof m === 'string' ? { name: m } : m));
  if (specs.length === 0) fail(`${flag} needs at least one learner`);
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) fail(`${flag} ${spec.name}: listed twice; each learner once`);
    seen.add(spec.name);
  }
  return specs;
}

/** What one protocol run gives back, whichever the protocol. */
interface Outcome {
  rows: number;
  trainRows: number;
  testRows: number;
  correct: number;
  batches: BatchResult[];
  unscoredBatches: number;
  meanAccuracy: number | null;
  stdAccuracy: number | null;
  drifts: number[];
  warnings: RowRange[];
  metrics: MetricsSummary;
  accuracyInterval: ConfidenceInterval | null;
  curve: CurvePoint[];
}

/** Checks the holdout options: valid values, and only with the holdout protocol. */
export function holdoutSettings(options: SourceSettings, protocol: Protocol, names: SettingNames): HoldoutSettings | null {
  const keys = ['holdoutRows', 'holdoutEvery', 'holdoutSampleFrom'] as const;
  const given = keys.filter((k) => options[k] !== undefined);
  if (protocol !== 'holdout') {
    if (given.length > 0) fail(`${names[given[0]]} applies to --protocol holdout only`);
    return null;
  }
  if (options.drift !== undefined) fail('--drift applies to --protocol batch-split or prequential: holdout scores the same held-out rows again and again, not a stream of errors');
  const rows = options.holdoutRows ?? DEFAULTS.holdoutRows;
  const every = options.holdoutEvery ?? DEFAULTS.holdoutEvery;
  for (const [key, v] of [['holdoutRows', rows], ['holdoutEvery', every], ['holdoutSampleFrom', options.holdoutSampleFrom]] as const) {
    if (v !== undefined) checkCount(v, key === 'holdoutRows' ? LIMITS.holdoutRows : Number.MAX_SAFE_INTEGER, names[key]);
  }
  const from = options.holdoutSampleFrom;
  if (from !== undefined && from < rows) fail(`${names.holdoutSampleFrom} ${from} must be at least ${names === CLI_NAMES ? '--holdout-rows' : names.holdoutRows} (${rows})`);
  return { mode: from === undefined ? 'first' : 'sample', rows, fromRows: from ?? rows, every };
}

/** What a run is, checked before any data is read: its settings, learners, protocol and detectors. */
export interface RunPlan {
  readonly task: Task;
  readonly names: SettingNames;
  readonly seed: number;
  readonly batchSize: number;
  readonly testSize: number;
  readonly protocol: Protocol;
  readonly resolved: readonly (LearnerSpec & { readonly params: Params })[];
  readonly holdout: HoldoutSettings | null;
  readonly sizeEvery: number;
  readonly detectors: (DriftDetector | undefined)[];
  /** Each learner's given preprocessing, checked; null for the default steps. */
  readonly given: (StepSpec[] | null)[];
}

/**
 * Checks a run's settings and learners before any data is read, whichever
 * the task: numbers, protocol, learners (of the task) and their parameters,
 * curve and holdout options, detectors, source options, given steps.
 */
export function planRun(options: SourceSettings, learners: readonly LearnerSpec[], task: Task): RunPlan {
  const names = options.names ?? CLI_NAMES;
  const seed = options.seed ?? DEFAULTS.seed;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const testSize = options.testSize ?? DEFAULTS.testSize;
  const protocol = options.protocol ?? 'batch-split';
  if (!protocols.includes(protocol)) fail(`unknown protocol "${protocol}" (protocols: ${protocols.join(', ')})`);
  checkSettings({ seed, batchSize, testSize, protocol }, names);
  if (task === 'regression') {
    const classifier = learners.find((l) => learnerNames.includes(l.name));
    if (classifier) fail(`"${classifier.name}" is a classifier, not a regressor (regressors: ${regressorNames.join(', ')})`);
  }
  const resolved = learners.map((l) => ({
    name: l.name,
    params: resolveParams(task === 'regression' ? regressorDefinition(l.name) : learnerDefinition(l.name), l.params),
    preprocess: l.preprocess ?? options.preprocess,
    preprocessParams: l.preprocessParams ?? options.preprocessParams,
  }));
  if (task === 'regression') {
    if (options.classes !== undefined) fail('--classes applies to classifiers: a regressor predicts a number');
    if (options.fading !== undefined) fail(`${names.fading} applies to classifiers' accuracy; a regression curve has windowed errors (--window)`);
    if (options.drift !== undefined) checkRealValuedDetector(options.drift, `${resolved[0].name} is a regressor`);
  }
  checkCurveOptions(options, protocol, names);
  const holdout = holdoutSettings(options, protocol, names);
  const sizeEvery = options.sizeEvery ?? DEFAULTS.sizeEvery;
  checkCount(sizeEvery, Number.MAX_SAFE_INTEGER, names.sizeEvery);
  const detectors = resolved.map(() => (options.drift ? createDetector(options.drift, options.driftParams) : undefined));
  checkSourceOptions(options, names);
  const given = resolved.map((l) => (l.preprocess ? givenSteps(l.preprocess, names) : null));
  given.forEach((g, i) => g && withStepParams(g, resolved[i].preprocessParams, names));
  // The default steps impute whenever missing values are allowed; given ones are checked before the data is opened.
  if (options.missing === 'allow') resolved.forEach((l, i) => given[i] && checkMissingSteps(l, given[i]!, names));
  return { task, names, seed, batchSize, testSize, protocol, resolved, holdout, sizeEvery, detectors, given };
}

/**
 * Opens a planned run's source for its task, settles each learner's steps
 * and the model's destination (checked writable before anything is
 * learned), and gives the rows, shuffled as the settings say.
 */
export async function openRun(
  plan: RunPlan,
  options: SourceSettings,
  out: string | null,
): Promise<{ source: Source; steps: StepSpec[][]; outDir: string | null; shuffled: boolean; buffer: number | null; rows: AsyncIterable<Row> }> {
  const { names, seed, protocol, resolved, given } = plan;
  const source = await openSource(options, seed, plan.task);
  // The schema (categorical columns, missing values) is known once the source is open, before training (auto has read ahead).
  const steps = resolved.map((l, i) => withStepParams(given[i] ?? defaultSteps(l.name, source.schema, l.params), l.preprocessParams, names));
  // A stream's schema may allow missing values that no option said (a published stream's record).
  if (source.schema.missing) resolved.forEach((l, i) => checkMissingSteps(l, steps[i], names));
  const outDir = out === null ? null : out === 'default' ? join('models', `${source.name}-${resolved[0].name}`) : out;
  if (outDir !== null) {
    if (isNatsUrl(outDir)) {
      await (await import('./broker/registry.js')).assertModelOutWritable(outDir);
    } else await assertModelDirWritable(outDir);
  }
  const synthetic = options.data?.startsWith(SYNTH_PREFIX) ?? false;
  const buffer = options.shuffleBuffer ?? null;
  if (buffer !== null) checkCount(buffer, LIMITS.shuffleBuffer, names.shuffleBuffer);
  if (buffer !== null && options.shuffle === false) {
    fail(names === CLI_NAMES ? '--shuffle-buffer and --no-shuffle (shuffleBuffer and shuffle: false) contradict each other: give one' : `${names.shuffleBuffer} and ${names.noShuffle} contradict each other: give one`);
  }
  const shuffled = buffer !== null || (options.shuffle ?? (protocol === 'batch-split' && !synthetic));
  const rows = !shuffled ? source.rows() : buffer !== null ? shuffleBuffer(source.rows(), buffer, seed) : shuffle(source.rows(), seed);
  return { source, steps, outDir, shuffled, buffer, rows };
}

/** The shared run behind train and compare; `out` 'default' means models/<dataset>-<learner>. */
async function runLearners(
  options: TrainSettings,
  learners: readonly LearnerSpec[],
  out: string | null,
): Promise<{ report: TrainReport; model: Model }[]> {
  const plan = planRun(options, learners, 'classification');
  const { names, seed, batchSize, testSize, protocol, resolved, holdout, sizeEvery, detectors } = plan;
  const started = performance.now();
  const { source, steps, outDir, shuffled, buffer, rows } = await openRun(plan, options, out);
  const cols = source.schema.features.length;
  const size = protocol === 'batch-split' ? batchSize : 1024;
  const stream = counted(batches(rows, size, cols), options.onRows);
  const branches = resolved.length === 1 ? [stream] : tee(stream, resolved.length);
  // Progress callbacks are for a single learner's run (train); compare reports at the end.
  const single = resolved.length === 1;

  const runOne = async (i: number): Promise<{ outcome: Outcome; model: Model; timed: TimedModel; modelSize: ModelSizePoint[] }> => {
    let model: Model | undefined;
    let timed: TimedModel | undefined;
    // Made at the first batch: after an exact shuffle every row has been read, so every class is known.
    const makeModel = async (): Promise<TimedModel> => {
      model = await Model.createByName(resolved[i].name, source.schema, { params: resolved[i].params, seed, steps: steps[i] });
      return (timed = new TimedModel(model));
    };
    const sizes = new ModelSizeTracker(sizeEvery, () => (model ? savedModelBytes(model) : Promise.resolve(0)));
    const input = sizes.watch(branches[i]);
    let outcome: Outcome;
    if (protocol === 'batch-split') {
      let scored = 0;
      let right = 0;
      const onBatch = (b: BatchResult): void => {
        if (single) options.onBatch?.(b);
        if (b.accuracy === null || !options.onScore) return;
        scored += b.testRows;
        right += Math.round(b.accuracy * b.testRows);
        options.onScore(i, right / scored);
      };
      const r = await evaluateBatchSplit(input, makeModel, { testSize, seed, onBatch, drift: detectors[i] });
      outcome = { ...r, curve: [] };
    } else if (protocol === 'holdout' && holdout) {
      const r = await periodicHoldout(input, makeModel, {
        rows: holdout.rows,
        every: holdout.every,
        sampleFrom: holdout.mode === 'sample' ? holdout.fromRows : undefined,
        seed,
        onEvaluation: (point, trainRows) => {
          if (single) options.onEvaluation?.(point, trainRows);
          options.onScore?.(i, point.accuracy);
        },
        names: names === CLI_NAMES ? { rows: '--holdout-rows', every: '--holdout-every', sampleFrom: '--holdout-sample-from' } : { rows: names.holdoutRows, every: names.holdoutEvery, sampleFrom: names.holdoutSampleFrom },
      });
      outcome = { ...r, batches: [], unscoredBatches: 0, meanAccuracy: null, stdAccuracy: null, accuracyInterval: null, drifts: [], warnings: [] };
    } else {
      const iterator = input[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) fail('the data has no rows');
      const learner = await makeModel();
      async function* all(): AsyncGenerator<Batch> {
        yield first.value as Batch;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      }
      const r = await prequential(all(), learner, {
        drift: detectors[i],
        onProgress: (rows, correct) => {
          if (single) options.onProgress?.(rows, correct);
          options.onScore?.(i, correct / rows);
        },
        progressEvery: options.progressEvery,
        curveEvery: options.curveEvery,
        window: options.window,
        fading: options.fading,
        onCurve: single ? options.onCurve : undefined,
      });
      outcome = { ...r, trainRows: r.rows, testRows: r.rows, batches: [], unscoredBatches: 0, meanAccuracy: null, stdAccuracy: null, accuracyInterval: null };
    }
    if (!model || !timed) fail('the data has no rows');
    return { outcome, model, timed, modelSize: await sizes.finish() };
  };
  const runs = await Promise.all(resolved.map((_, i) => runOne(i)));
  const wallSeconds = (performance.now() - started) / 1000;

  const results: { report: TrainReport; model: Model }[] = [];
  for (const [i, { outcome, model, timed, modelSize }] of runs.entries()) {
    const accuracy = outcome.testRows > 0 ? outcome.correct / outcome.testRows : NaN;
    model.summary = {
      dataset: source.name,
      protocol,
      rows: outcome.rows,
      batches: outcome.batches.length,
      accuracy,
      meanAccuracy: outcome.meanAccuracy,
      stdAccuracy: outcome.stdAccuracy,
      seed,
      batchSize,
      testSize,
      trainedAt: new Date().toISOString(),
    };
    if (outDir !== null) {
      if (isNatsUrl(outDir)) await (await import('./broker/registry.js')).saveModelTo(model, outDir);
      else await saveModel(model, outDir);
    }
    const report: TrainReport = {
      dataset: source.name,
      model: resolved[i].name,
      params: resolved[i].params,
      preprocessing: model.preprocessing,
      backend: model.backend,
      protocol,
      seed,
      shuffled,
      shuffleBuffer: buffer,
      batchSize,
      testSize,
      features: cols,
      classes: [...source.schema.classes],
      rows: outcome.rows,
      trainRows: outcome.trainRows,
      testRows: outcome.testRows,
      scoredRows: outcome.testRows,
      accuracy,
      batches: outcome.batches,
      unscoredBatches: outcome.unscoredBatches,
      meanAccuracy: outcome.meanAccuracy,
      stdAccuracy: outcome.stdAccuracy,
      driftDetector: options.drift ?? null,
      drifts: outcome.drifts,
      warnings: outcome.warnings,
      metrics: outcome.metrics,
      accuracyInterval: outcome.accuracyInterval,
      curve: outcome.curve,
      window: protocol === 'prequential' ? (options.window ?? null) : null,
      fading: protocol === 'prequential' ? (options.fading ?? null) : null,
      holdout,
      modelSize,
      wallSeconds,
      rowsPerSecond: outcome.rows / wallSeconds,
      modelSeconds: timed.seconds,
      modelPath: outDir,
      skippedRows: source.skipped ?? 0,
    };
    results.push({ report, model });
  }
  // A broker source acknowledges its messages once the model that learned them is saved, else hands them back.
  const settle = (source as { settle?: (saved: boolean) => Promise<void> }).settle;
  if (typeof settle === 'function') await settle.call(source, outDir !== null);
  return results;
}

/** Passes batches on, telling `onRows` the rows handed on so far. */
export async function* counted<B extends { readonly x: { readonly rows: number } }>(batches: AsyncIterable<B>, onRows?: (rows: number) => void): AsyncGenerator<B> {
  let rows = 0;
  for await (const batch of batches) {
    rows += batch.x.rows;
    onRows?.(rows);
    yield batch;
  }
}
