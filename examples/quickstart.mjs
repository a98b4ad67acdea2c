// Train on the bundled Iris data, save the model, load it back and predict.
// Run after `npm install`: node examples/quickstart.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, loadModel } from 'streamlearn/node';

const out = join(mkdtempSync(join(tmpdir(), 'streamlearn-')), 'iris-nb');
// Options go by stage: where the rows come from, how they flow, how the model is scored, the model, what comes out.
const { report } = await train({
  source: { dataset: 'iris' },
  stream: { batchSize: 16 },
  protocol: { name: 'batch-split', testSize: 0.2 },
  model: { learner: 'gaussian-nb', params: { varSmoothing: 1e-9 } },
  seed: 42,
  output: { out },
});
console.log(`mean per-batch accuracy ${report.meanAccuracy.toFixed(3)} over ${report.batches.length} batches`);

const model = await loadModel(out);
const [prediction] = await model.predictRecords([
  { sepal_length_cm: 6.7, sepal_width_cm: 3.0, petal_length_cm: 5.2, petal_width_cm: 2.3 },
]);
console.log(prediction.label, prediction.probabilities);
