// Load on `streamlearn serve` over loopback: requests per second, latency
// (p50, p99) and the server's CPU time per request for POST /predict with 1
// row and with 100 rows, and POST /learn with 1 labelled row (each
// acknowledged only after its fdatasync; concurrent ones share one), then the
// servers' peak resident memory (VmHWM). What monitoring and a challenger
// cost is measured in the same run, on three servers of the same model:
//   plain       --no-metrics --log-level silent: no online scoring, no /metrics, no logger (the server before issue 15)
//   monitored   the defaults: online scoring on /learn, /metrics, the dashboard, JSON logs at info
//   challenger  the defaults and one --challenger (the same learner unless --challenger-model)
// The scenarios run in --rounds rounds, interleaved, so that a change in the
// machine's load falls on all of them alike; each scenario's figures are the
// median over its rounds, and its CPU time per request is the server
// process's user+system time (/proc/PID/stat) over its requests, which other
// work on the machine disturbs far less than requests per second.
// Writes bench/results/serve.json.
//   npm run build && node bench/serve-load.mjs [--quick] [--seconds S] [--rounds R] [--connections N] [--model NAME] [--challenger-model NAME]
//     [--dataset NAME] [--dir PARENT]
//     [--scenarios A,B]   these scenarios only
//     [--scenario NAME]   one scenario only (predict-1, predict-1-plain, predict-100, learn-1, learn-1-plain, learn-1-challenger);
//                         the last line is then its JSON (bench/run.mjs reads it)
//   node bench/serve-load.mjs --screenshot FILE.png   the dashboard of a champion and a challenger on a drifting stream, in headless Chromium
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { datasetSource, train } from '../dist/node/index.js';
import { synthSource } from '../dist/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'streamlearn.js');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const seconds = Number(flag('seconds', quick ? '1' : '5'));
const rounds = Number(flag('rounds', quick ? '1' : '3'));
const connections = Number(flag('connections', '10'));
const learner = flag('model', 'gaussian-nb');
const challengerLearner = flag('challenger-model', learner);
const dataset = flag('dataset', 'iris');
const screenshot = flag('screenshot', null);
const CLOCK_TICKS = 100;

// The model directories (and so the learn logs' fdatasync) are on the file system of the temporary directory; --dir puts them elsewhere.
const work = mkdtempSync(join(flag('dir', tmpdir()), 'streamlearn-bench-serve-'));

/** Starts `streamlearn serve` on a free port; resolves with its URL, pid, stderr and exit. */
async function startServer(serveArgs) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--learn', '--reload-interval', '0', ...serveArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    exited.then((code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
  return { url, child, exited, stderr: () => stderr };
}

