// Challengers (issue 15): models that predict and learn every labelled row
// beside the served one, and POST /promote, which makes one the served model
// durably: a SIGKILL right after it loses neither the promotion nor an
// acknowledged update.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../src/learners/model.js';
import { loadModel } from '../src/node/persist/model-dir.js';
import { train } from '../src/node/pipeline.js';
import { createServer, type StatsBody } from '../src/node/serve/app.js';
import { LEARN_LOG_FILE, type RecordRow } from '../src/node/serve/learn-log.js';
import { promotionRecordPath } from '../src/node/serve/promotion.js';
import { IRIS, features, relabelled, trainedIrisModel } from './serve-fixtures.js';
import { ROOT } from './helpers.js';

const BIN = join(ROOT, 'bin', 'streamlearn.js');
const PROBE = [0, 25, 50, 75, 100, 125, 149].map((i) => features(IRIS[i]));
const TOKEN = 'promote-token';

const irisModel = trainedIrisModel('streamlearn-challenger-');
let trainedTree = '';
let trainedBagging = '';

beforeAll(async () => {
  trainedTree = join(irisModel.scratch, 'tree');
  await train({ source: { dataset: 'iris' }, model: { learner: 'hoeffding-tree', params: { gracePeriod: 20 } }, output: { out: trainedTree } });
  // Seeded randomness in learning (each member's Poisson weights): a twin must draw the same.
  trainedBagging = join(irisModel.scratch, 'bagging');
  await train({ source: { dataset: 'iris' }, model: { learner: 'online-bagging', params: { ensembleSize: 5 } }, seed: 7, output: { out: trainedBagging } });
}, 60_000);

/** A copy of `from` in a directory of its own named `name` (the challenger's name). */
function copyAs(from: string, name: string): string {
  const dir = join(irisModel.scratch, `copy-${Math.random().toString(36).slice(2, 10)}`, name);
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(from, dir, { recursive: true });
  return dir;
}

/** A model loaded in-process that learned the same requests, in the same order. */
async function reference(dir: string, requests: RecordRow[][]): Promise<Model> {
  const model = await loadModel(dir);
  for (const rows of requests) await model.learnRecords(rows);
  return model;
}

const json = { 'content-type': 'application/json' };
const auth = { ...json, authorization: `Bearer ${TOKEN}` };

/** Requests that move both models: relabelled iris rows, some new classes among them. */
const REQUESTS: RecordRow[][] = [relabelled(0, 30), relabelled(30, 1), relabelled(31, 40), [{ ...features(IRIS[3]), species: 'iris-nova' }], relabelled(71, 50)];

