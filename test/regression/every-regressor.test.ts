import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regressorNames } from '../../src/learners/regressor-registry.js';
import { loadRegressionModel } from '../../src/node/persist/model-dir.js';
import { trainRegressor } from '../../src/node/regression-pipeline.js';
import { tempDir } from '../helpers.js';

// Every regressor through the whole pipeline, on a generated stream and on a bundled set: it learns
// (R² above a bar set a little under what it measured), saves, and loads back to the same predictions.

/** R² on 5,000 prequential rows of Friedman #1, seed 1 (measured: 0.649, 0.457, 0.679, 0.736, 0.749, 0.832, 0.762, -0.004). */
const FRIEDMAN_BAR: Readonly<Record<string, number>> = {
  'linear-regression': 0.62,
  'passive-aggressive-regressor': 0.42,
  'knn-regressor': 0.65,
  'hoeffding-tree-regressor': 0.7,
  'hoeffding-adaptive-tree-regressor': 0.71,
  'adaptive-random-forest-regressor': 0.79,
  'bagging-regressor': 0.72,
};

describe('every regressor', () => {
  it('has a bar here', () => {
    expect([...regressorNames].sort()).toEqual([...Object.keys(FRIEDMAN_BAR), 'mean-regressor'].sort());
  });

  it.each(regressorNames)('%s learns Friedman #1 (5,000 rows, prequential, seed 1) above its bar', async (name) => {
    const { report } = await trainRegressor({ source: { synth: 'friedman', rows: 5000 }, model: name, protocol: 'prequential', seed: 1, output: { out: null } });
    const r2 = report.metrics.r2 ?? NaN;
    if (name === 'mean-regressor') expect(Math.abs(r2)).toBeLessThan(0.02);
    else expect(r2).toBeGreaterThan(FRIEDMAN_BAR[name]);
  });

  it.each(regressorNames)('%s trains on diabetes, saves, and loads to the same predictions, learning on alike', async (name) => {
    const dir = join(tempDir(), 'model');
    const { model, report } = await trainRegressor({ source: { dataset: 'diabetes' }, model: name, seed: 1, output: { out: dir } });
    expect(report.rows).toBe(442);
    expect(Number.isFinite(report.metrics.rmse)).toBe(true);
    const loaded = await loadRegressionModel(dir);
    const x = { data: Float64Array.from({ length: 60 }, (_, i) => 1 + ((i * 53) % 190)), rows: 6, cols: 10 };
    expect(Array.from(loaded.predict(x))).toEqual(Array.from(model.predict(x)));
    const y = Float64Array.from({ length: 6 }, (_, i) => 60 + 40 * i);
    model.learn({ x, y });
    loaded.learn({ x, y });
    expect(Array.from(loaded.predict(x))).toEqual(Array.from(model.predict(x)));
  });
});
