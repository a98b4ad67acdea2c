// Train on the bundled Iris data, save the model, load it back and predict.
// Run after `npm install`: node examples/quickstart.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, loadModel } from 'streamlearn/node';

const out = join(mkdtempSync(join(tmpdir(), 'streamlearn-')), 'iris-nb');
const { report } = await train({ dataset: 'iris', model: 'gaussian-nb', seed: 42, batchSize: 16, testSize: 0.2, out });
console.log(`mean per-batch accuracy ${report.meanAccuracy.toFixed(3)} over ${report.batches.length} batches`);

const model = await loadModel(out);
const [prediction] = await model.predictRecords([
  { sepal_length_cm: 6.7, sepal_width_cm: 3.0, petal_length_cm: 5.2, petal_width_cm: 2.3 },
]);
console.log(prediction.label, prediction.probabilities);
