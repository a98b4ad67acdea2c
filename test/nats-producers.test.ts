import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import type { Row } from '../src/core/types.js';
import type { RecordBatch } from '../src/data/source.js';
import { connectBroker, retrying, silentReporter, type Broker } from '../src/node/broker/connection.js';
import type { NewClassPolicy } from '../src/node/broker/defaults.js';
import { EMPTY_MESSAGE, rowSource, type NewClassRow, type ReadFormat } from '../src/node/broker/reader.js';
import { deleteStreamFormat, readStreamFormat } from '../src/node/broker/stream-format.js';
import { parseStreamUrl } from '../src/node/broker/url.js';
import type { WorkerSummary } from '../src/node/broker/worker.js';
import { loadModel } from '../src/node/persist/model-dir.js';
import { runCli, tempDir } from './helpers.js';
import { cuttingProxy, readSummary, startCli, until } from './nats-fixtures.js';

/**
 * Streams filled by other producers: labels outside the classes, bad and
 * empty messages, a durable consumer with nothing left, and a server that
 * goes away in the middle of a request. The tests that need a server use
 * STREAMLEARN_NATS_URL, as test/nats.test.ts does (which says how to get one).
 */
const NATS = process.env.STREAMLEARN_NATS_URL;

/** One line on stderr, prefixed, and nothing else: the CLI's form of a user error. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^streamlearn: /);
  return lines[0];
}

const STREAM = parseStreamUrl('nats://127.0.0.1:4222/s');
const FORMAT: ReadFormat = { encoding: 'jsonl', columns: ['a', 'y'], label: 'y', classes: ['p', 'n'], categorical: [], categories: {}, nominal: [], missing: false, recorded: true };

/** rowSource over records given as (sequence, a, label), with a format record that lists `recorded` when read again. */
async function readLabels(
  labels: readonly string[],
  policy: NewClassPolicy,
  recorded: readonly string[] | null,
): Promise<{ rows: Row[]; classes: string[]; skipped: NewClassRow[]; lookups: number }> {
  let lookups = 0;
  const skipped: NewClassRow[] = [];
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield { records: labels.map((y, i) => [String(i), y]), lines: labels.map((_, i) => i + 1) };
  }
  const source = await rowSource(STREAM, FORMAT, batches, async () => undefined, {
    newClasses: policy,
    ...(recorded
      ? {
          recordedClasses: async () => {
            lookups++;
            return recorded;
          },
        }
      : {}),
    onNewClassSkip: (row) => skipped.push(row),
  });
  const rows: Row[] = [];
  for await (const row of source.rows()) rows.push(row);
  expect(source.newClassRows).toBe(skipped.length);
  return { rows, classes: source.schema.classes, skipped, lookups };
}

describe('a stream reader meets labels outside its classes', () => {
  it('takes the classes the format record lists now, in the record\'s order, whatever order it meets them in', async () => {
    // The record gained q and z since the reader started (a publisher records a class before its first row).
    const { rows, classes, lookups } = await readLabels(['z', 'p', 'q', 'n', 'z'], 'fail', ['p', 'n', 'q', 'z']);
    expect(classes).toEqual(['p', 'n', 'q', 'z']);
    expect(rows.map((r) => r.y)).toEqual([3, 0, 2, 1, 3]);
    // z brought q with it: one lookup for both.
    expect(lookups).toBe(1);
  });

  it('allow learns a label still unknown as a new class, after the record\'s', async () => {
    const { rows, classes } = await readLabels(['x', 'z', 'p'], 'allow', ['p', 'n', 'z']);
    expect(classes).toEqual(['p', 'n', 'z', 'x']);
    expect(rows.map((r) => r.y)).toEqual([3, 2, 0]);
  });

  it('skip leaves its rows out, names the message and the label, and adds no class', async () => {
    const { rows, classes, skipped } = await readLabels(['p', 'x', 'n', 'x'], 'skip', null);
    expect(classes).toEqual(['p', 'n']);
    expect(rows.map((r) => [r.line, r.y])).toEqual([
      [1, 0],
      [3, 1],
    ]);
    expect(skipped.map((s) => [s.line, s.label])).toEqual([
      [2, 'x'],
      [4, 'x'],
    ]);
    expect(skipped[0].message).toBe('nats://127.0.0.1:4222/s: message 2: label "x" is not one of the classes (p, n); left out (--new-classes skip)');
  });

  it('fail stops at the first one, in one line naming the stream, the message and the label', async () => {
    await expect(readLabels(['p', 'n', 'x'], 'fail', ['p', 'n'])).rejects.toThrow(
      new StreamlearnError(
        'nats://127.0.0.1:4222/s: message 3: label "x" is not one of the classes (p, n); --new-classes fail stops here (skip leaves such rows out and counts them, allow learns the label as a new class)',
      ),
    );
  });
});

