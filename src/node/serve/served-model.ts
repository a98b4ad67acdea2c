import { fail } from '../../core/errors.js';
import type { DriftDetector } from '../../drift/contract.js';
import { checkRealValuedDetector } from '../../drift/registry.js';
import type { Model, Prediction } from '../../learners/model.js';
import { RegressionModel, targetOf, type RegressionPrediction } from '../../learners/regression-model.js';
import type { AnyModel } from '../persist/model-dir.js';
import type { RecordRow } from './learn-log.js';
import { ClassificationMonitor, NOTHING_SCORED, RegressionMonitor, type OnlineMonitor, type ScoreDelta } from './monitor.js';

/** What POST /predict answers for one row: a classifier's label and probabilities, or a regressor's `{prediction}`. */
export type ServedPrediction = Prediction | RegressionPrediction;

/** What a served model learning one request did. */
export interface LearnedRequest {
  /** Labels first seen in it, now classes of the model (always none for a regressor). */
  readonly newClasses: string[];
  /** What scoring its rows before learning them counted (nothing without a monitor). */
  readonly delta: ScoreDelta;
}

/** How the models of one server are monitored; null: not at all (--no-metrics). */
export interface MonitorSettings {
  /** Rows of the windowed metrics (--window). */
  readonly window: number;
  /** The --drift detector's name, or null. */
  readonly drift: string | null;
  /** A fresh detector of that name for each model loaded (null without one). */
  readonly detector: () => DriftDetector | null;
}

/**
 * The one place where serving a classifier and serving a regressor differ:
 * a loaded model bound to the online monitor of its task. The host, the
 * fleet and the routes go through it and never ask which task it is; only
 * what shows a monitor's figures (GET /stats, /metrics, the dashboard) reads
 * the monitor's `task`, since accuracy and errors are different figures.
 */
export interface ServedModel {
  /** The model itself: saved by checkpoints and promotions, described by GET /model. */
  readonly model: AnyModel;
  readonly monitor: OnlineMonitor | null;
  /** POST /predict: one answer per row, or a one-line error naming the row and field. */
  predict(records: readonly RecordRow[]): Promise<ServedPrediction[]>;
  /**
   * POST /learn: predicts the rows (when monitored), learns them, then scores
   * the predictions against their labels. Every row is checked before any is
   * learned, so a bad one fails the call (naming the row and field) and
   * changes nothing, the monitor included.
   */
  learn(records: readonly RecordRow[]): Promise<LearnedRequest>;
}

/**
 * Binds a loaded model to the monitor of its task. `where` names the model
 * (its directory) in the one-line refusals of settings that cannot apply to
 * it: for a regressor, --no-new-classes (a number has no classes to refuse)
 * and a drift detector made for right-or-wrong errors.
 */
export function serveModel(model: AnyModel, where: string, newClasses: boolean, monitors: MonitorSettings | null): ServedModel {
  return model instanceof RegressionModel ? servedRegressor(model, where, newClasses, monitors) : servedClassifier(model, newClasses, monitors);
}

/** Predictions for scoring only: null when the model cannot predict a row, which is left to learnRecords, whose message names what is wrong with it. */
async function forScoring<P>(predict: () => P[] | Promise<P[]>): Promise<P[] | null> {
  try {
    return await predict();
  } catch {
    return null;
  }
}

function servedClassifier(model: Model, newClasses: boolean, monitors: MonitorSettings | null): ServedModel {
  const monitor = monitors ? new ClassificationMonitor(monitors.window, monitors.detector()) : null;
  const { label } = model.schema;
  return {
    model,
    monitor,
    predict: (records) => model.predictRecords(records),
    async learn(records) {
      const predictions = monitor ? await forScoring(() => model.predictRecords(records)) : null;
      const added = await model.learnRecords(records, { newClasses });
      // The labels as learnRecords read them (it has accepted them).
      const delta = monitor ? monitor.score(records.map((r) => String(r[label]).trim()), predictions) : NOTHING_SCORED;
      return { newClasses: added, delta };
    },
  };
}

function servedRegressor(model: RegressionModel, where: string, newClasses: boolean, monitors: MonitorSettings | null): ServedModel {
  const what = `${where} holds a regressor (${model.learnerName})`;
  if (!newClasses) fail(`--no-new-classes: ${what}, whose target is a number: it has no classes to refuse; drop the flag`);
  if (monitors?.drift) checkRealValuedDetector(monitors.drift, what);
  const monitor = monitors ? new RegressionMonitor(monitors.window, monitors.detector()) : null;
  const { label } = model.schema;
  return {
    model,
    monitor,
    predict: async (records) => model.predictRecords(records),
    async learn(records) {
      const predictions = monitor ? await forScoring(() => model.predictRecords(records)) : null;
      model.learnRecords(records);
      // learnRecords has accepted every target, read as it reads them.
      const delta = monitor ? monitor.score(records.map((r, i) => targetOf(r[label], `row ${i}`)), predictions) : NOTHING_SCORED;
      return { newClasses: [], delta };
    },
  };
}
