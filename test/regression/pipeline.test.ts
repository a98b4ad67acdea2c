import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelToBytes, regressionModelFromBytes, anyModelFromBytes, modelFromBytes } from '../../src/model/bytes.js';
import { RegressionModel } from '../../src/learners/regression-model.js';
import { mergeModels } from '../../src/learners/merge.js';
import { loadAnyModel, loadModel, loadRegressionModel } from '../../src/node/persist/model-dir.js';
import { compareRegressors, trainRegressor } from '../../src/node/regression-pipeline.js';
import { train } from '../../src/node/pipeline.js';
import { runCli, tempDir } from '../helpers.js';

// The regression task end to end: a regressor learns a numeric label through the same sources,
// protocols, reports, saved form and CLI as a classifier.

const friedman = (rows: number) => ({ synth: 'friedman', rows });

describe('trainRegressor (the library)', () => {
  it('learns Friedman #1 prequentially: the tree clearly beats linear regression, which beats the mean (20,000 rows, seed 1)', async () => {
    const { reports } = await compareRegressors({
      source: friedman(20_000),
      protocol: { name: 'prequential', window: 5000 },
      models: ['hoeffding-tree-regressor', 'linear-regression', 'mean-regressor'],
      seed: 1,
    });
    const [tree, linear, mean] = reports.map((r) => r.metrics.r2 ?? NaN);
    // Measured: 0.774, 0.694, below 0.
    expect(tree).toBeGreaterThan(0.74);
    expect(linear).toBeGreaterThan(0.64);
    expect(tree - linear).toBeGreaterThan(0.05);
    expect(mean).toBeLessThan(0.01);
    expect(reports[0].curve.at(-1)).toMatchObject({ row: 20_000 });
    expect(reports[0].curve[0].windowRmse).toBeGreaterThan(0);
    expect(reports.every((r) => r.task === 'regression' && r.label === 'y' && r.scoredRows === 20_000)).toBe(true);
  });

  it('saves and loads exactly: the same predictions bit for bit, and the same after learning on', async () => {
    const dir = join(tempDir(), 'model');
    const { model, report } = await trainRegressor({ source: { dataset: 'diabetes' }, model: 'hoeffding-adaptive-tree-regressor', output: { out: dir } });
    expect(report.modelPath).toBe(dir);
    const loaded = await loadRegressionModel(dir);
    expect(loaded).toBeInstanceOf(RegressionModel);
    expect(loaded.summary).toMatchObject({ task: 'regression', dataset: 'diabetes', protocol: 'batch-split', rows: 442 });
    const x = { data: Float64Array.from({ length: 50 }, (_, i) => (i * 37) % 300), rows: 5, cols: 10 };
    expect(Array.from(loaded.predict(x))).toEqual(Array.from(model.predict(x)));
    const y = Float64Array.of(100, 200, 150, 50, 300);
    model.learn({ x, y });
    loaded.learn({ x, y });
    expect(Array.from(loaded.predict(x))).toEqual(Array.from(model.predict(x)));
    // Through bytes as well.
    const fromBytes = await regressionModelFromBytes(await modelToBytes(model));
    expect(Array.from(fromBytes.predict(x))).toEqual(Array.from(model.predict(x)));
    expect(await anyModelFromBytes(await modelToBytes(model))).toBeInstanceOf(RegressionModel);
    await expect(modelFromBytes(await modelToBytes(model))).rejects.toThrow(/a regression model \(hoeffding-adaptive-tree-regressor\), not a classifier; load it with loadRegressionModel or loadAnyModel/);
  });

  it('tells the tasks apart when loading: loadModel refuses a regressor, loadRegressionModel a classifier, loadAnyModel takes both', async () => {
    const regDir = join(tempDir(), 'reg');
    const clsDir = join(tempDir(), 'cls');
    await trainRegressor({ source: { dataset: 'diabetes' }, model: 'mean-regressor', output: { out: regDir } });
    await train({ model: 'gaussian-nb', output: { out: clsDir } });
    await expect(loadModel(regDir)).rejects.toThrow(`${regDir}: a regression model (mean-regressor), not a classifier; load it with loadRegressionModel or loadAnyModel`);
    await expect(loadRegressionModel(clsDir)).rejects.toThrow(`${clsDir}: a classifier's model (gaussian-nb), not a regressor's; load it with loadModel`);
    expect((await loadAnyModel(regDir)).task).toBe('regression');
    expect((await loadAnyModel(clsDir)).task).toBe('classification');
  });

  it('refuses a manifest whose learner and task disagree', async () => {
    const dir = join(tempDir(), 'reg');
    await trainRegressor({ source: { dataset: 'diabetes' }, model: 'mean-regressor', output: { out: dir } });
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    delete manifest.schema.task;
    delete manifest.checksum;
    writeFileSync(path, JSON.stringify(manifest));
    await expect(loadAnyModel(dir)).rejects.toThrow(`${path}: learner.name "mean-regressor" is a regressor, but schema.task says classification`);
  });

  it('runs batch-split with per-batch errors, and holdout with its evaluations', async () => {
    const split = await trainRegressor({ source: friedman(2000), model: 'knn-regressor', stream: { batchSize: 100 }, output: { out: null } });
    expect(split.report.batches).toHaveLength(20);
    expect(split.report.perBatch!.rmse.mean).toBeGreaterThan(0);
    expect(split.report.testRows).toBe(400);
    const held = await trainRegressor({ source: friedman(3000), model: 'linear-regression', protocol: { name: 'holdout', rows: 500, every: 500 }, output: { out: null } });
    expect(held.report.curve.map((p) => p.row)).toEqual([500, 1000, 1500, 2000, 2500]);
    expect(held.report.testRows).toBe(500);
    expect(held.report.metrics.r2).toBeGreaterThan(0.6);
  });

  it('watches the absolute error with ADWIN and finds the abrupt drifts of FriedmanDrift (global recurring, 5,000 and 10,000 of 15,000 rows)', async () => {
    const { report } = await trainRegressor({
      source: { synth: 'friedman-drift(drift-type=gra,position1=5000,position2=10000)', rows: 15_000 },
      model: 'hoeffding-tree-regressor',
      protocol: { name: 'prequential', drift: 'adwin' },
      output: { out: null },
    });
    expect(report.driftDetector).toBe('adwin');
    // The tree's error rises at each switch (measured: drifts at rows 5,024 and 10,016).
    expect(report.drifts.some((row) => row > 5000 && row < 6000)).toBe(true);
    expect(report.drifts.some((row) => row > 10_000 && row < 11_000)).toBe(true);
    expect(report.drifts.filter((row) => row < 5000)).toEqual([]);
  });

  it('refuses what does not fit the task, in one line, before reading anything', async () => {
    await expect(train({ model: 'linear-regression' as 'gaussian-nb', output: { out: null } })).rejects.toThrow('"linear-regression" is a regressor: train it with trainRegressor() (the CLI\'s train does so itself)');
    await expect(trainRegressor({ source: { dataset: 'iris' }, model: 'linear-regression', output: { out: null } })).rejects.toThrow(
      'iris is a classification data set (its label "species" is a class), but the learner is a regressor: choose a classifier (streamlearn learners), or a regression data set',
    );
    await expect(trainRegressor({ source: friedman(100), model: 'linear-regression', protocol: { name: 'prequential', drift: 'ddm' }, output: { out: null } })).rejects.toThrow(
      '--drift ddm: linear-regression is a regressor, whose error is a number, not right or wrong; use adwin or page-hinkley, which watch its absolute error',
    );
    await expect(trainRegressor({ source: friedman(100), model: 'hoeffding-tree', output: { out: null } })).rejects.toThrow(/^"hoeffding-tree" is a classifier/);
  });
});

