// A `streamlearn worker` beside one process learning the same rows from a file (issue 17's targets: a
// worker at least 80% of one process's rows per second for adaptive-random-forest and 50% for
// gaussian-nb at 100 rows per message; peak memory at most 1.5 times one process's).
//
// For each learner and rows-per-message: the rows of one seeded SEA stream are published once into a
// fresh JetStream stream and written once to a CSV file; then, round after round, interleaved:
//   one process  `streamlearn train --data FILE --protocol prequential --out DIR` (it saves its model
//                once, as a worker checkpoints at least once);
//   worker(s)    `streamlearn worker --source URL --durable NEW --out DIR --idle-timeout 0`, N of them
//                on one new durable consumer, the clock running until the consumer has nothing pending
//                and nothing unacknowledged (every row learned, checkpointed and acknowledged); then
//                SIGTERM.
// Every process's CPU seconds (user + system, all threads) and peak RSS come from a preload that writes
// process.cpuUsage() and resourceUsage().maxRSS at exit; nats-server's CPU seconds over a worker run from
// /proc/PID/stat (Linux; found by the URL's port, or --server-pid). Rows per CPU second are the figures
// to compare on a shared machine: the worker's own (what a worker gets from a core of its own, the
// broker elsewhere) and the worker's plus the server's (the whole cost of the broker path). Both sides
// include process start-up (about 0.3 to 0.4 CPU s). Wall rows per second are printed too, but on a
// busy machine they measure the load. Medians over the rounds; the ratios are medians of the rounds'
// ratios (each round's two runs are neighbours in time).
// Writes bench/results/nats-workers.{json,md} (nats-workers-partial.* when the learners, rows or
// message sizes are not the defaults) atomically. Needs a NATS server with JetStream (nats-server -js).
//   npm run build && node bench/nats-workers.mjs [--url nats://127.0.0.1:4222] [--rounds 3]
//     [--models gaussian-nb,adaptive-random-forest] [--lines-per-message 100,1] [--workers 1[,2]]
//     [--rows N] [--forest-rows N] [--server-pid PID]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectBroker, deleteStreamFormat, parseStreamUrl, publishRows } from '../dist/node/broker/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const url = flag('url', process.env.STREAMLEARN_NATS_URL ?? 'nats://127.0.0.1:4222');
const rounds = Number(flag('rounds', '3'));
const models = list(flag('models', 'gaussian-nb,adaptive-random-forest'));
const perMessage = list(flag('lines-per-message', '100,1')).map(Number);
const workerCounts = list(flag('workers', '1')).map(Number);
const rowsFlag = flag('rows', undefined);
const forestRowsFlag = flag('forest-rows', undefined);
const SPEC = 'sea(noise-percentage=10)';
const SEED = 1;
const BIN = fileURLToPath(new URL('../bin/streamlearn.js', import.meta.url));
const FOREST = new Set(['adaptive-random-forest', 'streaming-random-patches', 'online-bagging', 'leveraging-bagging', 'online-boosting']);

/** Rows for a learner at a message size: enough that start-up is a small part, few enough for seconds per run. */
function rowsFor(model, lines) {
  if (FOREST.has(model)) return Number(forestRowsFlag ?? (lines === 1 ? 50_000 : 100_000));
  return Number(rowsFlag ?? (lines === 1 ? 200_000 : 1_000_000));
}

const dir = mkdtempSync(join(tmpdir(), 'streamlearn-nats-workers-'));
// Every child writes its own CPU seconds and peak RSS when it exits (the worker exits normally on SIGTERM).
const preload = join(dir, 'usage.mjs');
writeFileSync(
  preload,
  `import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  const cpu = process.cpuUsage();
  writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
});
`,
);