/** The server's user + system CPU seconds so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const peakRssBytes = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () => loadavg().map((v) => v.toFixed(2)).join(', ');

if (screenshot !== null) {
  await dashboardScreenshot(screenshot);
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

const trained = join(work, 'trained');
await train({ source: { dataset }, model: learner, output: { out: trained } });
const trainedChallenger = join(work, 'trained-challenger');
await train({ source: { dataset }, model: challengerLearner, output: { out: trainedChallenger } });

// Request rows: the data set's own rows as objects, label included (predict ignores it).
const source = await datasetSource(dataset);
const { features, label, classes } = source.schema;
const records = [];
for await (const row of source.rows()) records.push({ ...Object.fromEntries(features.map((f, j) => [f, row.x[j]])), [label]: classes[row.y] });
const rowsOf = (n, from = 0) => Array.from({ length: n }, (_, i) => records[(from + i) % records.length]);

const json = { 'content-type': 'application/json' };
// Different rows per request, so the model keeps changing; one row each, the smallest unit a client acknowledges.
const learnRequests = records.map((r) => ({ method: 'POST', path: '/learn', headers: json, body: JSON.stringify({ rows: [r] }) }));
const SCENARIOS = [
  { name: 'predict-1', server: 'monitored', path: '/predict', body: JSON.stringify(rowsOf(1)[0]) },
  { name: 'predict-1-plain', server: 'plain', path: '/predict', body: JSON.stringify(rowsOf(1)[0]) },
  { name: 'predict-100', server: 'monitored', path: '/predict', body: JSON.stringify({ rows: rowsOf(100) }) },
  { name: 'learn-1', server: 'monitored', path: '/learn', requests: learnRequests },
  { name: 'learn-1-plain', server: 'plain', path: '/learn', requests: learnRequests },
  { name: 'learn-1-challenger', server: 'challenger', path: '/learn', requests: learnRequests },
];

const only = flag('scenario', null);
const subset = only === null ? flag('scenarios', null)?.split(',') ?? null : [only];
for (const name of subset ?? []) {
  if (!SCENARIOS.some((s) => s.name === name)) {
    console.error(`--scenario ${name}: expected one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
}
const chosen = SCENARIOS.filter((s) => subset === null || subset.includes(s.name));

const SERVER_ARGS = {
  plain: ['--no-metrics', '--log-level', 'silent'],
  monitored: [],
  challenger: ['--challenger', 'CHALLENGER'],
};
const servers = {};
for (const name of new Set(chosen.map((s) => s.server))) {
  const dir = join(work, name, 'model');
  cpSync(trained, dir, { recursive: true });
  const serveArgs = SERVER_ARGS[name].map((a) => {
    if (a !== 'CHALLENGER') return a;
    const c = join(work, name, 'challenger');
    cpSync(trainedChallenger, c, { recursive: true });
    return c;
  });
  servers[name] = await startServer(['--model', dir, ...serveArgs]);
}

const options = (s, duration) => {
  const o = { url: `${servers[s.server].url}${s.path}`, method: 'POST', headers: json, connections, duration };
  if (s.body) o.body = s.body;
  if (s.requests) o.requests = s.requests;
  return o;
};
// A warm-up run of each scenario, not counted: the first requests of a server run before V8 has optimised its code.
for (const s of chosen) await autocannon(options(s, Math.min(seconds, 2)));
const loadBefore = load();
const runs = Object.fromEntries(chosen.map((s) => [s.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const s of chosen) {
    const server = servers[s.server];
    const cpu0 = cpuSeconds(server.child.pid);
    const r = await autocannon(options(s, seconds));
    const cpu = cpuSeconds(server.child.pid) - cpu0;
    runs[s.name].push({ requests: r.requests.total, rps: r.requests.average, meanMs: r.latency.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.non2xx, cpuSeconds: cpu, cpuPerRequest: cpu / r.requests.total });
  }
}
const loadAfter = load();

const results = chosen.map((s) => {
  const rs = runs[s.name];
  const requests = rs.reduce((a, r) => a + r.requests, 0);
  const cpu = rs.reduce((a, r) => a + r.cpuSeconds, 0);
  return {
    scenario: s.name,
    server: s.server,
    rounds: rs.length,
    requests,
    rps: median(rs.map((r) => r.rps)),
    rpsEachRound: rs.map((r) => Math.round(r.rps)),
    meanMs: median(rs.map((r) => r.meanMs)),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
    serverCpuMicrosPerRequest: (cpu / requests) * 1e6,
    errors: rs.reduce((a, r) => a + r.errors, 0),
  };
});

const peaks = {};
const stats = {};
for (const [name, server] of Object.entries(servers)) {
  peaks[name] = peakRssBytes(server.child.pid);
  if (name !== 'plain') stats[name] = await (await fetch(`${server.url}/stats`)).json();
  server.child.kill('SIGTERM');
}
const codes = {};
for (const [name, server] of Object.entries(servers)) codes[name] = await server.exited;
rmSync(work, { recursive: true, force: true });

const pad = (v, n) => String(v).padStart(n);
const byName = Object.fromEntries(results.map((r) => [r.scenario, r]));
console.log(`streamlearn serve, ${learner} on ${dataset}${chosen.some((s) => s.server === 'challenger') ? ` (challenger: ${challengerLearner})` : ''}, ${connections} connections, ${seconds} s x ${rounds} rounds each, loopback; ${cpus().length} CPUs`);
console.log(`load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}`);
// autocannon's percentiles are whole milliseconds; the mean is not.
console.log(`${'scenario'.padEnd(20)}${'server'.padEnd(12)}${pad('req/s', 9)}${pad('mean ms', 9)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('CPU µs/req', 12)}${pad('errors', 8)}`);
for (const r of results) {
  console.log(
    `${r.scenario.padEnd(20)}${r.server.padEnd(12)}${pad(Math.round(r.rps), 9)}${pad(r.meanMs.toFixed(2), 9)}${pad(r.p50Ms, 8)}${pad(r.p99Ms, 8)}${pad(r.serverCpuMicrosPerRequest.toFixed(1), 12)}${pad(r.errors, 8)}`,
  );
}
const ratio = (a, b, key) => (byName[a] && byName[b] ? byName[a][key] / byName[b][key] : null);
// Round by round: the two runs of a round are seconds apart, so a ratio within a round sees the least change of the machine's load.
const roundRatios = (a, b, key) => (runs[a] && runs[b] ? runs[a].map((r, i) => r[key] / runs[b][i][key]) : null);
const compare = (a, b) => ({
  rps: ratio(a, b, 'rps'),
  cpuPerRequest: ratio(a, b, 'serverCpuMicrosPerRequest'),
  rpsMedianOfRounds: roundRatios(a, b, 'rps') && median(roundRatios(a, b, 'rps')),
  cpuPerRequestMedianOfRounds: roundRatios(a, b, 'cpuPerRequest') && median(roundRatios(a, b, 'cpuPerRequest')),
});
const comparisons = {
  monitoringPredict1: compare('predict-1', 'predict-1-plain'),
  monitoringLearn1: compare('learn-1', 'learn-1-plain'),
  oneChallengerLearn1: compare('learn-1-challenger', 'learn-1'),
};
const pct = (x) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}%`;
const show = (label, c) => {
  if (c.rps === null) return;
  console.log(
    `${label}: req/s ${pct(c.rps)} (median of the rounds' ratios ${pct(c.rpsMedianOfRounds)}), server CPU per request ${pct(c.cpuPerRequest)} (median of the rounds' ratios ${pct(c.cpuPerRequestMedianOfRounds)})`,
  );
};
show('monitoring on /predict (predict-1 vs predict-1-plain)', comparisons.monitoringPredict1);
show('monitoring on /learn (learn-1 vs learn-1-plain)', comparisons.monitoringLearn1);
show('one challenger on /learn (learn-1-challenger vs learn-1)', comparisons.oneChallengerLearn1);
console.log(`peak RSS of the servers (VmHWM): ${Object.entries(peaks).map(([n, b]) => `${n} ${(b / 1048576).toFixed(1)} MiB`).join(', ')}; exit on SIGTERM: ${JSON.stringify(codes)}`);
for (const [name, s] of Object.entries(stats)) {
  console.log(`online accuracy on ${name}: ${s.models.map((m) => `${m.name} (${m.learner}) ${m.online.accuracy === null ? '-' : (m.online.accuracy * 100).toFixed(2) + '%'} over ${m.online.scored} rows`).join('; ')}`);
}

const out = join(ROOT, 'bench', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'serve.json'),
  JSON.stringify(
    {
      learner,
      challengerLearner,
      dataset,
      connections,
      secondsEach: seconds,
      rounds,
      node: process.version,
      cpus: cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
      results,
      comparisons,
      peakRssBytes: peaks,
      exitCodes: codes,
      at: new Date().toISOString(),
    },
    null,
    2,
  ) + '\n',
);
console.log(`written: bench/results/serve.json`);
if (only !== null) {
  const r = results[0];
  // One JSON line for bench/run.mjs: the scenario's row of its table.
  console.log(
    JSON.stringify({
      rows: r.requests,
      wallSeconds: seconds * rounds,
      requestsPerSecond: r.rps,
      peakRssMB: peaks[r.server] / 1048576,
      note: `${learner} on ${dataset}, ${connections} connections, ${r.server} server; latency p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, mean ${r.meanMs.toFixed(2)} ms; server CPU ${r.serverCpuMicrosPerRequest.toFixed(1)} µs/request; ${r.errors} errors`,
    }),
  );
}

/**
 * The README's picture of the dashboard: a gaussian-nb champion and a
 * hoeffding-tree challenger, both trained on the first 2,000 rows of an
 * Agrawal stream whose concept changes (function 1 to 2) 4,000 rows into
 * what they then learn online, 10 rows per request, with ADWIN on their
 * errors and /predict traffic beside; then the page in headless Chromium at
 * 1280 px wide, written to `file`.
 */
