import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../src/core/types.js';
import type { RecordBatch } from '../src/data/source.js';
import { synthSource } from '../src/data/synth/registry.js';
import { type Broker } from '../src/node/broker/connection.js';
import { rowSource, type ReadFormat } from '../src/node/broker/reader.js';

import { parseStreamUrl } from '../src/node/broker/url.js';
import { loadReplicas } from '../src/node/broker/registry.js';
import { toRanges, type WorkerSummary } from '../src/node/broker/worker.js';
import { loadModel } from '../src/node/persist/model-dir.js';
import { runCli, tempDir } from './helpers.js';
import { heldOutBatch, readSummary, startCli, closeTestBroker, connectTestBroker } from './nats-fixtures.js';

/**
 * What makes a worker fast (issue 17): rows taken from the stream in runs, a
 * pull's worth at a time; and where several workers stop paying, the
 * consumer's max ack pending, which a worker reports. The tests that need a
 * server use STREAMLEARN_NATS_URL, as test/nats.test.ts does (which says how
 * to get one).
 */
const NATS = process.env.STREAMLEARN_NATS_URL;

const STREAM = parseStreamUrl('nats://127.0.0.1:4222/s');
const FORMAT: ReadFormat = { encoding: 'csv', columns: ['a', 'b', 'y'], label: 'y', classes: ['p', 'n'], categorical: [], categories: {}, nominal: [], missing: false, recorded: false };

/** Three batches of records, as three pulls would bring them: a bad one in the second, a label outside the classes in the third. */
async function* threePulls(): AsyncGenerator<RecordBatch> {
  yield { records: [['1', '2', 'p'], ['3', '4', 'n']], lines: [1, 2] };
  yield { records: [['5', 'x', 'p'], ['7', '8', 'n'], ['9', '10', 'p']], lines: [3, 4, 5] };
  yield { records: [['11', '12', 'q'], ['13', '14', 'n']], lines: [6, 7] };
}

describe('a stream source gives its rows in runs', () => {
  it('chunks(): one run per batch of messages, bad rows and unknown labels left out, the same rows rows() gives one by one', async () => {
    const skipped: number[] = [];
    const open = () =>
      rowSource(STREAM, FORMAT, threePulls, async () => undefined, { onBadRow: 'skip', onSkip: (r) => skipped.push(r.line), newClasses: 'skip', onNewClassSkip: (r) => skipped.push(r.line) });
    const runs: Row[][] = [];
    for await (const run of (await open()).chunks()) runs.push(run);
    const plain = (rows: Row[]) => rows.map((r) => [...r.x, r.y, r.line]);
    expect(runs.map(plain)).toEqual([
      [[1, 2, 0, 1], [3, 4, 1, 2]],
      [[7, 8, 1, 4], [9, 10, 0, 5]],
      [[13, 14, 1, 7]],
    ]);
    expect(skipped).toEqual([3, 6]);
    const one: Row[] = [];
    for await (const row of (await open()).rows()) one.push(row);
    expect(plain(one)).toEqual(runs.flat().map((r) => [...r.x, r.y, r.line]));
  });
});

describe('a checkpoint lists the stream sequences it holds as ranges', () => {
  it('toRanges runs unsorted and repeated sequences together, and with the ranges held already', () => {
    expect(toRanges([7, 3, 4, 5, 5, 12, 11, 1])).toEqual([[1, 1], [3, 5], [7, 7], [11, 12]]);
    expect(toRanges([6, 2, 20], [[10, 15], [3, 5], [16, 18]])).toEqual([[2, 6], [10, 18], [20, 20]]);
    expect(toRanges([], [[4, 9], [1, 5]])).toEqual([[1, 9]]);
    expect(toRanges([])).toEqual([]);
  });
});