/** nats-server's process id: --server-pid, else the nats-server whose command line names the URL's port (else the only one). */
function serverPid() {
  if (flag('server-pid')) return Number(flag('server-pid'));
  const port = new URL(url.replace(/^nats:/, 'http:')).port || '4222';
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv[0].endsWith('nats-server')) continue;
      found.push({ pid: Number(entry), port: argv.some((a, i) => a === port && ['-p', '--port'].includes(argv[i - 1])) || argv.some((a) => a === `--port=${port}`) });
    } catch {
      // gone, or not ours to read
    }
  }
  return (found.find((f) => f.port) ?? (found.length === 1 ? found[0] : null))?.pid ?? null;
}
const SERVER = (() => {
  try {
    return serverPid();
  } catch {
    return null;
  }
})();
const TICKS = 100; // USER_HZ on Linux
/** CPU seconds a process has used so far, from /proc (null where unreadable). */
function procCpuSeconds(pid) {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

let usageCount = 0;
/** Runs the CLI with the usage preload; resolves with its exit, its stdout and its usage. */
function runCli(cliArgs) {
  const usageFile = join(dir, `usage-${usageCount++}.json`);
  const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, BIN, ...cliArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_USAGE_FILE: usageFile, FORCE_COLOR: '0' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      let usage = { cpuSeconds: null, peakRssMB: null };
      try {
        usage = JSON.parse(readFileSync(usageFile, 'utf8'));
      } catch {
        // killed before it could write
      }
      resolve({ code, signal, stdout, stderr, ...usage });
    }),
  );
  return { child, exited };
}

const silentReporter = () => undefined;
const broker = await connectBroker(parseStreamUrl(`${url}/x`, '--url'), { flag: '--url', display: url, report: silentReporter });

