import { join } from 'node:path';
import { fail } from '../core/errors.js';
import type { ParamValue } from '../core/params.js';
import type { StepSpec } from '../preprocess/registry.js';
import { compareSettings, trainSettings, type CompareOptions, type TrainOptions } from './train-options.js';
import { resolveParams } from '../core/params.js';
import type { RegressionBatch } from '../core/types.js';
import { checkRealValuedDetector, createDetector } from '../drift/registry.js';
import { ModelSizeTracker, type ModelSizePoint } from '../eval/model-size.js';
import {
  batchSplitRegression,
  holdoutRegression,
  orNull,
  prequentialRegression,
  type RegressionBatchResult,
  type RegressionCurvePoint,
  type RegressionOutcome,
} from '../eval/regression-evaluation.js';
import type { RegressionReport } from '../eval/report.js';
import { defaultSteps } from '../learners/model.js';
import { RegressionModel } from '../learners/regression-model.js';
import { learnerNames } from '../learners/registry.js';
import { regressorDefinition, regressorNames } from '../learners/regressor-registry.js';
import { regressionBatches } from '../stream/batch.js';
import { shuffle, shuffleBuffer } from '../stream/shuffle.js';
import { tee } from '../stream/tee.js';
import { isNatsUrl } from './broker/url.js';
import { assertModelDirWritable, savedModelBytes, saveModel } from './persist/model-dir.js';
import {
  checkCount,
  checkCurveOptions,
  checkMissingSteps,
  checkSettings,
  checkedSpecs,
  checkSourceOptions,
  CLI_NAMES,
  counted,
  DEFAULTS,
  givenSteps,
  holdoutSettings,
  openSource,
  protocols,
  SYNTH_PREFIX,
  withStepParams,
  type LearnerSpec,
  type TrainSettings,
} from './pipeline.js';

/** The flat settings of a regression run: train's, with callbacks that speak of errors rather than accuracy. */
export interface RegressionSettings extends Omit<TrainSettings, 'onProgress' | 'onScore' | 'onCurve' | 'onEvaluation' | 'onBatch'> {
  /** Prequential: called every `progressEvery` rows with the running MAE. */
  readonly onProgress?: (rows: number, mae: number) => void;
  /** Learner i's running error as it is scored (see TrainSettings.onScore): its RMSE. */
  readonly onScore?: (learner: number, rmse: number) => void;
  readonly onCurve?: (point: RegressionCurvePoint) => void;
  readonly onEvaluation?: (point: RegressionCurvePoint, trainRows: number) => void;
  readonly onBatch?: (result: RegressionBatchResult) => void;
}


/**
 * A regressor's whole run, as train() is a classifier's: source (its label
 * read as numbers) -> shuffle -> batches -> protocol -> report, then save.
 * Bad input fails before anything is written.
 */
export async function trainRegressorWithSettings(settings: RegressionSettings): Promise<{ report: RegressionReport; model: RegressionModel }> {
  if (settings.model === undefined) fail('a regression run needs its regressor (--model NAME)');
  const [run] = await runRegressors(settings, [{ name: settings.model, params: settings.params }], settings.out === null ? null : (settings.out ?? 'default'));
  return run;
}

/** Several regressors on the identical stream in one pass (compare); nothing is saved. */
export async function compareRegressorsWithSettings(
  settings: RegressionSettings,
  learners: readonly LearnerSpec[],
): Promise<{ reports: RegressionReport[]; models: RegressionModel[] }> {
  const runs = await runRegressors(settings, learners, null);
  return { reports: runs.map((r) => r.report), models: runs.map((r) => r.model) };
}

