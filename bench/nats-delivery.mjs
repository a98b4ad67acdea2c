// The broker's delivery rate to one consumer with learning switched off (issue 17, "Scaling past this
// machine"): what one nats-server can hand to workers, and so where adding workers stops paying.
//
// For each rows-per-message size, the rows of one seeded SEA stream are published once into a fresh
// JetStream stream (file storage, one replica, as `streamlearn publish` makes it). Then, round after
// round, a consumer in this process reads the whole stream through a new durable pull consumer as a
// worker does (pulls of about 2,000 rows, at most 500 messages, one pull ahead) and, per message:
//   decode+ack  decodes the payload (TextDecoder, lines, cells to numbers) and acknowledges it
//               (explicit acknowledgement, acknowledgements sent and confirmed every 5,000 messages,
//               as a worker's checkpoint does);
//   ack         acknowledges without decoding;
//   no-ack      a consumer with AckPolicy.None: delivery alone.
// Reported per mode: rows and messages per second (wall, from the first pull to the last
// acknowledgement confirmed), this process's CPU seconds (process.cpuUsage(), every thread) and
// nats-server's (/proc/PID/stat, Linux; found by the URL's port, or --server-pid), and nats-server's CPU
// microseconds per message: its reciprocal is the most messages per second one server core delivers, the
// ceiling for all workers together. Medians over rounds; modes interleaved within each round.
// Writes bench/results/nats-delivery.{json,md} (nats-delivery-partial.* with other rows or sizes) atomically.
//   npm run build && node bench/nats-delivery.mjs [--url nats://127.0.0.1:4222] [--rounds 3]
//     [--lines-per-message 1,100] [--rows N] [--server-pid PID]
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connectBroker, deleteStreamFormat, parseStreamUrl, publishRows } from '../dist/node/broker/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const url = flag('url', process.env.STREAMLEARN_NATS_URL ?? 'nats://127.0.0.1:4222');
const rounds = Number(flag('rounds', '3'));
const perMessage = list(flag('lines-per-message', '1,100')).map(Number);
const rowsFlag = flag('rows', undefined);
const SPEC = 'sea(noise-percentage=10)';
const SEED = 1;
const MODES = ['decode+ack', 'ack', 'no-ack'];
/** As a worker: about PULL_ROWS rows a pull, at most MAX_PULL messages; acknowledgements confirmed every ACK_EVERY messages. */
const PULL_ROWS = 2000;
const MAX_PULL = 500;
const ACK_EVERY = 5000;

const rowsFor = (lines) => Number(rowsFlag ?? (lines === 1 ? 200_000 : 2_000_000));

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
      found.push({ pid: Number(entry), port: argv.some((a, i) => a === port && ['-p', '--port'].includes(argv[i - 1])) || argv.includes(`--port=${port}`) });
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
/** CPU seconds a process has used so far, from /proc (USER_HZ 100), or null. */
function procCpuSeconds(pid) {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

const silentReporter = () => undefined;
const broker = await connectBroker(parseStreamUrl(`${url}/x`, '--url'), { flag: '--url', display: url, report: silentReporter });
const decoder = new TextDecoder();

/** What a worker does to a message before learning: its rows, their cells as numbers. Returns the rows. */
function decode(data) {
  const text = decoder.decode(data);
  let rows = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const cells = line.split(',');
    for (let j = 0; j < cells.length - 1; j++) sum += +cells[j];
    rows++;
  }
  if (Number.isNaN(sum)) throw new Error('a cell that is not a number');
  return rows;
}