describe('challengers learn as the champion does', () => {
  it('a challenger of the same learner and seed ends with the champion\'s predictions and the same online scores', async () => {
    const champion = copyAs(trainedBagging, 'm');
    const twin = copyAs(trainedBagging, 'twin');
    const before = await (await loadModel(trainedBagging)).predictRecords(PROBE);
    const server = await createServer({ model: champion, challengers: [twin], learn: true, window: 50, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      for (const rows of REQUESTS) expect((await server.app.inject({ method: 'POST', url: '/learn', payload: { rows } })).statusCode).toBe(200);
      const [challenger] = server.fleet.challengers;
      expect(challenger.name).toBe('twin');
      const served = (await server.app.inject({ method: 'POST', url: '/predict', payload: { rows: PROBE } })).json<{ predictions: unknown[] }>().predictions;
      expect(await challenger.predict(PROBE)).toEqual(served);
      expect(served).toEqual(await (await reference(trainedBagging, REQUESTS)).predictRecords(PROBE));
      // The learning moved the predictions: equal because learned alike, not because nothing changed.
      expect(served).not.toEqual(before);
      const stats = (await server.app.inject({ method: 'GET', url: '/stats' })).json<StatsBody>();
      expect(stats.models.map((m) => [m.name, m.role, m.learner, m.learned])).toEqual([
        ['champion', 'champion', 'online-bagging', 122],
        ['twin', 'challenger', 'online-bagging', 122],
      ]);
      expect(stats.models[1].online).toEqual(stats.models[0].online);
      expect(stats.models[1].curve).toEqual(stats.models[0].curve);
      expect(stats.models[0].online.scored).toBe(122);
    } finally {
      await server.close();
    }
    // Each directory checkpointed its own model at close: both hold the same learning.
    expect(await (await loadModel(twin)).predictRecords(PROBE)).toEqual(await (await loadModel(champion)).predictRecords(PROBE));
  });

  it('a challenger of another learner learns exactly what it would alone, and only the champion answers /predict', async () => {
    const tree = copyAs(trainedTree, 'tree');
    const server = await createServer({ model: irisModel.copy(), challengers: [tree], learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      for (const rows of REQUESTS) expect((await server.app.inject({ method: 'POST', url: '/learn', payload: { rows } })).statusCode).toBe(200);
      expect(await server.fleet.challengers[0].predict(PROBE)).toEqual(await (await reference(trainedTree, REQUESTS)).predictRecords(PROBE));
      expect(await server.host.predict(PROBE)).toEqual(await (await reference(irisModel.trained, REQUESTS)).predictRecords(PROBE));
      const info = (await server.app.inject({ method: 'GET', url: '/model' })).json<{ learner: { name: string } }>();
      expect(info.learner.name).toBe('gaussian-nb');
    } finally {
      await server.close();
    }
  });

  it('a challenger that refuses a request the champion learns skips it, counted and logged; the client is answered 200', async () => {
    // The champion imputes missing values; the challenger, without the step, refuses them.
    const imputing = join(irisModel.scratch, 'imputing', 'm');
    await train({ source: { dataset: 'iris' }, model: { learner: 'gaussian-nb', preprocess: ['impute-mean'] }, output: { out: imputing } });
    const strict = copyAs(irisModel.trained, 'strict');
    const events: string[] = [];
    const server = await createServer({ model: imputing, challengers: [strict], learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0, log: (l, level) => events.push(`${level}: ${l}`) });
    try {
      const withNull = { ...IRIS[0], sepal_width_cm: null };
      const r = await server.app.inject({ method: 'POST', url: '/learn', payload: { rows: [IRIS[1], withNull] } });
      expect(r.statusCode).toBe(200);
      expect((await server.app.inject({ method: 'POST', url: '/learn', payload: IRIS[2] })).statusCode).toBe(200);
      const stats = (await server.app.inject({ method: 'GET', url: '/stats' })).json<StatsBody>();
      expect(stats.models.map((m) => [m.name, m.learned, m.skippedRequests, m.online.scored])).toEqual([
        ['champion', 3, 0, 3],
        ['strict', 1, 1, 1],
      ]);
      expect(events).toContain('warn: challenger strict: skipped a learn request it refuses (2 rows): row 1: feature "sepal_width_cm" must be a finite number (the model does not accept missing values)');
      const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toContain('streamlearn_challenger_skipped_requests_total{model="strict"} 1\n');
    } finally {
      await server.close();
    }
  });

  it('refuses challengers it cannot run, in one line naming the flag', async () => {
    const model = irisModel.copy();
    const a = copyAs(irisModel.trained, 'same');
    const b = copyAs(irisModel.trained, 'same');
    const csv = join(irisModel.scratch, 'other.csv');
    writeFileSync(csv, ['x,species', ...Array.from({ length: 20 }, (_, i) => `${i},${i % 2 ? 'setosa' : 'virginica'}`)].join('\n'));
    const other = join(irisModel.scratch, 'other', 'm');
    await train({ source: { file: csv, label: 'species' }, model: 'gaussian-nb', output: { out: other } });
    const cases: [Parameters<typeof createServer>[0], string][] = [
      [{ model, challengers: [a] }, 'challengers (--challenger) learn from POST /learn, which is off: set learn (--learn) to run challengers'],
      [{ model, challengers: [a], learn: true, metrics: false }, 'challengers (--challenger) are compared by their online accuracy, which is off (--no-metrics): drop --no-metrics to run challengers'],
      [{ model, challengers: [a, b], learn: true }, `--challenger ${b}: a second challenger named "same" (also ${a}); challengers are named by their directory, so give them different names`],
      [{ model, challengers: [model], learn: true }, `--challenger ${model}: the served model's directory (--model) cannot be its own challenger`],
      [{ model, challengers: [copyAs(irisModel.trained, 'champion')], learn: true }, '"champion" names the served model; rename the directory'],
      [{ model, challengers: [other], learn: true }, `--challenger ${other}: its features (x) are not the champion's (sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm); a challenger must learn the rows the champion learns`],
      [{ model, challengers: [join(a, 'nope')], learn: true }, `${join(a, 'nope')}: no manifest.json; not a streamlearn model directory`],
    ];
    for (const [options, message] of cases) await expect(createServer({ reloadIntervalSeconds: 0, ...options }), message).rejects.toThrow(message);
    const cli = spawnSync(process.execPath, [BIN, 'serve', '--model', model, '--challenger', a, '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    expect(cli.status).toBe(1);
    expect(cli.stderr.trimEnd().split('\n')).toEqual(['streamlearn: challengers (--challenger) learn from POST /learn, which is off: set learn (--learn) to run challengers']);
  });
});

describe('POST /promote', () => {
  it('makes the challenger the champion on disk and in memory; the former champion becomes that challenger', async () => {
    const championDir = irisModel.copy();
    const treeDir = copyAs(trainedTree, 'tree');
    const server = await createServer({ model: championDir, challengers: [treeDir], learn: true, learnToken: TOKEN, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      const url = await server.listen({ port: 0 });
      const post = async (path: string, body: string | undefined, headers: Record<string, string> = auth) => {
        const res = await fetch(`${url}${path}`, { method: 'POST', headers, body });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      for (const rows of REQUESTS.slice(0, 3)) expect((await post('/learn', JSON.stringify({ rows }))).status).toBe(200);
      const refused: [string | undefined, Record<string, string>, number, string][] = [
        ['{"challenger":"tree"}', json, 401, 'POST /promote needs the server\'s token: send the header "Authorization: Bearer <token>"'],
        ['{"challenger":"nope"}', auth, 404, 'no challenger named "nope" (challengers: tree)'],
        ['{"challenger":7}', auth, 400, 'body: expected {"challenger": NAME}, NAME one of: tree'],
        ['["tree"]', auth, 400, 'body: expected {"challenger": NAME}, NAME one of: tree'],
        [undefined, { authorization: `Bearer ${TOKEN}` }, 400, 'body: expected {"challenger": NAME}, NAME one of: tree'],
        ['{"challenger":', auth, 400, 'body: not valid JSON (Unexpected end of JSON input)'],
        ['challenger=tree', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, 415, 'body: unsupported content type "application/x-www-form-urlencoded"; send JSON with content-type: application/json'],
        // Own keys only: a name under __proto__ is no name, and "__proto__" is no challenger.
        ['{"__proto__":{"challenger":"tree"}}', auth, 400, 'body: expected {"challenger": NAME}, NAME one of: tree'],
        ['{"challenger":"__proto__"}', auth, 404, 'no challenger named "__proto__" (challengers: tree)'],
        [`{"challenger":${'['.repeat(10_000)}`, auth, 400, 'body: nested deeper than 32 levels; a row is an object of feature name to number, string or null'],
        [JSON.stringify({ challenger: 'x'.repeat(2_000_000) }), auth, 413, 'body: larger than the limit of 1048576 bytes (--max-body-bytes)'],
      ];
      for (const [body, headers, status, error] of refused) expect(await post('/promote', body, headers), String(body)).toEqual({ status, json: { error } });
      expect(server.fleet.promotions).toBe(0);

      const promoted = await post('/promote', '{"challenger":"tree"}');
      expect(promoted.status).toBe(200);
      expect(promoted.json).toMatchObject({ champion: { learner: 'hoeffding-tree' }, challenger: { name: 'tree', learner: 'gaussian-nb' } });
      // Learning goes on after the promotion, on both.
      for (const rows of REQUESTS.slice(3)) expect((await post('/learn', JSON.stringify({ rows }))).status).toBe(200);
      const served = (await post('/predict', JSON.stringify({ rows: PROBE }), json)).json.predictions;
      expect(served).toEqual(await (await reference(trainedTree, REQUESTS)).predictRecords(PROBE));
      expect(await server.fleet.challengers[0].predict(PROBE)).toEqual(await (await reference(irisModel.trained, REQUESTS)).predictRecords(PROBE));
      const stats = (await (await fetch(`${url}/stats`)).json()) as StatsBody;
      expect(stats.promotions).toBe(1);
      // Each model kept its online record through the swap: all 122 rows, under its new name.
      expect(stats.models.map((m) => [m.name, m.learner, m.online.scored])).toEqual([
        ['champion', 'hoeffding-tree', 122],
        ['tree', 'gaussian-nb', 122],
      ]);
      expect(((await (await fetch(`${url}/model`)).json()) as { identity: string }).identity).toBe(server.host.identity);
    } finally {
      await server.close();
    }
    // On disk: the swap is whole, nothing of it left beside the directories.
    expect((await loadModel(championDir)).learnerName).toBe('hoeffding-tree');
    expect((await loadModel(treeDir)).learnerName).toBe('gaussian-nb');
    expect(existsSync(promotionRecordPath(championDir))).toBe(false);
    for (const dir of [championDir, treeDir]) expect(readdirSync(dirname(dir)).filter((e) => e !== basename(dir))).toEqual([]);
  });

  it('answers 409 with no challengers, with learning on or off', async () => {
    for (const learn of [true, false]) {
      const server = await createServer({ model: irisModel.copy(), learn, reloadIntervalSeconds: 0 });
      try {
        const r = await server.app.inject({ method: 'POST', url: '/promote', payload: { challenger: 'x' } });
        expect(r.statusCode).toBe(409);
        expect(r.json()).toEqual({ error: 'no challengers to promote: start the server with --challenger DIR (and --learn)' });
      } finally {
        await server.close();
      }
    }
  });

  it('finishes a promotion cut off by a crash between its renames at the next start', async () => {
    const championDir = irisModel.copy();
    const treeDir = copyAs(trainedTree, 'tree');
    // The state exchangeModelDirs leaves when killed after its commit point, in the middle of the first move:
    // both new saves complete beside their directories, the record written, the champion's directory moved aside.
    const intoChampion = join(dirname(championDir), `.${basename(championDir)}.tmp-checkpoint-1-00c0ffee`);
    const intoTree = join(dirname(treeDir), '.tree.tmp-checkpoint-1-0badf00d');
    cpSync(treeDir, intoChampion, { recursive: true });
    cpSync(championDir, intoTree, { recursive: true });
    writeFileSync(promotionRecordPath(championDir), JSON.stringify({ format: 'streamlearn-promotion', version: 1, moves: [{ from: intoChampion, to: championDir }, { from: intoTree, to: treeDir }] }) + '\n');
    renameSync(championDir, `${intoChampion}.old`);
    const events: string[] = [];
    const server = await createServer({ model: championDir, challengers: [treeDir], learn: true, reloadIntervalSeconds: 0, log: (l) => events.push(l) });
    try {
      expect(events).toContain(`${championDir}: finished a promotion cut off by a crash`);
      expect(server.host.model.learnerName).toBe('hoeffding-tree');
      expect(server.fleet.challengers[0].model.learnerName).toBe('gaussian-nb');
    } finally {
      await server.close();
    }
    expect(existsSync(promotionRecordPath(championDir))).toBe(false);
    for (const dir of [championDir, treeDir]) expect(readdirSync(dirname(dir)).filter((e) => e !== basename(dir))).toEqual([]);

    // A record that is not one stops the start, naming it, and moves nothing.
    writeFileSync(promotionRecordPath(championDir), JSON.stringify({ format: 'streamlearn-promotion', version: 1, moves: [{ from: '/etc', to: championDir }, { from: intoTree, to: treeDir }] }));
    await expect(createServer({ model: championDir, reloadIntervalSeconds: 0 })).rejects.toThrow(
      `${promotionRecordPath(championDir)}: not a streamlearn promotion record; move it away to start (the model directories are as it found them)`,
    );
    expect((await loadModel(championDir)).learnerName).toBe('hoeffding-tree');
  });
});

// ------------------------------------------------------------ child processes

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `streamlearn serve` on a free loopback port and waits (at most 30 s) for the line with its URL. */
function serve(args: string[]): Promise<{ url: string; process: ChildProcess; exit: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--reload-interval', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STREAMLEARN_LEARN_TOKEN: TOKEN },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve: not listening within 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, process: child, exit, stderr: () => err });
      }
    });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
}

describe('a promotion survives SIGKILL', () => {
  it('restarts with the promoted champion, the former champion as the challenger, and every acknowledged update on each', async () => {
    const championDir = irisModel.copy();
    const treeDir = copyAs(trainedTree, 'tree');
    // No checkpoint by count or time: what is not in a promotion's saves is in the learn logs only.
    const a = await serve(['--model', championDir, '--challenger', treeDir, '--learn', '--checkpoint-every', '100000', '--checkpoint-interval', '0']);
    expect(a.stderr()).not.toMatch(/"level":[4-6]0/);
    const send = (path: string, body: unknown) => fetch(`${a.url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    for (const rows of REQUESTS.slice(0, 2)) expect((await send('/learn', { rows })).status).toBe(200);
    expect((await send('/promote', { challenger: 'tree' })).status).toBe(200);
    // Acknowledged after the promotion, then killed: these are in the new learn logs only.
    for (const rows of REQUESTS.slice(2)) expect((await send('/learn', { rows })).status).toBe(200);
    a.process.kill('SIGKILL');
    await a.exit;
    expect(readFileSync(join(championDir, LEARN_LOG_FILE), 'utf8').trim().split('\n')).toHaveLength(1 + REQUESTS.length - 2);

    const b = await serve(['--model', championDir, '--challenger', treeDir, '--learn', '--checkpoint-interval', '0']);
    const stats = (await (await fetch(`${b.url}/stats`)).json()) as StatsBody;
    expect(stats.models.map((m) => [m.name, m.learner])).toEqual([
      ['champion', 'hoeffding-tree'],
      ['tree', 'gaussian-nb'],
    ]);
    const served = (await (await fetch(`${b.url}/predict`, { method: 'POST', headers: json, body: JSON.stringify({ rows: PROBE }) })).json()) as { predictions: unknown[] };
    expect(served.predictions).toEqual(await (await reference(trainedTree, REQUESTS)).predictRecords(PROBE));
    b.process.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    // The former champion, now the challenger, kept its updates too (the stop checkpointed it).
    expect(await (await loadModel(treeDir)).predictRecords(PROBE)).toEqual(await (await reference(irisModel.trained, REQUESTS)).predictRecords(PROBE));
  });
});
