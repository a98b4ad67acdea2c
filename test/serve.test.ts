import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../src/node/persist/model-dir.js';
import { train } from '../src/node/pipeline.js';
import { createServer, type ModelServer } from '../src/node/serve/app.js';
import { LEARN_LOG_FILE, type RecordRow } from '../src/node/serve/learn-log.js';
import { ReadWriteLock } from '../src/node/serve/lock.js';
import { recoverModel } from '../src/node/serve/recover.js';
import type { Model } from '../src/learners/model.js';
import { FEATURES, IRIS, features, relabelled, trainedIrisModel } from './serve-fixtures.js';
import { ROOT, runCli } from './helpers.js';

const BIN = join(ROOT, 'bin', 'streamlearn.js');
const PROBE = [0, 25, 50, 75, 100, 125, 149].map((i) => features(IRIS[i]));

const irisModel = trainedIrisModel('streamlearn-serve-');
const modelCopy = (): string => irisModel.copy();

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

async function predictions(url: string, rows: RecordRow[]): Promise<{ label: string; probabilities: Record<string, number> }[]> {
  const r = await post(`${url}/predict`, { rows });
  expect(r.status).toBe(200);
  return r.json.predictions as { label: string; probabilities: Record<string, number> }[];
}

/** A model loaded in-process that learned the same requests, in the same order. */
async function reference(dir: string, requests: RecordRow[][]): Promise<Model> {
  const model = await loadModel(dir);
  for (const rows of requests) await model.learnRecords(rows);
  return model;
}

// ---------------------------------------------------------------- in-process

describe('createServer: predict, validation, limits', () => {
  let server: ModelServer;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    dir = modelCopy();
    server = await createServer({ model: dir, maxRows: 20, maxBodyBytes: 4_096, reloadIntervalSeconds: 0 });
    url = await server.listen({ port: 0 });
  });
  afterAll(() => server.close());

  it('predicts one row or many: labels and probabilities as the library gives them', async () => {
    const library = await loadModel(dir);
    const rows = IRIS.slice(40, 60).map(features);
    const expected = await library.predictRecords(rows);
    for (const body of [{ rows }, rows]) {
      const got = (await post(`${url}/predict`, body)).json.predictions as typeof expected;
      expect(got).toEqual(expected);
      for (const p of got) expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    const one = await post(`${url}/predict`, rows[3]);
    expect(one).toEqual({ status: 200, json: { predictions: [expected[3]] } });
    // Extra keys (the label, say) are ignored, as predict ignores extra CSV columns.
    expect((await post(`${url}/predict`, IRIS[45])).json.predictions).toEqual([expected[5]]);
  });

  it('answers 400 naming the row and field, and keeps serving', async () => {
    const rows = IRIS.slice(0, 4).map(features);
    const { petal_width_cm: _, ...withoutPetal } = rows[2];
    const cases: [unknown, RegExp][] = [
      [{ rows: [rows[0], rows[1], withoutPetal] }, /^row 2: feature "petal_width_cm" is missing$/],
      [{ rows: [rows[0], { ...rows[1], sepal_width_cm: 'wide' }] }, /^row 1: feature "sepal_width_cm" must be a finite number/],
      [{ rows: [{ ...rows[0], sepal_length_cm: null }] }, /^row 0: feature "sepal_length_cm" must be a finite number/],
      [{ rows: [rows[0], { ...rows[1], petal_length_cm: true }] }, /^row 1: feature "petal_length_cm" must be a number, a category name or null, got true$/],
      [{ rows: [rows[0], { ...rows[1], petal_length_cm: [1] }] }, /^row 1: feature "petal_length_cm" must be a number, a category name or null, got \[1\]$/],
      [{ rows: [rows[0], 7] }, /^row 1: expected an object of feature name to value, got 7$/],
      [{ rows: [] }, /^body: "rows" is empty/],
      ['"just a string"', /^body: expected a JSON object/],
      ['{"rows": [', /^body: not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const r = await post(`${url}/predict`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.json)).toEqual(['error']);
      expect(r.json.error).toMatch(message);
    }
    expect((await predictions(url, rows)).length).toBe(4);
  });

  it('refuses too many rows and too large a body with 413 and a clear message', async () => {
    const rows = IRIS.slice(0, 21).map(features);
    const tooMany = await post(`${url}/predict`, { rows });
    expect(tooMany).toEqual({ status: 413, json: { error: 'body: 21 rows; at most 20 rows per request (--max-rows)' } });
    const big = await post(`${url}/predict`, { rows: rows.slice(0, 2), padding: 'x'.repeat(5_000) });
    expect(big).toEqual({ status: 413, json: { error: 'body: larger than the limit of 4096 bytes (--max-body-bytes)' } });
    expect((await predictions(url, rows.slice(0, 20))).length).toBe(20);
  });

  it('refuses /learn when learning is off, answers /health and /model, 404 elsewhere', async () => {
    const r = await post(`${url}/learn`, { rows: IRIS.slice(0, 2) });
    expect(r).toEqual({ status: 403, json: { error: 'learning is off: start the server with --learn to accept POST /learn' } });
    expect(await getJson(`${url}/health`)).toMatchObject({ status: 'ok', learning: false });
    const info = await getJson(`${url}/model`);
    expect(info).toMatchObject({
      learner: { name: 'gaussian-nb' },
      schema: { features: FEATURES, label: 'species', classes: ['setosa', 'versicolor', 'virginica'] },
      summary: { dataset: 'iris', rows: 150 },
      updates: { sinceLoad: 0, sinceCheckpoint: 0, replayed: 0 },
      learning: false,
    });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/^no route GET \/nowhere/);
  });
});

