import type { Matrix, Schema } from '../core/types.js';
import { fail } from '../core/errors.js';
import type { Batch } from '../core/types.js';
import { describeValue } from '../data/cells.js';
import { LearnedRecords, OneRowFeatures, recordFeatures, type NewCategories } from './record-features.js';
import { schemaColumns, type Columns, type Transformer } from '../preprocess/contract.js';
import { createSteps, imputes, type StepSpec } from '../preprocess/registry.js';
import { argmaxRows, widenRows, type Classifier, type LearnerContext, type ParamValue, type Params } from './contract.js';
import { anyLearnerDefinition, learnerDefinition, learnerTakesMissing, type LearnerName, type LearnerParamsInput } from './registry.js';
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
  /** The most probable class; null while the model knows no class. */
  readonly label: string | null;
  readonly probabilities: Record<string, number>;
}

/**
 * A feature's value in a row given as a plain object: a number, a
 * categorical feature's category name, or null (or NaN) for a missing value
 * where the model accepts them.
 */
export type FeatureValue = number | string | null;

/**
 * A row as a plain object of feature name to value (River's dict `x`),
 * written so that an interface with FeatureValue properties fits as well as
 * a Record. Features are read as own properties; others are ignored.
 */
export type FeatureRow<X> = { readonly [K in keyof X]: FeatureValue };

/** How Model.createByName is told what to make: parameters unchecked until run time. */
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

/** How Model.create is told what to make: the learner's parameters by name and type. */
export interface LearnerOptions<N extends LearnerName> extends Omit<ModelOptions, 'params'> {
  /** Learner parameters (camelCase or kebab-case names), e.g. { gracePeriod: 100 } for hoeffding-tree. */
  readonly params?: LearnerParamsInput<N>;
}

/** The work arrays of the synchronous one-row path, reused from row to row. */
interface OneRowScratch {
  readonly row: Float64Array;
  readonly x: Matrix;
  readonly y: Int32Array;
  readonly batch: Batch;
  /** Label -> class index, kept in step with schema.classes (which only grows, at its end). */
  readonly classIndex: Map<string, number>;
  /** Reads plain-object rows' features. */
  readonly reader: OneRowFeatures;
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
  const def = anyLearnerDefinition(learnerName);
  const resolved = resolveParams(def, params);
  const steps: StepSpec[] = [];
  if (schema.missing) steps.push({ name: 'impute-mean' });
  const categorical = (schema.categories ?? []).some((c) => c !== null);
  if (categorical && !flag(def.nominalNative, resolved)) steps.push({ name: 'one-hot' });
  if (flag(def.scaleInputs, resolved)) steps.push({ name: 'standard-scaler' });
  return steps;
}