/** The rows as a CSV file: `streamlearn generate`, the same generator and seed as publish's synth: source. */
async function writeCsv(rows) {
  const file = join(dir, `sea-${rows}.csv`);
  const child = spawn(process.execPath, [BIN, 'generate', SPEC, '--rows', String(rows), '--seed', String(SEED)], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.pipe(createWriteStream(file));
  await new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generate exited ${code}`)))));
  return file;
}

async function oneProcess(model, file, rows) {
  const started = performance.now();
  const run = runCli(['train', '--data', file, '--label', 'class', '--protocol', 'prequential', '--model', model, '--out', join(dir, `train-${usageCount}`), '--format', 'json', '--no-progress']);
  const r = await run.exited;
  const wall = (performance.now() - started) / 1000;
  if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
  const report = JSON.parse(r.stdout);
  return { rows, cpuSeconds: r.cpuSeconds, peakRssMB: r.peakRssMB, wallSeconds: wall, accuracy: report.accuracy };
}

let durables = 0;
async function workers(model, stream, rows, lastSequence, count) {
  const durable = `bench${durables++}`;
  const server0 = procCpuSeconds(SERVER);
  const started = performance.now();
  const runs = [];
  for (let w = 0; w < count; w++) {
    runs.push(runCli(['worker', '--source', `${url}/${stream}`, '--durable', durable, '--out', join(dir, `${stream}-${durable}-${w}`), '--name', `w${w}`, '--model', model, '--idle-timeout', '0', '--format', 'json']));
  }
  // Drained: the consumer exists, nothing is pending, nothing is unacknowledged.
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const info = await broker.jsm.consumers.info(stream, durable).catch(() => null);
    if (info && info.num_pending === 0 && info.num_ack_pending === 0 && info.ack_floor.stream_seq >= lastSequence) break;
    const dead = await Promise.race([Promise.all(runs.map((r) => r.exited)), new Promise((r) => setTimeout(() => r(null), 0))]);
    if (dead) throw new Error(`the workers exited before the stream was drained: ${dead.map((d) => d.stderr.trim().split('\n').pop()).join('; ')}`);
  }
  const wall = (performance.now() - started) / 1000;
  const server1 = procCpuSeconds(SERVER);
  for (const r of runs) r.child.kill('SIGTERM');
  const done = await Promise.all(runs.map((r) => r.exited));
  const summaries = done.map((d) => {
    if (d.code !== 0) throw new Error(`worker exited ${d.code ?? d.signal}: ${d.stderr.trim().split('\n').pop()}`);
    return JSON.parse(d.stdout);
  });
  await broker.jsm.consumers.delete(stream, durable).catch(() => undefined);
  const learned = summaries.reduce((n, s) => n + s.rows, 0);
  const scored = summaries.reduce((n, s) => n + (s.accuracy ?? 0) * s.rows, 0);
  return {
    rows,
    learned,
    cpuSeconds: done.reduce((n, d) => n + d.cpuSeconds, 0),
    serverCpuSeconds: server0 === null || server1 === null ? null : server1 - server0,
    peakRssMB: Math.max(...done.map((d) => d.peakRssMB)),
    wallSeconds: wall,
    accuracy: learned > 0 ? scored / learned : null,
    checkpoints: summaries.reduce((n, s) => n + s.checkpoints, 0),
  };
}

const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const fmt = (n, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

const load0 = loadavg();
const t0 = performance.now();
const results = [];
const csvFiles = new Map();
const streams = new Map();
try {
  for (const model of models) {
    for (const lines of perMessage) {
      const rows = rowsFor(model, lines);
      if (!csvFiles.has(rows)) csvFiles.set(rows, await writeCsv(rows));
      const file = csvFiles.get(rows);
      const stream = `bench_${process.pid}_${lines}_${rows}`;
      if (!streams.has(stream)) {
        const p = await publishRows(`synth:${SPEC}`, `${url}/${stream}`, { rows, seed: SEED, linesPerMessage: lines, report: silentReporter });
        streams.set(stream, { messages: p.messages, lastSequence: p.lastSequence, rowsPerSecond: p.rowsPerSecond });
      }
      const published = streams.get(stream);
      const one = [];
      const byCount = new Map(workerCounts.map((c) => [c, []]));
      for (let round = 0; round < rounds; round++) {
        // Alternate which side goes first, so neither always runs on a machine warmed (or loaded) by the other.
        const sides = [async () => one.push(await oneProcess(model, file, rows)), ...workerCounts.map((c) => async () => byCount.get(c).push(await workers(model, stream, rows, published.lastSequence, c)))];
        if (round % 2 === 1) sides.reverse();
        for (const side of sides) await side();
        const last = one[one.length - 1];
        const w = byCount.get(workerCounts[0]);
        const lw = w[w.length - 1];
        console.error(
          `${model}, ${lines} rows/message, round ${round + 1}: one process ${fmt(rows / last.cpuSeconds)} rows/CPU s (${fmt(last.peakRssMB)} MB); ` +
            `${workerCounts[0]} worker${workerCounts[0] === 1 ? '' : 's'} ${fmt(rows / lw.cpuSeconds)} rows/CPU s, ${fmt(rows / (lw.cpuSeconds + (lw.serverCpuSeconds ?? NaN)))} with the server's (${fmt(lw.peakRssMB)} MB)`,
        );
      }
      for (const count of workerCounts) {
        const w = byCount.get(count);
        const ratio = (f) => median(w.map((x, i) => f(x, one[i])));
        results.push({
          stream,
          learner: model,
          linesPerMessage: lines,
          messages: published.messages,
          rows,
          workers: count,
          rounds,
          one: {
            cpuSeconds: median(one.map((o) => o.cpuSeconds)),
            rowsPerCpuSecond: median(one.map((o) => rows / o.cpuSeconds)),
            rowsPerSecond: median(one.map((o) => rows / o.wallSeconds)),
            peakRssMB: median(one.map((o) => o.peakRssMB)),
            accuracy: one[0].accuracy,
          },
          worker: {
            cpuSeconds: median(w.map((x) => x.cpuSeconds)),
            serverCpuSeconds: median(w.map((x) => x.serverCpuSeconds)),
            rowsPerCpuSecond: median(w.map((x) => rows / x.cpuSeconds)),
            rowsPerCpuSecondWithServer: median(w.map((x) => (x.serverCpuSeconds === null ? null : rows / (x.cpuSeconds + x.serverCpuSeconds)))),
            rowsPerSecond: median(w.map((x) => rows / x.wallSeconds)),
            peakRssMB: median(w.map((x) => x.peakRssMB)),
            accuracy: w[0].accuracy,
            learned: w.map((x) => x.learned),
            checkpoints: median(w.map((x) => x.checkpoints)),
          },
          speedRatio: ratio((x, o) => o.cpuSeconds / x.cpuSeconds),
          speedRatioWithServer: ratio((x, o) => (x.serverCpuSeconds === null ? null : o.cpuSeconds / (x.cpuSeconds + x.serverCpuSeconds))),
          wallRatio: ratio((x, o) => o.wallSeconds / x.wallSeconds),
          memoryRatio: ratio((x, o) => x.peakRssMB / o.peakRssMB),
        });
      }
    }
  }
} finally {
  for (const stream of streams.keys()) {
    await broker.jsm.streams.delete(stream).catch(() => undefined);
    await deleteStreamFormat(broker, stream).catch(() => undefined);
  }
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}

