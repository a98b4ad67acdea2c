// One benchmark case in its own process, so that peak memory is the case's own:
//   node bench/prequential-case.mjs <learner> <synth spec> <rows> [seed]
// Prints one JSON line: rows, accuracy, cpu and wall seconds, rows per second, peak RSS, model bytes.
import { synthSource, Model, prequential, batches, saveModel } from '../dist/index.js';
import { mkdtempSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [learner, spec, rowsArg, seedArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const seed = Number(seedArg ?? 1);
const source = synthSource(spec, { seed, rows });
const model = await Model.create(learner, source.schema, { seed });
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const result = await prequential(batches(source.rows(), 1024, source.schema.features.length), model);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const dir = mkdtempSync(join(tmpdir(), 'streamlearn-bench-'));
await saveModel(model, join(dir, 'm'));
const modelBytes = readdirSync(join(dir, 'm')).reduce((s, f) => s + statSync(join(dir, 'm', f)).size, 0);
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    learner,
    stream: spec,
    rows: result.rows,
    accuracy: result.accuracy,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: wall,
    rowsPerSecond: result.rows / wall,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    modelBytes,
  }),
);
