// Running MOA 2024.07 (../shared/moa/run.sh) and streamlearn's bench cases as whole child processes,
// measured the same way on both sides: wall time spawn to exit, user + system CPU seconds of the
// process and its peak resident memory. GNU time (`/usr/bin/time`, Debian's `time` package) reports
// the last two from the kernel's rusage of the finished child, which a parent cannot read from Node;
// without it, /proc/PID is polled every 20 ms instead, which can miss a peak that lasts less than
// that (the result says which way it was measured).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MOA_RUN = fileURLToPath(new URL('../../shared/moa/run.sh', import.meta.url));
const MOA_JAR = fileURLToPath(new URL('../../shared/moa/moa.jar', import.meta.url));
const GNU_TIME = '/usr/bin/time';

/** Why MOA cannot run here (a sentence), or null when it can. */
export function moaMissing() {
  if (!existsSync(MOA_RUN)) return `no ${MOA_RUN}`;
  if (!existsSync(MOA_JAR)) return `no ${MOA_JAR}`;
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return 'no java on PATH (../shared/moa/run.sh says what to install)';
  return null;
}

/** The first line `java -version` prints, e.g. `openjdk version "17.0.15" 2025-04-15`. */
export function javaVersion() {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return java.error ? null : (java.stderr || java.stdout).trim().split('\n')[0];
}

const hasGnuTime = () => {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\s*$/.test(r.stderr);
};
let gnuTime;

/**
 * Runs cmd argv to its end and measures it. Resolves to { status, stdout, stderr, wallSeconds,
 * cpuSeconds, peakRssMB, measuredBy } (cpuSeconds and peakRssMB null when they could not be read);
 * never rejects for a non-zero exit, which the caller judges.
 */
export async function runMeasured(cmd, argv, { cwd, timeoutSeconds } = {}) {
  gnuTime ??= hasGnuTime();
  const dir = gnuTime ? mkdtempSync(join(tmpdir(), 'streamlearn-moa-')) : null;
  const timeFile = dir && join(dir, 'time');
  // %M: peak RSS in KiB; %U %S: user and system CPU seconds of the child (GNU time 1.9).
  const [file, args] = gnuTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  // A process group of its own, so that a time limit or an interrupt ends java too, not only GNU time.
  const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const endGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', endGroup);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
  let polled = { peakKiB: 0, ticks: 0 };
  const poller = gnuTime ? null : setInterval(() => (polled = pollProc(child.pid, polled)), 20);
  let timedOut = false;
  const killer = timeoutSeconds ? setTimeout(() => ((timedOut = true), endGroup()), timeoutSeconds * 1000) : null;
  const { status, signal } = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ status: code, signal: sig }));
  });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (poller) clearInterval(poller);
  if (killer) clearTimeout(killer);
  process.removeListener('exit', endGroup);
  let cpuSeconds = null;
  let peakRssMB = null;
  if (gnuTime) {
    // After a failure GNU time writes "Command exited with non-zero status N" first: the figures are the last line.
    const last = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').pop() : '';
    const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(last);
    if (m) {
      peakRssMB = Number(m[1]) / 1024;
      cpuSeconds = Number(m[2]) + Number(m[3]);
    }
    rmSync(dir, { recursive: true, force: true });
  } else if (polled.peakKiB > 0) {
    peakRssMB = polled.peakKiB / 1024;
    cpuSeconds = polled.ticks / 100;
  }
  return {
    status: timedOut ? `killed at the ${timeoutSeconds} s limit` : signal ? `killed by ${signal}` : status,
    stdout,
    stderr,
    wallSeconds,
    cpuSeconds,
    peakRssMB,
    measuredBy: gnuTime ? 'GNU time' : 'polling /proc every 20 ms',
  };
}

// VmHWM is the kernel's own high-water mark of the process's RSS, so polling it misses nothing that
// happened before the last poll; utime + stime (fields 14, 15 of stat) are in clock ticks of 1/100 s.
function pollProc(pid, last) {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { peakKiB: Math.max(last.peakKiB, hwm ? Number(hwm[1]) : 0), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return last; // the process has ended between two polls
  }
}

