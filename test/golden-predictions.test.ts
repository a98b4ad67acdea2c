// The guard for speed work: the same seed must give the very same predictions,
// bit for bit, before and after any change to a hot path.
//
// For every deterministic learner cheap enough to run here, on small seeded
// synthetic streams, this records the SHA-256 of the probabilities it gave
// (the Float64Array bytes, in row order) under two protocols, the
// accuracy, and the SHA-256 of its saved state's JSON at the end:
//   prequential  Model.learnScored over batches of 50 rows (test then train);
//   batch        Model.predictProba over each 50-row batch, then Model.learn.
// A change that reorders a floating-point sum changes a hash: that is not
// allowed for speed work; find an equivalent formulation instead.
//
// The fixture was generated from the code before the speed work (issue 6).
// Regenerate it ONLY for a deliberate change of results:
//   GOLDEN_UPDATE=1 npx vitest run test/golden-predictions.test.ts
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Batch, Row, Schema } from '../src/core/types.js';
import { rowsToBatch } from '../src/core/types.js';
import { datasetSource } from '../src/node/files/datasets.js';
import { synthSource } from '../src/data/synth/registry.js';
import { prequential } from '../src/eval/prequential.js';
import { argmaxRows, type Classifier } from '../src/learners/contract.js';
import { Model } from '../src/learners/model.js';
import { learnerDefinition, type LearnerName } from '../src/learners/registry.js';
import { resolveParams } from '../src/core/params.js';
import { batches } from '../src/stream/batch.js';

const FIXTURE = new URL('./fixtures/golden-predictions.json', import.meta.url);
const UPDATE = process.env.GOLDEN_UPDATE === '1';
const BATCH = 50;
const SEED = 7;

interface StreamCase {
  readonly name: string;
  readonly load: () => Promise<{ schema: Schema; rows: Row[] }>;
  /** The schema starts with one class and learns the others as they arrive, as the pipeline's does. */
  readonly growing?: boolean;
  /** Values are missing (NaN), and the learner gets them as they are: no preprocessing (no imputer). */
  readonly raw?: boolean;
}

async function collect(source: { schema: Schema; rows(): AsyncIterable<Row> }): Promise<{ schema: Schema; rows: Row[] }> {
  const rows: Row[] = [];
  for await (const row of source.rows()) rows.push(row);
  return { schema: source.schema, rows };
}

const synth = (spec: string, rows: number) => () => collect(synthSource(spec, { seed: SEED, rows }));

/** Every 7th value (row-major) made NaN, and the schema told that values may be missing. */
function withMissing({ schema, rows }: { schema: Schema; rows: Row[] }): { schema: Schema; rows: Row[] } {
  let i = 0;
  const out = rows.map((row) => {
    const x = Float64Array.from(row.x);
    for (let j = 0; j < x.length; j++) if (i++ % 7 === 3) x[j] = NaN;
    return { ...row, x };
  });
  return { schema: { ...schema, missing: true }, rows: out };
}

const streams: Record<string, StreamCase> = {
  // Numeric, two classes, label noise.
  sea: { name: 'sea', load: synth('sea(function=1,noise-percentage=10)', 3000) },
  // Three nominal features (split multiway by the trees) and an abrupt drift in the middle.
  'agrawal-drift': { name: 'agrawal-drift', load: synth('agrawal(function=1)>agrawal(function=2)@2000/1', 4000) },
  // Ten numeric features: ARF's subspaces are smaller than the feature set.
  rbf: { name: 'rbf', load: synth('random-rbf', 2000) },
  // Ten classes, seven binary nominal features.
  led: { name: 'led', load: synth('led', 1500) },
  // A bundled set in file order: the classes arrive one after another.
  iris: { name: 'iris', load: async () => collect(await datasetSource('iris')) },
  // SEA with about 10% of the values missing, for the trees (a missing value follows the heaviest branch).
  'sea-missing': { name: 'sea-missing', load: async () => withMissing(await synth('sea(function=1,noise-percentage=10)', 3000)()), raw: true },
  // The same, the model made knowing only the first class: every learner meets new classes mid-stream.
  'iris-growing': { name: 'iris-growing', load: async () => collect(await datasetSource('iris')), growing: true },
};

