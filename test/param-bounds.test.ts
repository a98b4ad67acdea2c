import { describe, expect, it } from 'vitest';
import { resolveParams } from '../src/core/params.js';
import { anyLearnerDefinition } from '../src/learners/registry.js';
import { runCli } from './helpers.js';

/** Allocation-sized parameters: learner, parameter (as --param spells it), the most it takes. */
const BOUNDED: readonly [string, string, number][] = [
  ['online-bagging', 'ensemble-size', 1_000],
  ['leveraging-bagging', 'ensemble-size', 1_000],
  ['online-boosting', 'ensemble-size', 1_000],
  ['adaptive-random-forest', 'ensemble-size', 1_000],
  ['adaptive-random-forest', 'numeric-bins', 1_000],
  ['streaming-random-patches', 'ensemble-size', 1_000],
  ['streaming-random-patches', 'numeric-bins', 1_000],
  ['hoeffding-tree', 'numeric-bins', 1_000],
  ['hoeffding-adaptive-tree', 'numeric-bins', 1_000],
  ['extremely-fast-decision-tree', 'numeric-bins', 1_000],
  ['forest-ensemble', 'trees', 10_000],
  ['forest-ensemble', 'max-forests', 1_000],
  ['forest-ensemble', 'chunk-size', 10_000_000],
  ['knn', 'window-size', 10_000_000],
  ['mlp', 'mini-batch-size', 65_536],
  ['mlp', 'replay-size', 65_536],
  ['mlp', 'buffer-size', 10_000_000],
  ['knn', 'k', 10_000],
  ['knn-regressor', 'k', 10_000],
  ['knn-regressor', 'window-size', 10_000_000],
  ['adaptive-random-forest-regressor', 'ensemble-size', 1_000],
  ['bagging-regressor', 'ensemble-size', 1_000],
];

describe('allocation-sized learner parameters have an upper bound', () => {
  it.each(BOUNDED)('%s --param %s: the max is accepted (resolved only, nothing allocated), one more and 1e12 are refused in one line', (learner, param, max) => {
    const def = anyLearnerDefinition(learner);
    expect(resolveParams(def, { [param]: String(max) })).toBeDefined();
    expect(() => resolveParams(def, { [param]: String(max + 1) })).toThrow(`--param ${param}=${max + 1}: must be at most ${max}`);
    // A regressor needs a regression data set; the parameter is refused before it is read.
    const data = learner.endsWith('-regressor') ? ['--dataset', 'diabetes'] : [];
    const r = runCli(['train', '--model', learner, ...data, '--param', `${param}=1e12`, '--no-save']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([`streamlearn: --param ${param}=1e12: must be at most ${max}`]);
  });
});
