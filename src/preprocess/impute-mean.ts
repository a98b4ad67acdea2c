import type { Json } from '../core/state.js';
import type { Params } from '../learners/contract.js';
import type { Columns } from './contract.js';
import { Imputer } from './imputer.js';

/**
 * Fills missing values (NaN) with the running mean of each numeric column and
 * the running most frequent category of each nominal column (ties: the
 * category seen first), learned from training rows; a column never seen
 * fills with 0. No parameters. River's preprocessing.StatImputer with
 * stats.Mean; scikit-learn's SimpleImputer(strategy="mean"), made online.
 */
export class ImputeMean extends Imputer {
  readonly name = 'impute-mean';
  readonly params: Params = {};

  constructor(input: Columns | number) {
    super(input, false, 0);
  }

  /** Rebuilds an imputer from getState()'s JSON, for the same input columns. */
  static restore(input: Columns | number, json: Json): ImputeMean {
    return new ImputeMean(input).load(json);
  }
}