const load1 = loadavg();
const target = (r) => (r.linesPerMessage === 100 && r.workers === 1 ? (r.learner === 'adaptive-random-forest' ? 0.8 : r.learner === 'gaussian-nb' ? 0.5 : null) : null);
const met = (r) => {
  const t = target(r);
  if (t === null) return '-';
  return `${r.speedRatio >= t ? 'yes' : '**no**'} (${Math.round(t * 100)}%); memory ${r.memoryRatio <= 1.5 ? 'yes' : '**no**'}`;
};
const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform} ${process.arch}`;
const md = [];
md.push(`# streamlearn worker beside one process (issue 17)`);
md.push('');
md.push(
  `${new Date().toISOString()}; ${machine}; ${url}${SERVER === null ? ' (nats-server not found: its CPU is not counted)' : ` (nats-server pid ${SERVER})`}; ` +
    `load average ${load0.map((l) => l.toFixed(2)).join(' ')} before, ${load1.map((l) => l.toFixed(2)).join(' ')} after; ${fmt((performance.now() - t0) / 1000)} s in all.`,
);
md.push('');
md.push(
  `SEA (\`${SPEC}\`), seed ${SEED}, rows published once per message size and written once to CSV; ${rounds} rounds, sides interleaved. ` +
    'One process: `train --data FILE --protocol prequential` (saves its model once). Worker: `worker --idle-timeout 0` on a new durable consumer, until every message is acknowledged. ' +
    'rows/CPU s: rows over the whole process\'s CPU seconds (user + system, every thread, start-up included); "+ server": the worker\'s and nats-server\'s together. ' +
    'Ratios: the worker\'s speed (or peak) over the one process\'s, median of the rounds\' ratios. Wall rows/s measure the machine\'s load as much as the code on a shared machine.',
);
md.push('');
md.push('| learner | rows/message | rows | workers | one process rows/CPU s | worker rows/CPU s | worker + server rows/CPU s | speed x | speed x with server | one process peak MB | worker peak MB | memory x | one process rows/s (wall) | worker rows/s (wall) | checkpoints | accuracy (one, worker) | target met |');
md.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|');
for (const r of results) {
  md.push(
    `| ${r.learner} | ${r.linesPerMessage} | ${fmt(r.rows)} | ${r.workers} | ${fmt(r.one.rowsPerCpuSecond)} | ${fmt(r.worker.rowsPerCpuSecond)} | ${fmt(r.worker.rowsPerCpuSecondWithServer)} | ` +
      `${fmt(r.speedRatio, 2)} | ${fmt(r.speedRatioWithServer, 2)} | ${fmt(r.one.peakRssMB)} | ${fmt(r.worker.peakRssMB)} | ${fmt(r.memoryRatio, 2)} | ` +
      `${fmt(r.one.rowsPerSecond)} | ${fmt(r.worker.rowsPerSecond)} | ${fmt(r.worker.checkpoints)} | ${fmt(r.one.accuracy, 4)}, ${fmt(r.worker.accuracy, 4)} | ${met(r)} |`,
  );
}
console.log(md.join('\n'));

const defaults = rowsFlag === undefined && forestRowsFlag === undefined && flag('models') === undefined && flag('lines-per-message') === undefined;
const base = defaults ? 'nats-workers' : 'nats-workers-partial';
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
const writeAtomic = (name, text) => {
  const path = fileURLToPath(new URL(name, out));
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
};
writeAtomic(`${base}.json`, JSON.stringify({ date: new Date().toISOString(), machine, url, serverPid: SERVER, loadBefore: load0, loadAfter: load1, rounds, results }, null, 2) + '\n');
writeAtomic(`${base}.md`, md.join('\n') + '\n');
console.error(`wrote bench/results/${base}.json and .md`);