describe('createServer: learning', () => {
  it('learns rows, new classes included, and the predictions change; a bad row changes nothing', async () => {
    const dir = modelCopy();
    const server = await createServer({ model: dir, learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      const url = await server.listen({ port: 0 });
      const before = await predictions(url, PROBE);
      const bad = await post(`${url}/learn`, { rows: [IRIS[0], { ...IRIS[1], species: null }] });
      expect(bad).toEqual({ status: 400, json: { error: 'row 1: label "species" is missing' } });
      expect((await getJson(`${url}/model`)).updates).toEqual({ sinceLoad: 0, sinceCheckpoint: 0, replayed: 0 });
      const requests = [relabelled(0, 50), relabelled(50, 50), relabelled(100, 50), [{ ...features(IRIS[7]), species: 'iris-nova' }]];
      for (const rows of requests) expect((await post(`${url}/learn`, { rows })).status).toBe(200);
      const after = await predictions(url, PROBE);
      expect(after.map((p) => p.label)).not.toEqual(before.map((p) => p.label));
      const info = await getJson(`${url}/model`);
      expect(info.schema).toMatchObject({ classes: ['setosa', 'versicolor', 'virginica', 'iris-nova'] });
      expect(info.updates).toEqual({ sinceLoad: 151, sinceCheckpoint: 151, replayed: 0 });
      // Exactly what the library does with the same requests.
      expect(after).toEqual(await (await reference(dir, requests)).predictRecords(PROBE));
    } finally {
      await server.close();
    }
    // Closing checkpointed: the library's loadModel has every update.
    expect((await loadModel(dir)).schema.classes).toContain('iris-nova');
  });

  it('with newClasses: false refuses a label that is not a class', async () => {
    const server = await createServer({ model: modelCopy(), learn: true, newClasses: false, reloadIntervalSeconds: 0 });
    try {
      const r = await server.app.inject({ method: 'POST', url: '/learn', payload: { rows: [{ ...IRIS[0], species: 'iris-nova' }] } });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toEqual({ error: 'row 0: label "species": "iris-nova" is not one of the model\'s classes (setosa, versicolor, virginica)' });
    } finally {
      await server.close();
    }
  });
});

describe('Model.learnRecords', () => {
  it('learns a category name it has not seen, which keeps its code through a save and load', async () => {
    const csv = join(irisModel.scratch, 'colours.csv');
    const lines = ['size,colour,kind'];
    for (let i = 0; i < 60; i++) lines.push(`${i % 7},${['red', 'green'][i % 2]},${i % 2 ? 'b' : 'a'}`);
    writeFileSync(csv, lines.join('\n'));
    const { model } = await train({ source: { file: csv, label: 'kind', categorical: ['colour'] }, output: { out: null } });
    const added = await model.learnRecords([
      { size: 3, colour: 'purple', kind: 'c' },
      { size: 4, colour: 'purple', kind: 'c' },
    ]);
    expect(added).toEqual(['c']);
    expect(model.schema.categories?.[1]).toEqual(['red', 'green', 'purple']);
    const probe = [{ size: 3, colour: 'purple' }, { size: 1, colour: 'red' }, { size: 2, colour: 'teal' }];
    const dir = join(irisModel.scratch, 'colours-model');
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(await loaded.predictRecords(probe)).toEqual(await model.predictRecords(probe));
    await expect(model.learnRecords([{ size: 1, colour: 'red', kind: 'a' }, { size: 'big', colour: 'red', kind: 'a' }])).rejects.toThrow(
      'row 1: feature "size" must be a finite number',
    );
    await expect(model.learnRecords([{ size: 1, colour: 'mauve', kind: 'a' }, { size: 1, kind: 'a' }])).rejects.toThrow('row 1: feature "colour" is missing');
    // A failed call adds nothing: neither the category of its good row nor a class.
    expect(model.schema.categories?.[1]).toEqual(['red', 'green', 'purple']);
  });
});

describe('ReadWriteLock', () => {
  it('lets readers overlap, runs a writer alone, and holds back readers that come after a waiting writer', async () => {
    const lock = new ReadWriteLock();
    const events: string[] = [];
    const gate = () => {
      let open!: () => void;
      return { promise: new Promise<void>((r) => (open = r)), open: () => open() };
    };
    const r1 = gate();
    const r2 = gate();
    const done = [
      lock.read(async () => {
        events.push('r1 start');
        await r1.promise;
        events.push('r1 end');
      }),
      lock.read(async () => {
        events.push('r2 start');
        await r2.promise;
        events.push('r2 end');
      }),
      lock.write(() => void events.push('w')),
      lock.read(() => void events.push('r3')),
    ];
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['r1 start', 'r2 start']);
    r2.open();
    r1.open();
    await Promise.all(done);
    expect(events).toEqual(['r1 start', 'r2 start', 'r2 end', 'r1 end', 'w', 'r3']);
  });
});

