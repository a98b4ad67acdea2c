// The per-row path against the batch path, in one process, on the same rows:
//   node bench/one-row.mjs <learner> [rows] [synth spec] [seed]
// Both are prequential (test then train) over rows generated before the clock starts:
//   per-row  a user's loop over plain objects: model.predictOne(x), scored, then model.learnOne(x, y)
//            (River's predict_one / learn_one);
//   batch    prequential() over the rows in 1,024-row batches (batches(): typed arrays, then
//            Model.learnScored, metrics and learning curve): the batch path as a program runs it;
//   bare     Model.learnScored alone over ready 1,024-row batches, each row's argmax scored: the
//            batch path's floor, without batching, metrics or curve.
// Each path runs on a fresh model, three times in turn; the best run of each is reported (the
// machine's noise only slows a run). Prints one JSON line: rowsPerSecond (the per-row path),
// batchRowsPerSecond, ratio (per-row / batch; the target: at least 2/3),
// bareRowsPerSecond and bareRatio, and each path's accuracy (equal: the same predictions).
import { Model, synthSource, rowsToBatch, prequential, batches as batchRows } from '../dist/index.js';

const [learner = 'hoeffding-tree', rowsArg = '1000000', spec = 'sea(function=1,noise-percentage=10)', seedArg = '1'] = process.argv.slice(2);
const rows = Number(rowsArg);
const seed = Number(seedArg);
const source = synthSource(spec, { seed, rows });
const { schema } = source;
const generated = [];
for await (const row of source.rows()) generated.push(row);
const objects = generated.map((row) => Object.fromEntries(schema.features.map((f, j) => [f, row.x[j]])));
const labels = generated.map((row) => schema.classes[row.y]);
const batches = [];
for (let i = 0; i < generated.length; i += 1024) batches.push(rowsToBatch(generated.slice(i, i + 1024), schema.features.length));

const fresh = () => Model.create(learner, { ...schema, classes: [...schema.classes] }, { seed });
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

async function perRow() {
  const model = await fresh();
  let right = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < objects.length; i++) {
    const x = objects[i];
    if (model.predictOne(x) === labels[i]) right++;
    model.learnOne(x, labels[i]);
  }
  const wall = seconds(t0);
  model.dispose();
  return { wall, accuracy: right / objects.length };
}

async function prequentialPath() {
  const model = await fresh();
  async function* source() {
    yield* generated;
  }
  const t0 = process.hrtime.bigint();
  const result = await prequential(batchRows(source(), 1024, schema.features.length), model);
  const wall = seconds(t0);
  model.dispose();
  return { wall, accuracy: result.accuracy };
}

async function barePath() {
  const model = await fresh();
  const k = schema.classes.length;
  let right = 0;
  const t0 = process.hrtime.bigint();
  for (const batch of batches) {
    const p = await model.learnScored(batch);
    for (let r = 0; r < batch.x.rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[r * k + c] > p[r * k + best]) best = c;
      if (best === batch.y[r]) right++;
    }
  }
  const wall = seconds(t0);
  model.dispose();
  return { wall, accuracy: right / objects.length };
}

const one = [];
const batch = [];
const bare = [];
for (let run = 0; run < 3; run++) {
  one.push(await perRow());
  batch.push(await prequentialPath());
  bare.push(await barePath());
}
const best = (runs) => runs.reduce((a, b) => (b.wall < a.wall ? b : a));
const o = best(one);
const b = best(batch);
const f = best(bare);
console.log(
  JSON.stringify({
    learner,
    stream: spec,
    rows,
    accuracy: o.accuracy,
    batchAccuracy: b.accuracy,
    bareAccuracy: f.accuracy,
    wallSeconds: o.wall,
    batchWallSeconds: b.wall,
    rowsPerSecond: rows / o.wall,
    batchRowsPerSecond: rows / b.wall,
    ratio: b.wall / o.wall,
    bareRowsPerSecond: rows / f.wall,
    bareRatio: f.wall / o.wall,
    note: `${(b.wall / o.wall).toFixed(2)} of prequential()'s ${Math.round(rows / b.wall).toLocaleString('en-US')} rows/s (target 0.67); ${(f.wall / o.wall).toFixed(2)} of bare learnScored's ${Math.round(rows / f.wall).toLocaleString('en-US')}`,
    node: process.version,
  }),
);
