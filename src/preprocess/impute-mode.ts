import type { Json } from '../core/state.js';
import type { Columns } from './contract.js';
import { Imputer } from './imputer.js';

export type ImputeModeParams = {
  /** Distinct values counted per numeric column (the first ones seen); categories are all counted. */
  readonly maxValues: number;
};

/** River's stats.Mode default: k=25 distinct values. */
export const imputeModeDefaults: ImputeModeParams = { maxValues: 25 };

/**
 * Fills missing values (NaN) with the running most frequent value of each
 * column, learned from training rows (ties: the value seen first); a column
 * never seen fills with 0. Nominal columns count every category; numeric
 * columns count their first `maxValues` distinct values (default 25, River's
 * stats.Mode(k=25)), which bounds the memory of a continuous column, whose
 * mode is rarely meaningful: prefer impute-mean there. River's
 * preprocessing.StatImputer with stats.Mode; scikit-learn's
 * SimpleImputer(strategy="most_frequent"), made online.
 */
export class ImputeMode extends Imputer {
  readonly name = 'impute-mode';
  readonly params: ImputeModeParams;

  constructor(input: Columns | number, params: Partial<ImputeModeParams> = {}) {
    const resolved = { ...imputeModeDefaults, ...params };
    super(input, true, resolved.maxValues);
    this.params = resolved;
  }

  /** Rebuilds an imputer from getState()'s JSON, for the same input columns and params. */
  static restore(input: Columns | number, json: Json, params: Partial<ImputeModeParams> = {}): ImputeMode {
    return new ImputeMode(input, params).load(json);
  }
}
