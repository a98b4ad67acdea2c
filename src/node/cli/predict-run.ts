import { stringify } from 'csv-stringify/sync';
import type { Model } from '../../learners/model.js';
import { loadAnyModelFrom } from '../broker/registry.js';
import { isNatsUrl } from '../broker/url.js';
import { RegressionModel } from '../../learners/regression-model.js';
import { loadAnyModel, type AnyModel } from '../persist/model-dir.js';
import { csvFeatureRows, type FeatureRow } from '../files/csv.js';
import { inputFormatOf } from '../files/file-source.js';
import { jsonlFeatureRows } from '../files/jsonl.js';
import { writeOut } from './format.js';
import type { OutputFormat, PredictFlags } from './predict.js';

/** Rows predicted together: large enough to amortise the call, small enough to stream. */
const CHUNK = 1024;

/** `streamlearn predict`: a prediction and the class probabilities for every input row, streamed. */
export async function runPredict(flags: PredictFlags): Promise<void> {
  // A model directory or a registry reference, holding a classifier or a regressor.
  const model: AnyModel = isNatsUrl(flags.model) ? await loadAnyModelFrom(flags.model) : await loadAnyModel(flags.model);
  const inputFormat = inputFormatOf(flags.input, flags.inputFormat);
  const features = model.schema.features;
  // Category names map to the model's codes; empty cells are missing values when the model imputes them.
  const read = { categories: model.schema.categories, missing: model.acceptsMissing, maxLineBytes: flags.maxLineBytes };
  const rows = inputFormat === 'jsonl' ? jsonlFeatureRows(flags.input, features, read) : csvFeatureRows(flags.input, features, read);
  const classes = model.schema.classes;
  // The header waits for the first rows, so input that fails at once prints nothing.
  const regression = model instanceof RegressionModel;
  const header = flags.format !== 'csv' ? '' : stringify([regression ? ['row', 'prediction'] : ['row', 'prediction', ...classes.map((c) => `p_${c}`)]]);
  let index = 0;
  let chunk: FeatureRow[] = [];
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const lines = model instanceof RegressionModel ? predictValues(model, chunk, index, flags.format) : await predictChunk(model, chunk, index, flags.format);
    await writeOut(process.stdout, index === 0 ? header + lines : lines);
    index += chunk.length;
    chunk = [];
  };
  for await (const row of rows) {
    chunk.push(row);
    if (chunk.length === CHUNK) await flush();
  }
  await flush();
  model.dispose();
}

/** A regressor's predicted value for each row: `row,prediction` lines, or `{"row", "prediction"}` objects. */
function predictValues(model: RegressionModel, rows: FeatureRow[], first: number, format: OutputFormat): string {
  const d = model.schema.features.length;
  const data = new Float64Array(rows.length * d);
  rows.forEach((row, r) => data.set(row.x, r * d));
  const predicted = model.predict({ data, rows: rows.length, cols: d });
  if (format === 'csv') return stringify(Array.from(predicted, (v, r) => [first + r + 1, v]));
  return `${Array.from(predicted, (v, r) => JSON.stringify({ row: first + r + 1, prediction: v })).join('\n')}\n`;
}

async function predictChunk(model: Model, rows: FeatureRow[], first: number, format: OutputFormat): Promise<string> {
  const d = model.schema.features.length;
  const data = new Float64Array(rows.length * d);
  rows.forEach((row, r) => data.set(row.x, r * d));
  const proba = await model.predictProba({ data, rows: rows.length, cols: d });
  const classes = model.schema.classes;
  const k = classes.length;
  const out: (string | number)[][] = [];
  const json: string[] = [];
  for (let r = 0; r < rows.length; r++) {
    const p = Array.from(proba.subarray(r * k, r * k + k));
    const best = p.indexOf(Math.max(...p));
    if (format === 'csv') out.push([first + r + 1, classes[best], ...p]);
    else {
      const probabilities = Object.fromEntries(classes.map((c, i) => [c, p[i]]));
      json.push(JSON.stringify({ row: first + r + 1, prediction: classes[best], probabilities }));
    }
  }
  return format === 'csv' ? stringify(out) : `${json.join('\n')}\n`;
}
