// One bundled small data set under the default batch-split protocol, in its own process:
//   node bench/batch-case.mjs <learner> <dataset> [seed]
// train() from the build, nothing saved (output: { out: null }), then the model saved to a temporary directory
// to measure its size. Prints one JSON line like prequential-case.mjs: rows, accuracy (the mean
// per-batch accuracy, as the README's small-set figures), CPU and wall seconds of train(), peak RSS.
import { train, saveModel } from '../dist/node/index.js';
import { mkdtempSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [learner, dataset, seedArg] = process.argv.slice(2);
const seed = Number(seedArg ?? 42);
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const { report, model } = await train({ source: { dataset }, model: learner, seed, output: { out: null } });
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const peakRssMB = process.resourceUsage().maxRSS / 1024;
const dir = mkdtempSync(join(tmpdir(), 'streamlearn-bench-'));
await saveModel(model, join(dir, 'm'));
const modelBytes = readdirSync(join(dir, 'm')).reduce((s, f) => s + statSync(join(dir, 'm', f)).size, 0);
rmSync(dir, { recursive: true, force: true });
model.dispose();
console.log(
  JSON.stringify({
    learner,
    dataset,
    rows: report.rows,
    accuracy: report.meanAccuracy,
    pooledAccuracy: report.accuracy,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: wall,
    rowsPerSecond: report.rows / wall,
    peakRssMB,
    modelBytes,
    node: process.version,
    execArgv: process.execArgv,
  }),
);
