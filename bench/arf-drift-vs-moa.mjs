// Adaptive Random Forest on Agrawal's stream with an abrupt drift, ours beside MOA's, window by window
// (issue 14): where the gap to MOA opens, before or after the switch, and why.
//   npm run build && node bench/arf-drift-vs-moa.mjs [--seeds 1,2,3] [--rows 200000] [--every 10000]
//                                                    [--no-moa-draws] [--no-seeded-trees]
//   node bench/arf-drift-vs-moa.mjs --case SEED ROWS EVERY [--moa-draws] [--spec SPEC]
//                                    one run of ours, as a JSON line (what the parent runs per seed)
// The stream is run.sh's `agrawal`: function 1, then function 2 from row ROWS/2 + 1 on (MOA:
// ConceptDriftStream -p ROWS/2 -w 1; ours: agrawal(function=1)>agrawal(function=2)@ROWS/2/1), 5%
// perturbation, the generators' rows seeded by the seed. The forest is run.sh's `arf`: 10 trees,
// subspaces of round(sqrt(9)) + 1 = 4 attributes, everything else at its default. For each seed, one
// after the other (this is a shared machine), each a prequential run (test, then train, row by row):
//   ours             this script in a child process (--case): Model + prequential() from dist/, as
//                    bench/prequential-case.mjs runs it, the window accuracy every EVERY rows
//   ours, MOA draws  the same, except that every tree the forest makes (the first ones and every
//                    one made after a warning or a drift) draws its leaves' subspaces as MOA 2024.07's
//                    ARFHoeffdingTree does: from a java.util.Random of its own seeded 1, nextInt over
//                    the attributes not yet drawn, so every tree gets the same subspaces in the same
//                    order (the root's: hvalue, salary, age, zipcode). Done by replacing the forest's
//                    tree factory in the child process (its private newTree): a diagnosis, not an
//                    option of the learner. --no-moa-draws skips it.
//   MOA              moa.jar's AdaptiveRandomForest (-s 10 -o 1) in a small test-then-train loop
//                    (compiled here with javac against moa.jar): correctlyClassifies, then
//                    trainOnInstance, as EvaluatePrequential with the basic evaluator counts; measured
//                    to give EvaluatePrequential's figures to the last digit (seed 1: 85.31%, and the
//                    same accuracy in every 10,000-row window as -e (WindowClassificationPerformance
//                    Evaluator -w 10000)). The loop also reads the members' drift counts.
//   MOA seeded trees the same, with one change: each tree gets a random seed of its own
//                    (setRandomSeed(1000 + 7919 i), then resetLearning) before the first row, as
//                    bench/arf-nominal-vs-moa.mjs does (Waikato/moa pull request 255 would give each
//                    tree its own generator). --no-seeded-trees skips it.
// Prints, per seed, each side's accuracy over the whole stream, before and after the switch; then the
// window accuracies averaged over the seeds, with the drifts detected in each window (members
// replaced); writes bench/results/arf-drift-vs-moa.json. Without Java or the jar it runs ours alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const JAR = fileURLToPath(new URL('../../shared/moa/moa.jar', import.meta.url));
const OUT = fileURLToPath(new URL('./results/arf-drift-vs-moa.json', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const specOf = (rows) => `agrawal(function=1)>agrawal(function=2)@${Math.floor(rows / 2)}/1`;
const FOREST = { ensembleSize: 10, subspaceSize: 0 };

// --- the child: one prequential run of ours ------------------------------------------------------
// Also used by bench/arf-nominal-vs-moa.mjs, with --spec, for its streams without a drift.
if (args[0] === '--case') {
  const [seed, rows, every] = args.slice(1, 4).map(Number);
  const moaDraws = args.includes('--moa-draws');
  const { synthSource, Model, prequential, batches } = await import('../dist/index.js');
  const source = synthSource(flag('spec', specOf(rows)), { seed, rows });
  const model = await Model.create('adaptive-random-forest', source.schema, { seed, params: FOREST });
  if (moaDraws) useMoaSubspaceDraws(model.learner);
  const windows = [];
  let driftsBefore = 0;
  const cpu0 = process.cpuUsage();
  // Batches of 1,000 rows (or fewer, to divide EVERY), so that the curve's points fall on batch ends
  // and the drift count read there is the window's own. The forest's results do not depend on the
  // batch size: each member takes the rows in order.
  const batchRows = every % 1000 === 0 ? 1000 : every;
  const result = await prequential(batches(source.rows(), batchRows, source.schema.features.length), model, {
    curveEvery: every,
    window: every,
    onCurve: (p) => {
      const drifts = model.learner.drifts;
      windows.push({ row: p.row, accuracy: 100 * p.windowAccuracy, drifts: drifts - driftsBefore });
      driftsBefore = drifts;
    },
  });
  const cpu = process.cpuUsage(cpu0);
  model.dispose();
  console.log(JSON.stringify({ accuracy: 100 * result.accuracy, windows, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
  process.exit(0);
}

/**
 * Makes every tree of the forest draw its subspaces as MOA 2024.07 does (see the header): replaces
 * the members' tree factory, then the members' first trees, which have learned nothing yet.
 */
function useMoaSubspaceDraws(forest) {
  const members = forest.local;
  const proto = members && Object.getPrototypeOf(members);
  if (!proto || typeof proto.newTree !== 'function' || !Array.isArray(members.members) || !members.settings?.options) {
    throw new Error('--moa-draws: the forest no longer has the members, settings and newTree this bench replaces');
  }
  const original = proto.newTree;
  proto.newTree = function newTreeWithMoaDraws() {
    return original.call(this, moaSubspaceGenerator(this.settings.options.subspaceSize));
  };
  for (const m of members.members) m.tree = members.newTree();
}

/**
 * What a tree asks of its generator for a leaf's subspace (permutation(n), whose first m entries it
 * keeps), answered as MOA's ARFHoeffdingTree draws: java.util.Random(1).nextInt(attributes left),
 * each drawn attribute taken out of the list.
 */
function moaSubspaceGenerator(m) {
  const multiplier = 0x5deece66dn;
  const mask = (1n << 48n) - 1n;
  let state = (1n ^ multiplier) & mask;
  const next31 = () => {
    state = (state * multiplier + 0xbn) & mask;
    return Number(state >> 17n);
  };
  const nextInt = (bound) => {
    if ((bound & -bound) === bound) return Number((BigInt(bound) * BigInt(next31())) >> 31n);
    for (;;) {
      const bits = next31();
      const value = bits % bound;
      if (bits - value + (bound - 1) <= 0x7fffffff) return value;
    }
  };
  return {
    permutation(n) {
      const left = Array.from({ length: n }, (_, i) => i);
      const drawn = [];
      for (let j = 0; j < Math.min(m, n); j++) drawn.push(left.splice(nextInt(left.length), 1)[0]);
      return Int32Array.from([...drawn, ...left]);
    },
  };
}

// --- the parent -----------------------------------------------------------------------------------
const list = (s) => s.split(',').map((v) => Number(v.trim()));
const SEEDS = list(flag('seeds', '1,2,3'));
const ROWS = Number(flag('rows', '200000'));
const EVERY = Number(flag('every', '10000'));
const MOA_DRAWS = !args.includes('--no-moa-draws');
const SEEDED = !args.includes('--no-seeded-trees');
for (const s of SEEDS) if (!(Number.isInteger(s) && s >= 1)) throw new Error(`--seeds: ${s} is not a whole number of at least 1`);
if (!(Number.isInteger(ROWS) && ROWS >= 4)) throw new Error(`--rows: ${ROWS} is not a whole number of at least 4`);
if (!(Number.isInteger(EVERY) && EVERY >= 1 && ROWS % EVERY === 0 && Math.floor(ROWS / 2) % EVERY === 0)) {
  throw new Error(`--every: ${EVERY} must divide both the rows (${ROWS}) and the switch (${Math.floor(ROWS / 2)})`);
}
const SWITCH = Math.floor(ROWS / 2);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

function ours(seed, moaDraws) {
  const out = run(process.execPath, [SELF, '--case', String(seed), String(ROWS), String(EVERY), ...(moaDraws ? ['--moa-draws'] : [])]);
  return JSON.parse(out.trim().split('\n').pop());
}

// Test-then-train with MOA's forest; prints a line per window (rows, window accuracy in percent,
// drifts detected in the window), then the accuracy over all rows and the loop's CPU seconds.
const LOOP_JAVA = `
import moa.classifiers.meta.AdaptiveRandomForest;
import moa.classifiers.trees.ARFHoeffdingTree;
import moa.streams.InstanceStream;
import moa.options.AbstractOptionHandler;
import moa.options.ClassOption;
import com.yahoo.labs.samoa.instances.Instance;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
public class ArfDriftLoop {
  public static void main(String[] a) throws Exception {
    InstanceStream s = (InstanceStream) ClassOption.cliStringToObject(a[0], InstanceStream.class, null);
    ((AbstractOptionHandler) s).prepareForUse();
    int n = Integer.parseInt(a[1]);
    int every = Integer.parseInt(a[2]);
    boolean seeded = a[3].equals("seeded");
    AdaptiveRandomForest arf = new AdaptiveRandomForest();
    arf.getOptions().setViaCLIString("-s 10 -o 1");
    arf.setModelContext(s.getHeader());
    arf.prepareForUse();
    Field ensemble = AdaptiveRandomForest.class.getDeclaredField("ensemble");
    ensemble.setAccessible(true);
    long t0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    int correct = 0, windowCorrect = 0, driftsBefore = 0;
    for (int i = 0; i < n; i++) {
      Instance inst = s.nextInstance().getData();
      if (i == 0 && seeded) {
        Method init = AdaptiveRandomForest.class.getDeclaredMethod("initEnsemble", Instance.class);
        init.setAccessible(true);
        init.invoke(arf, inst);
        Object[] members = (Object[]) ensemble.get(arf);
        for (int m = 0; m < members.length; m++) {
          Field c = members[m].getClass().getDeclaredField("classifier");
          c.setAccessible(true);
          ARFHoeffdingTree tree = (ARFHoeffdingTree) c.get(members[m]);
          tree.setRandomSeed(1000 + 7919 * m);
          tree.resetLearning();
        }
      }
      if (arf.correctlyClassifies(inst)) { correct++; windowCorrect++; }
      arf.trainOnInstance(inst);
      if ((i + 1) % every == 0) {
        int drifts = 0;
        for (Object m : (Object[]) ensemble.get(arf)) {
          Field f = m.getClass().getDeclaredField("numberOfDriftsDetected");
          f.setAccessible(true);
          drifts += f.getInt(m);
        }
        System.out.println("window " + (i + 1) + " " + (100.0 * windowCorrect / every) + " " + (drifts - driftsBefore));
        driftsBefore = drifts;
        windowCorrect = 0;
      }
    }
    double cpu = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - t0) / 1e9;
    System.out.println("total " + (100.0 * correct / n) + " " + cpu);
  }
}
`;

function moaMissing() {
  if (!existsSync(JAR)) return `no ${JAR}`;
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return 'no java on PATH (see ../shared/moa/run.sh for what to install)';
  const javac = spawnSync('javac', ['-version'], { encoding: 'utf8' });
  if (javac.error || javac.status !== 0) return 'no javac on PATH (a JDK, not only a JRE)';
  return null;
}

let loopDir = null;
function compileLoop() {
  loopDir = mkdtempSync(join(tmpdir(), 'arf-drift-loop-'));
  writeFileSync(join(loopDir, 'ArfDriftLoop.java'), LOOP_JAVA);
  const r = spawnSync('javac', ['-cp', JAR, '-d', loopDir, join(loopDir, 'ArfDriftLoop.java')], { encoding: 'utf8' });
  return r.status === 0 ? null : `javac failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
}

function moa(seed, seeded) {
  const stream =
    `ConceptDriftStream -s (generators.AgrawalGenerator -f 1 -i ${seed}) -d (generators.AgrawalGenerator -f 2 -i ${seed}) ` +
    `-p ${SWITCH} -w 1`;
  const out = run('java', ['-cp', `${JAR}:${loopDir}`, 'ArfDriftLoop', stream, String(ROWS), String(EVERY), seeded ? 'seeded' : 'stock']);
  const windows = [];
  let total = null;
  for (const line of out.trim().split('\n')) {
    const [kind, ...v] = line.trim().split(' ');
    if (kind === 'window') windows.push({ row: Number(v[0]), accuracy: Number(v[1]), drifts: Number(v[2]) });
    if (kind === 'total') total = { accuracy: Number(v[0]), cpuSeconds: Number(v[1]) };
  }
  if (!total || windows.length !== ROWS / EVERY) throw new Error(`MOA's loop printed ${windows.length} windows and ${total ? 'a' : 'no'} total`);
  return { ...total, windows };
}

const missing = moaMissing() ?? compileLoop();
const SIDES = [
  { key: 'ours', label: 'streamlearn', run: (seed) => ours(seed, false) },
  ...(MOA_DRAWS ? [{ key: 'oursMoaDraws', label: "streamlearn, MOA's draws", run: (seed) => ours(seed, true) }] : []),
  ...(missing ? [] : [{ key: 'moa', label: 'MOA', run: (seed) => moa(seed, false) }]),
  ...(missing || !SEEDED ? [] : [{ key: 'moaSeeded', label: 'MOA, seeded trees', run: (seed) => moa(seed, true) }]),
];

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
// Whole windows on each side of the switch: EVERY divides it.
const part = (windows, before) => mean(windows.filter((w) => (before ? w.row <= SWITCH : w.row > SWITCH)).map((w) => w.accuracy));
const cases = [];
for (const seed of SEEDS) {
  const c = { seed };
  for (const side of SIDES) {
    const r = side.run(seed);
    c[side.key] = { ...r, beforeSwitch: part(r.windows, true), afterSwitch: part(r.windows, false) };
  }
  cases.push(c);
  console.error(`seed ${seed}: ${SIDES.map((s) => `${s.label} ${c[s.key].accuracy.toFixed(2)}%`).join(', ')}`);
}
if (loopDir) rmSync(loopDir, { recursive: true, force: true });

const pct = (v) => v.toFixed(2);
const lines = [];
const header = (first) => `| ${first} | ${SIDES.map((s) => s.label).join(' | ')} |`;
const rule = `|--:|${SIDES.map(() => '--:|').join('')}`;
lines.push(`\nAgrawal function 1, then 2 from row ${(SWITCH + 1).toLocaleString('en-US')}, ${ROWS.toLocaleString('en-US')} rows, ARF 10 trees: accuracy % (whole stream / before / after the switch)`);
lines.push(header('seed'), rule);
for (const c of cases) lines.push(`| ${c.seed} | ${SIDES.map((s) => `${pct(c[s.key].accuracy)} / ${pct(c[s.key].beforeSwitch)} / ${pct(c[s.key].afterSwitch)}`).join(' | ')} |`);
const summary = Object.fromEntries(
  SIDES.map((s) => [
    s.key,
    {
      accuracy: mean(cases.map((c) => c[s.key].accuracy)),
      beforeSwitch: mean(cases.map((c) => c[s.key].beforeSwitch)),
      afterSwitch: mean(cases.map((c) => c[s.key].afterSwitch)),
      cpuSeconds: mean(cases.map((c) => c[s.key].cpuSeconds)),
    },
  ]),
);
lines.push(`| mean | ${SIDES.map((s) => `${pct(summary[s.key].accuracy)} / ${pct(summary[s.key].beforeSwitch)} / ${pct(summary[s.key].afterSwitch)}`).join(' | ')} |`);
lines.push(`\nWindow accuracy % (last ${EVERY.toLocaleString('en-US')} rows), mean over seeds ${SEEDS.join(', ')}; in brackets, members replaced in the window (all seeds)`);
lines.push(header('rows'), rule);
for (let w = 0; w < ROWS / EVERY; w++) {
  const row = (w + 1) * EVERY;
  const cells = SIDES.map((s) => `${pct(mean(cases.map((c) => c[s.key].windows[w].accuracy)))} (${cases.reduce((n, c) => n + c[s.key].windows[w].drifts, 0)})`);
  lines.push(`| ${row.toLocaleString('en-US')}${row === SWITCH ? ' (switch)' : ''} | ${cells.join(' | ')} |`);
}
if (summary.moa) {
  const signed = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
  for (const s of SIDES.filter((x) => x.key !== 'moa')) {
    lines.push(`${s.label} - MOA: ${signed(summary[s.key].accuracy - summary.moa.accuracy)} points (before the switch ${signed(summary[s.key].beforeSwitch - summary.moa.beforeSwitch)}, after ${signed(summary[s.key].afterSwitch - summary.moa.afterSwitch)})`);
  }
  if (summary.moaSeeded) lines.push(`streamlearn - MOA with seeded trees: ${signed(summary.ours.accuracy - summary.moaSeeded.accuracy)} points`);
} else lines.push(`MOA not run: ${missing}`);
lines.push(`CPU s per run: ${SIDES.map((s) => `${s.label} ${summary[s.key].cpuSeconds.toFixed(1)}`).join(', ')}`);
console.log(lines.join('\n'));

const result = { rows: ROWS, switchAfterRow: SWITCH, every: EVERY, seeds: SEEDS, node: process.version, moaMissing: missing, summary, cases };
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
// Written aside, then renamed: a reader never sees half a file.
writeFileSync(`${OUT}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
renameSync(`${OUT}.tmp`, OUT);
console.error(`\nwrote ${OUT}`);
