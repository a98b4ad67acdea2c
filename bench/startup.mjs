// Start-up time, whole processes (issue 13's targets):
//   node bench/startup.mjs [--runs N] [--json]
// Runs, interleaved so that a change of load on the machine touches each alike, N times (default
// 20) each: bare `node -e 1`; `node -e "await import('streamlearn')"` (the core, dist/index.js,
// through the package's self-reference, as a user's import resolves it); `streamlearn --version`
// (bin/streamlearn.js, commander and every command's flags, none of their code); and
// `streamlearn --help`. Reports each median wall time (spawn to exit), the import's excess over
// bare node, and whether the targets hold: the import at most 0.05 s above bare node, --version
// at most 0.15 s. The last line is JSON for bench/run.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(flag('runs') ?? 20);
export const STARTUP_TARGETS = { importAboveBareSeconds: 0.05, versionSeconds: 0.15 };

if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
  console.error('bench/startup.mjs: dist/ is missing; run npm run build first');
  process.exit(1);
}

const node = process.execPath;
const cases = {
  bare: [node, '-e', '1'],
  import: [node, '--input-type=module', '-e', "await import('streamlearn')"],
  version: [node, 'bin/streamlearn.js', '--version'],
  help: [node, 'bin/streamlearn.js', '--help'],
};

function once([cmd, ...argv]) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return seconds;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// One warm-up of each: the first spawn pays for the page cache.
for (const c of Object.values(cases)) once(c);
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) for (const [k, c] of Object.entries(cases)) times[k].push(once(c));

const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const importAbove = m.import - m.bare;
const result = {
  runs: RUNS,
  bareSeconds: m.bare,
  importSeconds: m.import,
  importAboveBareSeconds: importAbove,
  versionSeconds: m.version,
  helpSeconds: m.help,
  targets: STARTUP_TARGETS,
  met: importAbove <= STARTUP_TARGETS.importAboveBareSeconds && m.version <= STARTUP_TARGETS.versionSeconds,
};
const ms = (s) => `${(s * 1000).toFixed(0)} ms`;
console.error(
  [
    `start-up, median of ${RUNS} runs each (whole processes, interleaved):`,
    `  node -e 1                            ${ms(m.bare)}`,
    `  import('streamlearn')                ${ms(m.import)}  (${ms(importAbove)} above bare node; target at most ${ms(STARTUP_TARGETS.importAboveBareSeconds)}: ${importAbove <= STARTUP_TARGETS.importAboveBareSeconds ? 'met' : 'NOT met'})`,
    `  streamlearn --version                ${ms(m.version)}  (target at most ${ms(STARTUP_TARGETS.versionSeconds)}: ${m.version <= STARTUP_TARGETS.versionSeconds ? 'met' : 'NOT met'})`,
    `  streamlearn --help                   ${ms(m.help)}`,
  ].join('\n'),
);
console.log(JSON.stringify(result));
