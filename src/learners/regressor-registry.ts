import { fail } from '../core/errors.js';
import { baggingRegressorDefinition } from './bagging-regressor.js';
import { adaptiveRandomForestRegressorDefinition } from './forest-regressor.js';
import { knnRegressorDefinition } from './knn-regressor.js';
import { linearRegressionDefinition } from './linear-regression.js';
import { meanRegressorDefinition } from './mean-regressor.js';
import { passiveAggressiveRegressorDefinition } from './passive-aggressive-regressor.js';
import { hoeffdingAdaptiveTreeRegressorDefinition } from './tree/hoeffding-adaptive-tree-regressor.js';
import { hoeffdingTreeRegressorDefinition } from './tree/hoeffding-tree-regressor.js';
import type { RegressorDefinition } from './regressor.js';

/**
 * Every regressor by name. Each definition lives beside its learner (its
 * parameters, state and merge rule); this list only registers them.
 */
export const regressorDefinitions: readonly RegressorDefinition[] = [
  linearRegressionDefinition,
  passiveAggressiveRegressorDefinition,
  knnRegressorDefinition,
  hoeffdingTreeRegressorDefinition,
  hoeffdingAdaptiveTreeRegressorDefinition,
  adaptiveRandomForestRegressorDefinition,
  // The bagging's bases are looked up when a model is made, so this list need not exist before it.
  baggingRegressorDefinition((name) => regressorDefinition(name)),
  meanRegressorDefinition,
];

export const regressorNames: readonly string[] = regressorDefinitions.map((d) => d.name);

/** Whether the name is a registered regressor's. */
export function isRegressorName(name: string): boolean {
  return regressorDefinitions.some((d) => d.name === name);
}

/** The regressor's definition, failing with one line listing the regressors. */
export function regressorDefinition(name: string): RegressorDefinition {
  const def = regressorDefinitions.find((d) => d.name === name);
  if (!def) fail(`unknown regressor "${name}"; choose one of: ${regressorNames.join(', ')}`);
  return def;
}
