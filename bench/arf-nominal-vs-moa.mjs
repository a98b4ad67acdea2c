// Adaptive Random Forest on Agrawal's streams, ours beside MOA's, averaged over seeds (issue 14):
//   node bench/arf-nominal-vs-moa.mjs [--functions 1,2,5,8] [--seeds 1,2,3,4,5] [--rows 100000]
//                                     [--no-seeded-trees] [--no-moa-draws]
//                                     [--reuse-moa bench/results/arf-nominal-vs-moa.json]
// For each Agrawal function and seed, prequential runs (test then train, row by row), one at a time
// (this is a shared 2-core machine):
//   streamlearn  node bench/prequential-case.mjs adaptive-random-forest 'agrawal(function=F)' ROWS SEED
//                '{"ensembleSize":10}'   (subspace round(sqrt(9)) + 1 = 4, the defaults)
//   MOA          java -cp ../shared/moa/moa.jar moa.DoTask "EvaluatePrequential
//                -l (meta.AdaptiveRandomForest -s 10 -o 1) -s (generators.AgrawalGenerator -f F -i SEED)
//                -e BasicClassificationPerformanceEvaluator -i ROWS -f ROWS" -S
//                (as ../shared/moa/run.sh runs arf, with the generator's instance seed added)
//   MOA seeded   the same forest and stream, test-then-train in a small Java loop (compiled here with
//                javac against moa.jar), with one change: each tree gets a random seed of its own
//                (setRandomSeed(1000 + 7919 i), then resetLearning) before the first row. MOA 2024.07
//                gives every tree a copy of one generator, seed 1 (Waikato/moa pull request 255 would
//                fix it), so all ten trees, and every tree made after a drift, draw the same subspaces
//                in the same order; on Agrawal's attribute order the first, the root's, is {salary,
//                age, zipcode, hvalue}. Without this column, MOA's figure is that one draw's luck.
//                --no-seeded-trees skips it.
//   ours, MOA's draws  ours, with every tree drawing its subspaces as MOA 2024.07's do (all from a
//                java.util.Random seeded 1, so the same subspaces in the same order):
//                node bench/arf-drift-vs-moa.mjs --case SEED ROWS ROWS --spec 'agrawal(function=F)'
//                --moa-draws (see there). If it lands on MOA's figure, MOA's draw explains the gap.
//                --no-moa-draws skips it.
// The two generators draw different rows from the same seed, so single seeds do not compare: the table
// compares the means over the seeds. Prints one table per function (each seed, then the mean and our
// mean minus each of MOA's) and writes bench/results/arf-nominal-vs-moa.json. --reuse-moa takes MOA's
// figures from such a file where it has the same case (function, seed, rows) instead of running MOA
// again: for iterating on our side. Without Java or the jar it runs ours alone and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JAR = fileURLToPath(new URL('../../shared/moa/moa.jar', import.meta.url));
const OUT = fileURLToPath(new URL('./results/arf-nominal-vs-moa.json', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const list = (s) => s.split(',').map((v) => Number(v.trim()));
const FUNCTIONS = list(flag('functions', '1,2,5,8'));
const SEEDS = list(flag('seeds', '1,2,3,4,5'));
const ROWS = Number(flag('rows', '100000'));
const REUSE = flag('reuse-moa', null);
const SEEDED = !args.includes('--no-seeded-trees');
const MOA_DRAWS = !args.includes('--no-moa-draws');
// Issue 14's target: our mean within this many points of MOA's on every function.
const TARGET_POINTS = 1;

for (const f of FUNCTIONS) if (!(Number.isInteger(f) && f >= 1 && f <= 10)) throw new Error(`--functions: ${f} is not 1..10`);
for (const s of SEEDS) if (!Number.isInteger(s)) throw new Error(`--seeds: ${s} is not an integer`);
if (!(Number.isInteger(ROWS) && ROWS > 0)) throw new Error(`--rows: ${ROWS} is not a positive integer`);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

function ours(fn, seed) {
  const out = run(process.execPath, [
    'bench/prequential-case.mjs', 'adaptive-random-forest', `agrawal(function=${fn})`, String(ROWS), String(seed), JSON.stringify({ ensembleSize: 10 }),
  ]);
  const r = JSON.parse(out.trim().split('\n').pop());
  if (r.rows !== ROWS) throw new Error(`streamlearn learned ${r.rows} rows, not ${ROWS}`);
  return { accuracy: 100 * r.accuracy, cpuSeconds: r.cpuSeconds };
}

function oursMoaDraws(fn, seed) {
  const out = run(process.execPath, [
    'bench/arf-drift-vs-moa.mjs', '--case', String(seed), String(ROWS), String(ROWS), '--spec', `agrawal(function=${fn})`, '--moa-draws',
  ]);
  const r = JSON.parse(out.trim().split('\n').pop());
  return { accuracy: r.accuracy, cpuSeconds: r.cpuSeconds };
}

function moa(fn, seed) {
  const task =
    `EvaluatePrequential -l (meta.AdaptiveRandomForest -s 10 -o 1) -s (generators.AgrawalGenerator -f ${fn} -i ${seed}) ` +
    `-e BasicClassificationPerformanceEvaluator -i ${ROWS} -f ${ROWS}`;
  const out = run('java', ['-cp', JAR, 'moa.DoTask', task, '-S']);
  // The last CSV line: instances, evaluation time (CPU seconds), model cost, classified instances,
  // classifications correct (percent), ...
  const last = out.trim().split('\n').pop().split(',');
  if (Number(last[0]) !== ROWS) throw new Error(`MOA's last line is not at ${ROWS} rows: ${last.join(',')}`);
  return { accuracy: Number(last[4]), cpuSeconds: Number(last[1]) };
}

// MOA's forest with a seed per tree: test-then-train row by row, as EvaluatePrequential with the basic
// evaluator counts (correctlyClassifies, then trainOnInstance). Prints accuracy in percent and CPU seconds.
const SEEDED_JAVA = `
import moa.classifiers.meta.AdaptiveRandomForest;
import moa.classifiers.trees.ARFHoeffdingTree;
import moa.streams.generators.AgrawalGenerator;
import com.yahoo.labs.samoa.instances.Instance;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
public class SeededTrees {
  public static void main(String[] a) throws Exception {
    AgrawalGenerator s = new AgrawalGenerator();
    s.getOptions().setViaCLIString("-f " + a[0] + " -i " + a[1]);
    s.prepareForUse();
    int n = Integer.parseInt(a[2]);
    AdaptiveRandomForest arf = new AdaptiveRandomForest();
    arf.getOptions().setViaCLIString("-s 10 -o 1");
    arf.setModelContext(s.getHeader());
    arf.prepareForUse();
    long t0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    int correct = 0;
    for (int i = 0; i < n; i++) {
      Instance inst = s.nextInstance().getData();
      if (i == 0) {
        Method init = AdaptiveRandomForest.class.getDeclaredMethod("initEnsemble", Instance.class);
        init.setAccessible(true);
        init.invoke(arf, inst);
        Field f = AdaptiveRandomForest.class.getDeclaredField("ensemble");
        f.setAccessible(true);
        Object[] members = (Object[]) f.get(arf);
        for (int m = 0; m < members.length; m++) {
          Field c = members[m].getClass().getDeclaredField("classifier");
          c.setAccessible(true);
          ARFHoeffdingTree tree = (ARFHoeffdingTree) c.get(members[m]);
          tree.setRandomSeed(1000 + 7919 * m);
          tree.resetLearning();
        }
      }
      if (arf.correctlyClassifies(inst)) correct++;
      arf.trainOnInstance(inst);
    }
    double cpu = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - t0) / 1e9;
    System.out.println((100.0 * correct / n) + " " + cpu);
  }
}
`;

let seededDir = null;
function seededMissing() {
  const javac = spawnSync('javac', ['-version'], { encoding: 'utf8' });
  if (javac.error || javac.status !== 0) return 'no javac on PATH (a JDK, not only a JRE)';
  seededDir = mkdtempSync(join(tmpdir(), 'arf-seeded-trees-'));
  writeFileSync(join(seededDir, 'SeededTrees.java'), SEEDED_JAVA);
  const r = spawnSync('javac', ['-cp', JAR, '-d', seededDir, join(seededDir, 'SeededTrees.java')], { encoding: 'utf8' });
  if (r.status !== 0) return `javac failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return null;
}

function moaSeeded(fn, seed) {
  const out = run('java', ['-cp', `${JAR}:${seededDir}`, 'SeededTrees', String(fn), String(seed), String(ROWS)]);
  const [accuracy, cpuSeconds] = out.trim().split('\n').pop().split(' ').map(Number);
  return { accuracy, cpuSeconds };
}

function moaMissing() {
  if (!existsSync(JAR)) return `no ${JAR}`;
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return 'no java on PATH (see ../shared/moa/run.sh for what to install)';
  return null;
}

const reused = new Map();
if (REUSE) {
  const saved = JSON.parse(readFileSync(REUSE, 'utf8'));
  for (const c of saved.cases) if (c.moa) reused.set(`${c.function}/${c.seed}/${saved.rows}`, { moa: c.moa, moaSeeded: c.moaSeeded ?? null });
}

const missing = moaMissing();
const seededSkipped = !SEEDED ? 'skipped (--no-seeded-trees)' : missing ?? seededMissing();
const cases = [];
for (const fn of FUNCTIONS) {
  for (const seed of SEEDS) {
    const key = `${fn}/${seed}/${ROWS}`;
    const old = reused.get(key);
    const theirs = old?.moa ?? (missing ? null : moa(fn, seed));
    const seeded = seededSkipped ? null : (old?.moaSeeded ?? moaSeeded(fn, seed));
    const mine = ours(fn, seed);
    const mineMoaDraws = MOA_DRAWS ? oursMoaDraws(fn, seed) : null;
    cases.push({ function: fn, seed, ours: mine, oursMoaDraws: mineMoaDraws, moa: theirs, moaSeeded: seeded, moaReused: old !== undefined });
    console.error(
      `agrawal f${fn} seed ${seed}: ours ${mine.accuracy.toFixed(2)}%` +
        (mineMoaDraws ? `  ours with MOA's draws ${mineMoaDraws.accuracy.toFixed(2)}%` : '') +
        (theirs ? `  MOA ${theirs.accuracy.toFixed(2)}%` : '') +
        (seeded ? `  MOA seeded trees ${seeded.accuracy.toFixed(2)}%` : '') +
        (old ? ' (MOA reused)' : ''),
    );
  }
}
if (seededDir) rmSync(seededDir, { recursive: true, force: true });

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const summary = FUNCTIONS.map((fn) => {
  const mine = cases.filter((c) => c.function === fn);
  const oursMean = mean(mine.map((c) => c.ours.accuracy));
  const moaMean = mine.every((c) => c.moa) ? mean(mine.map((c) => c.moa.accuracy)) : null;
  const moaSeededMean = mine.every((c) => c.moaSeeded) ? mean(mine.map((c) => c.moaSeeded.accuracy)) : null;
  const oursMoaDrawsMean = mine.every((c) => c.oursMoaDraws) ? mean(mine.map((c) => c.oursMoaDraws.accuracy)) : null;
  const difference = moaMean === null ? null : oursMean - moaMean;
  return {
    function: fn,
    oursMean,
    oursMoaDrawsMean,
    moaMean,
    moaSeededMean,
    difference,
    seededDifference: moaSeededMean === null ? null : oursMean - moaSeededMean,
    met: difference === null ? null : Math.abs(difference) <= TARGET_POINTS,
    metSeeded: moaSeededMean === null ? null : Math.abs(oursMean - moaSeededMean) <= TARGET_POINTS,
    oursCpuSeconds: mean(mine.map((c) => c.ours.cpuSeconds)),
    moaCpuSeconds: moaMean === null ? null : mean(mine.map((c) => c.moa.cpuSeconds)),
  };
});