interface LearnerCase {
  readonly learner: string;
  readonly params?: Record<string, string | number>;
  readonly streams: readonly string[];
  /** Protocols run; 'prequential' needs a learner that learns row by row cheaply. */
  readonly protocols: readonly ('prequential' | 'batch')[];
}

const all = ['sea', 'agrawal-drift', 'rbf', 'led', 'iris', 'iris-growing'];
const both = ['prequential', 'batch'] as const;
const learners: readonly LearnerCase[] = [
  { learner: 'gaussian-nb', streams: all, protocols: both },
  { learner: 'hoeffding-tree', streams: all, protocols: both },
  { learner: 'hoeffding-tree', streams: ['sea-missing'], protocols: both },
  { learner: 'hoeffding-adaptive-tree', streams: ['sea-missing'], protocols: ['prequential'] },
  { learner: 'adaptive-random-forest', streams: ['sea-missing'], protocols: ['prequential'] },
  { learner: 'hoeffding-tree', params: { 'leaf-prediction': 'nb', 'split-criterion': 'gini', 'grace-period': 50 }, streams: ['sea', 'agrawal-drift', 'led'], protocols: ['prequential'] },
  { learner: 'hoeffding-tree', params: { 'leaf-prediction': 'mc', 'max-byte-size': 4096, 'memory-estimate-period': 500, 'grace-period': 50 }, streams: ['sea', 'agrawal-drift', 'rbf'], protocols: ['prequential'] },
  { learner: 'hoeffding-adaptive-tree', streams: all, protocols: both },
  { learner: 'hoeffding-adaptive-tree', params: { 'bootstrap-sampling': 'off', 'grace-period': 50 }, streams: ['sea', 'agrawal-drift'], protocols: ['prequential'] },
  { learner: 'adaptive-random-forest', streams: all, protocols: both },
  { learner: 'adaptive-random-forest', params: { 'ensemble-size': 3, 'weighted-vote': 'off', 'leaf-prediction': 'nb' }, streams: ['sea', 'agrawal-drift'], protocols: ['prequential'] },
  // The defaults (100 members) on two streams; ten members on every one.
  { learner: 'streaming-random-patches', streams: ['sea', 'agrawal-drift'], protocols: ['prequential'] },
  { learner: 'streaming-random-patches', params: { 'ensemble-size': 10 }, streams: all, protocols: both },
  { learner: 'streaming-random-patches', params: { 'ensemble-size': 10 }, streams: ['sea-missing'], protocols: ['prequential'] },
  { learner: 'streaming-random-patches', params: { 'ensemble-size': 5, 'training-method': 'random-subspaces', 'weighted-vote': 'off', 'leaf-prediction': 'nb' }, streams: ['sea', 'agrawal-drift'], protocols: ['prequential'] },
  { learner: 'streaming-random-patches', params: { 'ensemble-size': 5, 'training-method': 'resampling', 'background-learner': 'off' }, streams: ['agrawal-drift', 'led'], protocols: ['prequential'] },
  { learner: 'extremely-fast-decision-tree', streams: all, protocols: both },
  { learner: 'online-boosting', streams: all, protocols: both },
  { learner: 'online-boosting', params: { base: 'gaussian-nb', 'ensemble-size': 3 }, streams: ['sea', 'led'], protocols: ['prequential'] },
  { learner: 'online-boosting', params: { 'drift-detector': 'adwin' }, streams: ['sea', 'agrawal-drift', 'led'], protocols: both },
  { learner: 'online-bagging', streams: all, protocols: both },
  { learner: 'online-bagging', params: { base: 'gaussian-nb' }, streams: ['sea', 'led'], protocols: both },
  { learner: 'leveraging-bagging', streams: all, protocols: both },
  { learner: 'leveraging-bagging', params: { base: 'hoeffding-adaptive-tree', 'ensemble-size': 3 }, streams: ['agrawal-drift'], protocols: ['prequential'] },
  { learner: 'softmax-regression', streams: all, protocols: both },
  { learner: 'softmax-regression', params: { optimizer: 'adam', 'mini-batch-size': 0 }, streams: ['sea', 'led'], protocols: ['batch'] },
  { learner: 'perceptron', streams: all, protocols: both },
  { learner: 'passive-aggressive', streams: all, protocols: both },
  { learner: 'knn', streams: all, protocols: both },
  { learner: 'majority-class', streams: all, protocols: both },
  { learner: 'no-change', streams: all, protocols: both },
  // Fits a forest per 500-row chunk (before the first, one on the rows so far every 16 rows): on the
  // short streams. chunk-size 0, a chunk per learned batch, gives what it gave before it had chunks.
  { learner: 'forest-ensemble', streams: ['sea', 'iris'], protocols: ['batch'] },
  { learner: 'forest-ensemble', streams: ['iris'], protocols: ['prequential'] },
  { learner: 'forest-ensemble', params: { 'chunk-size': 0 }, streams: ['sea', 'iris'], protocols: ['batch'] },
  // TensorFlow.js: a few batches only (its wasm startup is the cost).
  { learner: 'mlp', streams: ['iris'], protocols: ['batch'] },
];

