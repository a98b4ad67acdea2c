import { regressorDefinitions } from '../src/learners/regressor-registry.js';
import { describe, expect, it } from 'vitest';
import { argmaxRows } from '../src/learners/contract.js';
import { allocateSlots, mergeKinds, mergeModels } from '../src/learners/merge.js';
import { Model, type TrainingSummary } from '../src/learners/model.js';
import { learnerDefinitions, learnerNames } from '../src/learners/registry.js';
import { synthSource } from '../src/data/synth/registry.js';
import { rowsToBatch, type Batch, type Row, type Schema } from '../src/core/types.js';
import { StreamlearnError } from '../src/core/errors.js';

/** Rows of a synthetic stream as one batch, and its schema. */
async function stream(spec: string, rows: number, seed: number): Promise<{ batch: Batch; schema: Schema }> {
  const source = synthSource(spec, { seed, rows });
  const all: Row[] = [];
  for await (const row of source.rows()) all.push(row);
  return { batch: rowsToBatch(all, source.schema.features.length), schema: source.schema };
}

function slice(batch: Batch, from: number, to: number): Batch {
  const c = batch.x.cols;
  return { x: { data: batch.x.data.slice(from * c, to * c), rows: to - from, cols: c }, y: batch.y.slice(from, to) };
}

function summary(rows: number): TrainingSummary {
  return { dataset: 'test', protocol: 'prequential', rows, batches: 1, accuracy: 0, meanAccuracy: null, stdAccuracy: null, seed: 42, batchSize: rows, testSize: 0, trainedAt: '' };
}

/** A model of `name` that has learned `batch` in pieces of 500 rows, with a summary saying how many. */
async function learned(name: string, schema: Schema, batch: Batch, seed = 42): Promise<Model> {
  const model = await Model.create(name, schema, { seed });
  for (let at = 0; at < batch.x.rows; at += 500) await model.learn(slice(batch, at, Math.min(batch.x.rows, at + 500)));
  model.summary = summary(batch.x.rows);
  return model;
}

async function accuracy(model: Model, batch: Batch): Promise<number> {
  const predicted = await model.predict(batch.x);
  let right = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === batch.y[i]) right++;
  return right / predicted.length;
}

