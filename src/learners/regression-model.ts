import { fail } from '../core/errors.js';
import { resolveParams } from '../core/params.js';
import type { Matrix, RegressionBatch, Schema } from '../core/types.js';
import { describeValue } from '../data/cells.js';
import { schemaColumns, type Transformer } from '../preprocess/contract.js';
import { createSteps, imputes } from '../preprocess/registry.js';
import type { FeatureContext, Params } from './contract.js';
import { checkSchema, defaultSteps, type FeatureRow, type ModelOptions } from './model.js';
import { LearnedRecords, OneRowFeatures, recordFeatures } from './record-features.js';
import type { Regressor } from './regressor.js';
import { regressorDefinition } from './regressor-registry.js';

/** What a regression training run leaves in the model's manifest. */
export interface RegressionTrainingSummary {
  readonly task: 'regression';
  readonly dataset: string;
  readonly protocol: 'batch-split' | 'prequential' | 'holdout';
  readonly rows: number;
  readonly batches: number;
  /** All scored rows pooled. */
  readonly mae: number;
  readonly rmse: number;
  /** Null when it is undefined (fewer than two scored rows, or all targets equal). */
  readonly r2: number | null;
  readonly seed: number;
  readonly batchSize: number;
  readonly testSize: number;
  readonly trainedAt: string;
  readonly sequences?: [number, number][];
}

/** One prediction for one row of a regression model. */
export interface RegressionPrediction {
  readonly prediction: number;
}

/** What the regressor behind the steps is told about its input: the last step's columns. */
export function regressorContext(schema: Schema, steps: readonly Transformer[], seed: number): FeatureContext {
  const last = steps.length > 0 ? steps[steps.length - 1].output : null;
  return last ? { nFeatures: last.names.length, seed, nominal: last.nominal } : { nFeatures: schema.features.length, seed, nominal: schema.nominal };
}