interface Golden {
  /** SHA-256 of the probabilities (rows x classes, Float64 little-endian, rows in order). */
  readonly proba: string;
  readonly accuracy: number;
  /** SHA-256 of JSON.stringify of the saved state's JSON after the last row. */
  readonly state: string;
}

function caseKey(c: LearnerCase, stream: string, protocol: string): string {
  const params = c.params ? `(${Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(',')})` : '';
  return `${c.learner}${params} ${stream} ${protocol}`;
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function chunks(rows: readonly Row[], cols: number, size: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rowsToBatch(rows.slice(i, i + size), cols));
  return out;
}

async function runCase(c: LearnerCase, streamName: string, protocol: 'prequential' | 'batch'): Promise<Golden> {
  const stream = streams[streamName];
  const loaded = await stream.load();
  const { rows } = loaded;
  const allClasses = loaded.schema.classes;
  const schema: Schema = stream.growing ? { ...loaded.schema, classes: allClasses.slice(0, 1) } : loaded.schema;
  const model = await Model.create(c.learner, schema, { seed: SEED, params: c.params, ...(stream.raw ? { steps: [] } : {}) });
  const hash = createHash('sha256');
  let right = 0;
  for (const batch of chunks(rows, schema.features.length, BATCH)) {
    // A class first seen in this batch joins the schema before the batch is learned.
    for (const y of batch.y) while (schema.classes.length <= y) schema.classes.push(allClasses[schema.classes.length]);
    const k = schema.classes.length;
    const proba = protocol === 'prequential' ? await model.learnScored(batch) : await model.predictProba(batch.x);
    if (protocol === 'batch') await model.learn(batch);
    hash.update(new Uint8Array(proba.buffer, proba.byteOffset, proba.byteLength));
    const predicted = argmaxRows(proba, k);
    for (let r = 0; r < predicted.length; r++) if (predicted[r] === batch.y[r]) right++;
  }
  const state = await (model.learner as Classifier).saveState();
  model.dispose();
  return { proba: hash.digest('hex'), accuracy: right / rows.length, state: sha256(JSON.stringify(state.json)) };
}

const fixture: Record<string, Golden> = existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Golden>) : {};
const fresh: Record<string, Golden> = {};

