import type { Matrix } from '../core/types.js';
import { count, finiteNumber, object, parseState } from '../core/state.js';
import type { FeatureContext, LearnerState } from './contract.js';
import { jsonMergeRule } from './merge-rule.js';
import { learnRows, type RegressionBatch, type Regressor, type RegressorDefinition } from './regressor.js';

const meanStateSchema = object({ n: count, mean: finiteNumber });

/**
 * The regression baseline: predicts the running mean of the targets learned
 * so far (0 before any), whatever the features (River's
 * dummy.StatisticRegressor(stats.Mean())). A regressor that cannot beat it
 * has learned nothing beyond the target's level: its R² is about 0. The mean
 * is updated incrementally (Welford 1962), so it stays exact on long streams.
 * No parameters.
 *
 * @example
 * const m = new MeanRegressor();
 * m.learnOne(new Float64Array([1]), 3);
 * m.learnOne(new Float64Array([2]), 5);
 * m.predictOne(new Float64Array([9])); // 4
 */
export class MeanRegressor implements Regressor {
  readonly name = 'mean-regressor';
  readonly task = 'regression' as const;
  private n = 0;
  private mean = 0;

  learn(batch: RegressionBatch): void {
    learnRows(this, batch);
  }

  learnOne(_x: Float64Array, y: number): void {
    this.n++;
    this.mean += (y - this.mean) / this.n;
  }

  learnOneWeighted(_x: Float64Array, y: number, weight: number): void {
    this.n += weight;
    this.mean += (weight * (y - this.mean)) / this.n;
  }

  predict(x: Matrix): Float64Array {
    return new Float64Array(x.rows).fill(this.mean);
  }

  predictOne(): number {
    return this.mean;
  }

  saveState(): LearnerState {
    return { json: { n: this.n, mean: this.mean } };
  }

  static restore(state: LearnerState): MeanRegressor {
    const s = parseState('mean-regressor', meanStateSchema, state.json);
    const m = new MeanRegressor();
    m.n = s.n;
    m.mean = s.n === 0 ? 0 : s.mean;
    return m;
  }
}

export const meanRegressorDefinition: RegressorDefinition = {
  name: 'mean-regressor',
  task: 'regression',
  summary: 'baseline: the running mean of the targets learned so far',
  reference: 'Welford 1962; River dummy.StatisticRegressor',
  params: {},
  scaleInputs: false,
  // Never reads the features.
  missingNative: true,
  create: (_ctx: FeatureContext) => new MeanRegressor(),
  restore: (_ctx, _p, s) => MeanRegressor.restore(s),
  // Exact: the row-weighted mean of the replicas' means is the mean of all their rows.
  merge: jsonMergeRule(
    'exact',
    (states) => {
      const parsed = states.map((s) => parseState('mean-regressor', meanStateSchema, s));
      const n = parsed.reduce((a, p) => a + p.n, 0);
      const mean = n === 0 ? 0 : parsed.reduce((a, p) => a + p.n * p.mean, 0) / n;
      return { n, mean };
    },
    () => 'mean-regressor: exact (row-weighted mean of the means)',
  ),
};