describe('merging saved model states', () => {
  it('merges gaussian-nb exactly: two halves predict as one model on all rows, up to float rounding', async () => {
    const { batch, schema } = await stream('agrawal(function=3)', 20_000, 5);
    const { batch: test } = await stream('agrawal(function=3)', 5_000, 6);
    const whole = await learned('gaussian-nb', schema, batch);
    // Uneven halves, so the parallel formula is exercised with different counts.
    const a = await learned('gaussian-nb', schema, slice(batch, 0, 7_000));
    const b = await learned('gaussian-nb', schema, slice(batch, 7_000, 20_000));
    const { model, kind, rows } = await mergeModels([
      { model: a, label: 'a' },
      { model: b, label: 'b' },
    ]);
    expect(kind).toBe('exact');
    expect(rows).toEqual([7_000, 13_000]);
    expect(model.summary?.rows).toBe(20_000);
    const state = (await model.learner.saveState()).json as { counts: number[]; means: number[]; m2: number[]; totalCount: number };
    const wholeState = (await whole.learner.saveState()).json as typeof state;
    // Counts add exactly; means and sums of squares agree to about 1e-12 relative (Chan's formula
    // and Welford's running update round differently, never more).
    expect(state.counts).toEqual(wholeState.counts);
    expect(state.totalCount).toBe(20_000);
    state.means.forEach((m, i) => expect(Math.abs(m - wholeState.means[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(wholeState.means[i]))));
    state.m2.forEach((m, i) => expect(Math.abs(m - wholeState.m2[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(wholeState.m2[i]))));
    const p = await model.predictProba(test.x);
    const q = await whole.predictProba(test.x);
    let worst = 0;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - q[i]));
    expect(worst).toBeLessThan(1e-9);
    expect(Array.from(argmaxRows(p, 2))).toEqual(Array.from(argmaxRows(q, 2)));
  });

  it('merges the standard scaler exactly and averages softmax-regression by rows learned', async () => {
    const { batch, schema } = await stream('sea(noise-percentage=10)', 30_000, 11);
    const { batch: test } = await stream('sea(noise-percentage=10)', 10_000, 12);
    const whole = await learned('softmax-regression', schema, batch);
    const a = await learned('softmax-regression', schema, slice(batch, 0, 10_000));
    const b = await learned('softmax-regression', schema, slice(batch, 10_000, 30_000));
    const { model, kind, notes } = await mergeModels([
      { model: a, label: 'a' },
      { model: b, label: 'b' },
    ]);
    expect(kind).toBe('weighted average');
    expect(notes.join(' ')).toContain('10000, 20000');
    const scaler = model.steps[0].getState() as { count: number; mean: number[]; m2: number[] };
    const wholeScaler = whole.steps[0].getState() as typeof scaler;
    expect(scaler.count).toBe(30_000);
    scaler.mean.forEach((m, j) => expect(m).toBeCloseTo(wholeScaler.mean[j], 9));
    scaler.m2.forEach((m, j) => expect(Math.abs(m - wholeScaler.m2[j]) / wholeScaler.m2[j]).toBeLessThan(1e-12));
    // The weights: a third of a's and two thirds of b's.
    const wa = (await a.learner.saveState()).json as { weights: number[] };
    const wb = (await b.learner.saveState()).json as { weights: number[] };
    const wm = (await model.learner.saveState()).json as { weights: number[] };
    wm.weights.forEach((w, i) => expect(w).toBeCloseTo(wa.weights[i] / 3 + (2 * wb.weights[i]) / 3, 12));
    expect(Math.abs((await accuracy(model, test)) - (await accuracy(whole, test)))).toBeLessThan(0.02);
  });

  it('pools ensemble members: slots in proportion to rows learned, the most accurate members of each replica first', async () => {
    const { batch, schema } = await stream('sea(noise-percentage=10)', 6_000, 3);
    const { batch: test } = await stream('sea(noise-percentage=10)', 3_000, 4);
    const params = { ensembleSize: 4 };
    const make = async (part: Batch, seed: number): Promise<Model> => {
      const m = await Model.create('adaptive-random-forest', schema, { seed, params });
      await m.learn(part);
      m.summary = summary(part.x.rows);
      return m;
    };
    const a = await make(slice(batch, 0, 1_500), 1);
    const b = await make(slice(batch, 1_500, 6_000), 2);
    const { model, kind } = await mergeModels([
      { model: a, label: 'a' },
      { model: b, label: 'b' },
    ]);
    expect(kind).toBe('pooled members');
    const members = ((await model.learner.saveState()).json as { members: { index: number; seen: number }[] }).members;
    expect(members.map((m) => m.index)).toEqual([0, 1, 2, 3]);
    // 1,500 rows against 4,500: one slot for a, three for b.
    expect(members.map((m) => m.seen)).toEqual([1_500, 4_500, 4_500, 4_500]);
    expect(await accuracy(model, test)).toBeGreaterThan(0.8);
    const bags = await mergeModels([
      { model: await learned('online-bagging', schema, slice(batch, 0, 3_000), 1), label: 'a' },
      { model: await learned('online-bagging', schema, slice(batch, 3_000, 6_000), 2), label: 'b' },
    ]);
    expect(((await bags.model.learner.saveState()).json as { members: unknown[] }).members).toHaveLength(10);
    expect(await accuracy(bags.model, test)).toBeGreaterThan(0.8);
  });

  it('takes each learner\'s rule from its definition: every learner merges by its kind or refuses with its reason', async () => {
    expect(mergeKinds).toEqual({
      'gaussian-nb': 'exact',
      'majority-class': 'exact',
      'softmax-regression': 'weighted average',
      perceptron: 'weighted average',
      'passive-aggressive': 'weighted average',
      mlp: 'weighted average',
      'adaptive-random-forest': 'pooled members',
      'streaming-random-patches': 'pooled members',
      'online-bagging': 'pooled members',
      'leveraging-bagging': 'pooled members',
      'forest-ensemble': 'pooled members',
      knn: 'interleaved windows',
      'hoeffding-tree': null,
      'hoeffding-adaptive-tree': null,
      'extremely-fast-decision-tree': null,
      'no-change': null,
      'online-boosting': null,
      'mean-regressor': 'exact',
      'linear-regression': 'weighted average',
      'passive-aggressive-regressor': 'weighted average',
      'knn-regressor': 'interleaved windows',
      'adaptive-random-forest-regressor': 'pooled members',
      'bagging-regressor': 'pooled members',
      'hoeffding-tree-regressor': null,
      'hoeffding-adaptive-tree-regressor': null,
    });
    for (const def of [...learnerDefinitions, ...regressorDefinitions]) {
      expect(def.merge, def.name).toBeDefined();
      if (def.merge?.kind === null) expect(def.merge.reason.length, def.name).toBeGreaterThan(20);
    }
  });

  it('allocates slots by largest remainders, and gives slots a replica cannot fill to the others', () => {
    expect(allocateSlots(10, [0.5, 0.5], [10, 10])).toEqual([5, 5]);
    expect(allocateSlots(10, [0.3, 0.7], [10, 10])).toEqual([3, 7]);
    // A tie of remainders goes to the heavier replica.
    expect(allocateSlots(10, [0.25, 0.75], [10, 10])).toEqual([2, 8]);
    expect(allocateSlots(10, [0.9, 0.1], [3, 10])).toEqual([3, 7]);
    expect(allocateSlots(10, [0.5, 0.5], [2, 3])).toEqual([2, 3]);
  });

  // Exact and averaging merges are idempotent; pooling and windows are not (a replica's members, or rows, twice).
  it.each(learnerNames.filter((n) => (mergeKinds[n] === 'exact' || mergeKinds[n] === 'weighted average') && n !== 'mlp'))('%s: a model merged with itself predicts as it does', async (name) => {
    const { batch, schema } = await stream('sea(noise-percentage=10)', 2_000, 7);
    const model = await learned(name, schema, batch);
    const { model: merged } = await mergeModels([
      { model, label: 'a' },
      { model, label: 'b' },
    ]);
    const p = await model.predictProba(batch.x);
    const q = await merged.predictProba(batch.x);
    expect(Array.from(argmaxRows(q, 2))).toEqual(Array.from(argmaxRows(p, 2)));
  });

  it('averages mlp networks tensor by tensor: a network merged with itself is itself', async () => {
    const { batch, schema } = await stream('sea(noise-percentage=10)', 1_000, 8);
    const model = await learned('mlp', schema, batch);
    const { model: merged } = await mergeModels([
      { model, label: 'a' },
      { model, label: 'b' },
    ]);
    const p = await model.predictProba(slice(batch, 0, 200).x);
    const q = await merged.predictProba(slice(batch, 0, 200).x);
    p.forEach((v, i) => expect(q[i]).toBeCloseTo(v, 6));
    model.dispose();
    merged.dispose();
  });

  it('refuses, in one line, learners that cannot merge and replicas of different models', async () => {
    const { batch, schema } = await stream('sea', 600, 1);
    const tree = await learned('hoeffding-tree', schema, batch);
    const refusal = mergeModels([
      { model: tree, label: 'a' },
      { model: tree, label: 'b' },
    ]);
    await expect(refusal).rejects.toThrow(StreamlearnError);
    await expect(refusal).rejects.toThrow(/hoeffding-tree models cannot be merged.*adaptive-random-forest/);
    const nb = await learned('gaussian-nb', schema, batch);
    await expect(
      mergeModels([
        { model: nb, label: 'models/a' },
        { model: await learned('softmax-regression', schema, batch), label: 'models/b' },
      ]),
    ).rejects.toThrow('merge: models/b is a softmax-regression model and models/a a gaussian-nb one; only replicas of one model merge');
    const other = await learned('gaussian-nb', { ...schema, classes: [...schema.classes].reverse() }, batch);
    await expect(
      mergeModels([
        { model: nb, label: 'a' },
        { model: other, label: 'b' },
      ]),
    ).rejects.toThrow(/different classes or class order/);
    const noSummary = await learned('softmax-regression', schema, batch);
    noSummary.summary = null;
    await expect(
      mergeModels([
        { model: noSummary, label: 'x' },
        { model: await learned('softmax-regression', schema, batch), label: 'y' },
      ]),
    ).rejects.toThrow(/x has no training summary/);
  });
});
