// Serving a regressor (issue 16, "Everywhere else"): `serve` answers
// {"prediction": number} per row, learns numeric targets, scores each
// learned row's earlier prediction by its absolute error (online MAE, RMSE
// and R² in /stats, /metrics and the dashboard), checkpoints, recovers from
// its learn log, promotes a challenger, and refuses with one line what cannot
// apply to a regressor. The rows are the bundled diabetes data (442 rows).
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegressionModel } from '../../src/learners/regression-model.js';
import { loadAnyModel, loadModel, saveModel } from '../../src/node/persist/model-dir.js';
import { train } from '../../src/node/pipeline.js';
import { trainRegressor } from '../../src/node/regression-pipeline.js';
import { createServer, type ModelServer, type RegressionStatsBody } from '../../src/node/serve/app.js';
import type { RecordRow } from '../../src/node/serve/learn-log.js';
import { recoverAnyModel, recoverModel } from '../../src/node/serve/recover.js';
import { ROOT } from '../helpers.js';

const LABEL = 'progression';
const [HEADER, ...LINES] = readFileSync(join(ROOT, 'data', 'diabetes.csv'), 'utf8').trim().split('\n');
const COLUMNS = HEADER.split(',');
const FEATURES = COLUMNS.filter((c) => c !== LABEL);
/** The diabetes data as request rows: ten numeric features and the target "progression". */
const DIABETES: RecordRow[] = LINES.map((line) => Object.fromEntries(line.split(',').map((cell, j) => [COLUMNS[j], Number(cell)])));
const features = (row: RecordRow): RecordRow => Object.fromEntries(FEATURES.map((f) => [f, row[f]]));
const PROBE = [0, 60, 120, 180, 240, 300, 360, 420].map((i) => features(DIABETES[i]));
/** Rows to learn: targets moved by +150, so that learning them visibly moves the predictions. */
const shifted = (from: number, n: number): RecordRow[] => DIABETES.slice(from, from + n).map((r) => ({ ...r, [LABEL]: (r[LABEL] as number) + 150 }));

let scratch: string;
let copies = 0;
/** A copy of a trained model, alone in its own parent directory (where saves and temporary siblings go). */
const copy = (name: string): string => {
  const dir = join(scratch, `copy-${++copies}`, 'm');
  cpSync(join(scratch, name), dir, { recursive: true });
  return dir;
};

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'streamlearn-serve-regression-'));
  // linear-regression has a standard scaler in front; the tree reads the raw features.
  await trainRegressor({ source: { dataset: 'diabetes' }, model: 'linear-regression', output: { out: join(scratch, 'linear') } });
  await trainRegressor({ source: { dataset: 'diabetes' }, model: 'hoeffding-tree-regressor', output: { out: join(scratch, 'tree') } });
  await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: join(scratch, 'iris') } });
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function predictions(url: string, rows: readonly RecordRow[]): Promise<{ prediction: number }[]> {
  const r = await post(`${url}/predict`, { rows });
  expect(r.status).toBe(200);
  return r.json.predictions as { prediction: number }[];
}

/** A regression model loaded in-process that learned the same requests, in the same order. */
async function reference(dir: string, requests: readonly RecordRow[][]): Promise<RegressionModel> {
  const model = await loadAnyModel(dir);
  if (!(model instanceof RegressionModel)) throw new Error(`${dir}: not a regressor`);
  for (const rows of requests) model.learnRecords(rows);
  return model;
}

/** MAE, RMSE and R² (SST about the targets' own mean) worked out from the errors, as the metrics' definitions say. */
function regressionFigures(truths: readonly number[], predicted: readonly number[]): { mae: number; rmse: number; r2: number } {
  const n = truths.length;
  const errors = truths.map((t, i) => t - predicted[i]);
  const mean = truths.reduce((a, b) => a + b, 0) / n;
  const sse = errors.reduce((a, e) => a + e * e, 0);
  const sst = truths.reduce((a, t) => a + (t - mean) ** 2, 0);
  return { mae: errors.reduce((a, e) => a + Math.abs(e), 0) / n, rmse: Math.sqrt(sse / n), r2: 1 - sse / sst };
}