describe('merging regressors', () => {
  it('averages linear regressions by rows learned, and refuses a single tree', async () => {
    const a = await trainRegressor({ source: friedman(2000), model: 'linear-regression', protocol: 'prequential', seed: 1, output: { out: null } });
    const b = await trainRegressor({ source: friedman(1000), model: 'linear-regression', protocol: 'prequential', seed: 2, output: { out: null } });
    const merged = await mergeModels([
      { model: a.model, label: 'a' },
      { model: b.model, label: 'b' },
    ]);
    expect(merged.kind).toBe('weighted average');
    expect(merged.model).toBeInstanceOf(RegressionModel);
    expect(merged.model.summary).toMatchObject({ task: 'regression', rows: 3000, r2: null });
    const x = { data: Float64Array.from({ length: 10 }, (_, i) => i / 10), rows: 1, cols: 10 };
    const pa = a.model.predict(x)[0];
    const pb = b.model.predict(x)[0];
    const pm = merged.model.predict(x)[0];
    // Standardised inputs and weights both average by rows, so the prediction lies between the two replicas'.
    expect(pm).toBeGreaterThanOrEqual(Math.min(pa, pb) - 1e-9);
    expect(pm).toBeLessThanOrEqual(Math.max(pa, pb) + 1e-9);
    const t1 = await trainRegressor({ source: friedman(500), model: 'hoeffding-tree-regressor', output: { out: null } });
    await expect(mergeModels([{ model: t1.model, label: 'a' }, { model: t1.model, label: 'b' }])).rejects.toThrow(/^merge: hoeffding-tree-regressor models cannot be merged: /);
  });
});