describe('golden predictions: the same seed gives the same probabilities, bit for bit', () => {
  for (const c of learners) {
    for (const stream of c.streams) {
      for (const protocol of c.protocols) {
        const key = caseKey(c, stream, protocol);
        it(key, async () => {
          const got = await runCase(c, stream, protocol);
          fresh[key] = got;
          if (UPDATE) return;
          expect(fixture[key], `no golden record for "${key}": regenerate the fixture`).toBeDefined();
          expect(got).toEqual(fixture[key]);
        });
      }
    }
  }

  // prequential() itself, as the bench and the CLI run it (batches of 1,024 rows, with
  // metrics): it must score each row exactly as the 50-row learnScored run above did.
  for (const learner of ['gaussian-nb', 'hoeffding-tree', 'hoeffding-adaptive-tree', 'adaptive-random-forest', 'streaming-random-patches']) {
    for (const stream of ['sea', 'agrawal-drift']) {
      it(`prequential() over 1,024-row batches: ${learner} ${stream}`, async () => {
        const { schema, rows } = await streams[stream].load();
        const model = await Model.create(learner, schema, { seed: SEED });
        async function* source(): AsyncGenerator<Row> {
          yield* rows;
        }
        const result = await prequential(batches(source(), 1024, schema.features.length), model);
        const golden = UPDATE ? fresh[`${learner} ${stream} prequential`] : fixture[`${learner} ${stream} prequential`];
        expect(result.rows).toBe(rows.length);
        expect(result.accuracy).toBe(golden.accuracy);
      });
    }
  }

  it.runIf(UPDATE)('writes the fixture (GOLDEN_UPDATE=1)', () => {
    const sorted = Object.fromEntries(Object.entries(fresh).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    writeFileSync(FIXTURE, `${JSON.stringify(sorted, null, 2)}\n`);
  });
});

// One row at a time (Model.learnOne / predictProbaOne, or their async forms for the learners
// whose work is asynchronous), over plain objects, must give the fixture's probabilities and
// final state to the bit:
//   prequential  each row: predictProbaOne, then learnOne: what learnScored does row by row;
//   batch        each row of a 50-row batch: predictProbaOne (the model as it was before the
//                batch), then the batch learned: by learnOne row by row where learning a batch is
//                learning its rows in turn (no preprocessing step, and a learner that takes a
//                batch row by row), else by Model.learn: a standard scaler learns the whole batch
//                before the learner sees it, softmax-regression, forest-ensemble and mlp learn a
//                batch at once, and the bagging ensembles draw each member's Poisson weights for
//                a batch member by member (per row they come in another order).
// Rows become objects of feature name to value (a category's name where the schema names them,
// null for NaN), and the probability records are read back in the schema's class order.
const learnsRowByRow = new Set(['gaussian-nb', 'hoeffding-tree', 'hoeffding-adaptive-tree', 'adaptive-random-forest', 'streaming-random-patches', 'majority-class', 'no-change']);

type PlainRow = Record<string, number | string | null>;

function plainRow(schema: Schema, x: Float64Array): PlainRow {
  const out: PlainRow = {};
  schema.features.forEach((f, j) => {
    const names = schema.categories?.[j];
    out[f] = Number.isNaN(x[j]) ? null : names ? names[x[j]] : x[j];
  });
  return out;
}

async function runCaseOneRow(c: LearnerCase, streamName: string, protocol: 'prequential' | 'batch'): Promise<Golden> {
  const stream = streams[streamName];
  const loaded = await stream.load();
  const { rows } = loaded;
  const allClasses = loaded.schema.classes;
  const schema: Schema = { ...loaded.schema, classes: stream.growing ? allClasses.slice(0, 1) : [...allClasses] };
  const model = await Model.create(c.learner as LearnerName, schema, { seed: SEED, params: c.params as never, ...(stream.raw ? { steps: [] } : {}) });
  const sync = model.synchronous;
  const proba = (x: PlainRow) => (sync ? Promise.resolve(model.predictProbaOne(x)) : model.predictProbaOneAsync(x));
  const learn = (x: PlainRow, y: string) => (sync ? Promise.resolve(model.learnOne(x, y)) : model.learnOneAsync(x, y));
  const hash = createHash('sha256');
  let right = 0;
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    // As the batch runs: a class first seen in this batch joins the schema before the batch.
    for (const row of batch) while (schema.classes.length <= row.y) schema.classes.push(allClasses[schema.classes.length]);
    const k = schema.classes.length;
    const out = new Float64Array(batch.length * k);
    const objects = batch.map((row) => plainRow(schema, row.x));
    for (let r = 0; r < batch.length; r++) {
      const p = await proba(objects[r]);
      expect(Object.keys(p)).toEqual(schema.classes);
      schema.classes.forEach((name, i) => (out[r * k + i] = p[name]));
      if (protocol === 'prequential') await learn(objects[r], allClasses[batch[r].y]);
    }
    if (protocol === 'batch') {
      if (learnsRowByRow.has(c.learner) && model.steps.length === 0) for (let r = 0; r < batch.length; r++) await learn(objects[r], allClasses[batch[r].y]);
      else await model.learn(rowsToBatch(batch, schema.features.length));
    }
    hash.update(new Uint8Array(out.buffer));
    const predicted = argmaxRows(out, k);
    for (let r = 0; r < predicted.length; r++) if (predicted[r] === batch[r].y) right++;
  }
  const state = await (model.learner as Classifier).saveState();
  model.dispose();
  return { proba: hash.digest('hex'), accuracy: right / rows.length, state: sha256(JSON.stringify(state.json)) };
}

