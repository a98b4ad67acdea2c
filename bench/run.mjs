// streamlearn's benchmark suite: `npm run bench` (builds, then runs this).
//
//   node bench/run.mjs [--quick] [--only SUBSTRING[,SUBSTRING...]] [--list] [--no-write] [--node-flags "FLAGS"]
//
// Every case runs in its own child process (so that peak RSS, from process.resourceUsage().maxRSS,
// is the case's own) and prints one JSON line; this script collects them into one table, printed
// and written atomically (temporary file, then rename) to bench/results/<name>.json and .md, where
// <name> is `latest` for a full run, `quick` for --quick and `only` when --only picks cases.
//
// Cases (see CASES below):
//   prequential  gaussian-nb, hoeffding-tree, hoeffding-adaptive-tree, adaptive-random-forest on
//                SEA (function 1, 10% noise), Random RBF (MOA's defaults) and Agrawal 1 -> 2 with a
//                drift in the middle, 1,000,000 rows each, test-then-train row by row as MOA's
//                EvaluatePrequential (bench/prequential-case.mjs), with MOA 2024.07's figures beside
//   batch        the bundled small sets under the default batch-split protocol, train() from the
//                build with output: { out: null } (bench/batch-case.mjs)
//   csv          reading a generated numeric CSV: the raw bytes (the limit), parsing alone, and
//                gaussian-nb trained prequentially from the file (bench/scale.mjs --case)
//   one-row      learnOne / predictOne over plain objects against prequential() on the same SEA rows,
//                gaussian-nb and hoeffding-tree (bench/one-row.mjs); target: ratio at least 2/3
//   serve        requests per second and latency of the model server (bench/serve-load.mjs):
//                POST /predict with 1 and 100 rows, POST /learn with 1 row, acknowledged on disk
//   startup      whole-process start-up, median of 20 runs (bench/startup.mjs): bare node,
//                import('streamlearn'), streamlearn --version and --help
//   package      the packed package installed into a fresh project (node_modules size; target at most
//                30 MB) and the core bundled for a browser, minified and gzipped (bench/package-size.mjs,
//                bench/browser-bundle.mjs)
//   regression   every regressor, prequential on Friedman #1 (100,000 rows, 50,000 for the forest and
//                bagging), R², MAE, RMSE, rows per CPU second (bench/regression-case.mjs);
//                bench/regression-vs-moa.mjs runs MOA 2024.07 beside them
//   vs-moa       the whole-process 1M-row SEA gaussian-nb run (the CLI, start-up included) beside
//                MOA 2024.07's (../shared/moa/run.sh), one after the other (bench/nb-vs-moa.mjs)
// --quick cuts the rows (100,000 per stream, 20,000 for the forest, 200,000 CSV rows) for a smoke
// check in under a minute.
//
// A case script may print any of these fields in its JSON line, and the table shows what it gets:
// rows, accuracy, wallSeconds, cpuSeconds, rowsPerSecond, requestsPerSecond, peakRssMB,
// modelBytes, sourceSeconds/learnSeconds/scoreSeconds (the split of the wall time), note.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moaAccuracy, moaSpeed, targets } from './moa-reference.mjs';
import { writeSeaCsv } from './sea-csv.mjs';
import { regressorNames } from '../dist/index.js';

const args = process.argv.slice(2);
const has = (name) => args.includes(`--${name}`);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const QUICK = has('quick');
const ONLY = flag('only')?.split(',').filter(Boolean) ?? null;
const BENCH = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = join(BENCH, 'results');

const ROWS = QUICK ? 100_000 : 1_000_000;
const FOREST_ROWS = QUICK ? 20_000 : 1_000_000;
const CSV_ROWS = QUICK ? 200_000 : 2_000_000;
// Regressors on Friedman #1: single models and ensembles (as bench/regression-vs-moa.mjs, which also runs MOA).
const REG_ROWS = QUICK ? 20_000 : 100_000;
const REG_ENSEMBLE_ROWS = QUICK ? 10_000 : 50_000;

// Node flags for every case process (--node-flags "..." replaces them; "" for none).
const NODE_FLAGS = flag('node-flags') !== undefined ? flag('node-flags').split(' ').filter(Boolean) : [];