/** Checks that a schema's nominal flags and category lists agree. */
export function checkSchema(schema: Schema): void {
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
  /** What the model predicts: a class (a RegressionModel's task is 'regression'). */
  readonly task = 'classification' as const;
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

  /**
   * A new, untrained model of the named learner for data of this schema.
   * The learner's name and parameters are checked by the compiler
   * (`Model.create('hoeffding-tree', schema, { params: { gracePeriod: 100 } })`);
   * for a name known only at run time use createByName.
   */
  static create<N extends LearnerName>(learnerName: N, schema: Schema, options: LearnerOptions<N> = {}): Promise<Model> {
    // The types are a view of what the registry checks again at run time.
    return Model.createByName(learnerName, schema, options as ModelOptions);
  }

  /**
   * Model.create for a learner named at run time (a command-line flag, a
   * configuration file): name and parameters are checked against the
   * registry when called, failing with one line naming what is wrong.
   */
  static async createByName(learnerName: string, schema: Schema, options: ModelOptions = {}): Promise<Model> {
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
      return toColumns(p, rows, this.learner.nClasses, all);
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

  /**
   * Probabilities over every class of the schema: rows x classes, row-major
   * (empty while the schema lists no class).
   */
  async predictProba(x: Matrix): Promise<Float64Array> {
    const proba = await this.learner.predictProba(this.transform(x));
    return toColumns(proba, x.rows, this.learner.nClasses, this.schema.classes.length);
  }

  /**
   * Each row's most probable class as an index into schema.classes: the fast
   * path for typed arrays (predictLabels gives the names); -1 for every row
   * while the schema lists no class.
   */
  async predict(x: Matrix): Promise<Int32Array> {
    const k = this.schema.classes.length;
    if (k === 0) return new Int32Array(x.rows).fill(-1);
    return argmaxRows(await this.predictProba(x), k);
  }

  /** Each row's most probable class by name (null while the schema lists no class). */
  async predictLabels(x: Matrix): Promise<(string | null)[]> {
    const classes = this.schema.classes;
    return Array.from(await this.predict(x), (c) => (c < 0 ? null : classes[c]));
  }

  // ---- One row at a time, as River's learn_one / predict_one / predict_proba_one.

  private asynchronousLearner: boolean | undefined;

  /**
   * Whether learnOne, predictOne and predictProbaOne work for this model:
   * false for learners whose work is asynchronous (the bagging and boosting
   * ensembles, an adaptive random forest with worker threads), which learn
   * and predict one row through learnOneAsync and its kin. Those work for every model.
   */
  get synchronous(): boolean {
    if (this.asynchronousLearner === undefined) this.asynchronousLearner = flag(learnerDefinition(this.learnerName).asynchronous, this.params);
    return !this.asynchronousLearner;
  }

  private scratch: OneRowScratch | null = null;

  /** The one-row work arrays, made on first use and brought in step with the schema. */
  private oneRow(): OneRowScratch {
    let s = this.scratch;
    if (s === null) {
      const d = this.schema.features.length;
      const row = new Float64Array(d);
      const x: Matrix = { data: row, rows: 1, cols: d };
      const y = new Int32Array(1);
      s = this.scratch = { row, x, y, batch: { x, y }, classIndex: new Map(), reader: new OneRowFeatures(this.schema, () => this.acceptsMissing) };
    }
    const { classes } = this.schema;
    for (let c = s.classIndex.size; c < classes.length; c++) s.classIndex.set(classes[c], c);
    return s;
  }

  /** A label's class index, or -1 for a label the model has not seen; fails for what is not a label. */
  private classOf(s: OneRowScratch, y: unknown): number {
    if (typeof y === 'string') {
      const index = s.classIndex.get(y);
      if (index !== undefined) return index;
    }
    if (typeof y !== 'string' && !(typeof y === 'number' && Number.isFinite(y))) fail(`the label must be a class name (a string), not ${describeValue(y)}`);
    const name = String(y).trim();
    if (name === '') fail('the label is empty');
    return s.classIndex.get(name) ?? -1;
  }

  /** Adds a row's new categories and new class to the schema; returns the class index. */
  private commitRow(s: OneRowScratch, y: unknown, c: number, added: NewCategories): number {
    s.reader.commit(added);
    if (c >= 0) return c;
    const { classes } = this.schema;
    classes.push(String(y).trim());
    s.classIndex.set(classes[classes.length - 1], classes.length - 1);
    return classes.length - 1;
  }

  private requireSynchronous(method: string): void {
    if (!this.synchronous) fail(`${this.learnerName} learns and predicts asynchronously: use ${method}Async (await model.${method}Async(...))`);
  }

  /**
   * Learns one labelled row given as a plain object of feature name to
   * value (River's learn_one(x, y)), synchronously. The label is the class
   * name; one the model has not seen becomes a new class at the end of
   * schema.classes, and a category name not seen before joins its feature's
   * categories, as learnRecords does. A bad row fails (naming the feature)
   * and changes nothing. The same as learnRecords([row]) to the bit. For an
   * asynchronous learner (see `synchronous`) it fails: use learnOneAsync.
   */
  learnOne<X extends FeatureRow<X>>(x: X, y: string): void {
    this.requireSynchronous('learnOne');
    const s = this.oneRow();
    const added = s.reader.read(x, s.row, true);
    s.y[0] = this.commitRow(s, y, this.classOf(s, y), added);
    if (this.steps.length === 0 && this.learner.learnOne) {
      this.learner.learnOne(s.row, s.y[0]);
      return;
    }
    const done = this.steps.length === 0 ? this.learner.learn(s.batch) : this.learner.learn({ x: this.learnSteps(s.x), y: s.y });
    if (done instanceof Promise) throw new Error(`${this.learnerName}: learn returned a promise, but its registry entry does not say it is asynchronous`);
  }

  /** The learner's probabilities (its known classes) for the row now in the scratch; sync only. */
  private probaOfScratch(s: OneRowScratch): Float64Array {
    if (this.steps.length === 0 && this.learner.predictProbaOne) return this.learner.predictProbaOne(s.row);
    const p = this.learner.predictProba(this.transform(s.x));
    if (p instanceof Promise) throw new Error(`${this.learnerName}: predictProba returned a promise, but its registry entry does not say it is asynchronous`);
    return p;
  }

  /**
   * The probability of each of the schema's classes for one row given as a
   * plain object (River's predict_proba_one), synchronously: a class the
   * learner has not seen yet gets 0; empty while the schema lists no class.
   * The very numbers predictProba gives for the row. For an asynchronous
   * learner it fails: use predictProbaOneAsync.
   */
  predictProbaOne<X extends FeatureRow<X>>(x: X): Record<string, number> {
    this.requireSynchronous('predictProbaOne');
    const s = this.oneRow();
    s.reader.read(x, s.row, false);
    return this.probaRecord(this.probaOfScratch(s));
  }

  /**
   * The most probable class's name for one row given as a plain object
   * (River's predict_one), synchronously; null while the schema lists no
   * class. Ties go to the class listed first, as predict's. For an
   * asynchronous learner it fails: use predictOneAsync.
   */
  predictOne<X extends FeatureRow<X>>(x: X): string | null {
    this.requireSynchronous('predictOne');
    const s = this.oneRow();
    s.reader.read(x, s.row, false);
    return this.bestLabel(this.probaOfScratch(s));
  }

  /** learnOne for every learner, asynchronous ones included. */
  async learnOneAsync<X extends FeatureRow<X>>(x: X, y: string): Promise<void> {
    const s = this.oneRow();
    // A row of its own: the learner may still read it after another call has begun.
    const data = new Float64Array(this.schema.features.length);
    const added = s.reader.read(x, data, true);
    const c = this.commitRow(s, y, this.classOf(s, y), added);
    await this.learn({ x: { data, rows: 1, cols: data.length }, y: Int32Array.of(c) });
  }

  /** predictProbaOne for every learner, asynchronous ones included. */
  async predictProbaOneAsync<X extends FeatureRow<X>>(x: X): Promise<Record<string, number>> {
    return this.probaRecord(await this.learnerProbaOf(x));
  }

  /** predictOne for every learner, asynchronous ones included. */
  async predictOneAsync<X extends FeatureRow<X>>(x: X): Promise<string | null> {
    return this.bestLabel(await this.learnerProbaOf(x));
  }

  private async learnerProbaOf(x: object): Promise<Float64Array> {
    const s = this.oneRow();
    const data = new Float64Array(this.schema.features.length);
    s.reader.read(x, data, false);
    return this.learner.predictProba(this.transform({ data, rows: 1, cols: data.length }));
  }

  /** One row of the learner's probabilities as a record over the schema's classes (0 for those it has not seen). */
  private probaRecord(p: Float64Array): Record<string, number> {
    const { classes } = this.schema;
    const known = this.learner.nClasses;
    const out: Record<string, number> = {};
    for (let c = 0; c < classes.length; c++) out[classes[c]] = c < known ? p[c] : 0;
    return out;
  }

  /** The schema's class with the highest probability in one row of the learner's (argmaxRows over the widened row). */
  private bestLabel(p: Float64Array): string | null {
    const { classes } = this.schema;
    const k = classes.length;
    if (k === 0) return null;
    const known = this.learner.nClasses;
    let best = 0;
    let bestP = known > 0 ? p[0] : 0;
    for (let c = 1; c < k; c++) {
      const v = c < known ? p[c] : 0;
      if (v > bestP) {
        bestP = v;
        best = c;
      }
    }
    return classes[best];
  }

  /**
   * Predicts from plain objects of feature name to value, for programs that
   * embed a model: a number, or for a categorical feature its category name
   * (one the model has not seen is "other" to a one-hot encoder). Null or NaN
   * is a missing value where the model accepts them (acceptsMissing). Fails
   * naming the row and feature when one is absent or not a valid value.
   */
  async predictRecords(records: readonly Readonly<Record<string, unknown>>[]): Promise<Prediction[]> {
    const { classes } = this.schema;
    const d = this.schema.features.length;
    const data = recordFeatures(this.schema, this.acceptsMissing, records);
    const proba = await this.predictProba({ data, rows: records.length, cols: d });
    const k = classes.length;
    const best = argmaxRows(proba, k);
    return records.map((_, r) => ({
      label: k === 0 ? null : classes[best[r]],
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
    const read = new LearnedRecords(this.schema, this.acceptsMissing, records.length);
    const data = read.data;
    const y = new Int32Array(records.length);
    const classIndex = new Map(classes.map((c, i) => [c, i]));
    const addedClasses: string[] = [];
    records.forEach((record, r) => {
      read.features(record, r);
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
    read.commit();
    await this.learn({ x: { data, rows: records.length, cols: d }, y });
    return addedClasses;
  }
}

/**
 * A learner's rows x `known` probabilities as rows x `all` (the schema's
 * classes): classes it has not seen get 0; classes past the schema's (a
 * learner that always keeps one, before the schema has any) are left out.
 */
function toColumns(proba: Float64Array, rows: number, known: number, all: number): Float64Array {
  if (known === all) return proba;
  if (known < all) return widenRows(proba, rows, known, all);
  const out = new Float64Array(rows * all);
  for (let r = 0; r < rows; r++) for (let c = 0; c < all; c++) out[r * all + c] = proba[r * known + c];
  return out;
}