async function runRegressors(
  options: RegressionSettings,
  learners: readonly LearnerSpec[],
  out: string | null,
): Promise<{ report: RegressionReport; model: RegressionModel }[]> {
  const names = options.names ?? CLI_NAMES;
  const seed = options.seed ?? DEFAULTS.seed;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const testSize = options.testSize ?? DEFAULTS.testSize;
  const protocol = options.protocol ?? 'batch-split';
  if (!protocols.includes(protocol)) fail(`unknown protocol "${protocol}" (protocols: ${protocols.join(', ')})`);
  checkSettings({ seed, batchSize, testSize, protocol }, names);
  const classifier = learners.find((l) => learnerNames.includes(l.name));
  if (classifier) fail(`"${classifier.name}" is a classifier, not a regressor (regressors: ${regressorNames.join(', ')})`);
  const resolved = learners.map((l) => ({
    name: l.name,
    params: resolveParams(regressorDefinition(l.name), l.params),
    preprocess: l.preprocess ?? options.preprocess,
    preprocessParams: l.preprocessParams ?? options.preprocessParams,
  }));
  if (options.classes !== undefined) fail('--classes applies to classifiers: a regressor predicts a number');
  if (options.fading !== undefined) fail(`${names.fading} applies to classifiers' accuracy; a regression curve has windowed errors (--window)`);
  checkCurveOptions(options, protocol, names);
  const holdout = holdoutSettings(options, protocol, names);
  const sizeEvery = options.sizeEvery ?? DEFAULTS.sizeEvery;
  checkCount(sizeEvery, Number.MAX_SAFE_INTEGER, names.sizeEvery);
  if (options.drift !== undefined) checkRealValuedDetector(options.drift, 'a regressor learns');
  const detectors = resolved.map(() => (options.drift ? createDetector(options.drift, options.driftParams) : undefined));
  checkSourceOptions(options, names);
  const given = resolved.map((l) => (l.preprocess ? givenSteps(l.preprocess, names) : null));
  given.forEach((g, i) => g && withStepParams(g, resolved[i].preprocessParams, names));
  if (options.missing === 'allow') resolved.forEach((l, i) => given[i] && checkMissingSteps(l, given[i], names));

  const started = performance.now();
  const source = await openSource(options, seed, 'regression');
  const steps = resolved.map((l, i) => withStepParams(given[i] ?? defaultSteps(l.name, source.schema, l.params), l.preprocessParams, names));
  if (source.schema.missing) resolved.forEach((l, i) => checkMissingSteps(l, steps[i], names));
  const outDir = out === null ? null : out === 'default' ? join('models', `${source.name}-${resolved[0].name}`) : out;
  if (outDir !== null) {
    if (isNatsUrl(outDir)) fail('--out nats://…: saving a regressor to a model registry is not supported yet; save it to a directory');
    await assertModelDirWritable(outDir);
  }
  const synthetic = options.data?.startsWith(SYNTH_PREFIX) ?? false;
  const buffer = options.shuffleBuffer ?? null;
  if (buffer !== null) checkCount(buffer, Number.MAX_SAFE_INTEGER, names.shuffleBuffer);
  if (buffer !== null && options.shuffle === false) fail(`${names.shuffleBuffer} and ${names.noShuffle} contradict each other: give one`);
  const shuffled = buffer !== null || (options.shuffle ?? (protocol === 'batch-split' && !synthetic));
  const cols = source.schema.features.length;
  const rows = !shuffled ? source.rows() : buffer !== null ? shuffleBuffer(source.rows(), buffer, seed) : shuffle(source.rows(), seed);
  const stream = counted(regressionBatches(rows, protocol === 'batch-split' ? batchSize : 1024, cols), options.onRows);
  const branches = resolved.length === 1 ? [stream] : tee(stream, resolved.length);
  const single = resolved.length === 1;

  const runOne = async (i: number): Promise<{ outcome: RegressionOutcome; model: RegressionModel; seconds: number; modelSize: ModelSizePoint[] }> => {
    let model: RegressionModel | undefined;
    let seconds = 0;
    const makeModel = async () => {
      const m = await RegressionModel.createByName(resolved[i].name, source.schema, { params: resolved[i].params, seed, steps: steps[i] });
      model = m;
      // The model's own time, apart from reading the stream: compare's per-learner speed.
      const timed = <T>(f: () => T): T => {
        const t0 = performance.now();
        try {
          return f();
        } finally {
          seconds += (performance.now() - t0) / 1000;
        }
      };
      return {
        learn: (b: RegressionBatch) => timed(() => m.learn(b)),
        predict: (x: RegressionBatch['x']) => timed(() => m.predict(x)),
        learnScored: (b: RegressionBatch) => timed(() => m.learnScored(b)),
      };
    };
    const sizes = new ModelSizeTracker(sizeEvery, () => (model ? savedModelBytes(model) : Promise.resolve(0)));
    const input = sizes.watch(branches[i]);
    let outcome: RegressionOutcome;
    if (protocol === 'batch-split') {
      outcome = await batchSplitRegression(input, makeModel, {
        testSize,
        seed,
        drift: detectors[i],
        onBatch: (b) => {
          if (single) options.onBatch?.(b);
          if (b.rmse !== null) options.onScore?.(i, b.rmse);
        },
      });
    } else if (protocol === 'holdout' && holdout) {
      outcome = await holdoutRegression(input, makeModel, {
        rows: holdout.rows,
        every: holdout.every,
        sampleFrom: holdout.mode === 'sample' ? holdout.fromRows : undefined,
        seed,
        onEvaluation: (point, trainRows) => {
          if (single) options.onEvaluation?.(point, trainRows);
          options.onScore?.(i, point.rmse);
        },
        names: names === CLI_NAMES ? { rows: '--holdout-rows', every: '--holdout-every', sampleFrom: '--holdout-sample-from' } : { rows: names.holdoutRows, every: names.holdoutEvery, sampleFrom: names.holdoutSampleFrom },
      });
    } else {
      outcome = await prequentialRegression(input, makeModel, {
        drift: detectors[i],
        progressEvery: options.progressEvery,
        curveEvery: options.curveEvery,
        window: options.window,
        onProgress: (n, m) => {
          if (single) options.onProgress?.(n, m.mae);
          options.onScore?.(i, m.rmse);
        },
        onCurve: single ? options.onCurve : undefined,
      });
    }
    if (!model) fail('the data has no rows');
    return { outcome, model, seconds, modelSize: await sizes.finish() };
  };
  const runs = await Promise.all(resolved.map((_, i) => runOne(i)));
  const wallSeconds = (performance.now() - started) / 1000;
  const results: { report: RegressionReport; model: RegressionModel }[] = [];
  for (const [i, { outcome, model, seconds, modelSize }] of runs.entries()) {
    const m = outcome.metrics;
    model.summary = {
      task: 'regression',
      dataset: source.name,
      protocol,
      rows: outcome.rows,
      batches: outcome.batches.length,
      mae: m.mae,
      rmse: m.rmse,
      r2: orNull(m.r2),
      seed,
      batchSize,
      testSize,
      trainedAt: new Date().toISOString(),
    };
    if (outDir !== null) await saveModel(model, outDir);
    results.push({
      report: {
        task: 'regression',
        dataset: source.name,
        model: resolved[i].name,
        params: resolved[i].params,
        preprocessing: model.preprocessing,
        protocol,
        seed,
        shuffled,
        shuffleBuffer: buffer,
        batchSize,
        testSize,
        features: cols,
        label: source.schema.label,
        rows: outcome.rows,
        trainRows: outcome.trainRows,
        testRows: outcome.testRows,
        scoredRows: outcome.testRows,
        metrics: { mae: m.mae, rmse: m.rmse, r2: orNull(m.r2), targetMean: m.targetMean },
        batches: outcome.batches,
        unscoredBatches: outcome.unscoredBatches,
        perBatch: outcome.perBatch,
        driftDetector: options.drift ?? null,
        drifts: outcome.drifts,
        warnings: outcome.warnings,
        curve: outcome.curve,
        window: protocol === 'prequential' ? (options.window ?? null) : null,
        holdout,
        modelSize,
        wallSeconds,
        rowsPerSecond: outcome.rows / wallSeconds,
        modelSeconds: seconds,
        modelPath: outDir,
        skippedRows: source.skipped ?? 0,
      },
      model,
    });
  }
  return results;
}

