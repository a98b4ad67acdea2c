import { fail } from '../core/errors.js';
import type { ParamValue } from '../core/params.js';
import type { RegressionBatch } from '../core/types.js';
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
import { RegressionModel } from '../learners/regression-model.js';
import type { StepSpec } from '../preprocess/registry.js';
import { regressionBatches } from '../stream/batch.js';
import { tee } from '../stream/tee.js';
import { isNatsUrl } from './broker/url.js';
import { savedModelBytes, saveModel } from './persist/model-dir.js';
import { checkedSpecs, CLI_NAMES, counted, openRun, planRun, type LearnerSpec, type TrainSettings } from './pipeline.js';
import { compareSettings, trainSettings, type CompareOptions, type TrainOptions } from './train-options.js';

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
  const plan = planRun(options, learners, 'regression');
  const { names, seed, batchSize, testSize, protocol, resolved, holdout, sizeEvery, detectors } = plan;
  const started = performance.now();
  const { source, steps, outDir, shuffled, buffer, rows } = await openRun(plan, options, out);
  const cols = source.schema.features.length;
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
    if (outDir !== null) {
      // The NATS clients load only for a registry reference.
      if (isNatsUrl(outDir)) await (await import('./broker/registry.js')).saveModelTo(model, outDir);
      else await saveModel(model, outDir);
    }
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
  // A broker source acknowledges its messages once the model that learned them is saved, else hands them back.
  const settle = (source as { settle?: (saved: boolean) => Promise<void> }).settle;
  if (typeof settle === 'function') await settle.call(source, outDir !== null);
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
