// Rows per second that 1 and 2 `streamlearn worker` processes learn from a JetStream stream.
// For each count: a fresh stream gets N rows (streamlearn publish), the workers start on one
// durable consumer, and the clock runs until the consumer has nothing pending and nothing
// unacknowledged (every row learned, checkpointed and acknowledged); then the workers are
// stopped with SIGTERM. Needs a NATS server with JetStream (nats-server -js).
//   npm run build && node bench/nats-workers.mjs [--url nats://127.0.0.1:4222] [--rows N]
//     [--model NAME] [--lines-per-message N] [--stream SPEC]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBroker, deleteStreamFormat, parseStreamUrl, publishRows } from '../dist/node/broker/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const url = flag('url', process.env.STREAMLEARN_NATS_URL ?? 'nats://127.0.0.1:4222');
const rows = Number(flag('rows', '100000'));
const model = flag('model', 'gaussian-nb');
const perMessage = Number(flag('lines-per-message', '1'));
const spec = flag('stream', 'sea(noise-percentage=10)');
const BIN = fileURLToPath(new URL('../bin/streamlearn.js', import.meta.url));

// The build is bundled: the broker's internals are no files of their own; a reporter that says nothing.
const silentReporter = () => undefined;
const broker = await connectBroker(parseStreamUrl(`${url}/x`, '--url'), { flag: '--url', display: url, report: silentReporter });
const dir = mkdtempSync(join(tmpdir(), 'streamlearn-bench-'));

async function run(workers) {
  const stream = `bench_${process.pid}_${workers}`;
  const target = `${url}/${stream}`;
  const published = await publishRows(`synth:${spec}`, target, { rows, seed: 1, linesPerMessage: perMessage, report: silentReporter });
  const children = [];
  const started = performance.now();
  for (let w = 0; w < workers; w++) {
    const child = spawn(process.execPath, [BIN, 'worker', '--source', target, '--durable', 'bench', '--out', join(dir, `${stream}-${w}`), '--name', `w${w}`, '--model', model, '--idle-timeout', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', () => undefined);
    children.push({ child, exited: new Promise((resolve) => child.on('exit', resolve)) });
  }
  // Drained: the consumer exists, nothing is pending, nothing is unacknowledged.
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const info = await broker.jsm.consumers.info(stream, 'bench').catch(() => null);
    if (info && info.num_pending === 0 && info.num_ack_pending === 0 && info.ack_floor.stream_seq >= published.lastSequence) break;
  }
  const seconds = (performance.now() - started) / 1000;
  for (const { child } of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
  await broker.jsm.streams.delete(stream).catch(() => undefined);
  await deleteStreamFormat(broker, stream).catch(() => undefined);
  return { workers, seconds, rowsPerSecond: rows / seconds, publishRowsPerSecond: published.rowsPerSecond, messages: published.messages };
}

try {
  const results = [await run(1), await run(2)];
  console.log(`streamlearn worker, ${model}, ${spec}: ${rows.toLocaleString('en-US')} rows in ${results[0].messages.toLocaleString('en-US')} messages, ${url}`);
  console.log('(from the workers\' start, process start-up included, to the last acknowledgement)');
  for (const r of results) {
    console.log(
      `  workers ${r.workers}: ${Math.round(r.rowsPerSecond).toLocaleString('en-US').padStart(8)} rows/s (${r.seconds.toFixed(1)} s); publish ran at ${Math.round(r.publishRowsPerSecond).toLocaleString('en-US')} rows/s`,
    );
  }
  console.log(`  speed-up with 2 workers: ${(results[1].rowsPerSecond / results[0].rowsPerSecond).toFixed(2)}x`);
} finally {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}
