import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectBroker, silentReporter } from '../src/node/broker/connection.js';
import { parseModelRef } from '../src/node/broker/url.js';
import { train } from '../src/node/pipeline.js';
import { ROOT, runCli } from './helpers.js';

/**
 * `serve --model nats://…`: a registry model is served and every serve
 * instance follows its newest version. Needs a NATS server with JetStream
 * (STREAMLEARN_NATS_URL, as test/nats.test.ts); in CI its absence fails there.
 */
const NATS = process.env.STREAMLEARN_NATS_URL;
if (!NATS) console.warn('\n[serve-registry.test.ts] did NOT run: STREAMLEARN_NATS_URL is not set (see test/nats.test.ts for how to start a server).\n');

const IRIS_ROW = { sepal_length_cm: 6.1, sepal_width_cm: 2.8, petal_length_cm: 4.7, petal_width_cm: 1.2 };

function startServe(args: string[]): { child: ChildProcess; url: Promise<string>; stderr: () => string } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'streamlearn.js'), 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err };
}

describe.skipIf(!NATS)('serve --model nats://… (the model registry)', () => {
  const bucket = `serve_${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    const broker = await connectBroker(parseModelRef(`${NATS}/${bucket}/x`), { flag: '--model', display: NATS!, report: silentReporter });
    await broker.jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
    await broker.jsm.streams.delete(`OBJ_${bucket}`).catch(() => undefined);
    await broker.close();
  });

  it('serves the current version and hot-reloads each new one, with no failed request', async () => {
    const ref = `${NATS}/${bucket}/iris`;
    await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: ref } });
    const serve = startServe(['--model', ref, '--port', '0', '--reload-interval', '0.2']);
    children.push(serve.child);
    const url = await serve.url;
    const model = async (): Promise<{ learner: { name: string } }> => (await fetch(`${url}/model`)).json() as Promise<{ learner: { name: string } }>;
    expect((await model()).learner.name).toBe('gaussian-nb');

    let answered = 0;
    const failures: string[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(IRIS_ROW) });
        if (r.status === 200) answered++;
        else failures.push(`${r.status} ${await r.text()}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    // A new version from a training run elsewhere: every instance following the name picks it up.
    await train({ source: { dataset: 'iris' }, model: 'knn', output: { out: ref } });
    const deadline = Date.now() + 30_000;
    while ((await model()).learner.name !== 'knn') {
      if (Date.now() > deadline) throw new Error(`no reload within 30 s; stderr: ${serve.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = answered;
    while (answered < before + 20) await new Promise((resolve) => setTimeout(resolve, 10));
    stop = true;
    await loop;
    expect(failures).toEqual([]);
    expect(serve.stderr()).toMatch(/version 2 \(knn\) saved for serving/);
    serve.child.kill('SIGTERM');
    const code = await new Promise((resolve) => serve.child.once('exit', resolve));
    expect(code).toBe(0);
  });

  it('refuses --learn with a registry model, in one line', () => {
    const r = runCli(['serve', '--model', `${NATS}/${bucket}/iris`, '--learn']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`streamlearn: --learn needs a model directory, not a registry model (${NATS}/${bucket}/iris): serve a directory to learn online\n`);
  });
});
