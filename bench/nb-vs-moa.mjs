// The whole-process race against MOA (issue 13's target: streamlearn at least 1.5x MOA 2024.07):
//   node bench/nb-vs-moa.mjs [--rows N] [--pairs N] [--learner gaussian-nb|hoeffding-tree]
// Times, one after the other and alternating which goes first, `pairs` (default 3) pairs of whole
// processes on the same SEA stream (function 1, 10% noise: MOA's SEAGenerator defaults), test-then-
// train row by row, 1,000,000 rows by default:
//   streamlearn  node bin/streamlearn.js train --data 'synth:sea(function=1,noise-percentage=10)'
//                --rows N --model gaussian-nb --protocol prequential --no-save --format json
//   MOA          ../shared/moa/run.sh sea nb N  (java -cp moa.jar moa.DoTask EvaluatePrequential ...)
// Wall time is spawn to exit: start-up, JIT warm-up and module loading included, as a user waits for
// them. Reports the medians, rows per second, both accuracies and the ratio MOA wall / streamlearn
// wall against the target. Without Java or the jar (see ../shared/moa/README.md) it reports
// streamlearn alone and says so. The last line is JSON for bench/run.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MOA = fileURLToPath(new URL('../../shared/moa/run.sh', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROWS = Number(flag('rows') ?? 1_000_000);
const PAIRS = Number(flag('pairs') ?? 3);
const LEARNER = flag('learner') ?? 'gaussian-nb';
const MOA_LEARNER = { 'gaussian-nb': 'nb', 'hoeffding-tree': 'ht', 'hoeffding-adaptive-tree': 'hat' }[LEARNER];
export const TARGET_RATIO = 1.5;

if (!MOA_LEARNER) {
  console.error(`bench/nb-vs-moa.mjs: no MOA counterpart for ${LEARNER}`);
  process.exit(1);
}

function timed(cmd, argv) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { seconds, stdout: r.stdout };
}

function streamlearn() {
  const r = timed(process.execPath, [
    'bin/streamlearn.js', 'train', '--data', 'synth:sea(function=1,noise-percentage=10)', '--rows', String(ROWS),
    '--model', LEARNER, '--protocol', 'prequential', '--no-save', '--format', 'json',
  ]);
  const report = JSON.parse(r.stdout);
  if (report.rows !== ROWS) throw new Error(`streamlearn learned ${report.rows} rows, not ${ROWS}`);
  return { seconds: r.seconds, accuracy: report.accuracy };
}

function moa() {
  const r = timed(MOA, ['sea', MOA_LEARNER, String(ROWS)]);
  // The last CSV line: learning evaluation instances, evaluation time (CPU seconds), model cost,
  // classified instances, classifications correct (percent), ...
  const last = r.stdout.trim().split('\n').pop().split(',');
  if (Number(last[0]) !== ROWS) throw new Error(`MOA's last line is not at ${ROWS} rows: ${last.join(',')}`);
  return { seconds: r.seconds, accuracy: Number(last[4]) / 100, cpuSeconds: Number(last[1]) };
}

function moaAvailable() {
  if (!existsSync(MOA)) return 'no ../shared/moa/run.sh';
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return 'no java on PATH (see ../shared/moa/run.sh for what to install)';
  return null;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const missing = moaAvailable();
const ours = [];
const theirs = [];
for (let i = 0; i < PAIRS; i++) {
  // Alternate who goes first, so that neither always inherits the other's warm caches or heat.
  if (missing || i % 2 === 0) {
    ours.push(streamlearn());
    if (!missing) theirs.push(moa());
  } else {
    theirs.push(moa());
    ours.push(streamlearn());
  }
}

const slSeconds = median(ours.map((r) => r.seconds));
const moaSeconds = missing ? null : median(theirs.map((r) => r.seconds));
const ratio = moaSeconds === null ? null : moaSeconds / slSeconds;
const result = {
  rows: ROWS,
  learner: LEARNER,
  pairs: PAIRS,
  wallSeconds: slSeconds,
  rowsPerSecond: ROWS / slSeconds,
  accuracy: ours[0].accuracy,
  moaWallSeconds: moaSeconds,
  moaRowsPerSecond: moaSeconds === null ? null : ROWS / moaSeconds,
  moaAccuracy: missing ? null : theirs[0].accuracy,
  moaLoopCpuSeconds: missing ? null : median(theirs.map((r) => r.cpuSeconds)),
  ratio,
  targetRatio: TARGET_RATIO,
  met: ratio === null ? null : ratio >= TARGET_RATIO,
  note: missing ? `MOA not run: ${missing}` : `whole processes, median of ${PAIRS} pairs; MOA wall / streamlearn wall ${ratio.toFixed(2)}x (target ${TARGET_RATIO}x)`,
};
const f = (n) => Math.round(n).toLocaleString('en-US');
console.error(
  [
    `${LEARNER} on SEA, ${f(ROWS)} rows, whole processes, median of ${PAIRS}:`,
    `  streamlearn  ${slSeconds.toFixed(2)} s  ${f(ROWS / slSeconds)} rows/s  accuracy ${(100 * result.accuracy).toFixed(2)}%`,
    missing
      ? `  MOA          not run: ${missing}`
      : `  MOA          ${moaSeconds.toFixed(2)} s  ${f(ROWS / moaSeconds)} rows/s  accuracy ${(100 * result.moaAccuracy).toFixed(2)}%  (its loop: ${result.moaLoopCpuSeconds.toFixed(2)} CPU s)`,
    ratio === null ? '' : `  ratio        ${ratio.toFixed(2)}x MOA's speed (target at least ${TARGET_RATIO}x: ${result.met ? 'met' : 'NOT met'})`,
  ].filter(Boolean).join('\n'),
);
console.log(JSON.stringify(result));