/**
 * MOA's CSV (EvaluatePrequential, BasicClassificationPerformanceEvaluator): a header, then one line
 * every min(rows, 100,000) rows. Returns the last line's rows, accuracy (a fraction, cumulative),
 * kappa (a fraction) and evaluation CPU seconds: the CPU time of MOA's evaluating thread alone,
 * generating the rows included, the JVM's JIT and garbage-collector threads not.
 */
export function parseMoaCsv(stdout) {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith('learning evaluation instances'));
  if (h < 0 || h === lines.length - 1) throw new Error(`no MOA result lines in its output: ${lines.slice(-3).join(' | ')}`);
  const header = lines[h].split(',');
  const last = lines[lines.length - 1].split(',');
  const column = (name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`MOA's CSV has no column "${name}"`);
    return Number(last[i]);
  };
  return {
    rows: column('classified instances'),
    accuracy: column('classifications correct (percent)') / 100,
    kappa: column('Kappa Statistic (percent)') / 100,
    cpuSeconds: column('evaluation time (cpu seconds)'),
  };
}

/**
 * One MOA case through run.sh (STREAM: sea | rbf | agrawal | agrawalN; LEARNER: nb, ht, hat, arf,
 * efdt, srp, levbag, knn, boost, adwinboost). Throws when MOA fails or stops short of `rows`.
 * seed: the generators' instance seed (-i); 1, MOA's default, runs run.sh itself, any other a copy
 * of it that adds `-i SEED` to each generator (seededRunSh).
 */
export async function runMoa(stream, learner, rows, { seed = 1, ...options } = {}) {
  const script = seed === 1 ? MOA_RUN : seededRunSh(seed);
  const r = await runMeasured('sh', [script, stream, learner, String(rows)], options);
  if (r.status !== 0) throw new Error(`MOA ${stream} ${learner} ${rows} (seed ${seed}) exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const csv = parseMoaCsv(r.stdout);
  if (csv.rows !== rows) throw new Error(`MOA's last line is at ${csv.rows} rows, not ${rows}`);
  return { ...csv, processWallSeconds: r.wallSeconds, processCpuSeconds: r.cpuSeconds, peakRssMB: r.peakRssMB, measuredBy: r.measuredBy };
}

const seeded = new Map();
/**
 * A copy of run.sh, in a temporary directory, whose generators take the instance seed `seed`
 * (SEAGenerator, RandomRBFGenerator and AgrawalGenerator all read it from -i; RandomRBF's centroids
 * keep their model seed, -r 1, so every seed samples the same concept), pointing at the jar beside
 * the real run.sh. Edited from run.sh's own text so that it stays the same command otherwise; throws
 * if run.sh no longer has the lines it edits.
 */
export function seededRunSh(seed) {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`MOA's instance seed must be a whole number, not ${seed}`);
  if (seeded.has(seed)) return seeded.get(seed);
  let text = readFileSync(MOA_RUN, 'utf8');
  const edit = (pattern, replacement, expected) => {
    const all = new RegExp(pattern.source, `${pattern.flags}g`);
    const found = text.match(all)?.length ?? 0;
    if (found < expected) throw new Error(`${MOA_RUN} no longer matches ${pattern} (${found} of ${expected} places): update seededRunSh in bench/moa.mjs`);
    text = text.replace(all, replacement);
  };
  const dir = fileURLToPath(new URL('../../shared/moa/', import.meta.url)).replace(/\/$/, '');
  edit(/^DIR=.*$/m, `DIR='${dir}'`, 1);
  edit(/s="generators\.SEAGenerator"/, `s="(generators.SEAGenerator -i ${seed})"`, 1);
  edit(/s="generators\.RandomRBFGenerator"/, `s="(generators.RandomRBFGenerator -i ${seed})"`, 1);
  edit(/\(generators\.AgrawalGenerator -f ([^)]*)\)/, `(generators.AgrawalGenerator -f $1 -i ${seed})`, 3);
  const tmp = mkdtempSync(join(tmpdir(), 'streamlearn-moa-seed-'));
  const path = join(tmp, 'run.sh');
  writeFileSync(path, text);
  process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  seeded.set(seed, path);
  return path;
}