const pct = (v) => (v === null ? '-' : v.toFixed(2));
const signed = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
const lines = [];
for (const s of summary) {
  lines.push(`\nAgrawal function ${s.function}, ${ROWS.toLocaleString('en-US')} rows, ARF 10 trees (accuracy %)`);
  lines.push("| seed | streamlearn | streamlearn, MOA's draws | MOA | MOA, seeded trees |");
  lines.push('|--:|--:|--:|--:|--:|');
  for (const c of cases.filter((c) => c.function === s.function)) {
    lines.push(`| ${c.seed} | ${pct(c.ours.accuracy)} | ${pct(c.oursMoaDraws?.accuracy ?? null)} | ${pct(c.moa?.accuracy ?? null)} | ${pct(c.moaSeeded?.accuracy ?? null)} |`);
  }
  lines.push(`| mean | ${pct(s.oursMean)} | ${pct(s.oursMoaDrawsMean)} | ${pct(s.moaMean)} | ${pct(s.moaSeededMean)} |`);
  if (s.difference === null) lines.push(`MOA not run: ${missing}`);
  else {
    lines.push(
      `ours - MOA ${signed(s.difference)} points (target within ${TARGET_POINTS}: ${s.met ? 'met' : 'NOT met'}); ` +
        (s.seededDifference === null
          ? `seeded trees not run: ${seededSkipped}`
          : `ours - MOA with seeded trees ${signed(s.seededDifference)} (${s.metSeeded ? 'within' : 'NOT within'} ${TARGET_POINTS})`),
    );
    if (s.oursMoaDrawsMean !== null) lines.push(`ours with MOA's draws - MOA ${signed(s.oursMoaDrawsMean - s.moaMean)} points`);
    lines.push(`CPU s per run: ours ${s.oursCpuSeconds.toFixed(2)}, MOA's loop ${s.moaCpuSeconds.toFixed(2)}`);
  }
}
console.log(lines.join('\n'));

const result = {
  rows: ROWS,
  functions: FUNCTIONS,
  seeds: SEEDS,
  targetPoints: TARGET_POINTS,
  node: process.version,
  moaMissing: missing,
  moaSeededSkipped: seededSkipped,
  moaDraws: MOA_DRAWS,
  summary,
  cases,
};
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
// Written aside, then renamed: a reader never sees half a file.
writeFileSync(`${OUT}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
renameSync(`${OUT}.tmp`, OUT);
console.error(`\nwrote ${OUT}`);
