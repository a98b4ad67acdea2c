// One regressor, prequential, in its own process (so that peak memory is the case's own):
//   node bench/regression-case.mjs <regressor> <source> <rows> [seed] [params as JSON] [steps as JSON]
// <source>: a CSV file whose label is its column `y` (read as the CLI reads --data FILE, in stream
// order), or synth:SPEC (a generated stream, e.g. synth:friedman, seeded with [seed]).
// [steps]: the preprocessing steps instead of the regressor's default ones, e.g. [] for none.
// Prints one JSON line:
//   rows, mae, rmse, r2          streamlearn's pooled metrics (R² against the targets' own mean)
//   r2VsRunningMean              1 − SSE / SSE of predicting each row by the mean of the targets
//                                before it (from row 2 on): what MOA's BasicRegressionPerformance-
//                                Evaluator prints as its coefficient of determination (it is
//                                1 − relative RMSE², and exactly 0 for MOA's TargetMean)
//   cpuSeconds, wallSeconds      process.cpuUsage() (every thread) and wall time of the loop alone:
//                                reading or generating the rows, learning, predicting, scoring
//   rowsPerCpuSecond, rowsPerSecond
//   sourceSeconds, learnSeconds, scoreSeconds  where the wall time went (as prequential-case.mjs)
//   peakRssMB                    the process's peak resident memory after the loop
//   targetSum                    the sum of the targets read: two sources with the same sum (and
//                                rows) almost surely gave the same rows
import { prequentialRegression, regressionBatches, RegressionModel, synthSource } from '../dist/index.js';
import { fileSource } from '../dist/node/index.js';

const [learner, sourceArg, rowsArg, seedArg, paramsArg, stepsArg] = process.argv.slice(2);
if (!learner || !sourceArg || !rowsArg) {
  console.error('usage: node bench/regression-case.mjs <regressor> <file.csv | synth:SPEC> <rows> [seed] [params as JSON] [steps as JSON]');
  process.exit(2);
}
const rows = Number(rowsArg);
const seed = Number(seedArg ?? 1);
const params = paramsArg ? JSON.parse(paramsArg) : undefined;
const steps = stepsArg ? JSON.parse(stepsArg) : undefined;
const synthetic = sourceArg.startsWith('synth:');
const source = synthetic ? synthSource(sourceArg.slice('synth:'.length), { seed, rows }) : await fileSource(sourceArg, { label: 'y', task: 'regression' });
const model = await RegressionModel.createByName(learner, source.schema, { seed, params, steps });

const now = () => process.hrtime.bigint();
let sourceNs = 0n;
let learnNs = 0n;
let taken = 0;
async function* timedBatches(inner) {
  const it = inner[Symbol.asyncIterator]();
  for (;;) {
    const t = now();
    const { value, done } = await it.next();
    sourceNs += now() - t;
    if (done) return;
    // A file longer than `rows` is cut at `rows`, as MOA's -i cuts its stream.
    const left = rows - taken;
    if (left <= 0) return;
    taken += Math.min(left, value.x.rows);
    yield left >= value.x.rows ? value : { x: { ...value.x, data: value.x.data.subarray(0, left * value.x.cols), rows: left }, y: value.y.subarray(0, left) };
  }
}

// MOA's R²: against the running mean of the targets seen before each row.
let targetSum = 0;
let seen = 0;
let sse = 0;
let sseRunningMean = 0;
const scored = {
  learn: (b) => model.learn(b),
  predict: (x) => model.predict(x),
  learnScored: (b) => {
    const t = now();
    const predicted = model.learnScored(b);
    learnNs += now() - t;
    for (let r = 0; r < predicted.length; r++) {
      const y = b.y[r];
      if (seen > 0) {
        const m = targetSum / seen;
        sse += (y - predicted[r]) ** 2;
        sseRunningMean += (y - m) ** 2;
      }
      targetSum += y;
      seen++;
    }
    return predicted;
  },
};

const cpu0 = process.cpuUsage();
const t0 = now();
const result = await prequentialRegression(timedBatches(regressionBatches(source.rows(), 1024, source.schema.features.length)), scored);
const wallNs = now() - t0;
const cpu = process.cpuUsage(cpu0);
const wall = Number(wallNs) / 1e9;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    learner,
    source: sourceArg,
    seed,
    params: params ?? null,
    preprocessing: model.preprocessing,
    rows: result.rows,
    mae: result.metrics.mae,
    rmse: result.metrics.rmse,
    r2: result.metrics.r2,
    r2VsRunningMean: 1 - sse / sseRunningMean,
    targetSum,
    cpuSeconds,
    wallSeconds: wall,
    rowsPerCpuSecond: result.rows / cpuSeconds,
    rowsPerSecond: result.rows / wall,
    sourceSeconds: Number(sourceNs) / 1e9,
    learnSeconds: Number(learnNs) / 1e9,
    scoreSeconds: Number(wallNs - sourceNs - learnNs) / 1e9,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    node: process.version,
  }),
);
