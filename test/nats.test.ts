import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentReporter, type Broker } from '../src/node/broker/connection.js';
import { loadModelFrom, loadModelVersion, saveModelTo, watchRegistry, type RegistryVersion } from '../src/node/broker/registry.js';
import { readStreamFormat } from '../src/node/broker/stream-format.js';
import { parseModelRef, parseStreamUrl } from '../src/node/broker/url.js';
import { rowsToBatch, type Batch } from '../src/core/types.js';
import type { Model } from '../src/learners/model.js';
import { loadModel } from '../src/node/persist/model-dir.js';
import { train } from '../src/node/pipeline.js';
import { ROOT, runCli, tempDir } from './helpers.js';
import { freePort, heldOutBatch, natsServerProgram, readSummary, until, closeTestBroker, connectTestBroker } from './nats-fixtures.js';

/**
 * The broker tests need a NATS server with JetStream, whose address comes
 * from STREAMLEARN_NATS_URL (.ci/run starts one and sets it). Without it
 * they say that they did not run and how to get one; in CI (CI=true) its
 * absence is a failure, never a skip.
 */
const NATS = process.env.STREAMLEARN_NATS_URL;
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const HOW =
  'install nats-server (Debian/Ubuntu: sudo apt-get install nats-server), start it with JetStream ' +
  '(nats-server -js -a 127.0.0.1 -p 4222 -sd /tmp/nats), and export STREAMLEARN_NATS_URL=nats://127.0.0.1:4222';

if (!NATS && !IN_CI) {
  console.warn(`\n[nats.test.ts] the NATS broker tests did NOT run: STREAMLEARN_NATS_URL is not set. To run them, ${HOW}.\n`);
}

describe.runIf(!NATS && IN_CI)('NATS broker tests in CI', () => {
  it('need a NATS server: CI=true and STREAMLEARN_NATS_URL is not set', () => {
    throw new Error(`the broker tests cannot run without a NATS server with JetStream; .ci/run starts one, or ${HOW}`);
  });
});

describe('nats:// addresses', () => {
  it('parses streams and registry references, and refuses bad ones naming the flag', () => {
    expect(parseStreamUrl('nats://127.0.0.1:4223/sea')).toMatchObject({ servers: 'nats://127.0.0.1:4223', stream: 'sea' });
    expect(parseStreamUrl('nats://localhost/sea', '--to').servers).toBe('nats://localhost:4222');
    expect(parseModelRef('nats://h:1/models/sea-nb@3')).toMatchObject({ bucket: 'models', name: 'sea-nb', version: 3 });
    const u = parseStreamUrl('nats://me:secret@h:5/s');
    expect([u.user, u.pass, u.display]).toEqual(['me', 'secret', 'nats://h:5/s']);
    expect(() => parseStreamUrl('nats://h:1/a/b')).toThrow('--source nats://h:1/a/b: expected nats://HOST:PORT/STREAM (one stream name after the address)');
    expect(() => parseStreamUrl('http://h/s', '--to')).toThrow('--to http://h/s: expected nats://HOST:PORT/STREAM');
    expect(() => parseStreamUrl('nats://h/s.x')).toThrow(/"s.x" is not a valid stream name/);
    expect(() => parseModelRef('nats://h/models', '--out')).toThrow(/^--out nats:\/\/h\/models: expected nats:\/\/HOST:PORT\/BUCKET\/NAME/);
    expect(() => parseModelRef('nats://h/m/n@x')).toThrow(/"@x" is not a version/);
  });
});

/** A CLI run in the background, for workers. */
interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startCli(args: string[]): Running {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'streamlearn.js'), ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}




async function accuracy(model: Model, batch: Batch): Promise<number> {
  const predicted = await model.predict(batch.x);
  let right = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === batch.y[i]) right++;
  return right / predicted.length;
}



