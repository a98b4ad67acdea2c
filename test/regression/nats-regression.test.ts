import { closeTestBroker, connectTestBroker } from '../nats-fixtures.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecordBatch } from '../../src/data/source.js';
import type { Row, Schema } from '../../src/core/types.js';
import { RegressionModel } from '../../src/learners/regression-model.js';
import { silentReporter, type Broker } from '../../src/node/broker/connection.js';
import { publishRows } from '../../src/node/broker/publish.js';
import { rowSource, type ReadFormat } from '../../src/node/broker/reader.js';
import { messageRecords, rowEncoder } from '../../src/node/broker/records.js';
import {
  loadAnyModelFrom,
  loadAnyModelVersion,
  loadAnyReplicas,
  loadModelFrom,
  loadReplicas,
  saveModelTo,
  watchRegistry,
  type RegistryVersion,
} from '../../src/node/broker/registry.js';
import { readStreamFormat } from '../../src/node/broker/stream-format.js';
import { parseStreamUrl } from '../../src/node/broker/url.js';
import { runWorker, type WorkerOptions, type WorkerSummary } from '../../src/node/broker/worker.js';
import { runMerge } from '../../src/node/cli/merge-run.js';
import { datasetSource } from '../../src/node/files/datasets.js';
import { loadRegressionModel } from '../../src/node/persist/model-dir.js';
import { trainWithSettings } from '../../src/node/pipeline.js';
import { trainRegressorWithSettings, type RegressionSettings } from '../../src/node/regression-pipeline.js';
import { mirrorRegistryModel } from '../../src/node/serve/registry-mirror.js';
import { ROOT, runCli, tempDir } from '../helpers.js';

/**
 * Regressors through NATS JetStream (issue 16, "Everywhere else"): a
 * regression stream published with its task, learned by train --source and
 * by workers, merged by each regressor's rule, kept in the model registry.
 * The tests that need a server use STREAMLEARN_NATS_URL, as
 * test/nats.test.ts does (which says how to get one, and fails in CI
 * without it).
 */
const NATS = process.env.STREAMLEARN_NATS_URL;

const FRIEDMAN: Schema = { features: Array.from({ length: 10 }, (_, i) => `x${i + 1}`), label: 'y', classes: [], task: 'regression' };
const FRIEDMAN_FORMAT: ReadFormat = {
  encoding: 'csv',
  columns: [...FRIEDMAN.features, 'y'],
  label: 'y',
  task: 'regression',
  classes: [],
  categorical: [],
  categories: {},
  nominal: [],
  missing: false,
  recorded: true,
};

describe('a regression row in a message', () => {
  it('is written with its target in shortest exact form and read back to the same doubles; a target that is not a number is a bad row naming the message', async () => {
    const x = Float64Array.from({ length: 10 }, (_, j) => (j + 1) / 3);
    const target = 0.1 + 0.2;
    const line = rowEncoder(FRIEDMAN, 'csv')({ x, y: target, line: 1 });
    expect(line.endsWith(',0.30000000000000004')).toBe(true);
    expect(JSON.parse(rowEncoder(FRIEDMAN, 'jsonl')({ x, y: -2.5e-300, line: 1 })).y).toBe(-2.5e-300);
    const good = messageRecords(`${line}\n${line.replace(/[^,]*$/, '-7')}`, 'csv', FRIEDMAN_FORMAT.columns) as unknown[][];
    const bad = messageRecords(line.replace(/[^,]*$/, 'abc'), 'csv', FRIEDMAN_FORMAT.columns) as unknown[][];
    async function* pulls(): AsyncGenerator<RecordBatch> {
      yield { records: good, lines: [4, 4] };
      yield { records: bad, lines: [5] };
    }
    const skipped: string[] = [];
    const stream = parseStreamUrl('nats://127.0.0.1:4222/f');
    const source = await rowSource(stream, FRIEDMAN_FORMAT, pulls, async () => undefined, { onBadRow: 'skip', onSkip: (r) => skipped.push(r.message) });
    expect(source.schema).toMatchObject({ task: 'regression', classes: [], label: 'y' });
    const rows: Row[] = [];
    for await (const row of source.rows()) rows.push(row);
    expect(rows.map((r) => [r.y, r.line])).toEqual([[target, 4], [-7, 4]]);
    expect([...rows[0].x]).toEqual([...x]);
    expect(skipped).toEqual(['nats://127.0.0.1:4222/f: message 5, field "y": "abc" is not a number (a regressor learns a numeric label)']);
    // A regression source has no classes to take from a resumed model: only an empty list agrees.
    expect(source.adoptClasses([])).toBe(true);
    expect(source.adoptClasses(['a'])).toBe(false);
  });
});