describe('serve a regressor: predict and learn', () => {
  let server: ModelServer;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    dir = copy('linear');
    server = await createServer({ model: dir, learn: true, window: 50, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0, checkpointEvery: 1_000_000 });
    url = await server.listen({ port: 0 });
  });
  afterAll(() => server.close());

  it('answers {"prediction": number} per row, equal to the loaded model\'s predictions, for every request shape', async () => {
    const library = await loadAnyModel(dir);
    const expected = await library.predictRecords(PROBE);
    expect(expected.every((p) => Object.keys(p).join() === 'prediction' && Number.isFinite(p.prediction))).toBe(true);
    expect(await predictions(url, PROBE)).toEqual(expected);
    expect((await post(`${url}/predict`, PROBE)).json).toEqual({ predictions: expected });
    expect(await post(`${url}/predict`, PROBE[3])).toEqual({ status: 200, json: { predictions: [expected[3]] } });
    // The target is not a feature: a row that carries it is predicted the same.
    expect((await post(`${url}/predict`, DIABETES[60])).json).toEqual({ predictions: [expected[1]] });
    const info = (await (await fetch(`${url}/model`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ learner: { name: 'linear-regression' }, schema: { features: FEATURES, label: LABEL, classes: [], task: 'regression' }, summary: { task: 'regression', dataset: 'diabetes' } });
  });

  it('learns numeric targets (numbers or their decimal text) exactly as the model learns them in process', async () => {
    const before = await predictions(url, PROBE);
    const requests = [shifted(0, 40), shifted(40, 1), shifted(41, 59).map((r, i) => (i % 3 === 0 ? { ...r, [LABEL]: String(r[LABEL]) } : r))];
    for (const rows of requests) expect(await post(`${url}/learn`, { rows })).toEqual({ status: 200, json: { learned: rows.length, newClasses: [], updatesSinceLoad: expect.any(Number) } });
    const served = await predictions(url, PROBE);
    expect(served).not.toEqual(before);
    expect(served).toEqual((await reference(dir, requests)).predictRecords(PROBE));
  });

  it('refuses a bad target with a 400 naming the row and field, and learns and scores nothing of that request', async () => {
    const before = await predictions(url, PROBE);
    const scored = ((await (await fetch(`${url}/stats`)).json()) as RegressionStatsBody).models[0].online.scored;
    const good = shifted(200, 2);
    const cases: [RecordRow[], string][] = [
      [[good[0], { ...good[1], [LABEL]: 'high' }], 'row 1: label "progression" must be a finite number (the target of a regression model), not "high"'],
      [[{ ...good[0], [LABEL]: '' }], 'row 0: label "progression" must be a finite number (the target of a regression model), not ""'],
      [[good[0], features(good[1])], 'row 1: label "progression" is missing'],
      [[{ ...good[0], [LABEL]: null }], 'row 0: label "progression" is missing'],
    ];
    for (const [rows, error] of cases) expect(await post(`${url}/learn`, { rows })).toEqual({ status: 400, json: { error } });
    const boolean = await post(`${url}/learn`, { rows: [{ ...good[0], [LABEL]: true }] });
    expect(boolean.status).toBe(400);
    expect(boolean.json.error).toMatch(/^row 0: feature "progression" must be a number, a category name or null, got true$/);
    expect(await predictions(url, PROBE)).toEqual(before);
    expect(((await (await fetch(`${url}/stats`)).json()) as RegressionStatsBody).models[0].online.scored).toBe(scored);
  });
});

