import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectBroker, silentReporter } from '../src/node/broker/connection.js';
import { parseStreamUrl } from '../src/node/broker/url.js';
import { sequenceOverlaps } from '../src/learners/merge.js';
import type { TrainingSummary } from '../src/learners/model.js';
import { loadModel, saveModel } from '../src/node/persist/model-dir.js';
import { train } from '../src/node/pipeline.js';
import { ROOT, runCli, tempDir } from './helpers.js';
import { freePort, natsServerProgram, readSummary, until } from './nats-fixtures.js';

/**
 * Workers sharing a durable consumer learn a message twice when its
 * acknowledgement is lost. `merge` reports the stream sequences found in more
 * than one replica (each checkpoint lists those it learned); and a worker
 * whose acknowledgements were sent while the broker was away sends them again
 * once it is back, so the server does not hand those messages to another.
 */

/** Two iris replicas saved with the given sequence lists, as a worker's checkpoints would be. */
async function replicas(lists: [number, number][][]): Promise<string[]> {
  const dir = tempDir();
  const { model } = await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: null } });
  const dirs: string[] = [];
  for (const [i, sequences] of lists.entries()) {
    model.summary = { ...(model.summary as TrainingSummary), dataset: 'sea', protocol: 'prequential', sequences };
    const out = join(dir, `w${i + 1}`);
    await saveModel(model, out);
    dirs.push(out);
  }
  return dirs;
}