describe('recoverModel', () => {
  it('finishes a save cut off between its renames, and skips a torn last log line', async () => {
    const dir = modelCopy();
    const server = await createServer({ model: dir, learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    await server.host.learn(relabelled(0, 10));
    await server.host.learn(relabelled(10, 10));
    const expected = await server.host.predict(PROBE);
    // Simulate SIGKILL mid-write: an unacknowledged line without its newline. (The server is dropped unclosed, as a crash would.)
    writeFileSync(join(dir, LEARN_LOG_FILE), readFileSync(join(dir, LEARN_LOG_FILE), 'utf8') + '{"rows":[{"sepal_le');
    const recovered = await recoverModel(dir);
    expect(recovered.replayed).toEqual({ requests: 2, rows: 20, stale: false });
    expect(await recovered.model.predictRecords(PROBE)).toEqual(expected);

    // A crash between saveModel's two renames: the new model complete beside the old, nothing at `dir`.
    const parent = join(dir, '..');
    renameSync(dir, join(parent, '.m.tmp-1-abcd.old'));
    cpSync(irisModel.trained, join(parent, '.m.tmp-1-abcd'), { recursive: true });
    const finished = await recoverModel(dir);
    expect(finished.finishedSave).toBe(true);
    expect(existsSync(join(parent, '.m.tmp-1-abcd.old'))).toBe(false);
    expect(await finished.model.predictRecords(PROBE)).toEqual(await (await loadModel(irisModel.trained)).predictRecords(PROBE));
  });
});

// ------------------------------------------------------------ child processes

interface Child {
  url: string;
  process: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `streamlearn serve` on a free loopback port and waits for the line with its URL. */
function serve(args: string[]): Promise<Child> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, process: child, stderr: () => err, exit });
    });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
}

