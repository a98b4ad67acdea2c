// streamlearn beside MOA 2024.07 in one run, for every learner both have: for each stream and pair,
// MOA (../shared/moa/run.sh STREAM LEARNER ROWS) and ours (bench/prequential-case.mjs, one child
// process per case) run one after the other, on the same stream definition with the same
// configuration, and one table compares accuracy, speed and memory against issue 14's targets
// (accuracy within 1 point of MOA's, at least 1.5x MOA's speed).
//   npm run build && node bench/accuracy-vs-moa.mjs [--quick] [--rows N] [--learners a,b]
//     [--streams sea,rbf,agrawal-drift] [--seeds 1,2,3] [--timeout SECONDS]
// Rows: 1,000,000 for single models, 200,000 for ensembles and kNN (MOA's kNN searches its whole
// window for every row: about 7,000 rows per CPU second); --rows N sets every case, --quick 20,000.
// Writes bench/results/accuracy-vs-moa.{json,md} atomically (accuracy-vs-moa-quick.* for --quick,
// accuracy-vs-moa-partial.* when --learners, --streams or --rows narrow the run).
//
// Speed is rows per CPU second of the prequential loop on both sides, since this machine is shared:
// MOA times its loop in CPU seconds of its evaluating thread (its CSV; the JVM's JIT and GC threads
// are not counted), ours is process.cpuUsage() over the loop (every thread of the process, V8's GC
// helpers included), so the ratio leans towards MOA. Both whole processes are measured too, spawn to
// exit, the same way (GNU time, see bench/moa.mjs): wall and CPU seconds, start-up included (ours
// also saves the model once after the loop). Peak MB: ours is the prequential loop's (before the save,
// prequential-case.mjs's peakRssMB), MOA's its whole process (it saves nothing).
import { hostname, cpus, loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { javaVersion, moaMissing, runMeasured, runMoa } from './moa.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CASE = fileURLToPath(new URL('./prequential-case.mjs', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const usage = (message) => {
  console.error(`bench/accuracy-vs-moa.mjs: ${message}`);
  process.exit(2);
};
const QUICK = args.includes('--quick');
const ROWS = flag('rows') === undefined ? undefined : Number(flag('rows'));
if (ROWS !== undefined && !(Number.isSafeInteger(ROWS) && ROWS >= 2)) usage(`--rows ${flag('rows')}: a whole number of at least 2`);
const TIMEOUT = Number(flag('timeout') ?? 3600);
if (!(TIMEOUT > 0)) usage(`--timeout ${flag('timeout')}: seconds, more than 0`);
// Seeds of the generators' rows on both sides (and of our learner). MOA's default instance seed is 1,
// so seed 1 runs run.sh unchanged. The two sides draw different rows from the same seed, so a single
// seed compares two samples of the same stream; several seeds (--seeds 1,2,3) average that out.
const SEEDS = (flag('seeds') ?? '1').split(',').map((s) => Number(s.trim()));
for (const s of SEEDS) if (!(Number.isSafeInteger(s) && s >= 0)) usage(`--seeds ${flag('seeds')}: not a list of whole numbers`);
const ACCURACY_POINTS = 1;
const SPEED_RATIO = 1.5;

// Each stream as our spec and as run.sh's STREAM, the same generator with the same defaults:
// SEA function 1, 10% label noise (MOA's SEAGenerator defaults); Random RBF with MOA's defaults
// (model seed 1, so the very same centroids; 2 classes, 10 attributes, 50 centroids); Agrawal
// function 1, then 2 from ROWS/2 on, abruptly (run.sh: ConceptDriftStream -p ROWS/2 -w 1), 5%
// perturbation. The rows themselves come from each side's own random numbers.
const STREAMS = {
  sea: { moa: 'sea', spec: () => 'sea(function=1,noise-percentage=10)' },
  rbf: { moa: 'rbf', spec: () => 'random-rbf(model-random-seed=1,num-classes=2,num-atts=10,num-centroids=50)' },
  'agrawal-drift': {
    moa: 'agrawal',
    spec: (rows) => `agrawal(function=1)>agrawal(function=2)@${Math.floor(rows / 2)}/1`,
  },
};

