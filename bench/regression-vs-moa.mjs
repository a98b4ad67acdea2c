// streamlearn's regressors beside MOA 2024.07's on Friedman #1 (issue 16, "Correct and fast,
// measured"), in one run: for each pair, MOA (bench/moa-regression.sh ARFF LEARNER ROWS) and ours
// (bench/regression-case.mjs LEARNER CSV ROWS SEED PARAMS [STEPS]) one after the other, each in a process of
// its own, alternating which goes first, on the very same rows, and one table compares R², MAE, RMSE,
// speed and memory.
//   npm run build && node bench/regression-vs-moa.mjs [--quick] [--rows N] [--ensemble-rows N]
//     [--seed S] [--pairs a,b] [--no-generator] [--timeout SECONDS]
//   node bench/regression-vs-moa.mjs --render bench/results/regression-vs-moa.json   (rewrites the .md only)
// Rows: 100,000 (--rows), the two ensembles 50,000 (--ensemble-rows); --quick: 20,000 and 10,000.
// Writes bench/results/regression-vs-moa.{json,md} atomically (regression-vs-moa-quick.* for
// --quick, regression-vs-moa-partial.* when --pairs, --rows or --ensemble-rows narrow the run).
//
// The rows: MOA 2024.07 has no Friedman generator, so `streamlearn generate friedman --rows N
// --seed S` writes them to a CSV file, which is copied value for value into an ARFF file (numeric
// attributes, the target last); MOA reads the ARFF (ArffFileStream -c -1), ours the CSV, so both
// sides parse text in their loop. The sum of the targets each of our runs read is checked against
// the file's. With the generator on (the default), each of our learners also runs from
// synth:friedman with the same seed (no file, no parsing): its rows must be the file's (same sum),
// and its speed is the learner's without the reading.
//
// Speed is rows per CPU second of the prequential loop on both sides, since this machine is shared:
// MOA's own figure in its CSV (the CPU time of its evaluating thread, reading the ARFF included; the
// JVM's JIT and GC threads not counted), ours process.cpuUsage() over the loop (every thread of the
// process; reading the CSV included), so the ratio leans towards MOA. Both whole processes are also
// measured spawn to exit (GNU time, see bench/moa.mjs): wall and CPU seconds, peak RSS.
//
// R² is compared as MOA computes it: 1 − SSE / SSE of predicting each row by the running mean of
// the targets before it (MOA's "coefficient of determination", 1 − relative RMSE², exactly 0 for its
// TargetMean); streamlearn's own R² (against the targets' overall mean) is listed beside it.
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { javaVersion, moaMissing, runMeasured } from './moa.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CASE = fileURLToPath(new URL('./regression-case.mjs', import.meta.url));
const MOA_REGRESSION = fileURLToPath(new URL('./moa-regression.sh', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/streamlearn.js', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const usage = (message) => {
  console.error(`bench/regression-vs-moa.mjs: ${message}`);
  process.exit(2);
};
const count = (name, fallback) => {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(Number.isSafeInteger(n) && n >= 2)) usage(`--${name} ${raw}: a whole number of at least 2`);
  return n;
};
const QUICK = args.includes('--quick');
const ROWS = count('rows', QUICK ? 20_000 : 100_000);
const ENSEMBLE_ROWS = count('ensemble-rows', QUICK ? 10_000 : 50_000);
const SEED = Number(flag('seed') ?? 1);
if (!(Number.isSafeInteger(SEED) && SEED >= 0)) usage(`--seed ${flag('seed')}: a whole number`);
const GENERATOR = !args.includes('--no-generator');
const TIMEOUT = Number(flag('timeout') ?? 1800);
if (!(TIMEOUT > 0)) usage(`--timeout ${flag('timeout')}: seconds, more than 0`);
// The targets of issue 16: R² (MOA's definition) at most this far below MOA's for the same learner,
// and at least MOA's rows per CPU second.
const R2_MARGIN = 0.02;
const SPEED_RATIO = 1;

