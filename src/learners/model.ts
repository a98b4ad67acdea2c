import type { Matrix, Schema } from '../core/types.js';
import { fail } from '../core/errors.js';
import type { Batch } from '../core/types.js';
import { featureCellParser } from '../data/input.js';
import { schemaColumns, type Columns, type Transformer } from '../preprocess/contract.js';
import { createSteps, imputes, type StepSpec } from '../preprocess/registry.js';
import { argmaxRows, widenRows, type Classifier, type LearnerContext, type ParamValue, type Params } from './contract.js';
import { learnerDefinition, learnerTakesMissing } from './registry.js';
import { resolveParams } from '../core/params.js';

/** What a training run leaves in the model's manifest. */
export interface TrainingSummary {
  readonly dataset: string;
  readonly protocol: 'batch-split' | 'prequential' | 'holdout';
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
  /** A model learned from a JetStream stream by `worker`: the stream sequences it learned, as sorted inclusive ranges (merge reports those learned by more than one replica). */
  readonly sequences?: [number, number][];
}

/** One prediction for one row, labels by name. */
export interface Prediction {
  readonly label: string;
  readonly probabilities: Record<string, number>;
}

/** How Model.create is told what to make. */
export interface ModelOptions {
  /** Learner parameters by name (kebab-case or camelCase). */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** Seeds the learner (default 42). */
  readonly seed?: number;
  /**
   * The preprocessing steps in order, by name or with parameters; [] for
   * none. Default: defaultSteps() of the learner and the schema.
   */
  readonly steps?: readonly (string | StepSpec)[];
}

/** A registry flag that may depend on the parameters (an ensemble's base). */
function flag(value: boolean | ((params: Params) => boolean) | undefined, params: Params): boolean {
  return typeof value === 'function' ? value(params) : (value ?? false);
}

/**
 * The preprocessing a learner gets when none is asked for, in this order:
 * - `impute-mean` when the schema allows missing values (`schema.missing`,
 *   set by csvSource with missing: 'allow'), so no learner sees NaN;
 * - `one-hot` when the schema has named categorical features
 *   (`schema.categories`) and the learner does not split nominal features
 *   itself (LearnerDefinition.nominalNative: the Hoeffding trees, the
 *   adaptive random forest, bagging of those);
 * - `standard-scaler` when the learner wants scaled inputs (scaleInputs).
 */
export function defaultSteps(learnerName: string, schema: Schema, params?: Readonly<Record<string, ParamValue>>): StepSpec[] {
  const def = learnerDefinition(learnerName);
  const resolved = resolveParams(def, params);
  const steps: StepSpec[] = [];
  if (schema.missing) steps.push({ name: 'impute-mean' });
  const categorical = (schema.categories ?? []).some((c) => c !== null);
  if (categorical && !flag(def.nominalNative, resolved)) steps.push({ name: 'one-hot' });
  if (flag(def.scaleInputs, resolved)) steps.push({ name: 'standard-scaler' });
  return steps;
}

/** Checks that a schema's nominal flags and category lists agree. */
function checkSchema(schema: Schema): void {
  const d = schema.features.length;
  if (schema.nominal && schema.nominal.length !== d) fail(`schema: ${schema.nominal.length} nominal flags for ${d} features`);
  if (!schema.categories) return;
  if (schema.categories.length !== d) fail(`schema: ${schema.categories.length} category lists for ${d} features`);
  schema.categories.forEach((c, j) => {
    if (c !== null && schema.nominal?.[j] !== true) fail(`schema: feature "${schema.features[j]}" has categories but is not flagged nominal`);
  });
}

/** What the learner behind the steps is told about its input: the last step's columns. */
export function learnerContext(schema: Schema, steps: readonly Transformer[], seed: number): LearnerContext {
  const last: Columns | null = steps.length > 0 ? steps[steps.length - 1].output : null;
  return last
    ? { nFeatures: last.names.length, nClasses: schema.classes.length, seed, nominal: last.nominal }
    : { nFeatures: schema.features.length, nClasses: schema.classes.length, seed, nominal: schema.nominal };
}

/**
 * A trained or training model: a learner bound to the data's schema and to
 * the preprocessing steps in front of it (River's compose.Pipeline: each
 * step learns the training rows and passes on its output; the learner sees
 * the last step's). This is what is saved, loaded and served.
 */
export class Model {
  summary: TrainingSummary | null = null;

  constructor(
    readonly learnerName: string,
    readonly params: Params,
    readonly seed: number,
    readonly schema: Schema,
    /** The preprocessing steps in order; may be empty. */
    readonly steps: readonly Transformer[],
    readonly learner: Classifier,
  ) {}

