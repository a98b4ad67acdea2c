import type { Matrix, Schema } from '../core/types.js';
import { fail } from '../core/errors.js';
import type { Batch } from '../core/types.js';
import { StandardScaler } from '../preprocess/standard-scaler.js';
import { argmaxRows, widenRows, type Classifier, type ParamValue, type Params } from './contract.js';
import { learnerDefinition, resolveParams } from './registry.js';

/** What a training run leaves in the model's manifest. */
export interface TrainingSummary {
  readonly dataset: string;
  readonly protocol: 'batch-split' | 'prequential';
  readonly rows: number;
  readonly batches: number;
  /** All scored rows pooled. */
  readonly accuracy: number;
  /** Mean and sample std of per-batch accuracies (batch-split only). */
  readonly meanAccuracy: number | null;
  readonly stdAccuracy: number | null;
  readonly seed: number;
  readonly batchSize: number;
  readonly testSize: number;
  readonly trainedAt: string;
}

/** One prediction for one row, labels by name. */
export interface Prediction {
  readonly label: string;
  readonly probabilities: Record<string, number>;
}

/**
 * A trained or training model: a learner bound to the data's schema and to
 * the preprocessing in front of it. This is what is saved, loaded and served.
 */
export class Model {
  summary: TrainingSummary | null = null;

  constructor(
    readonly learnerName: string,
    readonly params: Params,
    readonly seed: number,
    readonly schema: Schema,
    readonly scaler: StandardScaler | null,
    readonly learner: Classifier,
  ) {}

  /** A new, untrained model of the named learner for data of this schema. */
  static async create(
    learnerName: string,
    schema: Schema,
    options: { params?: Readonly<Record<string, ParamValue>>; seed?: number } = {},
  ): Promise<Model> {
    const def = learnerDefinition(learnerName);
    const params = resolveParams(def, options.params);
    const seed = options.seed ?? 42;
    const ctx = { nFeatures: schema.features.length, nClasses: schema.classes.length, seed, nominal: schema.nominal };
    const learner = await def.create(ctx, params);
    const scale = typeof def.scaleInputs === 'function' ? def.scaleInputs(params) : def.scaleInputs;
    const scaler = scale ? new StandardScaler(schema.features.length) : null;
    return new Model(def.name, params, seed, schema, scaler, learner);
  }

  /** The TensorFlow.js backend the learner runs on, or null for learners that use none. */
  get backend(): string | null {
    const learner = this.learner as Classifier & { backend?: string };
    return typeof learner.backend === 'string' ? learner.backend : null;
  }

  async learn(batch: Batch): Promise<void> {
    if (batch.x.rows === 0) return;
    let x = batch.x;
    if (this.scaler) {
      this.scaler.learn(x);
      x = this.scaler.transform(x);
    }
    await this.learner.learn({ x, y: batch.y });
  }

  /** Probabilities over every class of the schema: rows x classes, row-major. */
  async predictProba(x: Matrix): Promise<Float64Array> {
    const input = this.scaler ? this.scaler.transform(x) : x;
    const proba = await this.learner.predictProba(input);
    const known = this.learner.nClasses;
    const all = this.schema.classes.length;
    // Classes in the schema the learner has not yet seen get probability 0.
    return known === all ? proba : widenRows(proba, x.rows, known, all);
  }

  async predict(x: Matrix): Promise<Int32Array> {
    return argmaxRows(await this.predictProba(x), this.schema.classes.length);
  }

  /**
   * Predicts from plain objects of feature name to number, for programs that
   * embed a model. Fails naming the row and feature when one is missing or not a number.
   */
  async predictRecords(records: readonly Readonly<Record<string, unknown>>[]): Promise<Prediction[]> {
    const { features, classes } = this.schema;
    const d = features.length;
    const data = new Float64Array(records.length * d);
    records.forEach((record, r) => {
      features.forEach((f, j) => {
        const v = record[f];
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          fail(`row ${r}: feature "${f}" ${v === undefined ? 'is missing' : 'must be a finite number'}`);
        }
        data[r * d + j] = v;
      });
    });
    const proba = await this.predictProba({ data, rows: records.length, cols: d });
    const k = classes.length;
    const best = argmaxRows(proba, k);
    return records.map((_, r) => ({
      label: classes[best[r]],
      probabilities: Object.fromEntries(classes.map((c, i) => [c, proba[r * k + i]])),
    }));
  }

  dispose(): void {
    this.learner.dispose?.();
  }
}