describe('serve a regressor: online MAE, RMSE and R²', () => {
  it('scores each learned row by the prediction made before its request, in /stats, /metrics and the dashboard', async () => {
    const dir = copy('linear');
    const server = await createServer({ model: dir, learn: true, window: 50, drift: 'adwin', reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    const url = await server.listen({ port: 0 });
    try {
      // 12 requests of 10 rows, scored against an in-process twin: each request predicted, then learned.
      const twin = await reference(dir, []);
      const truths: number[] = [];
      const predicted: number[] = [];
      for (let k = 0; k < 12; k++) {
        const rows = shifted(100 + k * 10, 10);
        for (const p of twin.predictRecords(rows)) predicted.push(p.prediction);
        twin.learnRecords(rows);
        for (const r of rows) truths.push(r[LABEL] as number);
        expect((await post(`${url}/learn`, { rows })).status).toBe(200);
      }
      const stats = (await (await fetch(`${url}/stats`)).json()) as RegressionStatsBody;
      const { online, curve } = stats.models[0];
      const all = regressionFigures(truths, predicted);
      const last = regressionFigures(truths.slice(-50), predicted.slice(-50));
      expect(online).toMatchObject({ task: 'regression', scored: 120, unscored: 0, window: 50, drift: { detector: 'adwin' } });
      expect(online.mae).toBeCloseTo(all.mae, 9);
      expect(online.rmse).toBeCloseTo(all.rmse, 9);
      expect(online.r2).toBeCloseTo(all.r2, 9);
      expect(online.windowMae).toBeCloseTo(last.mae, 9);
      expect(online.windowRmse).toBeCloseTo(last.rmse, 9);
      expect(online.windowR2).toBeCloseTo(last.r2, 9);
      // The targets moved by +150 from what the model was trained on: far worse than their own mean at first.
      expect(online.r2!).toBeLessThan(0);
      expect(curve.at(-1)).toMatchObject({ row: 120, mae: online.mae, rmse: online.rmse, r2: online.r2 });
      expect(curve.length).toBeGreaterThan(100);

      const metrics = await (await fetch(`${url}/metrics`)).text();
      const sample = (name: string, labels: string): number => {
        const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
        if (line === undefined) throw new Error(`no ${name}{${labels}} in /metrics`);
        return Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      expect(sample('streamlearn_rows_scored_total', 'model="champion"')).toBe(120);
      expect(sample('streamlearn_online_mae', 'model="champion",window="all"')).toBeCloseTo(all.mae, 9);
      expect(sample('streamlearn_online_rmse', 'model="champion",window="50"')).toBeCloseTo(last.rmse, 9);
      expect(sample('streamlearn_online_r2', 'model="champion",window="all"')).toBeCloseTo(all.r2, 9);
      expect(sample('streamlearn_rows_scored_absolute_error_total', 'model="champion"') / 120).toBeCloseTo(all.mae, 9);
      expect(Math.sqrt(sample('streamlearn_rows_scored_squared_error_total', 'model="champion"') / 120)).toBeCloseTo(all.rmse, 9);
      // A classifier's figures have no meaning here: not exported at all.
      expect(metrics).not.toMatch(/streamlearn_online_accuracy_ratio|streamlearn_rows_scored_correct_total|streamlearn_online_kappa|streamlearn_online_recall_ratio/);

      const page = await (await fetch(`${url}/dashboard`)).text();
      expect(page).toContain('<h2>Online error</h2>');
      expect(page).toContain('<svg data-chart="online-error"');
      expect(page).toMatch(/<th>MAE<\/th><th>RMSE<\/th><th>R²<\/th>/);
      expect(page).not.toContain('data-chart="online-accuracy"');
    } finally {
      await server.close();
    }
  });

  it('raises a drift alarm when the absolute error rises (adwin), after the rise', async () => {
    const server = await createServer({ model: copy('linear'), learn: true, drift: 'adwin', reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      // 300 rows as trained, then 120 whose targets jump by 400: the absolute error rises about tenfold.
      for (let k = 0; k < 30; k++) await server.fleet.learn(DIABETES.slice(k * 10, k * 10 + 10));
      expect(server.host.monitor!.driftAlarms).toBe(0);
      for (let k = 0; k < 12; k++) await server.fleet.learn(DIABETES.slice(300 + k * 10, 310 + k * 10).map((r) => ({ ...r, [LABEL]: (r[LABEL] as number) + 400 })));
      const { drift } = server.host.monitor!.stats();
      expect(drift.alarms).toBeGreaterThanOrEqual(1);
      expect(drift.rows[0]).toBeGreaterThan(300);
    } finally {
      await server.close();
    }
  });
});

describe('serve a regressor: checkpoints, the learn log, reloads', () => {
  it('saves a checkpoint that reloads to the same predictions, and a crash leaves a log that recovers them', async () => {
    const dir = copy('linear');
    const server = await createServer({ model: dir, learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0, checkpointEvery: 1_000_000 });
    const url = await server.listen({ port: 0 });
    const requests = [shifted(0, 30), shifted(30, 30)];
    let served: { prediction: number }[];
    try {
      for (const rows of requests) expect((await post(`${url}/learn`, { rows })).status).toBe(200);
      served = await predictions(url, PROBE);
      // What a SIGKILL now would leave: the training run's save and the learn log.
      const crashed = join(scratch, 'crashed', 'm');
      cpSync(dir, crashed, { recursive: true });
      const recovered = await recoverAnyModel(crashed);
      expect(recovered.replayed).toMatchObject({ requests: 2, rows: 60 });
      expect(recovered.model.task).toBe('regression');
      expect(await recovered.model.predictRecords(PROBE)).toEqual(served);
      // The classifier's recoverModel names the one to use.
      await expect(recoverModel(crashed)).rejects.toThrow(`${crashed}: a regression model (linear-regression), not a classifier; recover it with recoverAnyModel`);
      expect(await server.host.checkpoint()).toBe(true);
    } finally {
      await server.close();
    }
    const saved = await loadAnyModel(dir);
    expect(saved.task).toBe('regression');
    expect(await saved.predictRecords(PROBE)).toEqual(served);
    expect(await saved.predictRecords(PROBE)).toEqual((await reference(copy('linear'), requests)).predictRecords(PROBE));
    // A restart serves the checkpoint: nothing left to replay.
    const again = await createServer({ model: dir, learn: true, reloadIntervalSeconds: 0 });
    try {
      expect(again.host.updates.replayed).toBe(0);
      expect(await again.fleet.predict(PROBE)).toEqual(served);
    } finally {
      await again.close();
    }
  });

  it('reloads a regressor saved into its directory, and refuses a classifier there with one line, still serving the regressor', async () => {
    const dir = copy('linear');
    const lines: string[] = [];
    const server = await createServer({ model: dir, reloadIntervalSeconds: 0, log: (line) => lines.push(line) });
    try {
      const tree = await loadAnyModel(join(scratch, 'tree'));
      await saveModel(tree, dir);
      await server.reload();
      expect(server.host.model.learnerName).toBe('hoeffding-tree-regressor');
      expect(await server.fleet.predict(PROBE)).toEqual(await tree.predictRecords(PROBE));
      const identity = server.host.identity;
      await saveModel(await loadModel(join(scratch, 'iris')), dir);
      await server.reload();
      await server.reload();
      const refused = lines.filter((l) => l.includes('a new model was saved, but'));
      expect(refused).toEqual([
        `${dir}: a new model was saved, but it is a classifier (gaussian-nb) and the model served is a regressor (hoeffding-tree-regressor); still serving the previous one: restart the server to serve a model of another task`,
      ]);
      expect(server.host.identity).toBe(identity);
      expect(await server.fleet.predict(PROBE)).toEqual(await tree.predictRecords(PROBE));
    } finally {
      await server.close();
    }
  });
});

describe('serve a regressor: challengers, and what cannot apply', () => {
  it('runs a regressor challenger beside the champion and promotes it', async () => {
    const champion = copy('linear');
    const challenger = join(scratch, 'rivals', 'tree');
    cpSync(join(scratch, 'tree'), challenger, { recursive: true });
    const server = await createServer({ model: champion, challengers: [challenger], learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      const requests = [shifted(0, 50), shifted(50, 50)];
      for (const rows of requests) await server.fleet.learn(rows);
      const stats = (await server.app.inject({ method: 'GET', url: '/stats' }).then((r) => r.json())) as RegressionStatsBody;
      expect(stats.models.map((m) => [m.name, m.learner, m.online.task, m.online.scored])).toEqual([
        ['champion', 'linear-regression', 'regression', 100],
        ['tree', 'hoeffding-tree-regressor', 'regression', 100],
      ]);
      const promoted = await server.app.inject({ method: 'POST', url: '/promote', payload: { challenger: 'tree' } });
      expect(promoted.statusCode).toBe(200);
      expect(await server.fleet.predict(PROBE)).toEqual((await reference(join(scratch, 'tree'), requests)).predictRecords(PROBE));
      expect(server.host.monitor!.scored).toBe(100);
    } finally {
      await server.close();
    }
    expect(await (await loadAnyModel(champion)).predictRecords(PROBE)).toEqual((await reference(join(scratch, 'tree'), [shifted(0, 50), shifted(50, 50)])).predictRecords(PROBE));
  });

  it('refuses with one line a drift detector made for right-or-wrong errors, --no-new-classes, and a challenger of the other task', async () => {
    const dir = copy('linear');
    const iris = copy('iris');
    const refusals: [Parameters<typeof createServer>[0], string][] = [
      [{ model: dir, drift: 'ddm' }, `--drift ddm: ${dir} holds a regressor (linear-regression), whose error is a number, not right or wrong; use adwin or page-hinkley, which watch its absolute error`],
      [{ model: dir, newClasses: false }, `--no-new-classes: ${dir} holds a regressor (linear-regression), whose target is a number: it has no classes to refuse; drop the flag`],
      [
        { model: dir, learn: true, challengers: [iris] },
        `--challenger ${iris}: it is a classifier (gaussian-nb) and the champion is a regressor (linear-regression); a challenger must learn the rows the champion learns`,
      ],
    ];
    for (const [options, message] of refusals) await expect(createServer({ ...options, reloadIntervalSeconds: 0 })).rejects.toThrow(message);
  });
});