const streams = {
  sea: { spec: 'sea(function=1,noise-percentage=10)', title: 'SEA' },
  rbf: { spec: 'random-rbf', title: 'Random RBF' },
  // As the MOA comparison in the README measured it: function 1 to 2 around the middle, over 5% of the stream.
  'agrawal-drift': { spec: (n) => `agrawal(function=1)>agrawal(function=2)@${n / 2}/${n / 20}`, title: 'Agrawal drift' },
};
const learners = ['gaussian-nb', 'hoeffding-tree', 'hoeffding-adaptive-tree', 'adaptive-random-forest'];
const datasets = ['iris', 'wine', 'breast-cancer', 'digits'];

function prequentialCase(learner, stream, params = null) {
  const rows = learner === 'adaptive-random-forest' ? FOREST_ROWS : ROWS;
  const s = streams[stream];
  const spec = typeof s.spec === 'function' ? s.spec(rows) : s.spec;
  const moaAcc = moaAccuracy[stream]?.[learner];
  const speed = moaSpeed[stream]?.[learner] ?? {};
  const target = targets[learner];
  const suffix = params ? ` (${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
  return {
    id: `${learner} ${stream}${suffix}`,
    group: 'prequential',
    script: 'prequential-case.mjs',
    args: [learner, spec, String(rows), '1', ...(params ? [JSON.stringify(params)] : [])],
    moa: { accuracy: moaAcc === undefined ? null : moaAcc / 100, ...speed },
    target: {
      rowsPerSecond: stream === 'sea' ? target.seaRowsPerSecond : null,
      peakRssMB: target.peakRssMB,
    },
  };
}

const batchCase = (learner, dataset) => ({
  id: `${learner} ${dataset}`,
  group: 'batch',
  script: 'batch-case.mjs',
  args: [learner, dataset, '42'],
});

const csvCase = (id, caseName, model) => ({
  id,
  group: 'csv',
  script: 'scale.mjs',
  needsCsv: true,
  args: ['--case', caseName, '--file', '{csv}', ...(model ? ['--model', model] : [])],
});

const CASES = [
  ...Object.keys(streams).flatMap((stream) => learners.map((learner) => prequentialCase(learner, stream))),
  // The forest's members spread over two worker threads: "both cores" in the issue's target.
  prequentialCase('adaptive-random-forest', 'sea', { workers: 2 }),
  ...datasets.flatMap((dataset) => learners.map((learner) => batchCase(learner, dataset))),
  csvCase('csv raw read', 'raw'),
  csvCase('csv parse', 'parse'),
  csvCase('csv gaussian-nb from file', 'file', 'gaussian-nb'),
  // One row at a time (learnOne / predictOne over plain objects) against the batch path, same rows.
  ...['gaussian-nb', 'hoeffding-tree'].map((learner) => ({
    id: `one-row ${learner} sea`,
    group: 'one-row',
    script: 'one-row.mjs',
    args: [learner, String(QUICK ? 100_000 : 1_000_000)],
    target: { ratio: 2 / 3 },
  })),
  // The model server under load (autocannon on loopback); peak MB is the server's.
  ...['predict-1', 'predict-100', 'learn-1'].map((scenario) => ({
    id: `serve ${scenario}`,
    group: 'serve',
    script: 'serve-load.mjs',
    args: ['--scenario', scenario, ...(QUICK ? ['--quick'] : [])],
  })),
  { id: 'startup', group: 'startup', script: 'startup.mjs', args: ['--runs', QUICK ? '5' : '20'] },
  { id: 'package size', group: 'package', script: 'package-size.mjs', args: [] },
  { id: 'browser bundle', group: 'package', script: 'browser-bundle.mjs', args: [] },
  // Every regressor, prequential on Friedman #1.
  ...regressorNames.map((learner) => ({
    id: `${learner} friedman`,
    group: 'regression',
    script: 'regression-case.mjs',
    args: [learner, 'synth:friedman', String(/forest|bagging/.test(learner) ? REG_ENSEMBLE_ROWS : REG_ROWS), '1'],
  })),
  { id: 'gaussian-nb sea, whole process, vs MOA', group: 'vs-moa', script: 'nb-vs-moa.mjs', args: ['--rows', String(ROWS), '--pairs', QUICK ? '1' : '3'] },
];

if (has('list')) {
  for (const c of CASES) console.log(`${c.group.padEnd(12)} ${c.id}`);
  process.exit(0);
}

const chosen = ONLY ? CASES.filter((c) => ONLY.some((o) => c.id.includes(o) || c.group === o)) : CASES;
if (chosen.length === 0) {
  console.error(`no case matches --only ${ONLY.join(',')}; node bench/run.mjs --list names them`);
  process.exit(1);
}

/** Runs one case script in a child process; resolves with the last JSON line it printed. */
function runChild(script, argv) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...NODE_FLAGS, join(BENCH, script), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const last = out.trim().split('\n').pop();
      if (code !== 0 || !last) reject(new Error(`${script} ${argv.join(' ')} exited with code ${code}\n${err.trim()}`));
      else resolve(JSON.parse(last));
    });
  });
}

/** A scale.mjs case's line in the suite's terms. */
function fromScale(r, csvBytes) {
  const out = { rows: r.rows, wallSeconds: r.seconds, cpuSeconds: r.cpuSeconds, peakRssMB: r.peakRssMB, accuracy: r.accuracy };
  if (r.case === 'raw') {
    // It counted bytes; the speed limit is the file's rows read at that speed.
    out.rows = CSV_ROWS;
    out.note = `${fmt(csvBytes / 2 ** 20 / r.seconds)} MiB/s`;
  }
  out.rowsPerSecond = out.rows / out.wallSeconds;
  return out;
}

const fmt = (n, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main() {
  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    nodeFlags: NODE_FLAGS,
  };
  console.error(`streamlearn bench${QUICK ? ' --quick' : ''}: ${chosen.length} cases, one process each; ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}`);
  let csv = null;
  let csvBytes = 0;
  let tmp = null;
  const results = [];
  const started = performance.now();
  try {
    for (const c of chosen) {
      if (c.needsCsv && csv === null) {
        tmp = mkdtempSync(join(tmpdir(), 'streamlearn-bench-'));
        csv = join(tmp, 'sea.csv');
        await writeSeaCsv(csv, CSV_ROWS);
        csvBytes = statSync(csv).size;
      }
      const argv = c.args.map((a) => (a === '{csv}' ? csv : a));
      process.stderr.write(`  ${c.id} ... `);
      const raw = await runChild(c.script, argv);
      const r = c.script === 'scale.mjs' ? fromScale(raw, csvBytes) : raw;
      if (c.id === 'csv parse') {
        const rawRead = results.find((x) => x.id === 'csv raw read');
        if (rawRead) r.note = `${((100 * rawRead.wallSeconds) / r.wallSeconds).toFixed(1)}% of the raw read's speed`;
      }
      const row = { id: c.id, group: c.group, ...r, moa: c.moa ?? null, target: c.target ?? null };
      // The targets are for 1,000,000 rows: a --quick run is not judged.
      row.met = QUICK ? null : verdict(row);
      results.push(row);
      process.stderr.write(`${fmt(r.rowsPerSecond ?? r.requestsPerSecond)} ${r.requestsPerSecond !== undefined ? 'requests' : 'rows'}/s, ${fmt(r.cpuSeconds, 2)} CPU s, ${fmt(r.peakRssMB)} MB\n`);
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const doc = { date: new Date().toISOString(), quick: QUICK, only: ONLY, rows: { stream: ROWS, forest: FOREST_ROWS, csv: CSV_ROWS }, machine, totalSeconds, results };
  const md = markdown(doc);
  console.log(`\n${md}`);
  if (!has('no-write')) {
    const name = ONLY ? 'only' : QUICK ? 'quick' : 'latest';
    mkdirSync(RESULTS, { recursive: true });
    writeAtomic(join(RESULTS, `${name}.json`), `${JSON.stringify(doc, null, 2)}\n`);
    writeAtomic(join(RESULTS, `${name}.md`), md);
    console.error(`written: bench/results/${name}.json, bench/results/${name}.md (${fmt(totalSeconds, 1)} s in all)`);
  }
}