const SINGLE = 1_000_000;
const ENSEMBLE = 200_000;
// Our side's parameters are given in full where MOA's defaults differ from ours or where the pair
// depends on them (ensemble size, base learner), so the pair is the same method on both sides.
const PAIRS = [
  { learner: 'gaussian-nb', moa: 'nb', rows: SINGLE },
  { learner: 'hoeffding-tree', moa: 'ht', rows: SINGLE },
  { learner: 'hoeffding-adaptive-tree', moa: 'hat', rows: SINGLE },
  { learner: 'extremely-fast-decision-tree', moa: 'efdt', rows: SINGLE },
  // run.sh: (meta.AdaptiveRandomForest -s 10 -o 1): 10 trees, subspaces of round(sqrt(M)) + 1.
  { learner: 'adaptive-random-forest', moa: 'arf', rows: ENSEMBLE, params: { ensembleSize: 10, subspaceSize: 0 } },
  // MOA's LeveragingBag and OzaBoost default to 10 Hoeffding trees; LeveragingBag to lambda 6.
  { learner: 'leveraging-bagging', moa: 'levbag', rows: ENSEMBLE, params: { base: 'hoeffding-tree', ensembleSize: 10, lambda: 6 } },
  { learner: 'online-boosting', moa: 'boost', rows: ENSEMBLE, params: { base: 'hoeffding-tree', ensembleSize: 10 } },
  { learner: 'online-boosting', label: 'online-boosting (ADWIN)', moa: 'adwinboost', rows: ENSEMBLE, params: { base: 'hoeffding-tree', ensembleSize: 10 }, adwin: true },
  // run.sh: (meta.StreamingRandomPatches -s 10).
  { learner: 'streaming-random-patches', moa: 'srp', rows: ENSEMBLE, params: { ensembleSize: 10 } },
  // MOA's lazy.kNN: k 10, a window of 1,000 rows, one vote per neighbour; our defaults are River's
  // (k 5, votes weighted by inverse distance).
  { learner: 'knn', moa: 'knn', rows: ENSEMBLE, params: { k: 10, windowSize: 1000, weighted: 'off' } },
];

const learnersFlag = flag('learners')?.split(',').map((s) => s.trim()).filter(Boolean);
const streamsFlag = flag('streams')?.split(',').map((s) => s.trim()).filter(Boolean);
for (const s of streamsFlag ?? []) if (!STREAMS[s]) usage(`--streams: unknown stream "${s}" (streams: ${Object.keys(STREAMS).join(', ')})`);
const knownNames = new Set(PAIRS.flatMap((p) => [p.learner, p.moa, p.label].filter(Boolean)));
for (const l of learnersFlag ?? []) if (!knownNames.has(l)) usage(`--learners: no pair "${l}" (pairs: ${PAIRS.map((p) => `${p.label ?? p.learner} / ${p.moa}`).join(', ')})`);
const pairs = learnersFlag ? PAIRS.filter((p) => [p.learner, p.moa, p.label].some((n) => learnersFlag.includes(n))) : PAIRS;
const streamKeys = streamsFlag ?? Object.keys(STREAMS);
const rowsOf = (pair) => ROWS ?? (QUICK ? 20_000 : pair.rows);

// The build this run measures: whether it has each learner and parameter, so that a learner still
// being written (or an option not there) is a skipped case with a note, not a crash.
const { learnerDefinitions } = await import('../dist/index.js');
function resolvePair(pair) {
  const def = learnerDefinitions.find((d) => d.name === pair.learner);
  if (!def) return { skip: `${pair.learner} is not in the registry of this build` };
  const params = { ...pair.params };
  if (pair.adwin) {
    // OzaBoostAdwin: online boosting whose members an ADWIN replaces on drift. Paired only if our
    // online boosting has such an option (a choice that can be 'on' or 'adwin').
    const key = Object.keys(def.params).find((k) => /adwin|drift|detector/i.test(k));
    const spec = key && def.params[key];
    const value = spec?.type === 'choice' ? spec.choices.find((c) => c === 'adwin' || c === 'on') : undefined;
    if (value === undefined) return { skip: `${pair.learner} has no ADWIN option, so MOA's OzaBoostAdwin has no counterpart` };
    params[key] = value;
  }
  const missing = Object.keys(params).filter((k) => !(k in def.params));
  if (missing.length) return { skip: `${pair.learner} has no parameter ${missing.join(', ')} to match MOA's configuration` };
  return { params };
}

