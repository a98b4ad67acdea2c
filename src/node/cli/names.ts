import type { InputFormat } from '../files/file-source.js';

/**
 * The names the flags' help and choices show, without loading what they
 * name: the registries import every learner, detector and step (and their
 * dependencies), which only the command that runs needs. test/cli.test.ts
 * checks each list against its registry, so a new entry that is missing
 * here fails there.
 */
export const learnerNames: readonly string[] = [
  'gaussian-nb',
  'softmax-regression',
  'mlp',
  'forest-ensemble',
  'hoeffding-tree',
  'hoeffding-adaptive-tree',
  'extremely-fast-decision-tree',
  'adaptive-random-forest',
  'streaming-random-patches',
  'online-bagging',
  'leveraging-bagging',
  'online-boosting',
  'perceptron',
  'passive-aggressive',
  'knn',
  'majority-class',
  'no-change',
];

/** The regressors (src/learners/regressor-registry.ts), for the same help texts. */
export const regressorNames: readonly string[] = [
  'linear-regression',
  'passive-aggressive-regressor',
  'knn-regressor',
  'hoeffding-tree-regressor',
  'hoeffding-adaptive-tree-regressor',
  'adaptive-random-forest-regressor',
  'bagging-regressor',
  'mean-regressor',
];

export const detectorNames: readonly string[] = ['adwin', 'ddm', 'eddm', 'page-hinkley', 'hddm-a'];

export const transformerNames: readonly string[] = ['impute-mean', 'impute-mode', 'one-hot', 'standard-scaler', 'min-max-scaler'];

/** The data file formats (src/node/files/file-source.ts reads them). */
export const inputFormats: readonly InputFormat[] = ['csv', 'jsonl'];
