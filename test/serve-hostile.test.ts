import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/node/persist/model-dir.js';
import { train } from '../src/node/pipeline.js';
import { createServer, type ModelServer } from '../src/node/serve/app.js';
import { LEARN_LOG_FILE, type RecordRow } from '../src/node/serve/learn-log.js';
import { IRIS, features, relabelled, trainedIrisModel } from './serve-fixtures.js';
import { ROOT } from './helpers.js';

const BIN = join(ROOT, 'bin', 'streamlearn.js');
const PROBE = [0, 50, 100, 149].map((i) => features(IRIS[i]));

const irisModel = trainedIrisModel('streamlearn-hostile-');
const modelCopy = (): string => irisModel.copy();

/** Rejects after `ms`: every wait in these tests is bounded. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

interface RawAnswer {
  /** Everything the server sent before it closed the connection. */
  text: string;
  status: number | null;
  json: Record<string, unknown> | null;
}

/**
 * A raw TCP connection that sends `start`, then `drip` every `everyMs` for as
 * long as the server keeps it open, as a slow (or hostile) client would.
 * Resolves with what the server sent once it closes the connection.
 */
function slowClient(url: string, start: string, drip: string, everyMs: number): { closed: Promise<RawAnswer>; opened: Promise<void>; destroy: () => void } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  socket.on('error', () => undefined);
  const opened = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  socket.write(start);
  const timer = setInterval(() => {
    if (socket.writable) socket.write(drip);
  }, everyMs);
  const closed = new Promise<RawAnswer>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      const body = text.split('\r\n\r\n')[1];
      resolve({ text, status: status ? Number(status) : null, json: body ? (JSON.parse(body) as Record<string, unknown>) : null });
    }),
  );
  return { closed, opened, destroy: () => socket.destroy() };
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> };
}

// ---------------------------------------------------------------- slow clients

describe('serve: slow clients and too many connections', () => {
  it('closes a connection whose headers trickle in with 408, refuses connections past --max-connections, and serves again once they are gone', async () => {
    const server = await createServer({ model: modelCopy(), reloadIntervalSeconds: 0, headersTimeoutSeconds: 1, requestTimeoutSeconds: 2, maxConnections: 2 });
    const clients: ReturnType<typeof slowClient>[] = [];
    try {
      const url = await server.listen({ port: 0 });
      // A header line every 200 ms: never idle, never done.
      const trickle = () => slowClient(url, 'POST /predict HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n', 200);
      clients.push(trickle(), trickle());
      await within(Promise.all(clients.map((c) => c.opened)), 5_000, 'two connections');
      // Let the server accept both before the third comes.
      await new Promise((r) => setTimeout(r, 100));
      const third = trickle();
      clients.push(third);
      // Closed unanswered: a connection that had been accepted and timed out would carry a 408.
      const refused = await within(third.closed, 5_000, 'the connection past --max-connections closed');
      expect(refused.text).toBe('');
      const [a, b] = await within(Promise.all([clients[0].closed, clients[1].closed]), 8_000, 'the slow connections closed');
      for (const answer of [a, b]) {
        expect(answer.status).toBe(408);
        expect(answer.json).toEqual({ error: 'request: not received in time: headers within 1 s (--headers-timeout), the whole request within 2 s (--request-timeout)' });
      }
      const res = await within(fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PROBE[0]) }), 5_000, 'a normal request');
      expect(res.status).toBe(200);
    } finally {
      for (const c of clients) c.destroy();
      await server.close();
    }
  });

  it('closes a connection whose body trickles in with 408 after --request-timeout', async () => {
    const server = await createServer({ model: modelCopy(), reloadIntervalSeconds: 0, headersTimeoutSeconds: 1, requestTimeoutSeconds: 1.5 });
    try {
      const url = await server.listen({ port: 0 });
      const client = slowClient(url, 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{', ' ', 200);
      const answer = await within(client.closed, 8_000, 'the slow body closed');
      expect(answer.status).toBe(408);
      // Not HTTP at all: one-line JSON as well.
      const garbage = slowClient(url, 'NOT HTTP\r\n\r\n', '', 10_000);
      expect(await within(garbage.closed, 5_000, 'garbage closed')).toMatchObject({ status: 400, json: { error: 'request: not valid HTTP/1.1 (HPE_INVALID_METHOD)' } });
    } finally {
      await server.close();
    }
  });

  it('refuses bad timeout and connection options by name', async () => {
    const model = modelCopy();
    await expect(createServer({ model, headersTimeoutSeconds: 20, requestTimeoutSeconds: 10 })).rejects.toThrow(
      'headersTimeoutSeconds (--headers-timeout) 20 must be at most requestTimeoutSeconds (--request-timeout) 10',
    );
    await expect(createServer({ model, keepAliveTimeoutSeconds: 0 })).rejects.toThrow(
      'keepAliveTimeoutSeconds (--keep-alive-timeout) must be a number of seconds greater than 0 (at most 2147483), got 0',
    );
    await expect(createServer({ model, maxConnections: 0.5 })).rejects.toThrow('maxConnections (--max-connections) must be an integer of at least 1, got 0.5');
  });
});