describe.skipIf(!NATS)('workers, fast and many', () => {
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

  beforeAll(async () => {
    broker = await connectTestBroker(url);
  });

  afterAll(() => closeTestBroker(broker, streams, buckets));

  it('100 rows per message: the worker learns every row once, and its naive Bayes is one process\'s on the same rows from a file', async () => {
    const stream = streamName('rows100');
    const to = `${url}/${stream}`;
    const spec = 'sea(noise-percentage=10)';
    const pub = runCli(['publish', `synth:${spec}`, '--rows', '20000', '--seed', '7', '--lines-per-message', '100', '--to', to]);
    expect(pub.status, pub.stderr).toBe(0);
    const dir = tempDir();
    // The same rows as a CSV file, as `streamlearn generate` writes them (each number in its shortest exact form).
    const source = synthSource(spec, { seed: 7, rows: 20_000 });
    const lines = [[...source.schema.features, 'class'].join(',')];
    for await (const row of source.rows()) lines.push(`${[...row.x].join(',')},${source.schema.classes[row.y]}`);
    writeFileSync(join(dir, 'sea.csv'), `${lines.join('\n')}\n`);
    const w = runCli(['worker', '--source', to, '--durable', 'w', '--out', join(dir, 'w'), '--idle-timeout', '1', '--format', 'json']);
    expect(w.status, w.stderr).toBe(0);
    const s = JSON.parse(w.stdout) as WorkerSummary;
    expect(s).toMatchObject({ rows: 20_000, messages: 200, acked: [[1, 200]], redelivered: 0, skippedRows: 0, finished: true, stopped: 'idle' });
    const one = runCli(['train', '--data', join(dir, 'sea.csv'), '--label', 'class', '--protocol', 'prequential', '--out', join(dir, 'one'), '--format', 'json']);
    expect(one.status, one.stderr).toBe(0);
    // Row by row, each predicted before it was learned: the worker's estimate is one process's prequential accuracy
    // but for its first batch, learned before any class was known.
    expect(Math.abs((s.accuracy ?? 0) - (JSON.parse(one.stdout) as { accuracy: number }).accuracy)).toBeLessThan(0.005);
    const test = await heldOutBatch(spec, 5_000, 99);
    const [pw, po] = [await (await loadModel(join(dir, 'w'))).predictProba(test.x), await (await loadModel(join(dir, 'one'))).predictProba(test.x)];
    let worst = 0;
    for (let i = 0; i < pw.length; i++) worst = Math.max(worst, Math.abs(pw[i] - po[i]));
    expect(worst).toBeLessThan(1e-9);
  }, 60_000);

  it('two workers against a small max ack pending: the one a short pull finds waiting says so once and counts it, and every row is learned once', async () => {
    const stream = streamName('maxack');
    const to = `${url}/${stream}`;
    // The stream and its format first, one row; the rest once both workers wait for messages, so that neither
    // learns it all before the other has started.
    expect(runCli(['publish', 'synth:sea', '--rows', '1', '--to', to]).status).toBe(0);
    const dir = tempDir();
    // Each worker may hold 500 learned messages and two pulls of 100 (700, the limit): two of them reach it together,
    // and neither checkpoints on time or count before a pull of its comes back short.
    const worker = (name: string) =>
      startCli([
        'worker', '--source', to, '--durable', 'pair', '--out', join(dir, name), '--name', name, '--summary', join(dir, `${name}.json`),
        '--batch-size', '100', '--checkpoint-every', '500', '--max-ack-pending', '700', '--ack-wait', '60', '--checkpoint-seconds', '20', '--idle-timeout', '2',
      ]);
    const a = worker('a');
    const b = worker('b');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const info = await broker.jsm.consumers.info(stream, 'pair').catch(() => null);
      if (info && info.num_waiting >= 2) break;
      if (Date.now() > deadline) throw new Error('timed out waiting for both workers to pull');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(runCli(['publish', 'synth:sea', '--rows', '3000', '--seed', '2', '--to', to]).status).toBe(0);
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect(ea.code, ea.stderr).toBe(0);
    expect(eb.code, eb.stderr).toBe(0);
    const sa = readSummary(join(dir, 'a.json'))!;
    const sb = readSummary(join(dir, 'b.json'))!;
    expect(sa.messages + sb.messages).toBe(3_001);
    expect(sa.rows + sb.rows).toBe(3_001);
    expect(sa.maxAckPending).toBe(700);
    expect(sa.maxAckPendingWaits + sb.maxAckPendingWaits).toBeGreaterThan(0);
    const said = `${ea.stderr}${eb.stderr}`.split('\n').filter((l) => l.includes('is at its max ack pending'));
    expect(said.length).toBeGreaterThan(0);
    expect(said.length).toBeLessThanOrEqual(2);
    expect(said[0]).toMatch(/^streamlearn: worker [ab]: consumer pair is at its max ack pending \(700 messages delivered and not acknowledged, across all workers\) with [\d,]+ waiting: /);
    const info = await broker.jsm.consumers.info(stream, 'pair');
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
  }, 90_000);

  it('--merge-every 0: the worker stores its replica at each checkpoint and never merges; merge --replicas does', async () => {
    const stream = streamName('replica');
    const to = `${url}/${stream}`;
    expect(runCli(['publish', 'synth:sea', '--rows', '3000', '--lines-per-message', '10', '--to', to]).status).toBe(0);
    const bucket = `t_reg_${suffix}`;
    buckets.push(bucket);
    const ref = `${url}/${bucket}/sea`;
    const dir = tempDir();
    const w = runCli(['worker', '--source', to, '--durable', 'r', '--out', join(dir, 'w'), '--name', 'w1', '--merge-into', ref, '--merge-every', '0', '--idle-timeout', '1', '--format', 'json']);
    expect(w.status, w.stderr).toBe(0);
    expect(JSON.parse(w.stdout) as WorkerSummary).toMatchObject({ rows: 3000, merges: 0, mergedVersion: null });
    const replicas = await loadReplicas(ref);
    expect(replicas.map((r) => [r.replica, r.model.summary?.rows])).toEqual([['w1', 3000]]);
    const m = runCli(['merge', '--replicas', ref, '--out', join(dir, 'merged')]);
    expect(m.status, m.stderr).toBe(0);
    expect((await loadModel(join(dir, 'merged'))).summary?.rows).toBe(3000);
    expect(runCli(['worker', '--source', to, '--durable', 'r2', '--out', join(dir, 'w2'), '--merge-into', ref, '--merge-every', '-1']).stderr).toBe(
      'streamlearn: --merge-every must be a number of at least 0, got -1\n',
    );
  }, 60_000);
});