describe('streamlearn serve (child process)', () => {
  it('checkpoints on SIGTERM; a restart has every acknowledged update', async () => {
    const dir = modelCopy();
    const a = await serve(['--model', dir, '--learn', '--checkpoint-every', '100000', '--checkpoint-interval', '0']);
    const requests = [relabelled(0, 30), relabelled(30, 30), relabelled(60, 30)];
    for (const rows of requests) expect((await post(`${a.url}/learn`, { rows })).status).toBe(200);
    const served = await predictions(a.url, PROBE);
    a.process.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect(a.stderr()).toMatch(/checkpoint saved \(90 rows learned since the last\)/);
    // The checkpoint holds everything: the log is empty, and the library's loadModel sees the updates.
    expect(readFileSync(join(dir, LEARN_LOG_FILE), 'utf8').trim().split('\n')).toHaveLength(1);
    const expected = await (await reference(irisModel.trained, requests)).predictRecords(PROBE);
    expect(served).toEqual(expected);
    expect(await (await loadModel(dir)).predictRecords(PROBE)).toEqual(expected);

    const b = await serve(['--model', dir]);
    expect(await predictions(b.url, PROBE)).toEqual(expected);
    expect((await getJson(`${b.url}/model`)).updates).toEqual({ sinceLoad: 0, sinceCheckpoint: 0, replayed: 0 });
    b.process.kill('SIGINT');
    expect(await b.exit).toBe(0);
  });

  it('loses no acknowledged update on SIGKILL: the learn log is replayed', async () => {
    const dir = modelCopy();
    // Checkpoints every 50 rows: the kill comes with some updates in a checkpoint and some only in the log.
    const a = await serve(['--model', dir, '--learn', '--checkpoint-every', '50', '--checkpoint-interval', '0']);
    const requests = [relabelled(0, 20), relabelled(20, 20), relabelled(40, 20), relabelled(60, 20), relabelled(80, 20), relabelled(100, 7)];
    for (const rows of requests) expect((await post(`${a.url}/learn`, { rows })).status).toBe(200);
    a.process.kill('SIGKILL');
    await a.exit;
    const expected = await (await reference(irisModel.trained, requests)).predictRecords(PROBE);

    const b = await serve(['--model', dir, '--learn', '--checkpoint-every', '100000', '--checkpoint-interval', '0']);
    expect(await predictions(b.url, PROBE)).toEqual(expected);
    expect(b.stderr()).toMatch(/replayed \d+ learn requests? \(\d+ rows?\) from the learn log/);
    // Concurrent requests (sharing fsyncs), each teaching a new class, acknowledged and then killed at once.
    const classes = Array.from({ length: 8 }, (_, i) => `c${i}`);
    const acks = await Promise.all(classes.map((c, i) => post(`${b.url}/learn`, { rows: [{ ...features(IRIS[i]), species: c }] })));
    expect(acks.map((r) => r.status)).toEqual(classes.map(() => 200));
    b.process.kill('SIGKILL');
    await b.exit;

    const recovered = await recoverModel(dir);
    expect(recovered.model.schema.classes).toEqual(expect.arrayContaining(classes));
    expect(recovered.replayed.rows).toBe(8);
  });

  it('reloads a model saved into its directory during a stream of requests, failing none', async () => {
    const dir = modelCopy();
    const a = await serve(['--model', dir, '--learn', '--reload-interval', '0.05', '--checkpoint-every', '25', '--checkpoint-interval', '0']);
    let stop = false;
    const failures: string[] = [];
    let answered = 0;
    const loop = async (learn: boolean): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const rows = learn ? relabelled(i % 140, 10) : PROBE;
        const r = await post(`${a.url}/${learn ? 'learn' : 'predict'}`, { rows }).catch((err: Error) => ({ status: 0, json: { error: err.message } }));
        if (r.status === 200) answered++;
        else failures.push(`${r.status} ${JSON.stringify(r.json)}`);
        // A steady stream, not a flood: the machine running the tests may have two cores and other work.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const loops = [loop(false), loop(false), loop(false), loop(true)];
    const waitFor = async (learner: string): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const info = await getJson(`${a.url}/model`);
        if ((info.learner as { name: string }).name === learner) return info;
        if (Date.now() > deadline) throw new Error(`no reload to ${learner} within 20 s; the server said: ${a.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      // Learners alternate, so /model tells each reload apart; checkpoints every 25 rows race the saves on purpose.
      for (const learner of ['softmax-regression', 'gaussian-nb', 'perceptron', 'hoeffding-tree']) {
        const { model } = await train({ source: { dataset: 'iris' }, model: learner, output: { out: null } });
        await saveModel(model, dir);
        const info = await waitFor(learner);
        expect(info.summary).toMatchObject({ dataset: 'iris' });
        const seen = answered;
        while (answered < seen + 20) await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);
    expect(a.stderr()).toMatch(/reloaded: hoeffding-tree saved at/);
    a.process.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    // The learning went on, on the new model, and was checkpointed into the directory.
    const saved = await loadModel(dir);
    expect(saved.learnerName).toBe('hoeffding-tree');
    expect(readFileSync(join(dir, LEARN_LOG_FILE), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('bad flags and a bad directory: one line naming the flag or directory, exit 1', () => {
    const dir = modelCopy();
    const cases: [string[], RegExp][] = [
      [['--model', join(dir, 'nope')], /nope: no manifest\.json; not a streamlearn model directory$/],
      [['--model', dir, '--port', '70000'], /--port <n>' argument '70000' is invalid\. expected an integer from 0 to 65535\.$/],
      [['--model', dir, '--max-rows', '0'], /--max-rows <n>' argument '0' is invalid\. expected an integer from 1 to 1000000\.$/],
      [['--model', dir, '--checkpoint-every', 'often'], /--checkpoint-every <n>' argument 'often' is invalid\. expected an integer\b/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['serve', ...args]);
      expect(r.status, args.join(' ')).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