describe('one row at a time', () => {
  it('learnOne and predictOne take plain objects, and a bad target changes nothing', async () => {
    const model = await RegressionModel.createByName('linear-regression', { features: ['a', 'b'], label: 'y', classes: [], task: 'regression' });
    for (let i = 0; i < 2000; i++) model.learnOne({ a: i % 7, b: (i * 3) % 5 }, 2 * (i % 7) - (i * 3) % 5 + 1);
    expect(model.predictOne({ a: 3, b: 2 })).toBeCloseTo(5, 1);
    const before = model.predictOne({ a: 1, b: 1 });
    expect(() => model.learnOne({ a: 1, b: 1 }, Number.NaN)).toThrow('the target must be a finite number (the target of a regression model), not NaN');
    expect(() => model.learnRecords([{ a: 1, b: 1, y: 3 }, { a: 1, b: 1, y: 'x' }])).toThrow('row 1: label "y" must be a finite number (the target of a regression model), not "x"');
    expect(model.predictOne({ a: 1, b: 1 })).toBe(before);
    expect(model.predictRecords([{ a: 3, b: 2 }])[0].prediction).toBe(model.predictOne({ a: 3, b: 2 }));
  });
});

describe('the CLI', () => {
  it('trains, saves and predicts a regressor; predict prints the predicted value', () => {
    const dir = tempDir();
    const out = join(dir, 'model');
    const trained = runCli(['train', '--model', 'hoeffding-tree-regressor', '--dataset', 'auto-mpg', '--out', out, '--format', 'json']);
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    const report = JSON.parse(trained.stdout);
    expect(report).toMatchObject({ task: 'regression', dataset: 'auto-mpg', label: 'mpg', rows: 392 });
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'cylinders,displacement,horsepower,weight,acceleration,model_year,origin\n4,97,88,2130,14.5,70,3\n8,350,165,3693,11.5,70,1\n');
    const predicted = runCli(['predict', '--model', out, '--input', input]);
    expect(predicted.status).toBe(0);
    const lines = predicted.stdout.trim().split('\n');
    expect(lines[0]).toBe('row,prediction');
    const values = lines.slice(1).map((l) => Number(l.split(',')[1]));
    expect(values.every(Number.isFinite)).toBe(true);
    // A small four-cylinder car goes further on a gallon than a big eight-cylinder one.
    expect(values[0]).toBeGreaterThan(values[1]);
  });

  it('says which task ran, and prints the error curve prequentially', () => {
    const r = runCli(['train', '--model', 'linear-regression', '--data', 'synth:friedman', '--rows', '3000', '--protocol', 'prequential', '--no-save', '--curve-every', '1000']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^streamlearn train: synth:friedman, regressor linear-regression, prequential, seed 42\n\nrows +MAE +RMSE +R²/);
    expect(r.stdout).toContain('task           regression: the label "y" is a number to predict');
    expect(r.stdout).toMatch(/\n3,000 +\d+\.\d{4} +\d+\.\d{4} +0\.\d{4}\n/);
  });

  it('refuses a non-numeric label with one line naming the file, line and column, and writes nothing', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'a,b,y\n1,2,3\n2,3,4\n3,4,n/a\n');
    const out = join(dir, 'model');
    const r = runCli(['train', '--model', 'linear-regression', '--data', file, '--label', 'y', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`streamlearn: ${file}: line 4, column "y": "n/a" is not a number (a regressor learns a numeric label)\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('compares regressors side by side, and refuses a mix of tasks', () => {
    const r = runCli(['compare', '--models', 'linear-regression,mean-regressor', '--dataset', 'diabetes', '--format', 'json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.task).toBe('regression');
    expect(doc.models).toEqual(['linear-regression', 'mean-regressor']);
    const mixed = runCli(['compare', '--models', 'linear-regression,gaussian-nb', '--dataset', 'diabetes']);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toBe('streamlearn: --models: linear-regression is a regressor and the others classifiers; compare regressors with each other, classifiers with each other\n');
  });
});
