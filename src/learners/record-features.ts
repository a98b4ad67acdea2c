import { fail } from '../core/errors.js';
import type { Schema } from '../core/types.js';
import { describeValue, featureCellParser } from '../data/cells.js';

/**
 * Rows given as plain objects of feature name to value, read into a
 * row-major Float64Array as a model's predictRecords and learnRecords read
 * them (classifier and regressor alike): a number for a numeric feature; a
 * category name (or a number, read as its decimal name) for a categorical
 * one; null or NaN for a missing value where the model accepts them.
 */

/** The rows' features for predicting: a category the model has not seen is the one-hot encoder's "other". Fails naming the row and feature. */
export function recordFeatures(schema: Schema, missing: boolean, records: readonly Readonly<Record<string, unknown>>[]): Float64Array {
  const { features } = schema;
  const d = features.length;
  const data = new Float64Array(records.length * d);
  const parse = featureCellParser({ categories: schema.categories, missing });
  const categorical = schema.categories ?? [];
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
  return data;
}

/**
 * The rows' features for learning, row by row (so a caller checks each row's
 * label in turn): a category name not seen before gets the next code, and is
 * added to the schema's categories by commit(), once every row is known good.
 */
export class LearnedRecords {
  readonly data: Float64Array;
  // Per categorical feature, names first seen in these records, in order.
  private readonly added: (Map<string, number> | null)[];

  constructor(
    private readonly schema: Schema,
    private readonly missing: boolean,
    rows: number,
  ) {
    this.data = new Float64Array(rows * schema.features.length);
    this.added = (schema.categories ?? []).map((names) => (names ? new Map<string, number>() : null));
  }

  /** Reads row r's features into data, failing naming the row and feature. */
  features(record: Readonly<Record<string, unknown>>, r: number): void {
    const { features } = this.schema;
    const categorical = this.schema.categories ?? [];
    const { data, missing } = this;
    const d = features.length;
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
          const added = this.added[j]!;
          code = added.get(name) ?? names.length + added.size;
          added.set(name, code);
        }
        data[r * d + j] = code;
        return;
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`row ${r}: feature "${f}" must be a finite number${missing ? ' or null' : ''}`);
      data[r * d + j] = v;
    });
  }

  /** Adds the categories first seen in the rows to the schema, in order. */
  commit(): void {
    const categorical = this.schema.categories ?? [];
    this.added.forEach((added, j) => {
      if (added) categorical[j]!.push(...added.keys());
    });
  }
}

/** Category names a row brings that its feature has not seen: committed only once the whole row is good. */
export type NewCategories = [feature: number, name: string][] | null;

/**
 * Reads one plain-object row at a time (a model's learnOne, predictOne),
 * with no allocation per row: category name to code maps are kept in step
 * with the schema's category lists, which only grow.
 */
export class OneRowFeatures {
  /** Per feature, category name -> code; null for numeric features. */
  private readonly codes: (Map<string, number> | null)[];

  constructor(
    private readonly schema: Schema,
    /** Whether the model accepts missing values now (it may change as steps are added). */
    private readonly acceptsMissing: () => boolean,
  ) {
    const categories = schema.categories ?? [];
    this.codes = schema.features.map((_, j) => (categories[j] ? new Map<string, number>() : null));
  }

  /** A categorical feature's code for a name: -1 when the feature has not seen it. */
  private categoryCode(j: number, name: string): number {
    const codes = this.codes[j]!;
    const names = this.schema.categories![j]!;
    for (let i = codes.size; i < names.length; i++) codes.set(names[i], i);
    return codes.get(name) ?? -1;
  }

  /**
   * Reads a row into `into`: a number for a numeric feature; a category name
   * (or a number, read as its decimal name) for a categorical one; null, NaN
   * or a blank category for a missing value where the model accepts them.
   * Fails naming the feature. A category not seen before gets the next code:
   * when learning, it is returned to be added by commit() once the row is
   * known good; when predicting, it is the one-hot encoder's "other".
   */
  read(x: object, into: Float64Array, learning: boolean): NewCategories {
    if (typeof x !== 'object' || x === null) fail(`a row must be an object of feature name to value, not ${x === null ? 'null' : typeof x}`);
    const { features } = this.schema;
    const missing = this.acceptsMissing();
    const values = x as Readonly<Record<string, unknown>>;
    let added: NewCategories = null;
    for (let j = 0; j < features.length; j++) {
      const f = features[j];
      const v = Object.hasOwn(values, f) ? values[f] : undefined;
      if (typeof v === 'number' && this.codes[j] === null) {
        if (Number.isFinite(v)) {
          into[j] = v;
          continue;
        }
      }
      if (v === undefined) fail(`feature "${f}" is missing`);
      const categorical = this.codes[j] !== null;
      if (v === null || (typeof v === 'number' && Number.isNaN(v)) || (categorical && typeof v === 'string' && v.trim() === '')) {
        if (!missing) fail(`feature "${f}" is missing a value, and the model does not accept missing values (train it with --missing allow or an imputer)`);
        into[j] = NaN;
        continue;
      }
      if (!categorical || (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)))) {
        fail(`feature "${f}" must be ${categorical ? 'a category name' : 'a finite number'}${missing ? ' or null' : ''}, not ${describeValue(v)}`);
      }
      const name = String(v).trim();
      let code = this.categoryCode(j, name);
      if (code < 0) {
        code = this.schema.categories![j]!.length;
        if (learning) (added ??= []).push([j, name]);
      }
      into[j] = code;
    }
    return added;
  }

  /** Adds a good row's new categories to the schema. */
  commit(added: NewCategories): void {
    if (added === null) return;
    // One row may name one new category per feature only.
    for (const [j, name] of added) this.schema.categories![j]!.push(name);
  }
}