describe.skipIf(!NATS)('regressors through NATS JetStream', () => {
  const url = NATS ?? '';
  const suffix = `${process.pid}${Math.random().toString(36).slice(2, 7)}`;
  const streams: string[] = [];
  const buckets: string[] = [];
  let broker: Broker;
  const streamName = (what: string): string => {
    const name = `t_reg_${what}_${suffix}`;
    streams.push(name);
    return name;
  };
  const bucketName = (what: string): string => {
    const name = `t_regm_${what}_${suffix}`;
    buckets.push(name);
    return name;
  };
  const quiet = { report: silentReporter };
  /** A worker of these tests: small batches and frequent checkpoints, quiet, stopping soon after the stream is drained. */
  const worker = (options: Omit<WorkerOptions, 'report'>): Promise<WorkerSummary> =>
    runWorker({ batchSize: 50, checkpointMessages: 20, idleTimeout: 0.5, report: silentReporter, ...options });
  /** A worker that stops (as on SIGTERM) once it has checkpointed at least `rows` rows, leaving the rest to the next. */
  const workerUntil = (rows: number, options: Omit<WorkerOptions, 'report' | 'signal' | 'onCheckpoint'>): Promise<WorkerSummary> => {
    const stop = new AbortController();
    return worker({ ...options, signal: stop.signal, onCheckpoint: (s) => s.rows >= rows && stop.abort() });
  };
  const regression = (settings: RegressionSettings) => trainRegressorWithSettings({ out: null, ...settings });

  beforeAll(async () => {
    broker = await connectTestBroker(url);
  });

  afterAll(() => closeTestBroker(broker, streams, buckets));

  it('publish diabetes --task regression, then train --source linear-regression: the model a run on the file learns, exactly (442 rows, seed 7, batch-split)', async () => {
    const stream = streamName('diabetes');
    const to = `${url}/${stream}`;
    const published = await publishRows(join(ROOT, 'data', 'diabetes.csv'), to, { label: 'progression', task: 'regression', linesPerMessage: 7, ...quiet });
    expect(published).toMatchObject({ rows: 442, messages: 64, task: 'regression', classes: [] });
    expect(await readStreamFormat(broker, stream, 'test')).toMatchObject({ task: 'regression', label: 'progression', classes: [], encoding: 'csv' });
    const settings = { model: 'linear-regression', seed: 7 };
    const fromStream = await regression({ ...settings, source: to, broker: quiet });
    const fromFile = await regression({ ...settings, data: join(ROOT, 'data', 'diabetes.csv'), label: 'progression' });
    expect(fromStream.report.rows).toBe(442);
    expect(fromStream.report.metrics).toEqual(fromFile.report.metrics);
    expect(fromStream.model.learner.saveState()).toEqual(fromFile.model.learner.saveState());
    expect(fromStream.model.steps.map((s) => s.getState())).toEqual(fromFile.model.steps.map((s) => s.getState()));
  }, 30_000);

  it('publish synth:friedman takes the task from its generator; a learner of the other task is refused in one line naming both', async () => {
    const stream = streamName('friedman');
    const to = `${url}/${stream}`;
    expect(await publishRows('synth:friedman', to, { rows: 300, seed: 3, linesPerMessage: 30, ...quiet })).toMatchObject({ rows: 300, task: 'regression' });
    await expect(publishRows('synth:friedman', to, { rows: 10, task: 'classification', ...quiet })).rejects.toThrow(
      '--task classification: synth:friedman generates regression rows (its label "y" is a number to predict); leave --task out',
    );
    // Class rows into the regression stream: refused before a row is sent.
    await expect(publishRows('synth:sea', to, { rows: 10, ...quiet })).rejects.toThrow(/the stream already holds rows of another shape \(regression, csv, /);
    await expect(trainWithSettings({ source: to, broker: quiet, model: 'gaussian-nb', out: null })).rejects.toThrow(
      `--source ${to}: the stream holds regression rows (its label "y" is a number to predict), but gaussian-nb is a classifier: choose a regressor (streamlearn regressors), or publish the rows as classification rows to another stream`,
    );
    await expect(regression({ source: to, broker: { ...quiet, newClasses: 'skip' }, model: 'mean-regressor' })).rejects.toThrow(
      `--new-classes applies to a classification stream; ${to} holds regression rows (its label is a number to predict)`,
    );
    const sea = streamName('sea');
    await publishRows('synth:sea', `${url}/${sea}`, { rows: 50, ...quiet });
    await expect(regression({ source: `${url}/${sea}`, broker: quiet, model: 'linear-regression' })).rejects.toThrow(
      `--source ${url}/${sea}: the stream holds classification rows (its label "class" is a class), but linear-regression is a regressor: choose a classifier, ` +
        'or publish rows with numeric labels as regression rows (streamlearn publish --task regression) to another stream',
    );
    const dir = tempDir();
    // A worker's default learner is a classifier: a regression stream needs a regressor named.
    await expect(worker({ source: to, durable: 'nomodel', out: join(dir, 'w') })).rejects.toThrow(
      `--source ${to}: the stream holds regression rows (its label "y" is a number to predict), but gaussian-nb (the default --model) is a classifier`,
    );
    await expect(worker({ source: to, durable: 'tree', out: join(dir, 't'), model: 'hoeffding-tree-regressor', mergeInto: `${url}/${bucketName('tree')}/t` })).rejects.toThrow(
      "--merge-into: hoeffding-tree-regressor models cannot be merged; train an ensemble (adaptive-random-forest-regressor or bagging-regressor) to merge workers' models",
    );
    // Nothing was taken by the refused workers: their consumers still hold every message for the next one.
    const info = await broker.jsm.consumers.info(stream, 'nomodel');
    expect([info.num_pending + info.num_ack_pending, info.num_ack_pending]).toEqual([10, 0]);
  }, 30_000);

  it('two workers learn halves of 2,000 Friedman rows: merge DIR DIR gives their linear-regressions averaged by rows (to 1e-12) and the scaler of all rows', async () => {
    const stream = streamName('halves');
    const to = `${url}/${stream}`;
    const rows = 2000;
    await publishRows('synth:friedman', to, { rows, seed: 5, linesPerMessage: 10, ...quiet });
    const dir = tempDir();
    const common = { source: to, durable: 'halves', model: 'linear-regression' };
    const a = await workerUntil(rows / 2, { ...common, out: join(dir, 'a'), name: 'a' });
    const b = await worker({ ...common, out: join(dir, 'b'), name: 'b' });
    expect(a.rows).toBeGreaterThanOrEqual(rows / 2);
    expect(b.rows).toBeGreaterThan(0);
    expect(a.rows + b.rows).toBe(rows);
    expect(toRangesUnion([...a.acked, ...b.acked])).toEqual([[1, rows / 10]]);
    // Each row predicted before it was learned: the worker's running errors of a regressor, and no accuracy.
    expect(a).toMatchObject({ task: 'regression', accuracy: null, skippedRows: 0 });
    expect(a.mae).toBeGreaterThan(0);
    expect(a.rmse!).toBeGreaterThanOrEqual(a.mae!);
    expect(a.r2).toBeLessThan(1);

    const written: string[] = [];
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((text) => written.push(String(text)) > 0);
    try {
      await runMerge([join(dir, 'a'), join(dir, 'b')], { out: join(dir, 'merged'), format: 'json' });
    } finally {
      out.mockRestore();
    }
    const report = JSON.parse(written.join('')) as { learner: string; kind: string; rows: number[]; overlaps: unknown[] };
    expect(report).toMatchObject({ learner: 'linear-regression', kind: 'weighted average', rows: [a.rows, b.rows], overlaps: [] });
    const [ma, mb, merged] = await Promise.all(['a', 'b', 'merged'].map((d) => loadRegressionModel(join(dir, d))));
    type Linear = { weights: number[]; intercept: number };
    const [sa, sb, sm] = [ma, mb, merged].map((m) => m.learner.saveState().json as unknown as Linear);
    const [wa, wb] = [a.rows / rows, b.rows / rows];
    const close = (got: number, want: number): boolean => Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want));
    sm.weights.forEach((w, j) => expect(close(w, wa * sa.weights[j] + wb * sb.weights[j]), `weight ${j}`).toBe(true));
    expect(close(sm.intercept, wa * sa.intercept + wb * sb.intercept)).toBe(true);
    expect(merged.summary).toMatchObject({ task: 'regression', rows, sequences: [[1, rows / 10]] });
    // The standard scaler in front merges exactly (Chan et al.): the one a single process keeps over all rows.
    const one = await regression({ source: to, broker: quiet, model: 'linear-regression', protocol: 'prequential' });
    type Scaler = { count: number; mean: number[]; m2: number[] };
    const [scaled, single] = [merged, one.model].map((m) => m.steps[0].getState() as unknown as Scaler);
    expect(scaled.count).toBe(rows);
    scaled.mean.forEach((v, j) => expect(Math.abs(v - single.mean[j])).toBeLessThan(1e-12));
    scaled.m2.forEach((v, j) => expect(Math.abs(v - single.m2[j]) / single.m2[j]).toBeLessThan(1e-12));
  }, 40_000);

  it('--merge-into: two mean-regressor workers merge in the registry into one process\'s mean (every row counted, the mean to 1e-12); classifier loaders refuse it', async () => {
    const stream = streamName('mean');
    const to = `${url}/${stream}`;
    const rows = 1500;
    await publishRows('synth:friedman', to, { rows, seed: 9, linesPerMessage: 5, ...quiet });
    const ref = `${url}/${bucketName('mean')}/friedman-mean`;
    const dir = tempDir();
    const common = { source: to, durable: 'means', model: 'mean-regressor', mergeInto: ref };
    // The first only stores its replica; the second merges both when it is done.
    const a = await workerUntil(rows / 2, { ...common, out: join(dir, 'a'), name: 'm1', mergeEvery: 0 });
    const b = await worker({ ...common, out: join(dir, 'b'), name: 'm2' });
    expect(a.rows + b.rows).toBe(rows);
    expect([a.merges, b.merges, b.mergedVersion]).toEqual([0, 1, `${ref}@1`]);
    const merged = await loadAnyModelFrom(ref);
    expect(merged).toBeInstanceOf(RegressionModel);
    const one = await regression({ source: to, broker: quiet, model: 'mean-regressor', protocol: 'prequential' });
    const [m, o] = [merged, one.model].map((x) => x.learner.saveState().json as { n: number; mean: number });
    expect(m.n).toBe(rows);
    expect(o.n).toBe(rows);
    expect(Math.abs(m.mean - o.mean) / Math.abs(o.mean)).toBeLessThan(1e-12);
    expect(merged.summary).toMatchObject({ rows, sequences: [[1, rows / 5]] });
    expect((await loadAnyReplicas(ref)).map((r) => [r.replica, r.model.summary?.rows])).toEqual([['m1', a.rows], ['m2', b.rows]]);
    await expect(loadModelFrom(ref)).rejects.toThrow(`--model ${ref}: a regression model (mean-regressor), not a classifier; load it with loadAnyModelFrom`);
    await expect(loadReplicas(ref)).rejects.toThrow(`--replicas ${ref} (replica m1): a regression model (mean-regressor), not a classifier; load it with loadAnyReplicas`);
    // More rows later: the first worker resumes its checkpoint, learns them, and merges again.
    await publishRows('synth:friedman', to, { rows: 100, seed: 10, linesPerMessage: 5, ...quiet });
    const c = await worker({ ...common, out: join(dir, 'a'), name: 'm1' });
    expect([c.resumedRows, c.rows, c.mergedVersion]).toEqual([a.rows, a.rows + 100, `${ref}@2`]);
    expect(((await loadAnyModelFrom(ref)).learner.saveState().json as { n: number }).n).toBe(rows + 100);
  }, 40_000);

  /** The diabetes rows' features, to predict. */
  const diabetesRows = async (): Promise<{ data: Float64Array; rows: number; cols: number }> => {
    const source = await datasetSource('diabetes');
    const data: number[] = [];
    for await (const row of source.rows()) data.push(...row.x);
    return { data: Float64Array.from(data), rows: data.length / 10, cols: 10 };
  };

  it('the registry keeps a regressor: saved and loaded, by its current version or by number, it predicts the same values to the bit; a watch loads it with loadAny', async () => {
    const ref = `${url}/${bucketName('registry')}/diabetes-tree`;
    const { model } = await regression({ dataset: 'diabetes', model: 'hoeffding-tree-regressor', seed: 3 });
    const x = await diabetesRows();
    const before = model.predict(x);
    expect((await saveModelTo(model, ref)).location).toBe(`${ref}@1`);
    const loaded = await loadAnyModelFrom(ref);
    if (!(loaded instanceof RegressionModel)) throw new Error('expected a regression model');
    expect(loaded.learnerName).toBe('hoeffding-tree-regressor');
    expect(loaded.predict(x)).toStrictEqual(before);
    const again = await regression({ dataset: 'diabetes', model: 'linear-regression', seed: 4 });
    expect(again.model.predict(x)).not.toStrictEqual(before);
    expect((await saveModelTo(again.model, ref)).location).toBe(`${ref}@2`);
    const first = await loadAnyModelVersion(`${ref}@1`);
    expect(first.version?.version).toBe(1);
    expect((first.model as RegressionModel).predict(x)).toStrictEqual(before);
    const seen: { version: RegistryVersion; refused: string; learner: string }[] = [];
    const watch = await watchRegistry(
      ref,
      async (version, load, loadAny) => {
        const refused = await load().then(
          () => 'loaded',
          (err: Error) => err.message,
        );
        seen.push({ version, refused, learner: (await loadAny()).learnerName });
      },
      quiet,
    );
    try {
      const deadline = Date.now() + 10_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await watch.stop();
    }
    expect(seen).toEqual([
      {
        version: expect.objectContaining({ version: 2, learner: 'linear-regression' }),
        refused: `--model ${ref}@2: a regression model (linear-regression), not a classifier; load it with the handler's loadAny`,
        learner: 'linear-regression',
      },
    ]);
  }, 30_000);

  it('serve --model nats://… follows a regressor: the current version mirrored into a directory, and a new one swapped in', async () => {
    const ref = `${url}/${bucketName('mirror')}/diabetes`;
    const x = await diabetesRows();
    const first = await regression({ dataset: 'diabetes', model: 'linear-regression', seed: 4 });
    await saveModelTo(first.model, ref);
    const mirror = await mirrorRegistryModel(ref, quiet);
    try {
      expect(mirror.version).toBe(1);
      expect((await loadRegressionModel(mirror.dir)).predict(x)).toStrictEqual(first.model.predict(x));
      const second = await regression({ dataset: 'diabetes', model: 'linear-regression', seed: 5 });
      expect(second.model.predict(x)).not.toStrictEqual(first.model.predict(x));
      await saveModelTo(second.model, ref);
      const deadline = Date.now() + 10_000;
      while (mirror.version < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(mirror.version).toBe(2);
      expect((await loadRegressionModel(mirror.dir)).predict(x)).toStrictEqual(second.model.predict(x));
    } finally {
      await mirror.stop();
    }
  }, 30_000);

  it('a target that is not a number: --on-bad-row fail stops naming the message and field, skip leaves the row out and counts it (train --source and worker)', async () => {
    const stream = streamName('bad');
    const to = `${url}/${stream}`;
    await publishRows('synth:friedman', to, { rows: 20, seed: 1, ...quiet });
    const good = rowEncoder(FRIEDMAN, 'csv')({ x: new Float64Array(10).fill(0.5), y: 1, line: 0 });
    await broker.js.publish(`${stream}.rows`, good.replace(/[^,]*$/, 'abc'));
    await publishRows('synth:friedman', to, { rows: 20, seed: 2, ...quiet });
    const why = `${to}: message 21, field "y": "abc" is not a number (a regressor learns a numeric label)`;
    const settings = { source: to, model: 'linear-regression', protocol: 'prequential' as const };
    await expect(regression({ ...settings, broker: quiet })).rejects.toThrow(why);
    const skipped: string[] = [];
    const run = await regression({ ...settings, broker: quiet, onBadRow: 'skip', onSkip: (r) => skipped.push(r.message) });
    expect([run.report.rows, run.report.skippedRows, skipped]).toEqual([40, 1, [why]]);
    const dir = tempDir();
    // A worker leaves it out by default, acknowledged with the others ...
    const w = await worker({ source: to, durable: 'skip', out: join(dir, 'w'), model: 'passive-aggressive-regressor' });
    expect(w).toMatchObject({ rows: 40, messages: 41, skippedRows: 1, firstSkipped: why });
    const info = await broker.jsm.consumers.info(stream, 'skip');
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
    // ... and stops on it when told to, having acknowledged nothing past what it checkpointed.
    await expect(worker({ source: to, durable: 'fail', out: join(dir, 'f'), model: 'passive-aggressive-regressor', onBadRow: 'fail' })).rejects.toThrow(why);
  }, 30_000);

  it('a stream from other producers (JSON lines, no format record) is read as the learner\'s task, its --label field a number', async () => {
    const stream = streamName('foreign');
    const to = `${url}/${stream}`;
    await broker.jsm.streams.add({ name: stream, subjects: [`${stream}.in`] });
    const targets = [3, 1.5, -2, 7.25];
    for (const [i, y] of targets.entries()) await broker.js.publish(`${stream}.in`, JSON.stringify({ a: i, b: i * 2, price: y }));
    const run = await regression({ source: to, broker: quiet, label: 'price', model: 'mean-regressor', protocol: 'prequential' });
    expect(run.model.schema).toMatchObject({ features: ['a', 'b'], label: 'price', task: 'regression', classes: [] });
    expect(run.model.learner.saveState().json).toEqual({ n: 4, mean: targets.reduce((s, y) => s + y, 0) / 4 });
    await expect(regression({ source: to, broker: quiet, label: 'price', classes: ['x'], model: 'mean-regressor' })).rejects.toThrow('--classes applies to classifiers: a regressor predicts a number');
  }, 20_000);

  it('the command line: publish --task regression, train --out nats:// and predict --model nats:// a regressor, train --source --durable acknowledges, a worker reports its errors', async () => {
    const stream = streamName('cli');
    const to = `${url}/${stream}`;
    const dir = tempDir();
    const diabetes = join(ROOT, 'data', 'diabetes.csv');
    const pub = runCli(['publish', diabetes, '--label', 'progression', '--task', 'regression', '--lines-per-message', '50', '--to', to]);
    expect(pub.status, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/^published 442 rows in 9 messages to .*\nregression: the label is a number to predict; the stream was created\n$/);
    const ref = `${url}/${bucketName('cli')}/diabetes-lr`;
    // Run elsewhere, so that a save that took the reference for a directory would not land in the repository.
    const trained = runCli(['train', '--source', to, '--model', 'linear-regression', '--out', ref, '--format', 'json'], { cwd: dir });
    expect(trained.status, trained.stderr).toBe(0);
    expect(JSON.parse(trained.stdout)).toMatchObject({ task: 'regression', rows: 442, modelPath: ref });
    const model = await loadAnyModelFrom(ref);
    if (!(model instanceof RegressionModel)) throw new Error('expected a regression model');
    const predicted = runCli(['predict', '--model', ref, '--input', diabetes]);
    expect(predicted.status, predicted.stderr).toBe(0);
    const lines = predicted.stdout.trim().split('\n');
    expect(lines[0]).toBe('row,prediction');
    expect(lines).toHaveLength(443);
    const first = model.predictRecords([{ age: 59, sex: 2, bmi: 32.1, bp: 101, s1_tc: 157, s2_ldl: 93.2, s3_hdl: 38, s4_tch: 4, s5_ltg: 4.8598, s6_glu: 87 }]);
    expect(Number(lines[1].split(',')[1])).toBe(first[0].prediction);
    const durable = runCli(['train', '--source', to, '--durable', 'once', '--model', 'mean-regressor', '--out', join(dir, 'mean'), '--format', 'json']);
    expect(durable.status, durable.stderr).toBe(0);
    const info = await broker.jsm.consumers.info(stream, 'once');
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
    const w = runCli(['worker', '--source', to, '--durable', 'cliw', '--out', join(dir, 'w'), '--model', 'knn-regressor', '--idle-timeout', '0.5']);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/\nerrors {7}MAE \d+\.\d{4}, RMSE \d+\.\d{4}, R² -?\d+\.\d{4} \(each row predicted before it was learned\)\n/);
  }, 60_000);
});

/** Sorted, merged inclusive ranges (a worker's `acked`, several workers' together). */
function toRangesUnion(ranges: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