/** One line on stderr, prefixed, and nothing else: the CLI's form of a user error. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^streamlearn: /);
  return lines[0];
}

describe.skipIf(!NATS)('NATS JetStream', () => {
  const url = NATS ?? '';
  const suffix = `${process.pid}${Math.random().toString(36).slice(2, 7)}`;
  const streams: string[] = [];
  const buckets: string[] = [];
  let broker: Broker;
  const streamName = (what: string): string => {
    const name = `t_${what}_${suffix}`;
    streams.push(name);
    return name;
  };
  const bucketName = (what: string): string => {
    const name = `t_${what}_${suffix}`;
    buckets.push(name);
    return name;
  };

  beforeAll(async () => {
    broker = await connectTestBroker(url);
  });

  afterAll(() => closeTestBroker(broker, streams, buckets));

  it('publishes a file with progress and a final count, records its format, and train --source reads every row', async () => {
    const stream = streamName('iris');
    const pub = runCli(['publish', 'data/iris.csv', '--label', 'species', '--to', `${url}/${stream}`]);
    expect(pub.stderr).not.toMatch(/streamlearn: /);
    expect(pub.status).toBe(0);
    expect(pub.stdout).toContain(`published 150 rows in 150 messages to ${url}/${stream} (subject ${stream}.rows, csv, sequences 1-150)`);
    expect((await broker.jsm.streams.info(stream)).state.messages).toBe(150);
    const format = await readStreamFormat(broker, stream, 'test');
    expect(format).toMatchObject({ encoding: 'csv', label: 'species', classes: ['setosa', 'versicolor', 'virginica'], subject: `${stream}.rows` });

    // JSON lines, seven rows to a message, appended to another stream.
    const jstream = streamName('irisj');
    const gen = runCli(['publish', 'data/iris.csv', '--label', 'species', '--to', `${url}/${jstream}`, '--encoding', 'jsonl', '--lines-per-message', '7', '--format', 'json']);
    expect(gen.status).toBe(0);
    expect(JSON.parse(gen.stdout)).toMatchObject({ rows: 150, messages: 22, encoding: 'jsonl', firstSequence: 1, lastSequence: 22 });

    for (const s of [stream, jstream]) {
      const r = runCli(['train', '--source', `${url}/${s}`, '--protocol', 'prequential', '--no-save', '--format', 'json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const report = JSON.parse(r.stdout) as { rows: number; dataset: string; classes: string[]; accuracy: number };
      expect(report).toMatchObject({ rows: 150, dataset: s, classes: ['setosa', 'versicolor', 'virginica'] });
      expect(report.accuracy).toBeGreaterThan(0.8);
    }
    // Reading acknowledged nothing and left no consumer behind that counts: the stream reads again, whole.
    const again = await train({ source: { nats: `${url}/${stream}`, report: silentReporter }, protocol: 'prequential', output: { out: null } });
    expect(again.report.rows).toBe(150);
  });

  it('train --source --durable acknowledges once the model is saved, and the next run goes on from there', async () => {
    const stream = streamName('durable');
    const to = `${url}/${stream}`;
    expect(runCli(['publish', 'synth:sea', '--rows', '400', '--to', to]).status).toBe(0);
    const out = join(tempDir(), 'model');
    const first = runCli(['train', '--source', to, '--durable', 'trainer', '--protocol', 'prequential', '--out', out, '--format', 'json']);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout).rows).toBe(400);
    let info = await broker.jsm.consumers.info(stream, 'trainer');
    expect([info.num_pending, info.num_ack_pending, info.ack_floor.stream_seq]).toEqual([0, 0, 400]);

    expect(runCli(['publish', 'synth:sea', '--rows', '150', '--seed', '7', '--to', to]).status).toBe(0);
    // Not saved: nothing is acknowledged, the messages are handed back for the next run.
    const unsaved = runCli(['train', '--source', to, '--durable', 'trainer', '--protocol', 'prequential', '--no-save', '--format', 'json']);
    expect(JSON.parse(unsaved.stdout).rows).toBe(150);
    info = await broker.jsm.consumers.info(stream, 'trainer');
    expect(info.ack_floor.stream_seq).toBe(400);
    const second = runCli(['train', '--source', to, '--durable', 'trainer', '--protocol', 'prequential', '--out', out, '--format', 'json']);
    expect(JSON.parse(second.stdout).rows).toBe(150);
    info = await broker.jsm.consumers.info(stream, 'trainer');
    expect([info.num_pending, info.num_ack_pending, info.ack_floor.stream_seq]).toEqual([0, 0, 550]);

    const empty = runCli(['train', '--source', to, '--durable', 'trainer', '--protocol', 'prequential', '--out', out]);
    expect(empty.status).toBe(1);
    expect(oneLine(empty.stderr)).toBe(
      `streamlearn: --source ${to}: consumer trainer has nothing pending (the stream holds 550 messages, and it has taken every one it reads already); ` +
        'publish more rows, or leave out --durable to read the stream from its first message',
    );
  });

  it('keeps models in the registry: versions, the current pointer, a watch that sees each new one, predict --model nats://', async () => {
    const bucket = bucketName('reg');
    const ref = `${url}/${bucket}/iris-nb`;
    const dir = tempDir();
    const first = await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: ref } });
    expect(first.report.modelPath).toBe(ref);
    const seen: RegistryVersion[] = [];
    const loaded: Model[] = [];
    const watch = await watchRegistry(
      ref,
      async (v, load) => {
        seen.push(v);
        loaded.push(await load());
      },
      { report: silentReporter },
    );
    await until('the watch to report and load version 1', () => loaded.length === 1, 10_000);
    expect(seen[0]).toMatchObject({ version: 1, learner: 'gaussian-nb', rows: 150, ref: `${ref}@1` });
    const second = await train({ source: { dataset: 'iris' }, model: 'softmax-regression', seed: 3, output: { out: null } });
    const saved = await saveModelTo(second.model, ref);
    expect(saved).toEqual({ location: `${ref}@2`, version: 2 });
    await until('the watch to report and load version 2', () => loaded.length === 2, 10_000);
    expect(seen[1].version).toBe(2);
    expect(loaded[1].learnerName).toBe('softmax-regression');
    await watch.stop();

    const x = rowsToBatch(
      [
        { x: Float64Array.from([5.1, 3.5, 1.4, 0.2]), y: 0, line: 1 },
        { x: Float64Array.from([6.7, 3.0, 5.2, 2.3]), y: 2, line: 2 },
      ],
      4,
    ).x;
    const current = await loadModelVersion(ref);
    expect(current.version?.version).toBe(2);
    expect(await current.model.predictProba(x)).toEqual(await second.model.predictProba(x));
    expect(await (await loadModelFrom(`${ref}@1`)).predictProba(x)).toEqual(await first.model.predictProba(x));

    // The same through the command line, against a directory copy of the same model.
    await saveModelTo(second.model, join(dir, 'copy'));
    const fromRegistry = runCli(['predict', '--model', ref, '--input', 'data/iris.csv']);
    const fromDir = runCli(['predict', '--model', join(dir, 'copy'), '--input', 'data/iris.csv']);
    expect(fromRegistry.status).toBe(0);
    expect(fromRegistry.stdout).toBe(fromDir.stdout);
    expect(oneLine(runCli(['predict', '--model', `${ref}@9`, '--input', 'data/iris.csv']).stderr)).toBe(
      `streamlearn: --model ${ref}@9: no version 9 of "iris-nb" (kept: 1, 2)`,
    );
    expect(oneLine(runCli(['predict', '--model', `${url}/nosuchbucket_${suffix}/m`, '--input', 'data/iris.csv']).stderr)).toContain(
      `no model registry "nosuchbucket_${suffix}" on the server`,
    );
  });

  it('fails in one line naming the flag: bad addresses, no server, no stream', () => {
    const noServer = runCli(['publish', 'synth:sea', '--rows', '10', '--to', 'nats://127.0.0.1:1/x', '--connect-timeout', '0']);
    expect(noServer.status).toBe(1);
    expect(oneLine(noServer.stderr)).toMatch(/^streamlearn: --to nats:\/\/127.0.0.1:1\/x: cannot reach a NATS server \(.*\); is nats-server running with JetStream/);
    const retried = runCli(['train', '--source', 'nats://127.0.0.1:1/x', '--connect-timeout', '1']);
    expect(oneLine(retried.stderr)).toMatch(/^streamlearn: --source nats:\/\/127.0.0.1:1\/x: cannot reach a NATS server \(.*\) after \d+ attempts in 1 s/);
    expect(oneLine(runCli(['train', '--source', `${url}/a/b`]).stderr)).toBe(`streamlearn: --source ${url}/a/b: expected nats://HOST:PORT/STREAM (one stream name after the address)`);
    expect(oneLine(runCli(['train', '--source', `${url}/nosuch_${suffix}`]).stderr)).toBe(
      `streamlearn: --source ${url}/nosuch_${suffix}: no stream "nosuch_${suffix}" on the server (put rows in it first: streamlearn publish FILE --to ${url}/nosuch_${suffix})`,
    );
    expect(oneLine(runCli(['train', '--durable', 'x']).stderr)).toBe('streamlearn: --durable applies to --source nats://HOST:PORT/STREAM only');
    expect(oneLine(runCli(['train', '--dataset', 'iris', '--out', `${url}/bucket`]).stderr)).toMatch(/^streamlearn: --out .*: expected nats:\/\/HOST:PORT\/BUCKET\/NAME/);
    const dir = tempDir();
    expect(oneLine(runCli(['worker', '--source', `${url}/nosuch_${suffix}`, '--durable', 'bad name', '--out', join(dir, 'w')]).stderr)).toMatch(/no stream/);
  });

  it('a worker stopped by SIGTERM learns what it holds, checkpoints, acknowledges and exits cleanly', async () => {
    const stream = streamName('term');
    const to = `${url}/${stream}`;
    expect(runCli(['publish', 'synth:sea', '--rows', '30000', '--to', to]).status).toBe(0);
    const dir = tempDir();
    const summaryFile = join(dir, 'w.json');
    const w = startCli(['worker', '--source', to, '--durable', 'term', '--out', join(dir, 'model'), '--name', 'w', '--summary', summaryFile, '--batch-size', '200', '--checkpoint-seconds', '0.5', '--idle-timeout', '0']);
    await until('the worker to acknowledge some messages', () => (readSummary(summaryFile)?.messages ?? 0) > 0, 30_000);
    w.child.kill('SIGTERM');
    const exit = await w.exited;
    expect(exit.code).toBe(0);
    const s = readSummary(summaryFile)!;
    expect(s).toMatchObject({ finished: true, stopped: 'signal' });
    const saved = await loadModel(join(dir, 'model'));
    // What the checkpoint holds is exactly what was acknowledged (one row per message).
    expect(saved.summary?.rows).toBe(s.messages);
    const info = await broker.jsm.consumers.info(stream, 'term');
    expect(info.num_ack_pending).toBe(0);
    expect(info.ack_floor.stream_seq).toBeGreaterThanOrEqual(s.acked[0][1]);
  });

  const program = natsServerProgram();
  it.skipIf(!program)('a worker rides out a broker killed and restarted: it reconnects, reports it, and learns every row once', async () => {
    const store = mkdtempSync(join(tmpdir(), 'streamlearn-nats-'));
    const port = await freePort();
    const serve = (): ChildProcess => spawn(program!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
    let server = serve();
    const own = `nats://127.0.0.1:${port}`;
    try {
      const to = `${own}/restart`;
      // The first connection is retried while the new server starts.
      expect(runCli(['publish', 'synth:sea', '--rows', '40000', '--to', to, '--connect-timeout', '10']).status).toBe(0);
      const dir = tempDir();
      const summaryFile = join(dir, 'w.json');
      const w = startCli([
        'worker', '--source', to, '--durable', 'd', '--out', join(dir, 'model'), '--name', 'w', '--summary', summaryFile,
        '--batch-size', '200', '--ack-wait', '3', '--checkpoint-seconds', '1', '--idle-timeout', '2',
      ]);
      await until('the worker to acknowledge 5,000 messages', () => (readSummary(summaryFile)?.messages ?? 0) >= 5_000, 30_000);
      server.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      server = serve();
      const exit = await w.exited;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).toContain(`${to}: lost the connection to the NATS server; reconnecting with backoff`);
      expect(exit.stderr).toMatch(/reconnected after \d+\.\d s/);
      const s = readSummary(summaryFile)!;
      console.log(`[nats.test.ts] across the restart: ${s.rows} rows learned, ${s.messages} messages acknowledged, ${s.redelivered} redelivered, ${s.reacknowledged} acknowledged again`);
      expect(s).toMatchObject({ finished: true, messages: 40_000, acked: [[1, 40_000]], disconnects: 1, reconnects: 1 });
      // Redeliveries of what its checkpoint holds are acknowledged again, not learned again.
      expect(s.rows).toBe(40_000);
    } finally {
      server.kill('SIGKILL');
      rmSync(store, { recursive: true, force: true });
    }
  }, 90_000);

  it(
    'two workers share a stream of 100,000 rows; one is SIGKILLed midway; nothing is lost, and the merged model is as good as one process',
    async () => {
      const stream = streamName('sea');
      const to = `${url}/${stream}`;
      const spec = 'synth:sea(noise-percentage=10)';
      const pub = runCli(['publish', spec, '--rows', '100000', '--seed', '1', '--to', to]);
      expect(pub.status).toBe(0);
      expect(pub.stdout).toContain('published 100,000 rows in 100,000 messages');
      const dir = tempDir();
      const registry = `${url}/${bucketName('merged')}/sea`;
      const worker = (name: string): Running =>
        startCli([
          'worker', '--source', to, '--durable', 'learners', '--out', join(dir, name), '--name', name, '--summary', join(dir, `${name}.json`),
          // A small step: the last iterate of SGD on noisy labels wanders less (at the default 0.01, by 2 to 3 points).
          '--model', 'softmax-regression', '--param', 'learning-rate=0.001', '--ack-wait', '3', '--checkpoint-seconds', '1', '--idle-timeout', '2',
          '--merge-into', registry, '--merge-every', '3',
        ]);
      const a = worker('a');
      const b = worker('b');
      // SIGKILL a once it has acknowledged a good part (while it surely holds more, unacknowledged).
      await until('worker a to acknowledge 15,000 messages', () => (readSummary(join(dir, 'a.json'))?.messages ?? 0) >= 15_000, 60_000);
      a.child.kill('SIGKILL');
      const killed = await a.exited;
      expect(killed.signal).toBe('SIGKILL');
      const bExit = await b.exited;
      expect(bExit.code, bExit.stderr).toBe(0);
      const sa = readSummary(join(dir, 'a.json'))!;
      const sb = readSummary(join(dir, 'b.json'))!;
      expect(sa.finished).toBe(false);
      expect(sb).toMatchObject({ finished: true, stopped: 'idle' });

      // Every message was learned at least once: the acknowledged ones are in a checkpoint, and together they cover the stream.
      const seen = new Uint8Array(100_001);
      let twice = 0;
      for (const s of [sa, sb]) {
        for (const [from, to2] of s.acked) {
          for (let q = from; q <= to2; q++) {
            if (seen[q]) twice++;
            seen[q] = 1;
          }
        }
      }
      const missing = seen.subarray(1).reduce((n, v) => n + (v ? 0 : 1), 0);
      console.log(
        `[nats.test.ts] worker a acknowledged ${sa.messages} messages before SIGKILL; worker b ${sb.messages}, of which ${sb.redelivered} were redeliveries of a's unacknowledged ones; ${twice} learned twice; ${missing} missing`,
      );
      expect(missing).toBe(0);
      expect(sb.redelivered).toBeGreaterThan(0);
      expect(sa.messages + sb.messages).toBe(100_000 + twice);
      const info = await broker.jsm.consumers.info(stream, 'learners');
      expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);

      // The replicas merged, against one process trained on the same rows.
      const merged = join(dir, 'merged');
      const m = runCli(['merge', join(dir, 'a'), join(dir, 'b'), '--out', merged]);
      expect(m.status, m.stderr).toBe(0);
      const single = join(dir, 'single');
      const one = runCli(['train', '--source', to, '--model', 'softmax-regression', '--param', 'learning-rate=0.001', '--protocol', 'prequential', '--out', single, '--format', 'json']);
      expect(one.status, one.stderr).toBe(0);
      expect(JSON.parse(one.stdout).rows).toBe(100_000);
      const test = await heldOutBatch('sea(noise-percentage=10)', 20_000, 99);
      const mergedModel = await loadModel(merged);
      const accMerged = await accuracy(mergedModel, test);
      const accSingle = await accuracy(await loadModel(single), test);
      const accA = await accuracy(await loadModel(join(dir, 'a')), test);
      const accB = await accuracy(await loadModel(join(dir, 'b')), test);
      // The periodic merge in the workers wrote the registry's current version: it holds every acknowledged row too.
      const periodic = await loadModelVersion(registry);
      const accPeriodic = await accuracy(periodic.model, test);
      console.log(
        `[nats.test.ts] held-out accuracy: merged ${accMerged.toFixed(4)} (${mergedModel.summary?.rows} rows), one process ${accSingle.toFixed(4)}, a ${accA.toFixed(4)}, b ${accB.toFixed(4)}, ` +
          `workers' periodic merge ${accPeriodic.toFixed(4)} (version ${periodic.version?.version}, ${periodic.model.summary?.rows} rows)`,
      );
      expect(mergedModel.summary?.rows).toBeGreaterThanOrEqual(100_000 + twice);
      expect(Math.abs(accMerged - accSingle)).toBeLessThanOrEqual(0.01);
      expect(periodic.model.summary?.rows).toBeGreaterThanOrEqual(100_000);
      expect(Math.abs(accPeriodic - accSingle)).toBeLessThanOrEqual(0.01);
    },
    150_000,
  );
});