/** A target value as given to learnOne or learnRecords: a finite number (or its decimal text), or one line naming what is wrong. */
export function targetOf(y: unknown, where: string): number {
  const v = typeof y === 'string' && y.trim() !== '' ? Number(y) : y;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${where} must be a finite number (the target of a regression model), not ${describeValue(y)}`);
  return v;
}

/**
 * A regression model: a regressor bound to the data's schema (task
 * 'regression', no classes) and to the preprocessing steps in front of it,
 * as Model is for a classifier. This is what is saved, loaded and served
 * for a regressor. Every regressor is synchronous, so the one-row methods
 * work for all of them.
 *
 * @example
 * const schema = { features: ['x'], label: 'y', classes: [], task: 'regression' as const };
 * const model = await RegressionModel.createByName('linear-regression', schema);
 * model.learnOne({ x: 1 }, 2);
 * model.predictOne({ x: 1 });
 */
export class RegressionModel {
  readonly task = 'regression' as const;
  summary: RegressionTrainingSummary | null = null;
  private one: { row: Float64Array; x: Matrix; reader: OneRowFeatures } | null = null;

  constructor(
    readonly learnerName: string,
    readonly params: Params,
    readonly seed: number,
    readonly schema: Schema,
    readonly steps: readonly Transformer[],
    readonly learner: Regressor,
  ) {}

  /** A new, untrained model of the named regressor for data of this schema; name and parameters checked at run time. */
  static async createByName(learnerName: string, schema: Schema, options: ModelOptions = {}): Promise<RegressionModel> {
    const def = regressorDefinition(learnerName);
    const params = resolveParams(def, options.params);
    const seed = options.seed ?? 42;
    checkSchema(schema);
    const regression: Schema = schema.task === 'regression' ? schema : { ...schema, classes: [], task: 'regression' };
    if (regression.classes.length > 0) fail(`a regression schema lists no classes, but this one lists ${regression.classes.length}`);
    const specs = options.steps ? options.steps.map((s) => (typeof s === 'string' ? { name: s } : s)) : defaultSteps(def.name, regression, params);
    const steps = createSteps(specs, schemaColumns(regression));
    const learner = def.create(regressorContext(regression, steps, seed), params);
    return new RegressionModel(def.name, params, seed, regression, steps, learner);
  }

  get preprocessing(): string[] {
    return this.steps.map((s) => s.name);
  }

  /** Whether rows may have missing values: when a step imputes, or the data allowed them and the regressor takes NaN itself. */
  get acceptsMissing(): boolean {
    if (this.steps.some(imputes)) return true;
    const native = regressorDefinition(this.learnerName).missingNative ?? false;
    return this.schema.missing === true && (typeof native === 'function' ? native(this.params) : native);
  }

  /** Always true: regressors learn and predict synchronously (the classifier Model's flag, for code that takes either). */
  get synchronous(): boolean {
    return true;
  }

  /** No regressor runs on TensorFlow.js. */
  get backend(): null {
    return null;
  }

  transform(x: Matrix): Matrix {
    let out = x;
    for (const step of this.steps) out = step.transform(out);
    return out;
  }

  private learnSteps(x: Matrix): Matrix {
    for (const step of this.steps) {
      step.learn(x);
      x = step.transform(x);
    }
    return x;
  }

  learn(batch: RegressionBatch): void {
    if (batch.x.rows === 0) return;
    this.learner.learn({ x: this.learnSteps(batch.x), y: batch.y });
  }

  /** One predicted value per row. */
  predict(x: Matrix): Float64Array {
    return this.learner.predict(this.transform(x));
  }

  /** Test-then-train over a batch: each row's prediction made just before it was learned. */
  learnScored(batch: RegressionBatch): Float64Array {
    const { rows, cols } = batch.x;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const row = batch.x.data.subarray(r * cols, r * cols + cols);
      if (this.steps.length === 0) {
        if (this.learner.learnOneScored) out[r] = this.learner.learnOneScored(row, batch.y[r]);
        else {
          out[r] = this.learner.predictOne(row);
          this.learner.learnOne(row, batch.y[r]);
        }
        continue;
      }
      const x: Matrix = { data: row, rows: 1, cols };
      out[r] = this.learner.predict(this.transform(x))[0];
      this.learner.learn({ x: this.learnSteps(x), y: batch.y.subarray(r, r + 1) });
    }
    return out;
  }

  private oneRow(): { row: Float64Array; x: Matrix; reader: OneRowFeatures } {
    if (this.one === null) {
      const d = this.schema.features.length;
      const row = new Float64Array(d);
      this.one = { row, x: { data: row, rows: 1, cols: d }, reader: new OneRowFeatures(this.schema, () => this.acceptsMissing) };
    }
    return this.one;
  }

  /**
   * Learns one row given as a plain object of feature name to value, with
   * its target (River's learn_one(x, y)). A bad row fails, naming the
   * feature or the target, and changes nothing.
   */
  learnOne<X extends FeatureRow<X>>(x: X, y: number): void {
    const s = this.oneRow();
    const added = s.reader.read(x, s.row, true);
    const target = targetOf(y, 'the target');
    s.reader.commit(added);
    if (this.steps.length === 0) this.learner.learnOne(s.row, target);
    else this.learner.learn({ x: this.learnSteps(s.x), y: Float64Array.of(target) });
  }

  /** The predicted value for one row given as a plain object (River's predict_one). */
  predictOne<X extends FeatureRow<X>>(x: X): number {
    const s = this.oneRow();
    s.reader.read(x, s.row, false);
    if (this.steps.length === 0) return this.learner.predictOne(s.row);
    return this.learner.predict(this.transform(s.x))[0];
  }

  /** Predicts from plain objects of feature name to value; fails naming the row and feature of a bad one. */
  predictRecords(records: readonly Readonly<Record<string, unknown>>[]): RegressionPrediction[] {
    const d = this.schema.features.length;
    const data = recordFeatures(this.schema, this.acceptsMissing, records);
    const predicted = this.predict({ data, rows: records.length, cols: d });
    return Array.from(predicted, (prediction) => ({ prediction }));
  }

  /**
   * Learns from plain objects of feature name to value, each with its target
   * under the schema's label name (a finite number, or its decimal text).
   * Every row is checked before any is learned, so a bad row fails the call
   * (naming the row and field) and changes nothing.
   */
  learnRecords(records: readonly Readonly<Record<string, unknown>>[]): void {
    const { label } = this.schema;
    const read = new LearnedRecords(this.schema, this.acceptsMissing, records.length);
    const y = new Float64Array(records.length);
    records.forEach((record, r) => {
      read.features(record, r);
      const raw = Object.hasOwn(record, label) ? record[label] : undefined;
      if (raw === undefined || raw === null) fail(`row ${r}: label "${label}" is missing`);
      y[r] = targetOf(raw, `row ${r}: label "${label}"`);
    });
    read.commit();
    this.learn({ x: { data: read.data, rows: records.length, cols: this.schema.features.length }, y });
  }

  /** Nothing to free: regressors hold no resources outside the JS heap. */
  dispose(): void {}
}