/** Whether a case meets its targets: true, false, or null when it has none. */
function verdict(r) {
  // The start-up and MOA cases judge themselves against their targets.
  if (!r.target) return typeof r.met === 'boolean' ? r.met : null;
  const checks = [];
  if (r.target.rowsPerSecond) checks.push(r.rowsPerSecond >= r.target.rowsPerSecond);
  if (r.target.peakRssMB) checks.push(r.peakRssMB < r.target.peakRssMB);
  if (r.target.ratio) checks.push(r.ratio >= r.target.ratio);
  return checks.length ? checks.every(Boolean) : null;
}

function writeAtomic(path, text) {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

const pct = (part, whole) => (part === undefined || !whole ? '-' : `${Math.round((100 * part) / whole)}`);

function markdown(doc) {
  const m = doc.machine;
  const lines = [];
  lines.push(`### streamlearn bench${doc.quick ? ' (--quick)' : ''}, ${doc.date.slice(0, 10)}`);
  lines.push('');
  lines.push(`${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node} (${m.nodeFlags.join(' ') || 'no flags'}), ${m.platform}. One process per case; wall and CPU seconds of the measured loop (CPU: user + system of every thread of the process); peak RSS of the process.`);
  const group = (name) => doc.results.filter((r) => r.group === name);
  const pre = group('prequential');
  if (pre.length) {
    lines.push('');
    lines.push(`**Prequential** (test then train, row by row; ${fmt(doc.rows.stream)} rows${doc.rows.forest !== doc.rows.stream ? `, the forest ${fmt(doc.rows.forest)}` : ''}; the MOA columns are MOA 2024.07's figures at 1,000,000 rows from an earlier run (bench/moa-reference.mjs), not measured now: bench/accuracy-vs-moa.mjs measures both in one run). Peak MB: the prequential loop, as MOA's; with save: once the model is also saved. Split: % of wall time generating rows / learning and predicting / scoring. Met: the issue's targets (rows/s on SEA, peak MB of the loop).`);
    lines.push('');
    lines.push('| learner | stream | accuracy % | MOA % (earlier run) | wall s | CPU s | MOA CPU s (earlier run) | rows/s | MOA rows/s (earlier run) | target rows/s | peak MB | MOA peak MB (earlier run) | peak MB with save | model bytes | split % | met |');
    lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|');
    for (const r of pre) {
      const [learner, ...rest] = r.id.split(' ');
      const stream = rest.join(' ');
      lines.push(
        `| ${learner} | ${stream} | ${fmt(100 * r.accuracy, 2)} | ${r.moa?.accuracy == null ? '-' : fmt(100 * r.moa.accuracy, 1)} | ${fmt(r.wallSeconds, 2)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.moa?.cpuSeconds, 2)} | ${fmt(r.rowsPerSecond)} | ${fmt(r.moa?.rowsPerSecond)} | ${fmt(r.target?.rowsPerSecond)} | ${fmt(r.peakRssMB)} | ${fmt(r.moa?.peakRssMB)} | ${fmt(r.peakRssWithSaveMB)} | ${fmt(r.modelBytes)} | ${pct(r.sourceSeconds, r.wallSeconds)} / ${pct(r.learnSeconds, r.wallSeconds)} / ${pct(r.scoreSeconds, r.wallSeconds)} | ${r.met === null ? '-' : r.met ? 'yes' : '**no**'} |`,
      );
    }
  }
  const batch = group('batch');
  if (batch.length) {
    lines.push('');
    lines.push('**Bundled sets, batch-split** (seed 42, batches of 16, test size 0.2; accuracy: mean per batch).');
    lines.push('');
    lines.push('| learner | data set | rows | accuracy % | wall s | CPU s | rows/s | peak MB | model bytes |');
    lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const r of batch) {
      const [learner, dataset] = r.id.split(' ');
      lines.push(`| ${learner} | ${dataset} | ${fmt(r.rows)} | ${fmt(100 * r.accuracy, 1)} | ${fmt(r.wallSeconds, 2)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.rowsPerSecond)} | ${fmt(r.peakRssMB)} | ${fmt(r.modelBytes)} |`);
    }
  }
  const startup = group('startup');
  const vsMoa = group('vs-moa');
  if (startup.length || vsMoa.length) {
    lines.push('');
    lines.push('**Start-up and the whole process** (spawn to exit; start-up: medians of N runs, interleaved; MOA: medians of interleaved pairs, one after the other).');
    lines.push('');
    lines.push('| case | measured | target | met |');
    lines.push('|---|---|---|---|');
    for (const r of startup) {
      const ms = (s) => `${fmt(1000 * s)} ms`;
      lines.push(`| import('streamlearn') | ${ms(r.importSeconds)}, ${ms(r.importAboveBareSeconds)} above bare \`node -e 1\` (${ms(r.bareSeconds)}) | at most ${ms(r.targets.importAboveBareSeconds)} above | ${r.importAboveBareSeconds <= r.targets.importAboveBareSeconds ? 'yes' : '**no**'} |`);
      lines.push(`| streamlearn --version | ${ms(r.versionSeconds)} (--help ${ms(r.helpSeconds)}) | at most ${ms(r.targets.versionSeconds)} | ${r.versionSeconds <= r.targets.versionSeconds ? 'yes' : '**no**'} |`);
    }
    for (const r of vsMoa) {
      const moa = r.moaWallSeconds === null ? r.note : `MOA ${fmt(r.moaWallSeconds, 2)} s, ${fmt(r.moaRowsPerSecond)} rows/s (${fmt(100 * r.moaAccuracy, 2)}%): ${fmt(r.ratio, 2)}x`;
      lines.push(`| ${r.learner} SEA ${fmt(r.rows)} rows, whole process | ${fmt(r.wallSeconds, 2)} s, ${fmt(r.rowsPerSecond)} rows/s (${fmt(100 * r.accuracy, 2)}%); ${moa} | at least ${r.targetRatio}x MOA | ${r.met === null ? '-' : r.met ? 'yes' : '**no**'} |`);
    }
  }
  const pkg = group('package');
  if (pkg.length) {
    lines.push('');
    lines.push('**The package** (packed and installed into a fresh project without the optional peers; the core bundled for a browser by esbuild).');
    lines.push('');
    lines.push('| case | measured | target | met |');
    lines.push('|---|---|---|---|');
    for (const r of pkg) {
      if (r.case === 'package-size') {
        lines.push(`| node_modules of a fresh install | ${fmt(r.nodeModulesMB, 1)} MB of files (tarball ${fmt(r.tarballBytes)} bytes) | at most ${r.targetMB} MB | ${r.nodeModulesMB <= r.targetMB ? 'yes' : '**no**'} |`);
      } else {
        lines.push(`| the core for a browser | ${fmt(r.minifiedBytes)} bytes minified, ${fmt(r.gzipBytes)} gzipped | reported | - |`);
      }
    }
  }
  const reg = group('regression');
  if (reg.length) {
    lines.push('');
    lines.push('**Regressors** (prequential on Friedman #1, seed 1; rows per CPU second of the loop; bench/regression-vs-moa.mjs runs MOA beside them).');
    lines.push('');
    lines.push('| learner | rows | R² | MAE | RMSE | CPU s | rows/CPU s | peak MB |');
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const r of reg) {
      lines.push(`| ${r.learner} | ${fmt(r.rows)} | ${fmt(r.r2, 4)} | ${fmt(r.mae, 4)} | ${fmt(r.rmse, 4)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.rowsPerCpuSecond)} | ${fmt(r.peakRssMB)} |`);
    }
  }
  const other = doc.results.filter((r) => !['prequential', 'batch', 'startup', 'vs-moa', 'package', 'regression'].includes(r.group));
  if (other.length) {
    lines.push('');
    lines.push(`**Reading and serving** (CSV: ${fmt(doc.rows.csv)} rows of 4 numeric features and a label; the process's CPU seconds).`);
    lines.push('');
    lines.push('| case | rows | wall s | CPU s | rows/s | requests/s | peak MB | accuracy % | note |');
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|---|');
    for (const r of other) {
      lines.push(
        `| ${r.id} | ${fmt(r.rows)} | ${fmt(r.wallSeconds, 2)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.rowsPerSecond)} | ${fmt(r.requestsPerSecond)} | ${fmt(r.peakRssMB)} | ${r.accuracy == null ? '-' : fmt(100 * r.accuracy, 2)} | ${r.note ?? ''} |`,
      );
    }
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}

await main();