// Each pair: our learner and the parameters it is given (where MOA's configuration differs from our
// defaults, so that the pair is one method), and MOA's (moa-regression.sh's LEARNER). `same` says
// whether the two are the same method and configuration, so that accuracy is judged; otherwise the
// difference is stated and the accuracy only listed. The speed of every pair with a MOA side is
// judged: the learners do the same kind of work.
const PAIRS = [
  {
    id: 'mean',
    ours: { learner: 'mean-regressor' },
    moa: 'mean',
    same: true,
    how: 'the running mean of the target (MOA: rules.functions.TargetMean); the same predictions',
  },
  {
    id: 'linear',
    ours: { learner: 'linear-regression' },
    moa: 'sgd',
    same: false,
    how: 'least squares by SGD, but not the same configuration: ours on standardised features, rate 0.01, no L2 (River\'s); MOA\'s functions.SGD on raw features, rate 1e-4, L2 1e-4',
  },
  {
    id: 'linear (MOA\'s SGD configuration)',
    ours: { learner: 'linear-regression', params: { learningRate: 0.005, interceptLr: 0.005 }, steps: [] },
    moa: 'sgd-rate',
    same: true,
    how: 'MOA\'s SGD at rate 0.01 without L2 (-r 0.01 -l 0) on raw features; ours on raw features too (no scaler), at rate 0.005, since our gradient is 2 (ŷ − y) and the step the same',
  },
  { id: 'passive-aggressive', ours: { learner: 'passive-aggressive-regressor' }, moa: null, same: false, how: 'MOA has no passive-aggressive regressor' },
  { id: 'knn', ours: { learner: 'knn-regressor' }, moa: null, same: false, how: 'our defaults (River\'s: k 5, window 1,000, mean); MOA\'s settings in the next row' },
  {
    id: 'knn (MOA\'s settings)',
    ours: { learner: 'knn-regressor', params: { k: 10, windowSize: 1000, aggregation: 'mean' } },
    moa: 'knn',
    same: true,
    how: 'lazy.kNN: the mean target of the 10 nearest of the last 1,000 rows; distances differ: ours on standardised features, MOA\'s scaled by each attribute\'s range in the window',
  },
  {
    id: 'hoeffding tree',
    ours: { learner: 'hoeffding-tree-regressor' },
    moa: 'fimtdd',
    same: true,
    how: 'FIMT-DD with the same grace period (200), δ (1e-7), τ (0.05) and leaf perceptron (rate 0.02, decay 0.001); ours at its default adaptive leaves (River\'s), MOA\'s model leaves; MOA\'s tree also watches its errors with Page-Hinkley and grows alternate trees',
  },
  {
    id: 'hoeffding tree (model leaves)',
    ours: { learner: 'hoeffding-tree-regressor', params: { leafPrediction: 'model' } },
    moa: 'fimtdd',
    same: true,
    how: 'as above, both with model leaves (the leaf perceptron predicts)',
  },
  {
    id: 'hoeffding tree (mean leaves)',
    ours: { learner: 'hoeffding-tree-regressor', params: { leafPrediction: 'mean' } },
    moa: 'fimtdd-mean',
    same: true,
    how: 'as above, both regression trees (the leaf mean predicts; MOA: FIMTDD -e)',
  },
  {
    id: 'hoeffding adaptive tree',
    ours: { learner: 'hoeffding-adaptive-tree-regressor' },
    moa: 'fimtdd',
    same: false,
    how: 'MOA has no HAT regressor; FIMT-DD is its drift-adaptive tree (Page-Hinkley on the errors, alternate trees), ours ADWIN at each node and Poisson(1) leaf weights (River\'s)',
  },
  {
    id: 'adaptive random forest',
    ours: { learner: 'adaptive-random-forest-regressor' },
    moa: 'arf',
    same: true,
    ensemble: true,
    how: 'ARF-Reg, 10 trees (FIMT-DD, grace 50, δ 0.01), subspaces of round(√M) + 1, Poisson(6), ADWIN warning 0.01 and drift 0.001, mean of the trees (MOA: -s 10 -o 1; its defaults are 100 trees and 60% of the features); the detectors watch the absolute error here, MOA\'s code the prediction',
  },
  {
    id: 'adaptive random forest (grace 200)',
    ours: { learner: 'adaptive-random-forest-regressor', params: { gracePeriod: 200, splitConfidence: 1e-7 } },
    moa: 'arf-grace200',
    same: true,
    ensemble: true,
    how: 'as above, both with trees of grace period 200 and δ 1e-7 (FIMT-DD\'s defaults) instead of 50 and 0.01 (MOA: -l (ARFFIMTDD -g 200 -c 0.0000001))',
  },
  {
    id: 'bagging',
    ours: { learner: 'bagging-regressor' },
    moa: 'ozabag',
    same: true,
    ensemble: true,
    how: 'online bagging (Poisson(1)) of 10 trees, the mean of their predictions; ours of hoeffding-tree-regressor (adaptive leaves), MOA\'s OzaBag of FIMTDD',
  },
  { id: 'AMRules', ours: null, moa: 'amrules', same: false, how: 'rules.AMRulesRegressor: streamlearn has no rule learner' },
];