describe('merge reports stream sequences learned by more than one replica', () => {
  it('finds the runs held by two or more replicas, in order, naming them; ranges need not be sorted or disjoint', () => {
    const overlaps = sequenceOverlaps([
      { label: 'a', dataset: 's', ranges: [[101, 200], [1, 50]] },
      { label: 'b', dataset: 's', ranges: [[40, 60], [150, 300]] },
      { label: 'c', dataset: 's', ranges: [[180, 190], [185, 250]] },
      // Another stream's sequences are other messages.
      { label: 'd', dataset: 'other', ranges: [[1, 1000]] },
    ]);
    expect(overlaps).toEqual([
      { first: 40, last: 50, replicas: ['a', 'b'] },
      { first: 150, last: 179, replicas: ['a', 'b'] },
      { first: 180, last: 200, replicas: ['a', 'b', 'c'] },
      { first: 201, last: 250, replicas: ['b', 'c'] },
    ]);
    expect(sequenceOverlaps([{ label: 'a', dataset: 's', ranges: [[1, 10], [5, 20]] }, { label: 'b', dataset: 's', ranges: [[21, 30]] }])).toEqual([]);
  });

  it('overlapping replicas: a warning on stderr, the merge succeeds, and the JSON report and merged summary list them', async () => {
    const [w1, w2] = await replicas([
      [[1, 100_000], [198_501, 200_000]],
      [[100_001, 200_000]],
    ]);
    const out = join(tempDir(), 'merged');
    const r = runCli(['merge', w1, w2, '--out', out, '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`streamlearn: merge: sequences 198501-200000 (1,500 messages) were learned by more than one replica (${w1}, ${w2})\n`);
    const report = JSON.parse(r.stdout) as { overlaps: unknown };
    expect(report.overlaps).toEqual([{ first: 198_501, last: 200_000, messages: 1500, replicas: [w1, w2] }]);
    // The merged model lists every sequence once, so a later merge with it reports overlaps too.
    expect((await loadModel(out)).summary?.sequences).toEqual([[1, 200_000]]);
  });

  it('disjoint replicas: nothing on stderr', async () => {
    const [w1, w2] = await replicas([[[1, 500], [1001, 1500]], [[501, 1000]]]);
    const r = runCli(['merge', w1, w2, '--out', join(tempDir(), 'merged')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('merged 2 gaussian-nb models (exact)');
  });

  it('many runs: the first five spelled out, the rest counted', async () => {
    const many: [number, number][] = Array.from({ length: 8 }, (_, i): [number, number] => [i * 10 + 1, i * 10 + 2]);
    const [w1, w2] = await replicas([many, [[1, 100]]]);
    const r = runCli(['merge', w1, w2, '--out', join(tempDir(), 'merged')]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(`streamlearn: merge: sequences 1-2 (2 messages) were learned by more than one replica (${w1}, ${w2})`);
    expect(lines[5]).toBe('streamlearn: merge: and 3 more runs; 16 messages in all were learned by more than one replica (--format json lists them)');
  });
});

const NATS = process.env.STREAMLEARN_NATS_URL;





const program = natsServerProgram();
// Like test/nats.test.ts: runs where a NATS server is configured (CI), with a server of its own that it stops and restarts.
describe.skipIf(!NATS || !program)('acknowledgements sent while the broker is away', () => {
  it('are sent again after the reconnection: nothing is redelivered, every row is learned once', async () => {
    const store = mkdtempSync(join(tmpdir(), 'streamlearn-nats-'));
    const port = await freePort();
    // Stopped with SIGTERM, the server keeps its consumer state exactly: what is lost here is lost by the client.
    const serve = (): ChildProcess => spawn(program!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
    let server = serve();
    const to = `nats://127.0.0.1:${port}/acks`;
    try {
      const rows = 100_000;
      expect(runCli(['publish', 'synth:sea', '--rows', String(rows), '--to', to, '--connect-timeout', '10']).status).toBe(0);
      const dir = tempDir();
      const summaryFile = join(dir, 'w.json');
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'streamlearn.js'), 'worker', '--source', to, '--durable', 'd', '--out', join(dir, 'model'), '--name', 'w', '--summary', summaryFile,
          '--batch-size', '200', '--ack-wait', '20', '--checkpoint-every', '15000', '--checkpoint-seconds', '3', '--idle-timeout', '2',
        ],
        { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Just after a checkpoint the worker holds rows learned since: the broker stopped now, for longer than the
      // checkpoint interval, is away when the next checkpoint acknowledges them. (Not at the very moment of a
      // checkpoint: a server stopped while it takes in a burst of acknowledgements may lose some itself.)
      await until('a first checkpoint', () => (readSummary(summaryFile)?.checkpoints ?? 0) >= 1, 30_000, 20);
      await new Promise((r) => setTimeout(r, 300));
      expect(readSummary(summaryFile)!.messages).toBeLessThan(rows);
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
      await new Promise((r) => setTimeout(r, 3500));
      server = serve();
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 60_000))]);
      expect(code, stderr).toBe(0);
      const s = readSummary(summaryFile)!;
      expect(s).toMatchObject({ finished: true, messages: rows, acked: [[1, rows]], disconnects: 1, reconnects: 1, unconfirmedAcks: 0 });
      expect(s.acksResent).toBeGreaterThan(0);
      expect(stderr).toMatch(/worker w: the server confirmed [\d,]+ acknowledgements sent again after the connection was lost/);
      // Without the resend, the server redelivers them after the ack wait (to this worker here: acknowledged again;
      // with two workers, half to the other, which learns them a second time). On a loaded machine the stop can
      // still meet a burst of acknowledgements that the server itself then forgets: those come back, and are
      // acknowledged again, never learned again.
      // A redelivery of a message the worker had pulled but not yet learned when the link dropped is its
      // first learning, not a second one: what must hold is that every row is learned exactly once.
      expect(s.reacknowledged).toBeLessThanOrEqual(s.redelivered);
      expect(s.redelivered).toBeLessThan(rows / 4);
      expect(s.rows).toBe(rows);
      const broker = await connectBroker(parseStreamUrl(to), { flag: 'test', display: to, report: silentReporter });
      try {
        const info = await broker.jsm.consumers.info('acks', 'd');
        expect([info.ack_floor.stream_seq, info.num_ack_pending]).toEqual([rows, 0]);
      } finally {
        await broker.close();
      }
    } finally {
      server.kill('SIGKILL');
      rmSync(store, { recursive: true, force: true });
    }
  }, 120_000);
});