/** What comes out of trainRegressor() besides its report: train()'s output options, its callbacks speaking of errors. */
export interface RegressionOutputOptions {
  /** Where the model is saved (a directory); null saves nothing. Default models/<dataset>-<learner>. */
  readonly out?: string | null;
  readonly sizeEvery?: number;
  readonly onRows?: (rows: number) => void;
  /** batch-split: called after each batch with its MAE, RMSE and R². */
  readonly onBatch?: (result: RegressionBatchResult) => void;
  /** prequential: called every `progressEvery` rows with the rows and the running MAE. */
  readonly onProgress?: (rows: number, mae: number) => void;
  readonly progressEvery?: number;
  /** holdout: called after each evaluation of the held-out rows. */
  readonly onEvaluation?: (point: RegressionCurvePoint, trainRows: number) => void;
}

/** A regressor by name, or with its parameters and preprocessing (as train()'s model option). */
export type RegressorOption =
  | string
  | {
      readonly learner: string;
      readonly params?: Readonly<Record<string, ParamValue>>;
      readonly preprocess?: readonly (string | StepSpec)[];
      readonly preprocessParams?: Readonly<Record<string, Readonly<Record<string, ParamValue>>>>;
    };

/** trainRegressor()'s options: train()'s stages, with a regressor and regression callbacks. */
export interface RegressionTrainOptions extends Omit<TrainOptions, 'model' | 'output'> {
  readonly model: RegressorOption;
  readonly output?: RegressionOutputOptions;
}

/** compareRegressors()'s options: several regressors on the identical stream. */
export interface RegressionCompareOptions extends Omit<TrainOptions, 'model' | 'output'> {
  readonly models: readonly RegressorOption[];
  readonly output?: Pick<RegressionOutputOptions, 'sizeEvery' | 'onRows'>;
}

/**
 * train() for a regressor: the source's label is read as numbers, the model
 * is scored by MAE, RMSE and R² under the protocol, reported and saved.
 *
 * @example
 * const { report, model } = await trainRegressor({ source: { dataset: 'diabetes' }, model: 'hoeffding-tree-regressor', output: { out: null } });
 * report.metrics.r2;
 * model.predictOne({ age: 50, sex: 1, bmi: 25, bp: 90, s1_tc: 180, s2_ldl: 100, s3_hdl: 50, s4_tch: 4, s5_ltg: 4.5, s6_glu: 90 });
 */
export async function trainRegressor(options: RegressionTrainOptions): Promise<{ report: RegressionReport; model: RegressionModel }> {
  // The stages are checked and flattened as train()'s are; the callbacks pass through with their regression types.
  return trainRegressorWithSettings(trainSettings(options as unknown as TrainOptions) as unknown as RegressionSettings);
}

/** compare() for regressors: one report per regressor, in the order given; nothing is saved. */
export async function compareRegressors(options: RegressionCompareOptions): Promise<{ reports: RegressionReport[]; models: RegressionModel[] }> {
  const settings = compareSettings(options as unknown as CompareOptions);
  return compareRegressorsWithSettings(settings as unknown as RegressionSettings, checkedSpecs(settings.models, (settings.names ?? CLI_NAMES).models));
}