const pairsFlag = flag('pairs')?.split(',').map((s) => s.trim()).filter(Boolean);
for (const p of pairsFlag ?? []) if (!PAIRS.some((x) => x.id === p || x.ours?.learner === p || x.moa === p)) usage(`--pairs: no pair "${p}" (pairs: ${PAIRS.map((x) => x.id).join('; ')}; or a learner's name on either side)`);
const pairs = pairsFlag ? PAIRS.filter((x) => pairsFlag.some((p) => x.id === p || x.ours?.learner === p || x.moa === p)) : PAIRS;
const rowsOf = (pair) => (pair.ensemble ? ENSEMBLE_ROWS : ROWS);

// The build this run measures: a regressor or parameter it lacks is a skipped pair with a note.
const { regressorDefinitions } = await import('../dist/index.js');
function missingIn(ours) {
  const def = regressorDefinitions.find((d) => d.name === ours.learner);
  if (!def) return `${ours.learner} is not in the regressor registry of this build`;
  const unknown = Object.keys(ours.params ?? {}).filter((k) => !(k in def.params));
  return unknown.length ? `${ours.learner} has no parameter ${unknown.join(', ')}` : null;
}

const moaReason = moaMissing();
const java = moaReason ? null : javaVersion();
const distTime = () => statSync(fileURLToPath(new URL('../dist/index.js', import.meta.url))).mtime.toISOString();
const distAtStart = distTime();
const started = new Date();
const load0 = loadavg();
const tmp = mkdtempSync(join(tmpdir(), 'streamlearn-regression-moa-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130)); // runs the exit hooks (bench/moa.mjs ends java's group)

/**
 * Writes `rows` rows of Friedman #1 (streamlearn's generator, seed SEED) as CSV and the same values
 * as ARFF; returns both paths and the sum of the targets over the first n rows for each n in `sums`.
 */
async function writeFriedman(rows, sums) {
  const csv = join(tmp, 'friedman.csv');
  const arff = join(tmp, 'friedman.arff');
  const fd = openSync(csv, 'w');
  try {
    execFileSync(process.execPath, [CLI, 'generate', 'friedman', '--rows', String(rows), '--seed', String(SEED)], { stdio: ['ignore', fd, 'inherit'] });
  } finally {
    closeSync(fd);
  }
  const out = createWriteStream(arff);
  const write = (text) => (out.write(text) ? null : new Promise((resolve) => out.once('drain', resolve)));
  const targetSums = new Map();
  let header = null;
  let n = 0;
  let sum = 0;
  for await (const line of createInterface({ input: createReadStream(csv), crlfDelay: Infinity })) {
    if (header === null) {
      header = line.split(',');
      if (header[header.length - 1] !== 'y') throw new Error(`generate friedman wrote a header without y last: ${line}`);
      await write(`@relation friedman-seed-${SEED}\n\n${header.map((h) => `@attribute ${h} numeric`).join('\n')}\n\n@data\n`);
      continue;
    }
    // The values as the CSV has them (shortest round-trip decimals), so both sides parse the same doubles.
    await write(`${line}\n`);
    sum += Number(line.slice(line.lastIndexOf(',') + 1));
    n++;
    if (sums.has(n)) targetSums.set(n, sum);
  }
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  if (n !== rows) throw new Error(`generate friedman wrote ${n} rows, not ${rows}`);
  return { csv, arff, targetSums, csvBytes: statSync(csv).size, arffBytes: statSync(arff).size };
}

/** MOA's CSV from EvaluatePrequentialRegression with BasicRegressionPerformanceEvaluator: its last line. */
function parseMoaRegressionCsv(stdout) {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith('learning evaluation instances'));
  if (h < 0 || h === lines.length - 1) throw new Error(`no MOA result lines in its output: ${lines.slice(-3).join(' | ')}`);
  const header = lines[h].split(',');
  const last = lines[lines.length - 1].split(',');
  const column = (name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`MOA's CSV has no column "${name}"`);
    // MOA prints ? for NaN.
    return last[i] === '?' ? NaN : Number(last[i]);
  };
  return {
    rows: column('learning evaluation instances'),
    scoredRows: column('classified instances'),
    mae: column('mean absolute error'),
    rmse: column('root mean squared error'),
    r2VsRunningMean: column('coefficient of determination'),
    cpuSeconds: column('evaluation time (cpu seconds)'),
  };
}