const moaReason = moaMissing();
const java = moaReason ? null : javaVersion();
const distTime = () => statSync(fileURLToPath(new URL('../dist/index.js', import.meta.url))).mtime.toISOString();
const distAtStart = distTime();
const started = new Date();
const load0 = loadavg();
process.on('SIGINT', () => process.exit(130)); // runs the children's exit hooks (bench/moa.mjs)

async function ours(learner, spec, rows, params, seed) {
  const argv = [CASE, learner, spec, String(rows), String(seed)];
  if (params && Object.keys(params).length) argv.push(JSON.stringify(params));
  const r = await runMeasured(process.execPath, argv, { cwd: ROOT, timeoutSeconds: TIMEOUT });
  if (r.status !== 0) throw new Error(`prequential-case ${learner} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const c = JSON.parse(r.stdout.trim().split('\n').pop());
  if (c.rows !== rows) throw new Error(`our case learned ${c.rows} rows, not ${rows}`);
  return { ...c, processWallSeconds: r.wallSeconds, processCpuSeconds: r.cpuSeconds, processPeakRssMB: r.peakRssMB };
}

const fmt = (x, digits = 0) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const signed = (x, digits) => (x === null ? '-' : `${x > 0 ? '+' : ''}${x.toFixed(digits)}`);
// Over several seeds, the mean difference and the standard deviation of the per-seed differences.
const diffText = (r) => (r.differenceSd === null ? signed(r.difference, 2) : `${signed(r.difference, 2)} ± ${r.differenceSd.toFixed(2)}`);
// Accuracy: met when ours is no more than ACCURACY_POINTS below MOA's; "above" marks ours more than
// that above MOA's (not a failure, but not the same figure either).
const accuracyCell = (r) => (r.difference === null ? '-' : r.difference < -ACCURACY_POINTS ? '**no**' : r.difference > ACCURACY_POINTS ? 'yes (above)' : 'yes');
const speedCell = (r) => (r.speedRatio === null ? '-' : r.speedMet ? 'yes' : '**no**');

const results = [];
const notes = [];
if (moaReason) notes.push(`MOA did not run (${moaReason}): streamlearn's side only.`);
const columns = ['stream'.padEnd(14), 'learner'.padEnd(30), 'rows'.padStart(9), '   acc %', '   MOA %', '  diff', '    rows/s', 'MOA rows/s', 'speed x', ' CPU s', 'MOA CPU s', 'peak MB', 'MOA MB', 'acc', 'speed'];
console.log(`streamlearn beside MOA 2024.07, prequential, seed${SEEDS.length > 1 ? 's' : ''} ${SEEDS.join(', ')}; rows/s per CPU second of the loop; load ${load0.map((l) => l.toFixed(2)).join(' ')}`);
console.log(columns.join('  '));
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const sd = (xs) => {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};
let index = 0;
for (const key of streamKeys) {
  const stream = STREAMS[key];
  for (const pair of pairs) {
    const name = pair.label ?? pair.learner;
    const rows = rowsOf(pair);
    const resolved = resolvePair(pair);
    if (resolved.skip) {
      if (!notes.some((n) => n.includes(resolved.skip))) notes.push(`${name} / MOA ${pair.moa} skipped: ${resolved.skip}.`);
      console.log(`${key.padEnd(14)}  ${name.padEnd(30)}  skipped: ${resolved.skip}`);
      continue;
    }
    const spec = stream.spec(rows);
    const runs = [];
    const errors = [];
    for (const seed of SEEDS) {
      // Alternate which side goes first, so that neither always runs in the other's wake.
      const moaFirst = index++ % 2 === 1;
      const run = { seed, moaFirst, ours: null, moa: null };
      const runOurs = async () => {
        try {
          run.ours = await ours(pair.learner, spec, rows, resolved.params, seed);
        } catch (e) {
          errors.push(`ours, seed ${seed}: ${e.message}`);
        }
      };
      const runTheirs = async () => {
        if (moaReason) return;
        try {
          run.moa = await runMoa(stream.moa, pair.moa, rows, { seed, cwd: ROOT, timeoutSeconds: TIMEOUT });
        } catch (e) {
          errors.push(`MOA, seed ${seed}: ${e.message}`);
        }
      };
      if (moaFirst) {
        await runTheirs();
        await runOurs();
      } else {
        await runOurs();
        await runTheirs();
      }
      runs.push(run);
    }
    // Over several seeds: means, and the difference over the seeds where both sides ran (paired,
    // since each side's seed fixes its own rows); the rows differ between the sides at any seed.
    const oursOk = runs.filter((x) => x.ours);
    const moaOk = runs.filter((x) => x.moa);
    const paired = runs.filter((x) => x.ours && x.moa);
    const accuracy = mean(oursOk.map((x) => 100 * x.ours.accuracy));
    const moaAccuracy = mean(moaOk.map((x) => 100 * x.moa.accuracy));
    const differences = paired.map((x) => 100 * (x.ours.accuracy - x.moa.accuracy));
    const difference = mean(differences);
    const cpuSeconds = mean(oursOk.map((x) => x.ours.cpuSeconds));
    const moaCpuSeconds = mean(moaOk.map((x) => x.moa.cpuSeconds));
    const rowsPerSecond = cpuSeconds === null ? null : rows / cpuSeconds;
    const moaRowsPerSecond = moaCpuSeconds === null ? null : rows / moaCpuSeconds;
    const speedRatio = rowsPerSecond !== null && moaRowsPerSecond !== null ? rowsPerSecond / moaRowsPerSecond : null;
    const processWallSeconds = mean(oursOk.map((x) => x.ours.processWallSeconds));
    const moaProcessWallSeconds = mean(moaOk.map((x) => x.moa.processWallSeconds));
    const max = (xs) => (xs.length && xs.every((x) => x !== null) ? Math.max(...xs) : null);
    const r = {
      stream: key,
      spec,
      moaStream: stream.moa,
      learner: name,
      ourLearner: pair.learner,
      params: resolved.params,
      moaLearner: pair.moa,
      rows,
      seeds: SEEDS,
      accuracy,
      moaAccuracy,
      difference,
      differenceSd: sd(differences),
      rowsPerSecond,
      moaRowsPerSecond,
      speedRatio,
      cpuSeconds,
      moaCpuSeconds,
      processWallSeconds,
      moaProcessWallSeconds,
      processSpeedRatio: processWallSeconds !== null && moaProcessWallSeconds !== null ? moaProcessWallSeconds / processWallSeconds : null,
      peakRssMB: max(oursOk.map((x) => x.ours.peakRssMB)),
      moaPeakRssMB: max(moaOk.map((x) => x.moa.peakRssMB)),
      accuracyMet: difference === null ? null : difference >= -ACCURACY_POINTS,
      speedMet: speedRatio === null ? null : speedRatio >= SPEED_RATIO,
      runs: runs.map(({ seed, moaFirst, ours: o, moa: m }) => ({
        seed,
        moaFirst,
        ours: o && {
          accuracy: o.accuracy,
          cpuSeconds: o.cpuSeconds,
          loopWallSeconds: o.wallSeconds,
          processWallSeconds: o.processWallSeconds,
          processCpuSeconds: o.processCpuSeconds,
          peakRssMB: o.peakRssMB,
          peakRssWithSaveMB: o.peakRssWithSaveMB,
          processPeakRssMB: o.processPeakRssMB,
          modelBytes: o.modelBytes,
        },
        moa: m,
      })),
      errors,
    };
    results.push(r);
    for (const e of errors) notes.push(`${key}, ${name}: ${e}`);
    console.log(
      [
        key.padEnd(14),
        name.padEnd(30),
        fmt(rows).padStart(9),
        fmt(accuracy, 2).padStart(8),
        fmt(moaAccuracy, 2).padStart(8),
        diffText(r).padStart(6),
        fmt(rowsPerSecond).padStart(10),
        fmt(moaRowsPerSecond).padStart(10),
        fmt(speedRatio, 2).padStart(7),
        fmt(cpuSeconds, 2).padStart(6),
        fmt(moaCpuSeconds, 2).padStart(9),
        fmt(r.peakRssMB).padStart(7),
        fmt(r.moaPeakRssMB).padStart(6),
        accuracyCell(r),
        speedCell(r),
      ].join('  ') + (errors.length ? `  (${errors.join('; ')})` : ''),
    );
  }
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
  command: `node bench/accuracy-vs-moa.mjs ${args.join(' ')}`.trim(),
  host: hostname(),
  // The build measured: dist/ is rebuilt by whoever works in the checkout, so its time says which.
  commit: gitHead(),
  distBuilt: distAtStart,
  cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  java,
  moa: 'MOA 2024.07 (../shared/moa/moa.jar; EvaluatePrequential, BasicClassificationPerformanceEvaluator, as run.sh)',
  loadBefore: load0,
  loadAfter: load1,
  seeds: SEEDS,
  targets: { accuracyPoints: ACCURACY_POINTS, speedRatio: SPEED_RATIO },
};

const md = [];
md.push(`${meta.cpu}, ${meta.memoryGiB} GiB, Node ${meta.node}, ${meta.java ?? 'no Java'}; ${meta.moa}.`);
md.push(`Build: commit ${meta.commit ?? 'unknown'}, dist/ built ${meta.distBuilt}.`);
md.push(`Run ${meta.date}, \`${meta.command}\`, ${fmt(meta.seconds)} s in all; load average ${load0.map((l) => l.toFixed(2)).join(' / ')} before, ${load1.map((l) => l.toFixed(2)).join(' / ')} after (1 / 5 / 15 min).`);
md.push('');
md.push(`Prequential (test then train, row by row); generator seed${SEEDS.length > 1 ? 's' : ''} ${SEEDS.join(', ')} on both sides (MOA's instance seed -i; our rows and learner)${SEEDS.length > 1 ? ': figures are means over the seeds, diff the mean of the per-seed differences ± their standard deviation, peak MB the largest' : ''}. rows/s: rows per CPU second of the prequential loop on each side (MOA: its evaluating thread, from its CSV; ours: every thread of the process); speed x: ours / MOA\'s. Process wall s: spawn to exit, start-up included (ours also saves the model once). Peak MB: ours of the loop, MOA\'s of its whole process. Accuracy target: at most 1 point below MOA\'s ("above": more than 1 point above); speed target: at least 1.5x.`);
md.push('');
md.push('| stream | learner | MOA | rows | accuracy % | MOA % | diff | rows/s | MOA rows/s | speed x | CPU s | MOA CPU s | process wall s | MOA process wall s | peak MB | MOA peak MB | accuracy met | speed met |');
md.push('|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|');
for (const r of results) {
  md.push(
    `| ${r.stream} | ${r.learner} | ${r.moaLearner} | ${fmt(r.rows)} | ${fmt(r.accuracy, 2)} | ${fmt(r.moaAccuracy, 2)} | ${diffText(r)} | ${fmt(r.rowsPerSecond)} | ${fmt(r.moaRowsPerSecond)} | ${fmt(r.speedRatio, 2)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.moaCpuSeconds, 2)} | ${fmt(r.processWallSeconds, 2)} | ${fmt(r.moaProcessWallSeconds, 2)} | ${fmt(r.peakRssMB)} | ${fmt(r.moaPeakRssMB)} | ${accuracyCell(r)} | ${speedCell(r)} |`,
  );
}
if (notes.length) {
  md.push('');
  for (const n of notes) md.push(`- ${n}`);
}
console.log(`\nload average ${load1.map((l) => l.toFixed(2)).join(' ')} after, ${fmt(meta.seconds)} s in all`);
for (const n of notes) console.log(`note: ${n}`);

const base = QUICK ? 'accuracy-vs-moa-quick' : learnersFlag || streamsFlag || ROWS !== undefined ? 'accuracy-vs-moa-partial' : 'accuracy-vs-moa';
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const writeAtomic = (name, text) => {
  const path = fileURLToPath(new URL(name, dir));
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
};
writeAtomic(`${base}.json`, JSON.stringify({ ...meta, results, notes }, null, 2) + '\n');
writeAtomic(`${base}.md`, md.join('\n') + '\n');
console.log(`wrote bench/results/${base}.json and .md`);