let consumers = 0;
async function readAll(stream, mode, rows, messages, lines) {
  const name = `delivery${consumers++}`;
  await broker.jsm.consumers.add(stream, {
    durable_name: name,
    ack_policy: mode === 'no-ack' ? 'none' : 'explicit',
    deliver_policy: 'all',
    ack_wait: 60e9,
    max_ack_pending: -1,
  });
  const consumer = await broker.js.consumers.get(stream, name);
  const perPull = Math.max(1, Math.min(MAX_PULL, Math.ceil(PULL_ROWS / lines)));
  const server0 = procCpuSeconds(SERVER);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const pull = async (max) => {
    const out = [];
    for await (const m of await consumer.fetch({ max_messages: max, expires: 1000 })) out.push(m);
    return out;
  };
  let got = 0;
  let decoded = 0;
  let toAck = [];
  let ahead = pull(Math.min(perPull, messages));
  while (got < messages) {
    const msgs = await ahead;
    got += msgs.length;
    const left = messages - got;
    ahead = left > 0 ? pull(Math.min(perPull, left)) : null;
    for (const m of msgs) {
      if (mode === 'decode+ack') decoded += decode(m.data);
      if (mode !== 'no-ack') toAck.push(m);
    }
    if (toAck.length >= ACK_EVERY || (left === 0 && toAck.length > 0)) {
      for (const m of toAck) m.ack();
      toAck = [];
      await broker.nc.flush();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const server1 = procCpuSeconds(SERVER);
  if (mode === 'decode+ack' && decoded !== rows) throw new Error(`decoded ${decoded} rows, published ${rows}`);
  if (mode !== 'no-ack') {
    // The server has every acknowledgement (the flush's round trip came back) but applies them to the consumer on its
    // own time: wait for that before calling the run complete, without counting the wait.
    for (let waited = 0; ; waited += 50) {
      const info = await broker.jsm.consumers.info(stream, name);
      if (info.num_ack_pending === 0 && info.num_pending === 0) break;
      if (waited > 10_000) throw new Error(`consumer ${name}: ${info.num_pending} pending, ${info.num_ack_pending} unacknowledged 10 s after the run`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await broker.jsm.consumers.delete(stream, name).catch(() => undefined);
  return { seconds, clientCpuSeconds: (cpu.user + cpu.system) / 1e6, serverCpuSeconds: server0 === null || server1 === null ? null : server1 - server0, pullMessages: perPull };
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
const streams = [];
try {
  for (const lines of perMessage) {
    const rows = rowsFor(lines);
    const stream = `delivery_${process.pid}_${lines}`;
    streams.push(stream);
    const published = await publishRows(`synth:${SPEC}`, `${url}/${stream}`, { rows, seed: SEED, linesPerMessage: lines, report: silentReporter });
    const runs = new Map(MODES.map((m) => [m, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const r = await readAll(stream, mode, rows, published.messages, lines);
        runs.get(mode).push(r);
        console.error(
          `${lines} rows/message, ${mode}, round ${round + 1}: ${fmt(published.messages / r.seconds)} messages/s, ${fmt(rows / r.seconds)} rows/s; ` +
            `client ${fmt(r.clientCpuSeconds, 2)} CPU s, server ${fmt(r.serverCpuSeconds, 2)} CPU s`,
        );
      }
    }
    for (const mode of MODES) {
      const rs = runs.get(mode);
      const serverUs = median(rs.map((r) => (r.serverCpuSeconds === null ? null : (r.serverCpuSeconds / published.messages) * 1e6)));
      results.push({
        linesPerMessage: lines,
        rows,
        messages: published.messages,
        mode,
        rounds,
        pullMessages: rs[0].pullMessages,
        messagesPerSecond: median(rs.map((r) => published.messages / r.seconds)),
        rowsPerSecond: median(rs.map((r) => rows / r.seconds)),
        clientCpuSeconds: median(rs.map((r) => r.clientCpuSeconds)),
        serverCpuSeconds: median(rs.map((r) => r.serverCpuSeconds)),
        serverMicrosecondsPerMessage: serverUs,
        clientMicrosecondsPerMessage: median(rs.map((r) => (r.clientCpuSeconds / published.messages) * 1e6)),
        // One server core's ceiling: messages (and rows) per second of nats-server CPU.
        serverCoreMessagesPerSecond: serverUs ? 1e6 / serverUs : null,
        serverCoreRowsPerSecond: serverUs ? (1e6 / serverUs) * lines : null,
        publishRowsPerSecond: published.rowsPerSecond,
      });
    }
  }
} finally {
  for (const stream of streams) {
    await broker.jsm.streams.delete(stream).catch(() => undefined);
    await deleteStreamFormat(broker, stream).catch(() => undefined);
  }
  await broker.close();
}

const load1 = loadavg();
const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform} ${process.arch}`;
const md = [];
md.push('# JetStream delivery to one consumer, learning off (issue 17)');
md.push('');
md.push(
  `${new Date().toISOString()}; ${machine}; ${url}${SERVER === null ? ' (nats-server not found: its CPU is not counted)' : ` (nats-server pid ${SERVER})`}; ` +
    `load average ${load0.map((l) => l.toFixed(2)).join(' ')} before, ${load1.map((l) => l.toFixed(2)).join(' ')} after; ${fmt((performance.now() - t0) / 1000)} s in all.`,
);
md.push('');
md.push(
  `SEA (\`${SPEC}\`), seed ${SEED}, published once per message size; ${rounds} rounds, modes interleaved; one consumer in one process, pulls of about ${PULL_ROWS} rows (at most ${MAX_PULL} messages) with one ahead, as a worker pulls. ` +
    `decode+ack: payload decoded (lines, cells to numbers) and acknowledged, acknowledgements confirmed every ${ACK_EVERY} messages; ack: acknowledged only; no-ack: AckPolicy none. ` +
    'Wall rates from the first pull to the last acknowledgement confirmed; CPU seconds of this process and of nats-server over the same span. ' +
    'Server core ceiling: messages (rows) per second of nats-server CPU, what one server core can deliver to all workers together.',
);
md.push('');
md.push('| rows/message | messages | mode | messages/s | rows/s | client CPU s | server CPU s | client CPU µs/message | server CPU µs/message | server core ceiling, messages/s | server core ceiling, rows/s |');
md.push('|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const r of results) {
  md.push(
    `| ${r.linesPerMessage} | ${fmt(r.messages)} | ${r.mode} | ${fmt(r.messagesPerSecond)} | ${fmt(r.rowsPerSecond)} | ${fmt(r.clientCpuSeconds, 2)} | ${fmt(r.serverCpuSeconds, 2)} | ` +
      `${fmt(r.clientMicrosecondsPerMessage, 1)} | ${fmt(r.serverMicrosecondsPerMessage, 1)} | ${fmt(r.serverCoreMessagesPerSecond)} | ${fmt(r.serverCoreRowsPerSecond)} |`,
  );
}
console.log(md.join('\n'));

const base = rowsFlag === undefined && flag('lines-per-message') === undefined ? 'nats-delivery' : 'nats-delivery-partial';
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
