// The served model you can watch (issue 15): online (test-then-train)
// accuracy on the rows of POST /learn, GET /stats, GET /metrics in
// Prometheus' text format, drift alarms, and the request log.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../src/node/pipeline.js';
import { createServer, type ModelServer, type StatsBody } from '../src/node/serve/app.js';
import { CurveHistory } from '../src/node/serve/monitor.js';
import { IRIS, features, trainedIrisModel } from './serve-fixtures.js';

const irisModel = trainedIrisModel('streamlearn-monitor-');
let scratch: string;

/** A no-change model (it predicts the last label it learned) on one feature, trained on rows whose last label is "a". */
async function noChangeModel(name: string): Promise<string> {
  const csv = join(scratch, `${name}.csv`);
  writeFileSync(csv, ['x,kind', '1,b', '2,a', '3,b', '4,a'].join('\n'));
  const out = join(scratch, name, 'm');
  // Prequential: every row learned, in file order.
  await train({ source: { file: csv, label: 'kind' }, model: 'no-change', protocol: 'prequential', output: { out } });
  return out;
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'streamlearn-monitor-own-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** One sample of Prometheus' text format. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Parses Prometheus' text exposition format (version 0.0.4) strictly: every
 * line a HELP, a TYPE, a sample or empty; every sample of a family that has both,
 * declared before it; metric and label names as the format allows them;
 * label values with their escapes. Fails on anything else.
 */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|[Nn][Aa][Nn]|\\+Inf|-Inf))$`);
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)",?/y;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    // The format ignores empty lines (prom-client puts one between families).
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      helps.add(line.split(' ')[2]);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(type);
      types.set(name, type);
      continue;
    }
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      label.lastIndex = 0;
      while (label.lastIndex < m[2].length) {
        const l = label.exec(m[2]);
        if (!l) throw new Error(`bad labels in: ${line}`);
        labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      }
    }
    const family = [...types.keys()].find((f) => m[1] === f || (types.get(f) === 'histogram' && /^(.*)_(bucket|sum|count)$/.exec(m[1])?.[1] === f));
    if (family === undefined || !helps.has(family)) throw new Error(`a sample without HELP and TYPE before it: ${line}`);
    // Go's ParseFloat, which Prometheus reads values with, takes NaN in any case (prom-client writes "Nan").
    samples.push({ name: m[1], labels, value: /^nan$/i.test(m[3]) ? NaN : Number(m[3].replace('+Inf', 'Infinity')) });
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;

describe('online accuracy on POST /learn', () => {
  let server: ModelServer;
  let url: string;
  const learn = (rows: object[]) => fetch(`${url}/learn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });

  beforeAll(async () => {
    server = await createServer({ model: await noChangeModel('known'), learn: true, window: 3, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    url = await server.listen({ port: 0 });
  });
  afterAll(() => server.close());

  it('predicts each labelled row before learning it: exact counts, accuracy, window, recall and kappa for a known sequence', async () => {
    // The model predicts the last label it learned ("a" from training). Row by row:
    //   requests 1-5, one row each: predicted a, b, b, a, a against b, b, a, a, b: wrong, right, wrong, right, wrong
    //   request 6, two rows [a, b]: both predicted by the model as it stood before the request (last label b): wrong, right
    for (const kind of ['b', 'b', 'a', 'a', 'b']) expect((await learn([{ x: 1, kind }])).status).toBe(200);
    expect((await learn([{ x: 1, kind: 'a' }, { x: 2, kind: 'b' }])).status).toBe(200);
    // Refused rows are neither learned nor scored.
    expect((await learn([{ x: 1, kind: null }])).status).toBe(400);
    expect((await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rows":[{"x":1},{"x":2},{"x":3}]}' })).status).toBe(200);

    const stats = (await (await fetch(`${url}/stats`)).json()) as StatsBody;
    expect(stats.models).toHaveLength(1);
    const [champion] = stats.models;
    expect(champion).toMatchObject({ name: 'champion', role: 'champion', learner: 'no-change', learned: 7 });
    const online = champion.online;
    expect(online).toMatchObject({ scored: 7, correct: 3, unscored: 0, window: 3, support: { b: 4, a: 3 } });
    expect(online.accuracy).toBe(3 / 7);
    // The last three outcomes: wrong (row 5), wrong, right.
    expect(online.windowAccuracy).toBe(1 / 3);
    // b: right at rows 2 and 7 of 4; a: right at row 4 of 3.
    expect(online.recall).toEqual({ b: 2 / 4, a: 1 / 3 });
    // Confusion (truth, predicted): (b,a) 2, (b,b) 2, (a,b) 2, (a,a) 1; b is the truth 4 times and predicted 4, a 3 and 3.
    const pe = (4 * 4 + 3 * 3) / 49;
    expect(online.kappa).toBeCloseTo((3 / 7 - pe) / (1 - pe), 12);
    // The no-change model is sure of its label: right rows cost 0, wrong ones -ln(1e-15).
    expect(online.logLoss).toBeCloseTo((4 * -Math.log(1e-15)) / 7, 9);
    expect(champion.curve.map((p) => p.row)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(champion.curve.map((p) => p.accuracy)).toEqual([0, 1 / 2, 1 / 3, 2 / 4, 2 / 5, 2 / 6, 3 / 7]);
    expect(stats.rowsPredicted).toBe(3);
    expect(stats.drift).toBeNull();
  });

  it('serves the same figures as Prometheus text: the names, types and values', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples, types } = parsePrometheus(await res.text());
    const model = { model: 'champion' };
    expect(value(samples, 'streamlearn_rows_learned_total', model)).toBe(7);
    expect(value(samples, 'streamlearn_rows_scored_total', model)).toBe(7);
    expect(value(samples, 'streamlearn_rows_scored_correct_total', model)).toBe(3);
    expect(value(samples, 'streamlearn_rows_predicted_total')).toBe(3);
    expect(value(samples, 'streamlearn_online_accuracy_ratio', { model: 'champion', window: 'all' })).toBeCloseTo(3 / 7, 12);
    expect(value(samples, 'streamlearn_online_accuracy_ratio', { model: 'champion', window: '3' })).toBeCloseTo(1 / 3, 12);
    expect(value(samples, 'streamlearn_online_recall_ratio', { model: 'champion', class: 'a' })).toBeCloseTo(1 / 3, 12);
    expect(value(samples, 'streamlearn_drift_alarms_total', model)).toBe(0);
    expect(value(samples, 'streamlearn_rows_since_checkpoint', model)).toBe(7);
    // The log: its header and one line per learn request (six were acknowledged).
    expect(value(samples, 'streamlearn_learn_log_bytes', model)).toBeGreaterThan(100);
    expect(value(samples, 'streamlearn_checkpoint_age_seconds', model)).toBeGreaterThanOrEqual(0);
    const info = samples.find((s) => s.name === 'streamlearn_model_info');
    expect(info?.labels).toMatchObject({ model: 'champion', learner: 'no-change', identity: server.host.identity, dir: server.host.dir });
    expect(info?.value).toBe(1);
    // Requests by route and status: six learned, one refused, one prediction, and the /stats read before.
    const requests = (route: string, status: string) =>
      value(samples, 'streamlearn_http_request_duration_seconds_count', { route, method: 'POST', status_code: status });
    expect(requests('/learn', '200')).toBe(6);
    expect(requests('/learn', '400')).toBe(1);
    expect(requests('/predict', '200')).toBe(1);
    expect(value(samples, 'streamlearn_http_request_duration_seconds_bucket', { route: '/learn', method: 'POST', status_code: '200', le: '+Inf' })).toBe(6);
    expect(value(samples, 'streamlearn_http_request_duration_seconds_count', { route: '/stats', method: 'GET', status_code: '200' })).toBe(1);
    // Prometheus' conventions: counters end in _total, the prefix is the project's, process metrics are there.
    for (const [name, type] of types) {
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      if (name.startsWith('streamlearn_') && type !== 'counter') expect(name, name).not.toMatch(/_total$/);
    }
    for (const name of [
      'streamlearn_http_request_duration_seconds',
      'streamlearn_drift_warning',
      'streamlearn_online_kappa',
      'streamlearn_checkpoints_total',
      'streamlearn_reloads_total',
      'streamlearn_promotions_total',
      'streamlearn_build_info',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(types.has(name), name).toBe(true);
    }
  });

  it('keeps a registry per server: a second server in the process counts its own requests', async () => {
    const other = await createServer({ model: irisModel.copy(), reloadIntervalSeconds: 0 });
    try {
      await other.app.inject({ method: 'POST', url: '/predict', payload: features(IRIS[0]) });
      const { samples } = parsePrometheus((await other.app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(value(samples, 'streamlearn_rows_predicted_total')).toBe(1);
      expect(value(samples, 'streamlearn_http_request_duration_seconds_count', { route: '/predict', method: 'POST', status_code: '200' })).toBe(1);
      expect(value(samples, 'streamlearn_rows_learned_total', { model: 'champion' })).toBe(0);
      // Nothing scored yet: no accuracy to report rather than a made-up one.
      expect(samples.some((s) => s.name === 'streamlearn_online_accuracy_ratio')).toBe(false);
    } finally {
      await other.close();
    }
    const { samples } = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
    expect(value(samples, 'streamlearn_rows_predicted_total')).toBe(3);
  });
});

describe('drift alarms on the online errors', () => {
  it('signals a drift when the label flips, at a row after the flip, in /stats, /metrics and the log', async () => {
    // A majority-class model keeps predicting "a" for a while after the stream turns to "b".
    const csv = join(scratch, 'flip.csv');
    writeFileSync(csv, ['x,kind', '1,a', '2,b'].join('\n'));
    const dir = join(scratch, 'flip', 'm');
    await train({ source: { file: csv, label: 'kind' }, model: 'majority-class', protocol: 'prequential', output: { out: dir } });
    const events: string[] = [];
    const server = await createServer({ model: dir, learn: true, drift: 'ddm', reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0, log: (line, level) => events.push(`${level}: ${line}`) });
    try {
      const rows = (kind: string, n: number) => Array.from({ length: n }, (_, i) => ({ x: i, kind }));
      for (const kind of ['a', 'a', 'a', 'b', 'b', 'b', 'b']) expect((await server.app.inject({ method: 'POST', url: '/learn', payload: rows(kind, 100) })).statusCode).toBe(200);
      const stats = (await server.app.inject({ method: 'GET', url: '/stats' })).json<StatsBody>();
      const { online } = stats.models[0];
      expect(stats.drift).toEqual({ detector: 'ddm', params: {} });
      expect(online.scored).toBe(700);
      expect(online.drift.detector).toBe('ddm');
      expect(online.drift.alarms).toBeGreaterThanOrEqual(1);
      // The first 300 rows are right; DDM needs a run of errors after them.
      expect(online.drift.rows[0]).toBeGreaterThan(300);
      expect(online.drift.rows[0]).toBeLessThanOrEqual(400);
      const { samples } = parsePrometheus((await server.app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(value(samples, 'streamlearn_drift_alarms_total', { model: 'champion' })).toBe(online.drift.alarms);
      expect(events).toContain(`warn: champion: drift detected by ddm at row ${online.drift.rows[0]} of its online stream`);
    } finally {
      await server.close();
    }
  });
});

describe('the request log', () => {
  it('logs nothing per request at info, one JSON line per request with its id at debug (X-Request-Id taken when given)', async () => {
    for (const level of ['info', 'debug'] as const) {
      const lines: string[] = [];
      const server = await createServer({ model: irisModel.copy(), reloadIntervalSeconds: 0, logLevel: level, logStream: { write: (l: string) => lines.push(l) } });
      try {
        await server.listen({ port: 0 });
        const given = await server.app.inject({ method: 'POST', url: '/predict', payload: features(IRIS[0]), headers: { 'x-request-id': 'client-id-7' } });
        expect(given.statusCode).toBe(200);
        await server.app.inject({ method: 'POST', url: '/predict', payload: { rows: [] } });
        // A header that is no sane id is not taken.
        await server.app.inject({ method: 'POST', url: '/predict', payload: features(IRIS[1]), headers: { 'x-request-id': 'x'.repeat(500) } });
      } finally {
        await server.close();
      }
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const completed = logged.filter((l) => l.msg === 'request completed');
      if (level === 'info') {
        expect(completed).toEqual([]);
        expect(logged.map((l) => l.msg)).toEqual([expect.stringMatching(/^Server listening at http:\/\/127\.0\.0\.1:\d+$/)]);
        continue;
      }
      expect(completed.map((l) => [l.reqId, l.method, l.url, l.statusCode, l.level])).toEqual([
        ['client-id-7', 'POST', '/predict', 200, 20],
        [expect.stringMatching(/^req-[0-9a-z]+$/), 'POST', '/predict', 400, 20],
        [expect.stringMatching(/^req-[0-9a-z]+$/), 'POST', '/predict', 200, 20],
      ]);
      for (const l of completed) expect(typeof l.responseTime).toBe('number');
    }
  });
});

describe('--no-metrics', () => {
  it('learns without scoring and answers the monitoring routes 404 in one line', async () => {
    const server = await createServer({ model: irisModel.copy(), learn: true, metrics: false, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      expect((await server.app.inject({ method: 'POST', url: '/learn', payload: IRIS[0] })).statusCode).toBe(200);
      expect(server.host.monitor).toBeNull();
      for (const path of ['/metrics', '/stats', '/dashboard', '/events']) {
        const r = await server.app.inject({ method: 'GET', url: path });
        expect(r.statusCode).toBe(404);
        expect(r.json()).toEqual({ error: `GET ${path}: monitoring is off (--no-metrics); start the server without it` });
      }
    } finally {
      await server.close();
    }
    await expect(createServer({ model: irisModel.copy(), metrics: false, drift: 'adwin' })).rejects.toThrow('drift (--drift) watches the online errors, which are off (--no-metrics): drop one of them');
    await expect(createServer({ model: irisModel.copy(), drift: 'nope' })).rejects.toThrow('unknown drift detector "nope" (detectors: adwin, ddm, eddm, page-hinkley, hddm-a)');
    await expect(createServer({ model: irisModel.copy(), window: 0 })).rejects.toThrow('window (--window) must be an integer from 1 to 10000000, got 0');
  });
});

describe('CurveHistory', () => {
  it('keeps the whole stream in bounded points, halving its resolution as it fills', () => {
    const h = new CurveHistory(8);
    for (let row = 1; row <= 100; row++) h.add({ row, accuracy: 1, windowAccuracy: 1 });
    const rows = h.read().map((p) => p.row);
    // Strides 1, 2, 4, 8, 16 as it filled: every 16th row now.
    expect(rows).toEqual([16, 32, 48, 64, 80, 96]);
    expect(h.read({ row: 100, accuracy: 1, windowAccuracy: 1 }).map((p) => p.row)).toEqual([16, 32, 48, 64, 80, 96, 100]);
  });
});