  /** A new, untrained model of the named learner for data of this schema. */
  static async create(learnerName: string, schema: Schema, options: ModelOptions = {}): Promise<Model> {
    const def = learnerDefinition(learnerName);
    const params = resolveParams(def, options.params);
    const seed = options.seed ?? 42;
    checkSchema(schema);
    const specs = options.steps ? options.steps.map((s) => (typeof s === 'string' ? { name: s } : s)) : defaultSteps(def.name, schema, params);
    const steps = createSteps(specs, schemaColumns(schema));
    const learner = await def.create(learnerContext(schema, steps, seed), params);
    return new Model(def.name, params, seed, schema, steps, learner);
  }

  /** The names of the preprocessing steps, in order. */
  get preprocessing(): string[] {
    return this.steps.map((s) => s.name);
  }

  /**
   * Whether rows to predict or learn may have missing values (NaN): when a
   * step imputes, or the model was trained on data that allowed them and its
   * learner takes NaN itself (as trees do). Not schema.missing alone: a
   * manifest may say so of a learner that would learn NaN into its state
   * (a knn then saved no checkpoint, and serve could not restart).
   */
  get acceptsMissing(): boolean {
    return this.steps.some(imputes) || (this.schema.missing === true && learnerTakesMissing(this.learnerName, this.params));
  }

  /** The rows as the learner sees them: through every step in order. */
  transform(x: Matrix): Matrix {
    let out = x;
    for (const step of this.steps) out = step.transform(out);
    return out;
  }

  /** The TensorFlow.js backend the learner runs on, or null for learners that use none. */
  get backend(): string | null {
    const learner = this.learner as Classifier & { backend?: string };
    return typeof learner.backend === 'string' ? learner.backend : null;
  }

  async learn(batch: Batch): Promise<void> {
    if (batch.x.rows === 0) return;
    await this.learner.learn({ x: this.learnSteps(batch.x), y: batch.y });
  }

  /** Each step learns the training rows, then passes on its output: what the learner learns from. */
  private learnSteps(x: Matrix): Matrix {
    for (const step of this.steps) {
      step.learn(x);
      x = step.transform(x);
    }
    return x;
  }

  /**
   * Test-then-train over a batch: each row is predicted, then learned, in
   * order; returns each row's probabilities over the schema's classes as
   * they were before that row was learned. Uses the learner's own fast path
   * when no step stands in front of it; otherwise goes row by row, awaiting
   * only learners that return promises.
   */
  async learnScored(batch: Batch): Promise<Float64Array> {
    const rows = batch.x.rows;
    const all = this.schema.classes.length;
    if (this.steps.length === 0 && this.learner.learnScored) {
      const p = await this.learner.learnScored(batch);
      const known = this.learner.nClasses;
      return known === all ? p : widenRows(p, rows, known, Math.max(all, known)).subarray(0, rows * all);
    }
    const out = new Float64Array(rows * all);
    const { cols } = batch.x;
    for (let r = 0; r < rows; r++) {
      const x: Matrix = { data: batch.x.data.subarray(r * cols, r * cols + cols), rows: 1, cols };
      const predicted = this.learner.predictProba(this.transform(x));
      const p = predicted instanceof Promise ? await predicted : predicted;
      out.set(p.subarray(0, Math.min(p.length, all)), r * all);
      const learned = this.learner.learn({ x: this.learnSteps(x), y: batch.y.subarray(r, r + 1) });
      if (learned instanceof Promise) await learned;
    }
    return out;
  }

  /** Probabilities over every class of the schema: rows x classes, row-major. */
  async predictProba(x: Matrix): Promise<Float64Array> {
    const proba = await this.learner.predictProba(this.transform(x));
    const known = this.learner.nClasses;
    const all = this.schema.classes.length;
    // Classes in the schema the learner has not yet seen get probability 0.
    return known === all ? proba : widenRows(proba, x.rows, known, all);
  }

  async predict(x: Matrix): Promise<Int32Array> {
    return argmaxRows(await this.predictProba(x), this.schema.classes.length);
  }