async function runMoaRegression(arff, learner, rows) {
  const r = await runMeasured('sh', [MOA_REGRESSION, arff, learner, String(rows)], { cwd: ROOT, timeoutSeconds: TIMEOUT });
  if (r.status !== 0) throw new Error(`moa-regression.sh ${learner} ${rows} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const csv = parseMoaRegressionCsv(r.stdout);
  if (csv.rows !== rows) throw new Error(`MOA's last line is at ${csv.rows} rows, not ${rows}`);
  return { ...csv, rowsPerCpuSecond: rows / csv.cpuSeconds, processWallSeconds: r.wallSeconds, processCpuSeconds: r.cpuSeconds, peakRssMB: r.peakRssMB, measuredBy: r.measuredBy };
}

async function runOurs(ours, source, rows) {
  const argv = [CASE, ours.learner, source, String(rows), String(SEED), JSON.stringify(ours.params ?? {})];
  if (ours.steps) argv.push(JSON.stringify(ours.steps));
  const r = await runMeasured(process.execPath, argv, { cwd: ROOT, timeoutSeconds: TIMEOUT });
  if (r.status !== 0) throw new Error(`regression-case ${ours.learner} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const c = JSON.parse(r.stdout.trim().split('\n').pop());
  if (c.rows !== rows) throw new Error(`our case learned ${c.rows} rows, not ${rows}`);
  return { ...c, processWallSeconds: r.wallSeconds, processCpuSeconds: r.cpuSeconds, processPeakRssMB: r.peakRssMB };
}

const fmt = (x, digits = 0) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const signed = (x, digits) => (x === null || Number.isNaN(x) ? '-' : `${x > 0 ? '+' : ''}${x.toFixed(digits)}`);
const accuracyCell = (r) => (r.accuracyMet === null ? '-' : !r.accuracyMet ? '**no**' : r.r2Difference > R2_MARGIN ? 'yes (above)' : 'yes');
const speedCell = (r) => (r.speedMet === null ? '-' : r.speedMet ? 'yes' : '**no**');

// --render FILE.json: rewrites the Markdown beside a run's JSON from it, running nothing.
const RENDER = flag('render');
if (RENDER !== undefined) {
  const doc = JSON.parse(readFileSync(RENDER, 'utf8'));
  const path = RENDER.replace(/\.json$/, '.md');
  if (path === RENDER) usage(`--render ${RENDER}: not a .json file`);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, markdown(doc));
  renameSync(temp, path);
  console.log(`wrote ${path}`);
  process.exit(0);
}

const results = [];
const notes = [];
if (moaReason) notes.push(`MOA did not run (${moaReason}): streamlearn's side only.`);
const rowSet = new Set(pairs.map(rowsOf));
const maxRows = Math.max(...rowSet);
console.log(`streamlearn's regressors beside MOA 2024.07 on Friedman #1 (seed ${SEED}), prequential; rows/s per CPU second of the loop; load ${load0.map((l) => l.toFixed(2)).join(' ')}`);
const data = await writeFriedman(maxRows, rowSet);
console.log(`rows: ${fmt(maxRows)} written by \`streamlearn generate friedman --rows ${maxRows} --seed ${SEED}\` (${fmt(data.csvBytes)} bytes of CSV, ${fmt(data.arffBytes)} of ARFF)`);
const columns = ['pair'.padEnd(36), 'rows'.padStart(7), '   R²', 'MOA R²', '  diff', '   MAE', 'MOA MAE', '  RMSE', 'MOA RMSE', '  rows/s', 'MOA rows/s', 'speed x', 'gen rows/s', 'peak MB', 'MOA MB', 'acc', 'speed'];
console.log(columns.join('  '));

const ourRuns = new Map();
/** Our run of a configuration from a source, once per run of this script (pairs may share it). */
async function oursOnce(ours, source, rows) {
  const key = JSON.stringify([ours.learner, ours.params ?? null, ours.steps ?? null, source, rows]);
  if (!ourRuns.has(key)) ourRuns.set(key, runOurs(ours, source, rows).then((value) => ({ value }), (error) => ({ error })));
  const r = await ourRuns.get(key);
  if (r.error) throw r.error;
  return r.value;
}

let index = 0;
for (const pair of pairs) {
  const rows = rowsOf(pair);
  const skip = pair.ours ? missingIn(pair.ours) : null;
  if (skip) {
    notes.push(`${pair.id} skipped: ${skip}.`);
    console.log(`${pair.id.padEnd(36)}  skipped: ${skip}`);
    continue;
  }
  const errors = [];
  const moaFirst = index++ % 2 === 1;
  let ours = null;
  let generated = null;
  let moa = null;
  const oursSide = async () => {
    if (!pair.ours) return;
    try {
      ours = await oursOnce(pair.ours, data.csv, rows);
      if (ours.targetSum !== data.targetSums.get(rows)) errors.push(`ours read targets summing to ${ours.targetSum}, the file's first ${rows} rows sum to ${data.targetSums.get(rows)}`);
    } catch (e) {
      errors.push(`ours: ${e.message}`);
    }
    if (!GENERATOR) return;
    try {
      generated = await oursOnce(pair.ours, 'synth:friedman', rows);
      if (generated.targetSum !== data.targetSums.get(rows)) errors.push(`synth:friedman seed ${SEED} gave other rows than the file (target sums ${generated.targetSum} and ${data.targetSums.get(rows)})`);
    } catch (e) {
      errors.push(`ours from the generator: ${e.message}`);
    }
  };
  const moaSide = async () => {
    if (!pair.moa || moaReason) return;
    try {
      moa = await runMoaRegression(data.arff, pair.moa, rows);
    } catch (e) {
      errors.push(`MOA: ${e.message}`);
    }
  };
  if (moaFirst) {
    await moaSide();
    await oursSide();
  } else {
    await oursSide();
    await moaSide();
  }
  const r2Difference = ours && moa && !Number.isNaN(moa.r2VsRunningMean) ? ours.r2VsRunningMean - moa.r2VsRunningMean : null;
  const speedRatio = ours && moa ? ours.rowsPerCpuSecond / moa.rowsPerCpuSecond : null;
  const r = {
    pair: pair.id,
    learner: pair.ours?.learner ?? null,
    params: pair.ours?.params ?? null,
    steps: pair.ours?.steps ?? null,
    preprocessing: ours?.preprocessing ?? null,
    moaLearner: pair.moa,
    same: pair.same,
    how: pair.how,
    rows,
    seed: SEED,
    moaFirst,
    r2: ours?.r2 ?? null,
    r2VsRunningMean: ours?.r2VsRunningMean ?? null,
    mae: ours?.mae ?? null,
    rmse: ours?.rmse ?? null,
    moaR2VsRunningMean: moa?.r2VsRunningMean ?? null,
    moaMae: moa?.mae ?? null,
    moaRmse: moa?.rmse ?? null,
    r2Difference,
    cpuSeconds: ours?.cpuSeconds ?? null,
    rowsPerCpuSecond: ours?.rowsPerCpuSecond ?? null,
    moaCpuSeconds: moa?.cpuSeconds ?? null,
    moaRowsPerCpuSecond: moa?.rowsPerCpuSecond ?? null,
    speedRatio,
    generatorRowsPerCpuSecond: generated?.rowsPerCpuSecond ?? null,
    peakRssMB: ours?.peakRssMB ?? null,
    processPeakRssMB: ours?.processPeakRssMB ?? null,
    moaPeakRssMB: moa?.peakRssMB ?? null,
    processWallSeconds: ours?.processWallSeconds ?? null,
    moaProcessWallSeconds: moa?.processWallSeconds ?? null,
    accuracyMet: pair.same && r2Difference !== null ? r2Difference >= -R2_MARGIN : null,
    speedMet: speedRatio === null ? null : speedRatio >= SPEED_RATIO,
    ours,
    generated,
    moa,
    errors,
  };
  results.push(r);
  for (const e of errors) notes.push(`${pair.id}: ${e}`);
  if (moa && Number.isNaN(moa.r2VsRunningMean)) notes.push(`${pair.id}: MOA printed "?" (NaN) for its errors (${moa.scoredRows} rows scored).`);
  console.log(
    [
      pair.id.padEnd(36),
      fmt(rows).padStart(7),
      fmt(r.r2VsRunningMean, 3).padStart(5),
      fmt(r.moaR2VsRunningMean, 3).padStart(6),
      signed(r2Difference, 3).padStart(6),
      fmt(r.mae, 3).padStart(6),
      fmt(r.moaMae, 3).padStart(7),
      fmt(r.rmse, 3).padStart(6),
      fmt(r.moaRmse, 3).padStart(8),
      fmt(r.rowsPerCpuSecond).padStart(8),
      fmt(r.moaRowsPerCpuSecond).padStart(10),
      fmt(speedRatio, 2).padStart(7),
      fmt(r.generatorRowsPerCpuSecond).padStart(10),
      fmt(r.peakRssMB).padStart(7),
      fmt(r.moaPeakRssMB).padStart(6),
      accuracyCell(r),
      speedCell(r),
    ].join('  ') + (errors.length ? `  (${errors.join('; ')})` : ''),
  );
}

function gitHead() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} with uncommitted changes in src/` : head;
  } catch {
    return null;
  }
}

const load1 = loadavg();
// Each case loads dist/ afresh: a rebuild during the run means later cases measured another build.
if (distTime() !== distAtStart) notes.push(`dist/ was rebuilt during the run (${distAtStart}, then ${distTime()}): later cases may have run another build.`);
const finished = new Date();
const meta = {
  date: started.toISOString(),
  seconds: (finished - started) / 1000,
  command: `node bench/regression-vs-moa.mjs ${args.join(' ')}`.trim(),
  host: hostname(),
  commit: gitHead(),
  distBuilt: distAtStart,
  cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  java,
  moa: 'MOA 2024.07 (../shared/moa/moa.jar; EvaluatePrequentialRegression, BasicRegressionPerformanceEvaluator, ArffFileStream; bench/moa-regression.sh)',
  data: { generator: 'friedman', seed: SEED, rows: maxRows, command: `streamlearn generate friedman --rows ${maxRows} --seed ${SEED}`, csvBytes: data.csvBytes, arffBytes: data.arffBytes },
  rows: { single: ROWS, ensemble: ENSEMBLE_ROWS },
  loadBefore: load0,
  loadAfter: load1,
  targets: { r2Margin: R2_MARGIN, speedRatio: SPEED_RATIO },
};

const md = markdown({ ...meta, results, notes });
console.log(`\nload average ${load1.map((l) => l.toFixed(2)).join(' ')} after, ${fmt(meta.seconds)} s in all`);
for (const n of notes) console.log(`note: ${n}`);

const base = QUICK ? 'regression-vs-moa-quick' : pairsFlag || flag('rows') !== undefined || flag('ensemble-rows') !== undefined ? 'regression-vs-moa-partial' : 'regression-vs-moa';
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const writeAtomic = (name, text) => {
  const path = fileURLToPath(new URL(name, dir));
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
};
writeAtomic(`${base}.json`, JSON.stringify({ ...meta, results, notes }, null, 2) + '\n');
writeAtomic(`${base}.md`, md);
console.log(`wrote bench/results/${base}.json and .md`);

/** The Markdown table of a run (its JSON document: meta, results, notes). */
function markdown(doc) {
  const { results, notes } = doc;
  const meta = doc;
  const loads = (l) => l.map((x) => x.toFixed(2)).join(' / ');
  const md = [];
  md.push(`${meta.cpu}, ${meta.memoryGiB} GiB, Node ${meta.node}, ${meta.java ?? 'no Java'}; ${meta.moa}.`);
  md.push(`Build: commit ${meta.commit ?? 'unknown'}, dist/ built ${meta.distBuilt}.`);
  md.push(`Run ${meta.date}, \`${meta.command}\`, ${fmt(meta.seconds)} s in all; load average ${loads(meta.loadBefore)} before, ${loads(meta.loadAfter)} after (1 / 5 / 15 min).`);
  md.push('');
  md.push(
    `Friedman #1, noise σ 1: \`${meta.data.command}\`, the same rows for both sides (MOA reads them as ARFF, ours as CSV), the first ${fmt(meta.rows.single)} (the two ensembles ${fmt(meta.rows.ensemble)}); prequential (test then train, row by row); learners seeded ${meta.data.seed}. ` +
      `R²: as MOA computes it, against the running mean of the targets before each row (1 − relative RMSE²); ours against the targets' overall mean in the JSON (\`r2\`). ` +
      `rows/s: rows per CPU second of the prequential loop, reading the file included, on each side (MOA: its evaluating thread, from its CSV; ours: every thread of the process); speed x: ours / MOA's; gen rows/s: ours from \`synth:friedman\` instead of the file (no parsing). ` +
      `Peak MB: ours of the loop, MOA's of its whole process. Accuracy target (pairs of the same method only): R² at most ${meta.targets.r2Margin} below MOA's ("above": more than ${meta.targets.r2Margin} above); speed target: at least ${meta.targets.speedRatio}x MOA's.`,
  );
  md.push('');
  md.push('| pair | ours (parameters given) | MOA | rows | R² | MOA R² | diff | MAE | MOA MAE | RMSE | MOA RMSE | rows/s | MOA rows/s | speed x | gen rows/s | peak MB | MOA peak MB | accuracy met | speed met |');
  md.push('|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|');
  // Steps given to our side: none ([]) where MOA's learner reads the raw features. Runs written before
  // results carried their steps take them from the pair of the same name.
  const stepsOf = (r) => r.steps ?? PAIRS.find((p) => p.id === r.pair)?.ours?.steps ?? null;
  const stepsText = (steps) => (steps === null ? '' : steps.length === 0 ? ', no preprocessing' : `, preprocessing ${steps.map((x) => (typeof x === 'string' ? x : x.name)).join(' + ')}`);
  const oursCell = (r) =>
    r.learner === null ? '—' : `${r.learner}${r.params && Object.keys(r.params).length ? ` \`${JSON.stringify(r.params)}\`` : ''}${stepsText(stepsOf(r))}`;
  for (const r of results) {
    md.push(
      `| ${r.pair} | ${oursCell(r)} | ${r.moaLearner ?? '—'}${r.moaLearner && r.learner && !r.same ? ' (not the same)' : ''} | ${fmt(r.rows)} | ${fmt(r.r2VsRunningMean, 3)} | ${fmt(r.moaR2VsRunningMean, 3)} | ${signed(r.r2Difference, 3)} | ${fmt(r.mae, 3)} | ${fmt(r.moaMae, 3)} | ${fmt(r.rmse, 3)} | ${fmt(r.moaRmse, 3)} | ${fmt(r.rowsPerCpuSecond)} | ${fmt(r.moaRowsPerCpuSecond)} | ${fmt(r.speedRatio, 2)} | ${fmt(r.generatorRowsPerCpuSecond)} | ${fmt(r.peakRssMB)} | ${fmt(r.moaPeakRssMB)} | ${accuracyCell(r)} | ${speedCell(r)} |`,
    );
  }
  md.push('');
  md.push('What each pair is (MOA: `bench/moa-regression.sh ARFF LEARNER ROWS`):');
  md.push('');
  for (const r of results) md.push(`- **${r.pair}**: ${r.how}.`);
  if (notes.length) {
    md.push('');
    for (const n of notes) md.push(`- ${n}`);
  }
  return `${md.join('\n')}\n`;
}