describe('retrying gives up on a server that stays away in one line', () => {
  it('names what was asked and how long it waited, as a user error (exit 1), not an internal one (exit 70)', async () => {
    let calls = 0;
    const op = async (): Promise<never> => {
      calls++;
      throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
    };
    const err = await retrying('creating consumer d on nats://127.0.0.1:4222/s', op, { report: silentReporter, giveUpAfter: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamlearnError);
    expect((err as Error).message).toMatch(
      /^creating consumer d on nats:\/\/127\.0\.0\.1:4222\/s: the NATS server did not answer for [1-3] s \(timeout\); is it running, and reachable from here\?$/,
    );
    expect(calls).toBeGreaterThan(1);
  });
});

describe.skipIf(!NATS)('streams from other producers', () => {
  const url = NATS ?? '';
  const suffix = `${process.pid}${Math.random().toString(36).slice(2, 7)}`;
  const streams: string[] = [];
  let broker: Broker;
  const encoder = new TextEncoder();

  /** A stream without a format record, filled with these payloads (one message each) as another producer would. */
  const foreignStream = async (what: string, payloads: readonly string[]): Promise<string> => {
    const name = `t_${what}_${suffix}`;
    streams.push(name);
    await broker.jsm.streams.add({ name, subjects: [`${name}.rows`] });
    for (const p of payloads) await broker.js.publish(`${name}.rows`, encoder.encode(p));
    return name;
  };
  const publishMore = async (name: string, payloads: readonly string[]): Promise<void> => {
    for (const p of payloads) await broker.js.publish(`${name}.rows`, encoder.encode(p));
  };
  /** Rows whose label follows the sign of a: p above 0, n otherwise. */
  const rows = (n: number, from = 0): string[] =>
    Array.from({ length: n }, (_, k) => {
      const i = from + k;
      const a = (i % 7) - 3 + 0.5;
      return JSON.stringify({ a, b: i % 5, y: a > 0 ? 'p' : 'n' });
    });

  beforeAll(async () => {
    broker = await connectBroker(parseStreamUrl(`${url}/x`), { flag: 'STREAMLEARN_NATS_URL', display: url, report: silentReporter });
  });

  afterAll(async () => {
    if (!broker) return;
    for (const s of streams) {
      await broker.jsm.streams.delete(s).catch(() => undefined);
      await deleteStreamFormat(broker, s).catch(() => undefined);
    }
    await broker.close();
  });

  const workerArgs = (stream: string, dir: string, name: string, extra: string[] = []): string[] => [
    'worker', '--source', `${url}/${stream}`, '--durable', 'learners', '--out', join(dir, name), '--name', name, '--summary', join(dir, `${name}.json`),
    '--label', 'y', '--classes', 'p,n', '--idle-timeout', '1', '--checkpoint-seconds', '0.5', ...extra,
  ];

  it('an unknown label on one worker: left out by default, so the replicas merge; allowed, the merge refuses naming --new-classes; fail stops the worker', async () => {
    // 300 rows with one stray label at sequence 120; worker a learns those, worker b the 200 published after.
    const first = rows(300);
    first[119] = JSON.stringify({ a: 1.5, b: 0, y: 'x' });
    const stream = await foreignStream('label', first);
    const dir = tempDir();
    const a = runCli(workerArgs(stream, dir, 'a'));
    expect(a.status, a.stderr).toBe(0);
    expect(a.stderr).toContain(
      `worker a: ${url}/${stream}: message 120: label "x" is not one of the classes (p, n); left out (--new-classes skip), with every other row so labelled (the summary counts them)`,
    );
    expect(a.stdout).toContain('new labels   1 row labelled outside the classes (--new-classes skip), acknowledged, not learned: "x"');
    const sa = readSummary(join(dir, 'a.json'))!;
    expect(sa).toMatchObject({ rows: 299, messages: 300, acked: [[1, 300]], newClassRows: 1, newClassLabels: ['x'], skippedRows: 0 });
    await publishMore(stream, rows(200, 300));
    const b = runCli(workerArgs(stream, dir, 'b'));
    expect(b.status, b.stderr).toBe(0);
    expect(readSummary(join(dir, 'b.json'))).toMatchObject({ rows: 200, messages: 200, acked: [[301, 500]], newClassRows: 0 });
    const info = await broker.jsm.consumers.info(stream, 'learners');
    expect([info.num_pending, info.num_ack_pending, info.ack_floor.stream_seq]).toEqual([0, 0, 500]);
    const merged = join(dir, 'merged');
    const m = runCli(['merge', join(dir, 'a'), join(dir, 'b'), '--out', merged]);
    expect(m.status, m.stderr).toBe(0);
    const model = await loadModel(merged);
    expect(model.schema.classes).toEqual(['p', 'n']);
    expect(model.summary?.rows).toBe(499);

    // Allowed, the stray label becomes a third class of worker c's replica only, and the merge says what to do.
    const allowed = await foreignStream('allow', first);
    const c = runCli(workerArgs(allowed, dir, 'c', ['--new-classes', 'allow']));
    expect(c.status, c.stderr).toBe(0);
    expect((await loadModel(join(dir, 'c'))).schema.classes).toEqual(['p', 'n', 'x']);
    const refused = runCli(['merge', join(dir, 'c'), join(dir, 'b'), '--out', join(dir, 'refused')]);
    expect(refused.status).toBe(1);
    expect(oneLine(refused.stderr)).toBe(
      `streamlearn: merge: ${join(dir, 'b')} and ${join(dir, 'c')} have different classes or class order (p, n against p, n, x); ` +
        '"x" is a class of one and not the other: a label outside the classes was learned as a new class (worker and train --source --new-classes allow), ' +
        "or the replicas were given different --classes; give every replica the same --classes, in the same order, and let the workers leave such labels out " +
        "(--new-classes skip, the worker's default) or stop on them (--new-classes fail), then learn again",
    );

    // fail: one line naming the stream, the message and the label; exit 1; the message is not acknowledged, and
    // the checkpoint holds exactly what was acknowledged before it.
    const failing = await foreignStream('fail', first);
    const d = runCli(workerArgs(failing, dir, 'd', ['--new-classes', 'fail', '--batch-size', '50']));
    expect(d.status).toBe(1);
    expect(d.stderr.trimEnd().split('\n').pop()).toBe(
      `streamlearn: ${url}/${failing}: message 120: label "x" is not one of the classes (p, n); --new-classes fail stops here (skip leaves such rows out and counts them, allow learns the label as a new class)`,
    );
    const sd = readSummary(join(dir, 'd.json'));
    const acked = sd?.acked ?? [];
    expect(acked.every(([, last]) => last < 120)).toBe(true);
    const fi = await broker.jsm.consumers.info(failing, 'learners');
    expect(fi.ack_floor.stream_seq).toBeLessThan(120);
    if (sd) expect((await loadModel(join(dir, 'd'))).summary?.rows).toBe(sd.messages);
  }, 120_000);

  it('train --source: labels outside --classes are added by default (as a file\'s), or left out and counted, or fatal', async () => {
    const payloads = rows(100);
    payloads[41] = JSON.stringify({ a: 0.5, b: 1, y: 'x' });
    const stream = await foreignStream('trainlabel', payloads);
    const base = ['train', '--source', `${url}/${stream}`, '--label', 'y', '--classes', 'p,n', '--protocol', 'prequential', '--no-save'];
    const allow = runCli([...base, '--format', 'json']);
    expect(allow.status, allow.stderr).toBe(0);
    expect(JSON.parse(allow.stdout)).toMatchObject({ rows: 100, classes: ['p', 'n', 'x'], skippedRows: 0 });
    const skip = runCli([...base, '--new-classes', 'skip', '--format', 'json']);
    expect(skip.status, skip.stderr).toBe(0);
    expect(JSON.parse(skip.stdout)).toMatchObject({ rows: 99, classes: ['p', 'n'], skippedRows: 1 });
    expect(oneLine(skip.stderr)).toBe(
      `streamlearn: ${url}/${stream}: message 42: label "x" is not one of the classes (p, n); left out (--new-classes skip), with every other row so labelled (counted with the rows left out)`,
    );
    const table = runCli([...base, '--new-classes', 'skip']);
    expect(table.stdout).toContain(
      `skipped        1 row (--on-bad-row skip, --new-classes skip), not learned; the first: ${url}/${stream}: message 42: label "x" is not one of the classes (p, n); left out (--new-classes skip)`,
    );
    const failed = runCli([...base, '--new-classes', 'fail']);
    expect(failed.status).toBe(1);
    expect(oneLine(failed.stderr)).toBe(
      `streamlearn: ${url}/${stream}: message 42: label "x" is not one of the classes (p, n); --new-classes fail stops here (skip leaves such rows out and counts them, allow learns the label as a new class)`,
    );
    // Without the classes, skip or fail would leave out every row: refused before anything is read.
    const none = runCli(['worker', '--source', `${url}/${stream}`, '--durable', 'w', '--out', join(tempDir(), 'w'), '--label', 'y']);
    expect(none.status).toBe(1);
    expect(oneLine(none.stderr)).toBe(
      `streamlearn: --source ${url}/${stream}: the stream has no format record and --classes is not given, so every label would be outside the classes (--new-classes skip); ` +
        'give the classes in order with --classes a,b,... (the same list to every worker, so that their models merge), or --new-classes allow to learn labels as they appear',
    );
    expect((await broker.jsm.consumers.list(stream).next()).map((c) => c.name)).not.toContain('w');
  });

  it('bad and empty messages: train --source fails on the first by default and skips them with --on-bad-row skip; a worker skips them by default and fails with --on-bad-row fail', async () => {
    const good = rows(20);
    // Sequences 5, 9, 13 and 17: not JSON, no bytes at all, only blank lines, a field missing.
    const payloads = [...good.slice(0, 4), 'not json', ...good.slice(4, 7), '', ...good.slice(7, 10), ' \n \r\n', ...good.slice(10, 13), '{"a": 1, "y": "p"}', ...good.slice(13)];
    const stream = await foreignStream('bad', payloads);
    const base = ['train', '--source', `${url}/${stream}`, '--label', 'y', '--classes', 'p,n', '--protocol', 'prequential', '--no-save'];
    const failed = runCli(base);
    expect(failed.status).toBe(1);
    expect(oneLine(failed.stderr)).toMatch(new RegExp(`^streamlearn: ${url}/${stream}: message 5: not valid JSON \\(.+\\)$`));
    const skipped = runCli([...base, '--on-bad-row', 'skip', '--format', 'json']);
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ rows: 20, skippedRows: 4 });
    const empty = await foreignStream('empty', [good[0], '']);
    expect(oneLine(runCli(['train', '--source', `${url}/${empty}`, '--label', 'y', '--classes', 'p,n', '--no-save']).stderr)).toBe(
      `streamlearn: ${url}/${empty}: message 2: ${EMPTY_MESSAGE}`,
    );
    // Still refused where there is nothing to skip in: a bundled data set.
    expect(oneLine(runCli(['train', '--dataset', 'iris', '--on-bad-row', 'skip', '--no-save']).stderr)).toBe(
      'streamlearn: --on-bad-row skip applies to a data file (--data FILE) or a stream (--source nats://...), not to a bundled data set, a synth: stream or a DataFrame',
    );

    const dir = tempDir();
    const w = runCli(workerArgs(stream, dir, 'w'));
    expect(w.status, w.stderr).toBe(0);
    const s = readSummary(join(dir, 'w.json')) as WorkerSummary;
    expect(s).toMatchObject({ rows: 20, messages: 24, acked: [[1, 24]], skippedRows: 4 });
    expect(s.firstSkipped).toMatch(new RegExp(`^${url}/${stream}: message 5: not valid JSON`));
    expect(w.stderr).toContain(`worker w: left out a bad row, and will leave out others (--on-bad-row skip; the summary counts them): ${s.firstSkipped}`);
    expect(w.stdout).toContain(`skipped      4 bad rows (--on-bad-row skip), acknowledged, not learned; the first: ${s.firstSkipped}`);

    const strict = await foreignStream('strict', payloads);
    const f = runCli(workerArgs(strict, dir, 'f', ['--on-bad-row', 'fail']));
    expect(f.status).toBe(1);
    expect(f.stderr.trimEnd().split('\n').pop()).toMatch(new RegExp(`^streamlearn: ${url}/${strict}: message 5: not valid JSON \\(.+\\)$`));
    const info = await broker.jsm.consumers.info(strict, 'learners');
    expect(info.ack_floor.stream_seq).toBeLessThan(5);
  }, 60_000);

  it('a durable consumer with nothing left says so, and how many messages the stream holds', async () => {
    const stream = await foreignStream('drained', rows(50));
    const dir = tempDir();
    const args = ['train', '--source', `${url}/${stream}`, '--durable', 'trainer', '--label', 'y', '--classes', 'p,n', '--protocol', 'prequential', '--out', join(dir, 'm')];
    const first = runCli([...args, '--format', 'json']);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).rows).toBe(50);
    const again = runCli(args);
    expect(again.status).toBe(1);
    expect(oneLine(again.stderr)).toBe(
      `streamlearn: --source ${url}/${stream}: consumer trainer has nothing pending ` +
        '(the stream holds 50 messages, and it has taken every one it reads already); publish more rows, or leave out --durable to read the stream from its first message',
    );
    // The same for a stream with a format record, where the fields are known.
    const recorded = `t_drainedrec_${suffix}`;
    streams.push(recorded);
    expect(runCli(['publish', 'synth:sea', '--rows', '40', '--to', `${url}/${recorded}`]).status).toBe(0);
    expect((await readStreamFormat(broker, recorded, 'test'))?.classes).toEqual(['groupA', 'groupB']);
    const rec = ['train', '--source', `${url}/${recorded}`, '--durable', 'trainer', '--protocol', 'prequential', '--out', join(dir, 'r')];
    expect(runCli(rec).status).toBe(0);
    expect(oneLine(runCli(rec).stderr)).toBe(
      `streamlearn: --source ${url}/${recorded}: consumer trainer has nothing pending (the stream holds 40 messages, and it has taken every one it reads already); ` +
        'publish more rows, or leave out --durable to read the stream from its first message',
    );
  });

  it('a worker running while a producer publishes new classes takes them in the order the format record lists them, and resumes with them', async () => {
    const dir = tempDir();
    const line = (i: number, y: string): string => `${(i % 7) - 3 + 0.5},${i % 5},${y}`;
    const file1 = join(dir, 'first.csv');
    const file2 = join(dir, 'second.csv');
    writeFileSync(file1, ['a,b,y', ...Array.from({ length: 200 }, (_, i) => line(i, i % 2 ? 'p' : 'n'))].join('\n'));
    // New classes z, then q, among the old ones, from row 100 on.
    writeFileSync(file2, ['a,b,y', ...Array.from({ length: 2000 }, (_, i) => line(i, i < 100 ? 'p' : ['p', 'z', 'n', 'q'][i % 4]))].join('\n'));
    const stream = `t_growing_${suffix}`;
    streams.push(stream);
    const to = `${url}/${stream}`;
    expect(runCli(['publish', file1, '--label', 'y', '--to', to]).status).toBe(0);
    expect((await readStreamFormat(broker, stream, 'test'))?.classes).toEqual(['n', 'p']);
    const summaryFile = join(dir, 'w.json');
    const args = ['worker', '--source', to, '--durable', 'growing', '--out', join(dir, 'w'), '--name', 'w', '--summary', summaryFile, '--new-classes', 'fail', '--checkpoint-seconds', '0.5'];
    const w = startCli([...args, '--idle-timeout', '0']);
    await until('the worker to learn the first 200 rows', () => (readSummary(summaryFile)?.messages ?? 0) >= 200, 30_000);
    // The worker read the record when it had n and p only: the publisher records z and q before their first rows,
    // and the worker, meeting them, reads it again (with --new-classes fail it would stop otherwise).
    expect(runCli(['publish', file2, '--label', 'y', '--to', to]).status).toBe(0);
    expect((await readStreamFormat(broker, stream, 'test'))?.classes).toEqual(['n', 'p', 'z', 'q']);
    await until('the worker to learn all 2,200 rows', () => (readSummary(summaryFile)?.messages ?? 0) >= 2200, 60_000);
    w.child.kill('SIGTERM');
    const exit = await w.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(readSummary(summaryFile)).toMatchObject({ rows: 2200, messages: 2200, newClassRows: 0, finished: true });
    expect((await loadModel(join(dir, 'w'))).schema.classes).toEqual(['n', 'p', 'z', 'q']);
    // Resumed, the checkpoint's classes and the stream's agree.
    const again = runCli([...args, '--idle-timeout', '1']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resuming the gaussian-nb checkpoint in ${join(dir, 'w')} (2200 rows learned)`);
  }, 120_000);

  // A request the server never answers (the proxy drops it and every connection, then comes back 1.5 s later):
  // before these calls were retried, each of these ended in exit 70 with a stack ("internal error: TimeoutError").
  for (const [command, trigger] of [
    ['publish', '$JS.API.STREAM.CREATE'],
    ['publish', '$KV.streamlearn_streams.'],
    ['train', '$JS.API.CONSUMER.CREATE'],
    ['worker', '$JS.API.CONSUMER.CREATE'],
  ] as const) {
    it(`${command} rides out a server lost in the middle of ${trigger}: it retries the request and finishes`, async () => {
      const proxy = await cuttingProxy(url, trigger, 1500);
      try {
        const stream = `t_cut${streams.length}_${suffix}`;
        streams.push(stream);
        if (command !== 'publish') expect(runCli(['publish', 'synth:sea', '--rows', '200', '--to', `${url}/${stream}`]).status).toBe(0);
        const to = `${proxy.url}/${stream}`;
        const dir = tempDir();
        const args =
          command === 'publish'
            ? ['publish', 'synth:sea', '--rows', '200', '--to', to]
            : command === 'train'
              ? ['train', '--source', to, '--protocol', 'prequential', '--no-save', '--format', 'json']
              : ['worker', '--source', to, '--durable', 'w', '--out', join(dir, 'w'), '--name', 'w', '--summary', join(dir, 'w.json'), '--idle-timeout', '1'];
        const run = startCli(args);
        const exit = await run.exited;
        expect(proxy.cut).toBe(true);
        expect(exit.code, exit.stderr).toBe(0);
        expect(exit.stderr).toContain(': lost the connection to the NATS server; reconnecting with backoff');
        expect(exit.stderr).toMatch(/failed \(.+\); retrying in \d+\.\d s/);
        expect(exit.stderr).not.toContain('internal error');
        if (command === 'publish') expect((await broker.jsm.streams.info(stream)).state.messages).toBe(200);
        if (command === 'train') expect(JSON.parse(exit.stdout).rows).toBe(200);
        if (command === 'worker') expect(readSummary(join(dir, 'w.json'))).toMatchObject({ rows: 200, messages: 200, finished: true });
      } finally {
        await proxy.close();
      }
    }, 60_000);
  }
});