async function dashboardScreenshot(file) {
  const { chromium } = await import('playwright-core');
  const chromiumPath = process.env.STREAMLEARN_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: install Debian's chromium or set STREAMLEARN_CHROMIUM`);
  const spec = 'agrawal(function=1)>agrawal(function=2)@6000/1';
  const seed = 1;
  const champion = join(work, 'demo', 'model');
  const challenger = join(work, 'demo', 'candidate');
  for (const [model, out] of [
    ['gaussian-nb', champion],
    ['hoeffding-tree', challenger],
  ]) {
    await train({ source: { synth: spec, rows: 2000 }, model, protocol: 'prequential', seed, output: { out } });
  }
  const stream = synthSource(spec, { rows: 12_000, seed });
  const names = stream.schema.features;
  const labelName = stream.schema.label;
  const rows = [];
  for await (const row of stream.rows()) rows.push({ ...Object.fromEntries(names.map((f, j) => [f, row.x[j]])), [labelName]: stream.schema.classes[row.y] });
  const server = await startServer(['--model', champion, '--challenger', challenger, '--drift', 'adwin', '--checkpoint-interval', '0']);
  let predicting = true;
  const predictLoop = (async () => {
    for (let i = 0; predicting; i++) {
      await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rows[i % 2000]) });
    }
  })();
  const learn = async (at) => {
    const r = await fetch(`${server.url}/learn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: rows.slice(at, at + 10) }) });
    if (r.status !== 200) throw new Error(`learn: ${r.status} ${await r.text()}`);
  };
  const last = rows.length - 1000;
  for (let at = 2000; at < last; at += 10) await learn(at);
  // The last 1,000 rows trickle in while the page is open, so that its /learn figures have requests to show.
  const trickle = (async () => {
    for (let at = last; at < rows.length; at += 10) {
      await learn(at);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}/dashboard`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');
  // Two updates, so that the rates cover a whole interval of the /predict traffic.
  await page.waitForTimeout(2500);
  await page.screenshot({ path: file, fullPage: true });
  await browser.close();
  predicting = false;
  await Promise.all([predictLoop, trickle]);
  const stats = await (await fetch(`${server.url}/stats`)).json();
  server.child.kill('SIGTERM');
  await server.exited;
  console.log(`written: ${file}`);
  for (const m of stats.models) console.log(`${m.name} (${m.learner}): online accuracy ${(m.online.accuracy * 100).toFixed(2)}% over ${m.online.scored} rows; drift alarms at rows ${m.online.drift.rows.join(', ') || 'none'}`);
}
