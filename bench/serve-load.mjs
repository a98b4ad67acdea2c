// Load on `streamlearn serve` over loopback: requests per second and latency
// (p50, p99) for POST /predict with 1 row and with 100 rows, and POST /learn
// with 1 labelled row (each acknowledged only after its fdatasync; concurrent
// ones share one), then the server's peak resident memory (VmHWM).
// Trains a model on a bundled data set, serves it as a child process with
// --learn, drives it with autocannon, and writes bench/results/serve.json.
//   npm run build && node bench/serve-load.mjs [--quick] [--seconds S] [--connections N] [--model NAME] [--dataset NAME] [--dir PARENT]
//     [--scenario predict-1|predict-100|learn-1]   one scenario only; the last line is then its JSON (bench/run.mjs reads it)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { datasetSource, train } from '../dist/node/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const seconds = Number(flag('seconds', quick ? '1' : '5'));
const connections = Number(flag('connections', '10'));
const learner = flag('model', 'gaussian-nb');
const dataset = flag('dataset', 'iris');

// The model directory (and so the learn log's fdatasync) is on the file system of the temporary directory; --dir puts it elsewhere.
const work = mkdtempSync(join(flag('dir', tmpdir()), 'streamlearn-bench-serve-'));
const modelDir = join(work, 'model');
await train({ source: { dataset }, model: learner, output: { out: modelDir } });

// Request rows: the data set's own rows as objects, label included (predict ignores it).
const source = await datasetSource(dataset);
const { features, label, classes } = source.schema;
const records = [];
for await (const row of source.rows()) records.push({ ...Object.fromEntries(features.map((f, j) => [f, row.x[j]])), [label]: classes[row.y] });
const rowsOf = (n, from = 0) => Array.from({ length: n }, (_, i) => records[(from + i) % records.length]);

const server = spawn(process.execPath, [join(ROOT, 'bin', 'streamlearn.js'), 'serve', '--model', modelDir, '--port', '0', '--learn'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stderr = '';
server.stderr.on('data', (d) => (stderr += d));
const exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  exited.then((code) => reject(new Error(`server exited (${code}): ${stderr}`)));
});

const json = { 'content-type': 'application/json' };
const scenarios = [
  { name: 'predict-1', path: '/predict', body: JSON.stringify(rowsOf(1)[0]) },
  { name: 'predict-100', path: '/predict', body: JSON.stringify({ rows: rowsOf(100) }) },
  // Different rows per request, so the model keeps changing; one row each, the smallest unit a client acknowledges.
  { name: 'learn-1', path: '/learn', requests: records.map((r) => ({ method: 'POST', path: '/learn', headers: json, body: JSON.stringify({ rows: [r] }) })) },
];

const only = flag('scenario', null);
if (only !== null && !scenarios.some((s) => s.name === only)) {
  console.error(`--scenario ${only}: expected one of ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const results = [];
for (const s of scenarios.filter((x) => only === null || x.name === only)) {
  const options = { url: `${url}${s.path}`, method: 'POST', headers: json, connections, duration: seconds };
  if (s.body) options.body = s.body;
  if (s.requests) options.requests = s.requests;
  const r = await autocannon(options);
  results.push({
    scenario: s.name,
    requests: r.requests.total,
    rps: r.requests.average,
    meanMs: r.latency.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.non2xx,
  });
}

const health = await (await fetch(`${url}/health`)).json();
const model = await (await fetch(`${url}/model`)).json();
const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
const vmHwmKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
server.kill('SIGTERM');
const code = await exited;
rmSync(work, { recursive: true, force: true });

const pad = (v, n) => String(v).padStart(n);
console.log(`streamlearn serve, ${learner} on ${dataset}, ${connections} connections, ${seconds} s each, loopback`);
// autocannon's percentiles are whole milliseconds; the mean is not.
console.log(`${'scenario'.padEnd(12)}${pad('req/s', 10)}${pad('mean ms', 9)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}`);
for (const r of results) console.log(`${r.scenario.padEnd(12)}${pad(Math.round(r.rps), 10)}${pad(r.meanMs.toFixed(2), 9)}${pad(r.p50Ms, 9)}${pad(r.p99Ms, 9)}${pad(r.errors, 8)}`);
console.log(`peak RSS of the server: ${(vmHwmKiB / 1024).toFixed(1)} MiB (VmHWM); rows learned: ${model.updates.sinceLoad}; exit on SIGTERM: ${code}`);

const out = join(ROOT, 'bench', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'serve.json'),
  JSON.stringify(
    {
      learner,
      dataset,
      connections,
      secondsEach: seconds,
      node: process.version,
      cpus: cpus().length,
      results,
      peakRssBytes: vmHwmKiB * 1024,
      healthPeakRssBytes: health.peakRssBytes,
      rowsLearned: model.updates.sinceLoad,
      exitCode: code,
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
      wallSeconds: seconds,
      requestsPerSecond: r.rps,
      peakRssMB: vmHwmKiB / 1024,
      note: `${learner} on ${dataset}, ${connections} connections; latency p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, mean ${r.meanMs.toFixed(2)} ms; ${r.errors} errors`,
    }),
  );
}