// ---------------------------------------------------------------- odd bodies

describe('serve: odd bodies get a 4xx and one line', () => {
  let server: ModelServer;
  let url: string;
  beforeAll(async () => {
    server = await createServer({ model: modelCopy(), reloadIntervalSeconds: 0, maxBodyBytes: 2_000_000 });
    url = await server.listen({ port: 0 });
  });
  afterAll(() => server.close());

  it('answers every content type but JSON, any Content-Encoding and a non-UTF-8 charset with 415', async () => {
    const row = JSON.stringify(PROBE[0]);
    const cases: [Record<string, string>, string | Buffer, string][] = [
      [{ 'content-type': 'text/plain' }, row, 'body: unsupported content type "text/plain"; send JSON with content-type: application/json'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'a=1', 'body: unsupported content type "application/x-www-form-urlencoded"; send JSON with content-type: application/json'],
      [{ 'content-type': 'application/json; charset=latin1' }, row, 'body: unsupported charset "latin1"; send JSON in UTF-8'],
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(row), 'body: unsupported Content-Encoding "gzip"; send the body uncompressed'],
      // A zip bomb is refused unread, not inflated.
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(50_000_000, 0x20)), 'body: unsupported Content-Encoding "gzip"; send the body uncompressed'],
      [{ 'content-type': 'application/json', 'content-encoding': 'br' }, row, 'body: unsupported Content-Encoding "br"; send the body uncompressed'],
    ];
    for (const [headers, body, error] of cases) {
      const r = await post(`${url}/predict`, body, headers);
      expect(r.status, JSON.stringify(headers)).toBe(415);
      expect(r.json).toEqual({ error });
    }
    const encoded = await post(`${url}/predict`, gzipSync(row), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(encoded.headers.get('accept-encoding')).toBe('identity');
    // UTF-8 named, identity encoding: served.
    expect((await post(`${url}/predict`, row, { 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'identity' })).status).toBe(200);
  });

  it('answers rows that are not an array, out-of-range numbers and deep nesting with 400 naming the field', async () => {
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const cases: [string, string][] = [
      ['{"rows":"x"}', 'body: "rows" must be an array of rows, got "x"'],
      [`{"rows":${JSON.stringify(PROBE[0])}}`, 'body: "rows" must be an array of rows, got {"sepal_length_cm":5.1,"sepal_width_c...'],
      [JSON.stringify({ ...PROBE[0], sepal_width_cm: 7 }).replace('7', '1e400'), 'row 0: feature "sepal_width_cm" must be a finite number (JSON numbers beyond ±1.8e308 are out of range)'],
      [`{"rows":[${JSON.stringify(PROBE[0])},{"a":-1e999}]}`, 'row 1: feature "a" must be a finite number (JSON numbers beyond ±1.8e308 are out of range)'],
      [`{"rows":${deep(100_000)}}`, 'body: nested deeper than 32 levels; a row is an object of feature name to number, string or null'],
      [`{"rows":[{"a":${deep(40)}}]}`, 'body: nested deeper than 32 levels; a row is an object of feature name to number, string or null'],
      [`{"rows":[{"a":${deep(20)}}]}`, 'row 0: feature "a" must be a number, a category name or null, got [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]'],
      // 3 + 29 levels: at the bound, so the value reaches the row check.
      [`{"rows":[{"a":${deep(29)}}]}`, 'row 0: feature "a" must be a number, a category name or null, got [[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]...'],
      [deep(100_000), 'body: nested deeper than 32 levels; a row is an object of feature name to number, string or null'],
    ];
    for (const [body, error] of cases) {
      const r = await post(`${url}/predict`, body);
      expect(r.status, body.slice(0, 60)).toBe(400);
      expect(r.json).toEqual({ error });
    }
    // Brackets inside a string are not nesting: this row reaches the model, which names the feature.
    const bracketed = await post(`${url}/predict`, JSON.stringify({ ...PROBE[0], sepal_length_cm: '['.repeat(100) }));
    expect(bracketed).toMatchObject({ status: 400, json: { error: 'row 0: feature "sepal_length_cm" must be a finite number' } });
  });

  it('answers no 500 to a mixed bag of bodies, each with one line of JSON', async () => {
    const bodies = ['', ' ', 'null', '1', '"x"', '[]', '{}', '[1]', '[null]', '{"rows":null}', '{"rows":[[]]}', '{"rows":[{"a":{}}]}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '{"a":1}garbage'];
    for (const body of bodies) {
      const r = await post(`${url}/predict`, body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body)).toBeLessThan(500);
      expect(Object.keys(r.json)).toEqual(['error']);
      expect(r.json.error as string).not.toMatch(/\n/);
    }
    // Nothing leaked onto Object.prototype.
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

// ---------------------------------------------------------------- own properties

describe('serve: features named like Object.prototype properties', () => {
  it('reads features as own properties only: a missing "constructor" or "__proto__" is missing, a present one is its value', async () => {
    const csv = join(irisModel.scratch, 'proto.csv');
    const lines = ['constructor,__proto__,toString,kind'];
    for (let i = 0; i < 80; i++) lines.push(`${(i * 37) % 11},${(i * 13) % 7},${i % 5},${(i * 37) % 11 > 5 ? 'hi' : 'lo'}`);
    writeFileSync(csv, lines.join('\n'));
    const dir = join(irisModel.scratch, 'proto-model');
    const { model } = await train({ source: { file: csv, label: 'kind' }, model: 'gaussian-nb', output: { out: dir } });
    const server = await createServer({ model: dir, learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      const url = await server.listen({ port: 0 });
      const row = '{"constructor": 9, "__proto__": 3, "toString": 1}';
      const good = await post(`${url}/predict`, row);
      expect(good.status).toBe(200);
      const expected = await model.predictRecords([Object.assign(Object.create(null) as Record<string, number>, { constructor: 9, ['__proto__']: 3, toString: 1 })]);
      expect(good.json).toEqual({ predictions: expected });
      const cases: [string, string][] = [
        ['{"__proto__": 3, "toString": 1}', 'row 0: feature "constructor" is missing'],
        ['{"constructor": 9, "toString": 1}', 'row 0: feature "__proto__" is missing'],
        ['{"constructor": 9, "__proto__": 3}', 'row 0: feature "toString" is missing'],
        ['{"constructor": 9, "__proto__": {"polluted": 1}, "toString": 1}', 'row 0: feature "__proto__" must be a number, a category name or null, got {"polluted":1}'],
      ];
      for (const [body, error] of cases) expect(await post(`${url}/predict`, body), body).toMatchObject({ status: 400, json: { error } });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // Learned with such a row, logged, and replayed the same after a crash.
      expect((await post(`${url}/learn`, '{"constructor": 2, "__proto__": 6, "toString": 4, "kind": "hi"}')).status).toBe(200);
      const after = (await post(`${url}/predict`, row)).json;
      const { recoverModel } = await import('../src/node/serve/recover.js');
      const recovered = await recoverModel(dir);
      expect(recovered.replayed.rows).toBe(1);
      expect({ predictions: await recovered.model.predictRecords([JSON.parse(row) as RecordRow]) }).toEqual(after);
    } finally {
      await server.close();
    }
  });
});

// ---------------------------------------------------------------- learn token

describe('serve: a bearer token for POST /learn', () => {
  it('answers 401 with a Bearer challenge without the token or with a wrong one, and learns with it; /predict needs none', async () => {
    const server = await createServer({ model: modelCopy(), learn: true, learnToken: 's3cret-token', reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
    try {
      const url = await server.listen({ port: 0 });
      const body = JSON.stringify({ rows: relabelled(0, 2) });
      const json = { 'content-type': 'application/json' };
      const missing = await post(`${url}/learn`, body, json);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="streamlearn"');
      expect(missing.json).toEqual({ error: 'POST /learn needs the server\'s token: send the header "Authorization: Bearer <token>"' });
      for (const authorization of ['Bearer s3cret-tokeN', 'Bearer s3cret-token-and-more', 'Basic czNjcmV0LXRva2Vu', 'Bearer']) {
        const r = await post(`${url}/learn`, body, { ...json, authorization });
        expect(r.status, authorization).toBe(401);
        expect(r.headers.get('www-authenticate'), authorization).toMatch(/^Bearer realm="streamlearn"/);
      }
      expect((await post(`${url}/learn`, body, { ...json, authorization: 'Bearer s3cret-tokeN' })).json).toEqual({ error: 'POST /learn: the bearer token is not the server\'s token' });
      // Checked before the body: no token, no parsing (this would be a 415).
      expect((await post(`${url}/learn`, 'x', { 'content-type': 'text/plain' })).status).toBe(401);
      expect(server.host.updates.sinceLoad).toBe(0);
      const ok = await post(`${url}/learn`, body, { ...json, authorization: 'bearer s3cret-token' });
      expect(ok.status).toBe(200);
      expect(server.host.updates.sinceLoad).toBe(2);
      expect((await post(`${url}/predict`, JSON.stringify(PROBE[0]))).status).toBe(200);
    } finally {
      await server.close();
    }
    await expect(createServer({ model: modelCopy(), learn: true, learnToken: 'has space' })).rejects.toThrow(
      'learnToken (--learn-token-file or STREAMLEARN_LEARN_TOKEN) must be 1 or more visible ASCII characters without spaces',
    );
  });

  it('takes the token from --learn-token-file or STREAMLEARN_LEARN_TOKEN, never from the command line', async () => {
    const dir = modelCopy();
    const tokenFile = join(irisModel.scratch, 'token');
    writeFileSync(tokenFile, 'from-a-file\n', { mode: 0o600 });
    const fifo = join(irisModel.scratch, 'token-fifo');
    spawnSync('mkfifo', [fifo]);
    const refused: [string[], Record<string, string>, string][] = [
      [['--learn-token', 'abc'], {}, 'streamlearn: --learn-token: a token on the command line is visible to every user of this machine (ps); put it in a file (--learn-token-file FILE) or the STREAMLEARN_LEARN_TOKEN environment variable'],
      [['--learn-token-file', tokenFile], { STREAMLEARN_LEARN_TOKEN: 'x' }, 'streamlearn: --learn-token-file and STREAMLEARN_LEARN_TOKEN both set the learn token; use one'],
      [[], { STREAMLEARN_LEARN_TOKEN: '' }, 'streamlearn: STREAMLEARN_LEARN_TOKEN is set but empty; set it to the token, or unset it to serve without one'],
      [['--learn-token-file', join(irisModel.scratch, 'nope')], {}, `streamlearn: --learn-token-file ${join(irisModel.scratch, 'nope')}: no such file`],
      [['--learn-token-file', fifo], {}, `streamlearn: --learn-token-file ${fifo}: not a regular file`],
    ];
    for (const [args, env, message] of refused) {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--model', dir, '--learn', '--port', '0', ...args], {
        encoding: 'utf8',
        env: { ...process.env, STREAMLEARN_LEARN_TOKEN: undefined, ...env },
        timeout: 20_000,
      });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toEqual([message]);
    }
    for (const [args, env, token] of [
      [['--learn-token-file', tokenFile], {}, 'from-a-file'],
      [[], { STREAMLEARN_LEARN_TOKEN: 'from-the-env' }, 'from-the-env'],
    ] as [string[], Record<string, string>, string][]) {
      const child = await serve(['--model', dir, '--learn', ...args], env);
      expect(child.line).toMatch(/\(learning on, with a bearer token\)$/);
      const body = JSON.stringify(relabelled(0, 1));
      expect((await post(`${child.url}/learn`, body)).status).toBe(401);
      expect((await post(`${child.url}/learn`, body, { 'content-type': 'application/json', authorization: `Bearer ${token}` })).status).toBe(200);
      child.process.kill('SIGTERM');
      expect(await within(child.exit, 20_000, 'serve exits')).toBe(0);
    }
  });
});

// ---------------------------------------------------------------- learn log

interface Child {
  url: string;
  line: string;
  process: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `streamlearn serve` on a free loopback port and waits (at most 30 s) for the line with its URL. */
function serve(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--reload-interval', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STREAMLEARN_LEARN_TOKEN: undefined, ...env },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<Child>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, line: out.trim(), process: child, stderr: () => err, exit });
    });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  return within(started, 30_000, 'serve listening');
}

/**
 * A model directory whose learn log holds `requests` (acknowledged by a
 * server that then died without a checkpoint), with line `bad` (1-based,
 * the header is line 1) replaced by `replacement`.
 */
async function corruptLog(requests: RecordRow[][], bad: number, replacement: string): Promise<{ dir: string; lines: string[] }> {
  const dir = modelCopy();
  const server = await createServer({ model: dir, learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0, checkpointEvery: 1_000_000 });
  for (const rows of requests) await server.host.learn(rows);
  // Dropped unclosed, as a crash would: the requests are in the log only.
  const path = join(dir, LEARN_LOG_FILE);
  const lines = readFileSync(path, 'utf8').split('\n');
  expect(lines).toHaveLength(requests.length + 2);
  lines[bad - 1] = replacement;
  writeFileSync(path, lines.join('\n'));
  return { dir, lines };
}

const rejectedFiles = (dir: string): string[] => readdirSync(join(dir, '..')).filter((f) => f.startsWith('m.learn-log.rejected-'));

describe('serve: a learn log with a record it cannot replay', () => {
  const requests = [relabelled(0, 15), relabelled(15, 15), relabelled(30, 15), relabelled(45, 15)];

  it('refuses to start, naming the log and line and the way to start anyway; the directory is left as it was', async () => {
    const { dir } = await corruptLog(requests, 3, '{"rows":[{"sepal_le');
    const log = join(dir, LEARN_LOG_FILE);
    const before = readFileSync(log, 'utf8');
    const message =
      `${log}: line 3: not a valid log record (not JSON); not starting, so that no acknowledged update is dropped: ` +
      `--learn-log-recovery keep-prefix starts with the 1 request before line 3 and moves line 3 and the rest of the log to a file beside ${dir}`;
    await expect(createServer({ model: dir, reloadIntervalSeconds: 0 })).rejects.toThrow(message);
    const r = spawnSync(process.execPath, [BIN, 'serve', '--model', dir, '--port', '0'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([`streamlearn: ${message}`]);
    expect(readFileSync(log, 'utf8')).toBe(before);
    expect(rejectedFiles(dir)).toEqual([]);

    // Valid JSON whose rows the model refuses is as bad, and says why.
    const refusedRows = await corruptLog(requests, 4, JSON.stringify({ rows: [features(IRIS[0])] }));
    await expect(createServer({ model: refusedRows.dir, reloadIntervalSeconds: 0 })).rejects.toThrow(
      `${join(refusedRows.dir, LEARN_LOG_FILE)}: line 4: a record the model refuses: row 0: label "species" is missing; not starting`,
    );
    const notRows = await corruptLog(requests, 2, JSON.stringify({ rows: [{ ...IRIS[0], sepal_length_cm: [[1]] }] }));
    await expect(createServer({ model: notRows.dir, reloadIntervalSeconds: 0 })).rejects.toThrow(
      `line 2: a record the model refuses: row 0: feature "sepal_length_cm" must be a number, a category name or null, got [[1]]; not starting`,
    );
  });

  it('with --learn-log-recovery keep-prefix starts with the good prefix and moves exactly the rest aside, saying how many', async () => {
    const { dir, lines } = await corruptLog(requests, 4, 'garbage');
    const a = await serve(['--model', dir, '--learn', '--learn-log-recovery', 'keep-prefix', '--checkpoint-interval', '0']);
    const [aside] = rejectedFiles(dir);
    expect(aside).toMatch(/^m\.learn-log\.rejected-[\dT-]+Z\.jsonl$/);
    const asidePath = join(dir, '..', aside);
    // Line 4 on: the bad record, the request after it and the final empty line's newline.
    expect(readFileSync(asidePath, 'utf8')).toBe(lines.slice(3).join('\n'));
    expect(a.stderr()).toContain(`${dir}: learn log line 4: not a valid log record (not JSON); set aside 2 lines (line 4 and after, not replayed) to ${asidePath}`);
    expect(a.stderr()).toContain(`${dir}: replayed 2 learn requests (30 rows) from the learn log`);
    const prefix = await loadModel(irisModel.trained);
    for (const rows of requests.slice(0, 2)) await prefix.learnRecords(rows);
    const expected = await prefix.predictRecords(PROBE);
    const served = await post(`${a.url}/predict`, JSON.stringify({ rows: PROBE }));
    expect(served.json.predictions).toEqual(expected);
    a.process.kill('SIGTERM');
    expect(await within(a.exit, 20_000, 'serve exits')).toBe(0);
    // The prefix is in the checkpoint now: a plain start serves the same model and sets nothing more aside.
    const b = await serve(['--model', dir]);
    expect((await post(`${b.url}/predict`, JSON.stringify({ rows: PROBE }))).json.predictions).toEqual(expected);
    expect(rejectedFiles(dir)).toHaveLength(1);
    b.process.kill('SIGTERM');
    expect(await within(b.exit, 20_000, 'serve exits')).toBe(0);
  });

  it('without --learn, keep-prefix cuts the log at the bad record so the next plain start replays the prefix; a bad header sets the whole log aside', async () => {
    const { dir, lines } = await corruptLog(requests, 3, '{"rows": 5}');
    const log: string[] = [];
    const server = await createServer({ model: dir, reloadIntervalSeconds: 0, learnLogRecovery: 'keep-prefix', log: (l) => log.push(l) });
    const expected = await server.host.predict(PROBE);
    await server.close();
    expect(log.join('\n')).toMatch(/learn log line 3: not a valid log record \(no "rows" array\); set aside 3 lines/);
    expect(readFileSync(join(dir, LEARN_LOG_FILE), 'utf8')).toBe(lines.slice(0, 2).join('\n') + '\n');
    const again = await createServer({ model: dir, reloadIntervalSeconds: 0 });
    expect(again.host.updates.replayed).toBe(15);
    expect(await again.host.predict(PROBE)).toEqual(expected);
    await again.close();

    const header = await corruptLog(requests, 1, '{"format":"something-else"}');
    const h = await createServer({ model: header.dir, reloadIntervalSeconds: 0, learnLogRecovery: 'keep-prefix' });
    expect(h.host.updates.replayed).toBe(0);
    await h.close();
    const [aside] = rejectedFiles(header.dir);
    expect(readFileSync(join(header.dir, '..', aside), 'utf8')).toBe(header.lines.join('\n'));
    expect(readFileSync(join(header.dir, LEARN_LOG_FILE), 'utf8')).toBe('');
  });

  it('refuses a learn log that is not a regular file instead of hanging on it', async () => {
    const dir = modelCopy();
    spawnSync('mkfifo', [join(dir, LEARN_LOG_FILE)]);
    await expect(within(createServer({ model: dir, reloadIntervalSeconds: 0 }), 10_000, 'createServer')).rejects.toThrow(
      `${join(dir, LEARN_LOG_FILE)}: not a regular file; a learn log is one (a link or a FIFO is refused)`,
    );
  });
});