  /**
   * Predicts from plain objects of feature name to value, for programs that
   * embed a model: a number, or for a categorical feature its category name
   * (one the model has not seen is "other" to a one-hot encoder). Null or NaN
   * is a missing value where the model accepts them (acceptsMissing). Fails
   * naming the row and feature when one is absent or not a valid value.
   */
  async predictRecords(records: readonly Readonly<Record<string, unknown>>[]): Promise<Prediction[]> {
    const { features, classes } = this.schema;
    const d = features.length;
    const data = new Float64Array(records.length * d);
    const parse = featureCellParser({ categories: this.schema.categories, missing: this.acceptsMissing });
    const categorical = this.schema.categories ?? [];
    const missing = this.acceptsMissing;
    records.forEach((record, r) => {
      features.forEach((f, j) => {
        const v = Object.hasOwn(record, f) ? record[f] : undefined;
        if (v === undefined) fail(`row ${r}: feature "${f}" is missing`);
        const plainNumber = typeof v === 'number' && Number.isFinite(v);
        const takes = plainNumber || (categorical[j] && typeof v === 'string') || (missing && (v === null || Number.isNaN(v)));
        if (!takes) fail(`row ${r}: feature "${f}" must be ${categorical[j] ? 'a category name' : 'a finite number'}${missing ? ' or null' : ''}`);
        data[r * d + j] = parse(v, j, () => `row ${r}: feature "${f}"`);
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

  /**
   * Learns from plain objects of feature name to value, each with its label
   * under the schema's label name (a string, or a number read as its
   * decimal name): the online counterpart of predictRecords, for programs
   * that feed a model labelled rows (the server's POST /learn). Values are
   * read as predictRecords reads them. A label the model has not seen
   * becomes a new class at the end of schema.classes (learners take labels
   * at or past nClasses, as mid-stream in training) unless
   * `newClasses: false`, which refuses it; a category name not seen before
   * is appended to the feature's categories, as the training sources do, so
   * it keeps its code when the model is saved and loaded. Every row is
   * checked before any is learned or any class or category added, so a bad
   * row fails the call (naming the row and field) and changes nothing.
   * Returns the classes added, in order.
   */
  async learnRecords(records: readonly Readonly<Record<string, unknown>>[], options: { newClasses?: boolean } = {}): Promise<string[]> {
    const { features, label, classes } = this.schema;
    const d = features.length;
    const categorical = this.schema.categories ?? [];
    const missing = this.acceptsMissing;
    const data = new Float64Array(records.length * d);
    const y = new Int32Array(records.length);
    const classIndex = new Map(classes.map((c, i) => [c, i]));
    const addedClasses: string[] = [];
    // Per categorical feature, names first seen in these records, in order; committed only once every row is good.
    const addedCategories = categorical.map((names) => (names ? new Map<string, number>() : null));
    records.forEach((record, r) => {
      features.forEach((f, j) => {
        const v = Object.hasOwn(record, f) ? record[f] : undefined;
        if (v === undefined) fail(`row ${r}: feature "${f}" is missing`);
        const names = categorical[j];
        const isMissing = v === null || (typeof v === 'number' && Number.isNaN(v)) || (names !== null && names !== undefined && typeof v === 'string' && v.trim() === '');
        if (isMissing) {
          if (!missing) fail(`row ${r}: feature "${f}" must be ${names ? 'a category name' : 'a finite number'} (the model does not accept missing values)`);
          data[r * d + j] = NaN;
          return;
        }
        if (names) {
          if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) fail(`row ${r}: feature "${f}" must be a category name${missing ? ' or null' : ''}`);
          const name = String(v).trim();
          let code = names.indexOf(name);
          if (code < 0) {
            const added = addedCategories[j]!;
            code = added.get(name) ?? names.length + added.size;
            added.set(name, code);
          }
          data[r * d + j] = code;
          return;
        }
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`row ${r}: feature "${f}" must be a finite number${missing ? ' or null' : ''}`);
        data[r * d + j] = v;
      });
      const raw = Object.hasOwn(record, label) ? record[label] : undefined;
      if (raw === undefined || raw === null) fail(`row ${r}: label "${label}" is missing`);
      if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) fail(`row ${r}: label "${label}" must be a class name (a string)`);
      const name = String(raw).trim();
      if (name === '') fail(`row ${r}: label "${label}" is empty`);
      let index = classIndex.get(name);
      if (index === undefined) {
        if (options.newClasses === false) fail(`row ${r}: label "${label}": "${name}" is not one of the model's classes (${classes.join(', ')})`);
        index = classes.length + addedClasses.length;
        classIndex.set(name, index);
        addedClasses.push(name);
      }
      y[r] = index;
    });
    classes.push(...addedClasses);
    addedCategories.forEach((added, j) => {
      if (added) categorical[j]!.push(...added.keys());
    });
    await this.learn({ x: { data, rows: records.length, cols: d }, y });
    return addedClasses;
  }
}