describe('golden predictions, one row at a time: learnOne / predictProbaOne give the fixture to the bit', () => {
  for (const c of learners) {
    for (const stream of c.streams) {
      for (const protocol of c.protocols) {
        const key = caseKey(c, stream, protocol);
        it.skipIf(UPDATE)(key, async () => {
          expect(fixture[key], `no golden record for "${key}"`).toBeDefined();
          expect(await runCaseOneRow(c, stream, protocol)).toEqual(fixture[key]);
        });
      }
    }
  }
});

// batches() takes a generator's rows straight into the batch (FillRows, nextInto): the very rows,
// bit for bit, that the row-by-row path gives (which the predictions above pin down).
describe('generated rows are the same through batches() as one by one', () => {
  const specs = [
    'sea(function=1,noise-percentage=10)',
    'sea(balance-classes=on)',
    'random-rbf',
    'random-rbf-drift(speed-change=0.001)',
    'agrawal(function=1)>agrawal(function=2)@700/1',
    'agrawal(function=3,balance-classes=on)>agrawal(function=5)@500/300',
    'hyperplane',
    'led-drift',
    'stagger(function=1)>stagger(function=3)@600/100',
    'sine',
  ];
  for (const spec of specs) {
    it(spec, async () => {
      const { schema, rows } = await collect(synthSource(spec, { seed: SEED, rows: 1500 }));
      const one = rowsToBatch(rows, schema.features.length);
      const data: number[] = [];
      const y: number[] = [];
      // 1,500 rows in batches of 64: full batches and a last, partial one.
      for await (const b of batches(synthSource(spec, { seed: SEED, rows: 1500 }).rows(), 64, schema.features.length)) {
        expect(b.x.data.length).toBe(b.x.rows * b.x.cols);
        data.push(...b.x.data);
        y.push(...b.y);
      }
      // Compared as bytes: bit for bit, -0 and NaN included.
      expect(Buffer.from(Float64Array.from(data).buffer).equals(Buffer.from(one.x.data.buffer))).toBe(true);
      expect(Int32Array.from(y)).toEqual(one.y);
    });
  }
});

// Parameters given to a learner must be ones its registry entry knows, or the case tests nothing new.
describe('golden cases are well formed', () => {
  it('every case names known parameters', () => {
    for (const c of learners) expect(() => resolveParams(learnerDefinition(c.learner), c.params)).not.toThrow();
  });
});
