// One benchmark case in its own process, so that peak memory is the case's own:
//   node bench/prequential-case.mjs <learner> <synth spec> <rows> [seed] [params as JSON]
// Prints one JSON line: rows, accuracy, CPU and wall seconds of the prequential loop, rows per
// second, peak RSS of the loop (peakRssMB, as MOA's figures, which do not save the model) and of
// the whole case once the model is saved (peakRssWithSaveMB), the saved model's bytes, and where
// the wall time went:
//   sourceSeconds  generating the rows and packing them into 1,024-row batches (for a file: parsing)
//   learnSeconds   Model.learnScored: predicting each row, then learning it (test-then-train
//                  interleaves the two row by row, so they are one figure)
//   scoreSeconds   the rest of prequential(): metrics, learning curve
// The timers are read once per batch of 1,024 rows, which costs nothing measurable.
import { synthSource, Model, prequential, batches } from '../dist/index.js';
import { saveModel } from '../dist/node/index.js';
import { mkdtempSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [learner, spec, rowsArg, seedArg, paramsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const seed = Number(seedArg ?? 1);
const params = paramsArg ? JSON.parse(paramsArg) : undefined;
const source = synthSource(spec, { seed, rows });
const model = await Model.create(learner, source.schema, { seed, params });

const now = () => process.hrtime.bigint();
let sourceNs = 0n;
let learnNs = 0n;
async function* timedBatches(inner) {
  const it = inner[Symbol.asyncIterator]();
  for (;;) {
    const t = now();
    const { value, done } = await it.next();
    sourceNs += now() - t;
    if (done) return;
    yield value;
  }
}
const learnScored = model.learnScored.bind(model);
model.learnScored = async (batch) => {
  const t = now();
  const p = await learnScored(batch);
  learnNs += now() - t;
  return p;
};

const cpu0 = process.cpuUsage();
const t0 = now();
const result = await prequential(timedBatches(batches(source.rows(), 1024, source.schema.features.length)), model);
const wallNs = now() - t0;
const cpu = process.cpuUsage(cpu0);
const wall = Number(wallNs) / 1e9;
const peakRssMB = process.resourceUsage().maxRSS / 1024;
const dir = mkdtempSync(join(tmpdir(), 'streamlearn-bench-'));
await saveModel(model, join(dir, 'm'));
const modelBytes = readdirSync(join(dir, 'm')).reduce((s, f) => s + statSync(join(dir, 'm', f)).size, 0);
// Saving writes the model as JSON: for a forest of 100 MB, a peak of its own, reported apart.
const peakRssWithSaveMB = process.resourceUsage().maxRSS / 1024;
rmSync(dir, { recursive: true, force: true });
model.dispose();
console.log(
  JSON.stringify({
    learner,
    stream: spec,
    rows: result.rows,
    accuracy: result.accuracy,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cpuUserSeconds: cpu.user / 1e6,
    wallSeconds: wall,
    rowsPerSecond: result.rows / wall,
    peakRssMB,
    peakRssWithSaveMB,
    modelBytes,
    sourceSeconds: Number(sourceNs) / 1e9,
    learnSeconds: Number(learnNs) / 1e9,
    scoreSeconds: Number(wallNs - sourceNs - learnNs) / 1e9,
    node: process.version,
    execArgv: process.execArgv,
  }),
);
