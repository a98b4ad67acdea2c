import { describe, expect, it } from 'vitest';
import { Random } from '../src/core/random.js';
import type { Json } from '../src/core/state.js';
import type { Batch } from '../src/core/types.js';
import { argmaxRows, type LearnerContext } from '../src/learners/contract.js';
import { mergeModels } from '../src/learners/merge.js';
import { Model } from '../src/learners/model.js';
import { srpSubspaces, srpSubspaceSize, StreamingRandomPatches, type StreamingRandomPatchesParams } from '../src/learners/streaming-random-patches.js';
import { sliceRows, synthBatch } from './helpers.js';

interface SavedMember {
  index: number;
  seen: number;
  main: { features: number[] | null; tree: { root: { kind: string } } };
  background: unknown;
}
interface Saved {
  nFeatures: number;
  k: number;
  members: SavedMember[];
}

const saved = (srp: StreamingRandomPatches): Saved => srp.saveState().json as unknown as Saved;
const roundTrip = (srp: StreamingRandomPatches): Json => JSON.parse(JSON.stringify(srp.saveState().json)) as Json;

function accuracyOf(proba: Float64Array, y: Int32Array, k: number): number {
  const predicted = argmaxRows(proba, k);
  let right = 0;
  for (let r = 0; r < y.length; r++) if (predicted[r] === y[r]) right++;
  return right / y.length;
}

/** Rows of d uniform features whose class is whether feature 0 passes 0.5: only feature 0 tells. */
function firstFeatureTells(rows: number, d: number, seed: number): Batch {
  const rng = new Random(seed);
  const data = new Float64Array(rows * d);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) data[r * d + j] = rng.next();
    y[r] = data[r * d] > 0.5 ? 1 : 0;
  }
  return { x: { data, rows, cols: d }, y };
}

describe('streaming-random-patches', () => {
  // Measured (10 members, seed 2 for the stream and the learner): 0.8609. The same run with one
  // member gives 0.584, with resampling (every feature, no subspaces) 0.677, with random subspaces
  // alone (weight 1) 0.810, with votes not weighted 0.830. MOA's SRP (-s 10) averages 83.1 over
  // generator seeds 1 to 5 on this stream; this learner 82.4 over seeds 1 to 5.
  it('learns Agrawal 1 -> 2 with an abrupt drift at row 10,000 (20,000 rows, seed 2) above 0.85, replacing members mostly after the drift', async () => {
    const { ctx, batch } = await synthBatch('agrawal(function=1)>agrawal(function=2)@10000/1', 20_000, 2);
    const srp = new StreamingRandomPatches(ctx, { ensembleSize: 10 });
    let right = 0;
    let before = 0;
    for (let at = 0; at < 20_000; at += 1_000) {
      const part = sliceRows(batch, at, at + 1_000);
      right += accuracyOf(srp.learnScored(part), part.y, srp.nClasses) * 1_000;
      if (at + 1_000 === 10_000) before = srp.drifts;
    }
    // Measured 0.892, with 5 replacements before the change and 16 after. The detectors read a
    // member's verdict on a row once it has learned it (as MOA's): optimistic while a young tree's
    // leaves hold few rows, so its error seems to rise as it grows, and a few members are replaced early.
    expect(right / 20_000).toBeGreaterThan(0.85);
    expect(srp.drifts - before).toBeGreaterThanOrEqual(Math.max(10, 2 * before));
    expect(srp.warnings).toBeGreaterThanOrEqual(5);
  });

  it('gives each member one subspace for its life: 60% of the features, the same after learning, and its tree reads those features only', () => {
    const d = 5;
    const ctx: LearnerContext = { nFeatures: d, nClasses: 2, seed: 3 };
    // Two features of five: C(5, 2) = 10 subspaces for 20 members, each taken twice.
    const srp = new StreamingRandomPatches(ctx, { ensembleSize: 20, subspaceMode: 'count', subspaceSize: 2 });
    const before = srp.subspaces().map((s) => Array.from(s).join(','));
    expect(before.every((s) => s.split(',').length === 2)).toBe(true);
    const counts = new Map<string, number>();
    for (const s of before) counts.set(s, (counts.get(s) ?? 0) + 1);
    expect(counts.size).toBe(10);
    expect([...counts.values()].every((n) => n === 2)).toBe(true);

    srp.learn(firstFeatureTells(3_000, d, 4));
    expect(srp.drifts).toBe(0);
    expect(srp.subspaces().map((s) => Array.from(s).join(','))).toEqual(before);

    // Each member alone: with feature 0 in its subspace it learned the concept; without, it cannot have.
    const test = firstFeatureTells(2_000, d, 5);
    const state = saved(srp);
    for (const member of state.members) {
      const alone = StreamingRandomPatches.restore(ctx, { ensembleSize: 1, subspaceMode: 'count', subspaceSize: 2 }, { json: { ...state, members: [member] } as unknown as Json });
      const accuracy = accuracyOf(alone.predictProba(test.x), test.y, 2);
      if (member.main.features!.includes(0)) expect(accuracy, `member ${member.index}`).toBeGreaterThan(0.95);
      else expect(accuracy, `member ${member.index}`).toBeLessThan(0.6);
    }
  });

  it('draws a new subspace of the same size for a tree that replaces a member after a drift', async () => {
    const { ctx, batch } = await synthBatch('agrawal(function=1)>agrawal(function=2)@5000/1', 10_000, 2);
    const srp = new StreamingRandomPatches(ctx, { ensembleSize: 10 });
    const before = srp.subspaces().map((s) => Array.from(s).join(','));
    srp.learn(batch);
    const after = saved(srp).members;
    const replaced = after.filter((m, i) => m.main.features!.join(',') !== before[i]);
    expect(srp.drifts).toBeGreaterThan(0);
    expect(replaced.length).toBeGreaterThan(0);
    for (const m of after) expect(m.main.features).toHaveLength(srp.subspaceSize);
    expect(srp.subspaceSize).toBe(5);
  });

  it('saved and restored (through JSON text): the same probabilities to the bit, background trees included, and learns on identically', async () => {
    const { ctx, batch } = await synthBatch('agrawal(function=1)>agrawal(function=2)@2000/1', 6_000, 2);
    const srp = new StreamingRandomPatches(ctx, { ensembleSize: 10 });
    // Learn until some member grows a background tree, so that one is saved too.
    let at = 0;
    while (at < 4_000 && !saved(srp).members.some((m) => m.background !== null)) {
      srp.learn(sliceRows(batch, at, at + 50));
      at += 50;
    }
    expect(saved(srp).members.some((m) => m.background !== null)).toBe(true);
    const loaded = StreamingRandomPatches.restore(ctx, { ensembleSize: 10 }, { json: roundTrip(srp) });
    expect(JSON.stringify(loaded.saveState().json)).toBe(JSON.stringify(srp.saveState().json));
    const test = sliceRows(batch, 4_000, 6_000);
    expect(loaded.predictProba(test.x)).toEqual(srp.predictProba(test.x));
    const rest = sliceRows(batch, at, 6_000);
    expect(loaded.learnScored(rest)).toEqual(srp.learnScored(rest));
    expect(JSON.stringify(loaded.saveState().json)).toBe(JSON.stringify(srp.saveState().json));
    expect(loaded.drifts).toBe(srp.drifts);
  });

  it('is the same model from the same seed, and draws other subspaces from another', async () => {
    const { ctx, batch } = await synthBatch('random-rbf', 2_000, 7);
    const make = (seed: number): StreamingRandomPatches => {
      const srp = new StreamingRandomPatches({ ...ctx, seed }, { ensembleSize: 10 });
      srp.learn(batch);
      return srp;
    };
    const a = make(7);
    const b = make(7);
    expect(JSON.stringify(a.saveState().json)).toBe(JSON.stringify(b.saveState().json));
    expect(a.subspaces().map((s) => s.join(','))).not.toEqual(make(8).subspaces().map((s) => s.join(',')));
  });

  it('merges replicas by pooling members: slots by rows learned, each member with its own subspace', async () => {
    const { batch } = await synthBatch('random-rbf', 8_000, 11);
    const source = { features: Array.from({ length: 10 }, (_, j) => `x${j}`), classes: ['a', 'b'], label: 'y' };
    const params = { ensembleSize: 6 };
    const make = async (part: Batch, seed: number): Promise<Model> => {
      const m = await Model.create('streaming-random-patches', source, { seed, params });
      await m.learn(part);
      m.summary = { dataset: 'test', protocol: 'prequential', rows: part.x.rows, batches: 1, accuracy: 0, meanAccuracy: null, stdAccuracy: null, seed, batchSize: part.x.rows, testSize: 0, trainedAt: '' };
      return m;
    };
    const a = await make(sliceRows(batch, 0, 1_500), 1);
    const b = await make(sliceRows(batch, 1_500, 6_000), 2);
    const { model, kind } = await mergeModels([
      { model: a, label: 'a' },
      { model: b, label: 'b' },
    ]);
    expect(kind).toBe('pooled members');
    const merged = (await model.learner.saveState()).json as unknown as Saved;
    expect(merged.members.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5]);
    // 1,500 rows against 4,500 for six slots: 1.5 and 4.5, the tie of remainders to the heavier.
    expect(merged.members.map((m) => m.seen)).toEqual([1_500, 4_500, 4_500, 4_500, 4_500, 4_500]);
    const subspacesOf = async (m: Model): Promise<string[]> => ((await m.learner.saveState()).json as unknown as Saved).members.map((s) => s.main.features!.join(','));
    const fromA = await subspacesOf(a);
    const fromB = await subspacesOf(b);
    const mergedSubspaces = merged.members.map((m) => m.main.features!.join(','));
    expect(fromA).toContain(mergedSubspaces[0]);
    for (const s of mergedSubspaces.slice(1)) expect(fromB).toContain(s);
    const test = sliceRows(batch, 6_000, 8_000);
    const accuracy = accuracyOf(await model.predictProba(test.x), test.y, 2);
    expect(accuracy).toBeGreaterThan(0.8);
  });

  it('works out the subspace size as MOA does', () => {
    // 60% of SEA's 3, Agrawal's 9, RandomRBF's 10 features; a share of one feature takes one more.
    expect(srpSubspaceSize(3, 'percentage', 60)).toBe(2);
    expect(srpSubspaceSize(9, 'percentage', 60)).toBe(5);
    expect(srpSubspaceSize(10, 'percentage', 60)).toBe(6);
    expect(srpSubspaceSize(5, 'percentage', 10)).toBe(2);
    // Negative: d minus it.
    expect(srpSubspaceSize(10, 'percentage', -30)).toBe(7);
    expect(srpSubspaceSize(10, 'count', -2)).toBe(8);
    expect(srpSubspaceSize(10, 'count', 1)).toBe(2);
    expect(srpSubspaceSize(16, 'sqrt', 0)).toBe(5);
    expect(srpSubspaceSize(16, 'd-minus-sqrt', 0)).toBe(11);
    // None, or not fewer than d: every feature (resampling).
    expect(srpSubspaceSize(2, 'percentage', 60)).toBe(2);
    expect(srpSubspaceSize(10, 'count', 0)).toBe(10);
    expect(srpSubspaceSize(10, 'count', 12)).toBe(10);
    const all = new StreamingRandomPatches({ nFeatures: 4, nClasses: 2, seed: 1 }, { ensembleSize: 3, trainingMethod: 'resampling' });
    expect(all.subspaces().map((s) => Array.from(s))).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
  });

  it('draws distinct first subspaces while there are enough, else every one as evenly as the members allow', () => {
    const distinct = srpSubspaces(10, 6, 10, new Random(1));
    expect(new Set(distinct.map((s) => s.join(','))).size).toBe(10);
    for (const s of distinct) {
      expect(s).toHaveLength(6);
      for (let j = 1; j < s.length; j++) expect(s[j]).toBeGreaterThan(s[j - 1]);
    }
    // C(3, 2) = 3 subspaces for 10 members: 4, 3 and 3 of them.
    const few = srpSubspaces(3, 2, 10, new Random(1));
    const counts = new Map<string, number>();
    for (const s of few) counts.set(s.join(','), (counts.get(s.join(',')) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['0,1', '0,2', '1,2']);
    expect([...counts.values()].sort()).toEqual([3, 3, 4]);
  });

  it('refuses a saved state whose subspaces or trees do not fit the schema, naming the field', async () => {
    const { ctx, batch } = await synthBatch('sea', 1_000, 1);
    const params: Partial<StreamingRandomPatchesParams> = { ensembleSize: 3 };
    const srp = new StreamingRandomPatches(ctx, params);
    srp.learn(batch);
    const restoreWith = (edit: (s: Saved) => void, context: LearnerContext = ctx): (() => StreamingRandomPatches) => {
      const s = roundTrip(srp) as unknown as Saved;
      edit(s);
      return () => StreamingRandomPatches.restore(context, params, { json: s as unknown as Json });
    };
    expect(restoreWith(() => undefined)).not.toThrow();
    expect(restoreWith((s) => (s.members[1].main.features = [0, 3]))).toThrow(
      /^streaming-random-patches: saved state's members\.1\.main\.features holds feature 3, but the schema and preprocessing give 3 features$/,
    );
    expect(restoreWith((s) => (s.members[0].main.features = [2, 1]))).toThrow(/^streaming-random-patches: saved state's members\.0\.main\.features is not ascending and distinct at 1$/);
    expect(restoreWith((s) => (s.members[0].main.features = [1]))).toThrow(/^streaming-random-patches: saved state's members\.0\.main\.tree splits on feature 1, but its subspace has 1 features$/);
    expect(restoreWith((s) => (s.members[2].main.features = 'all' as never))).toThrow(/^streaming-random-patches: saved state is invalid at members\.2\.main\.features: expected array, received string$/);
    expect(restoreWith(() => undefined, { ...ctx, nFeatures: 4 })).toThrow(/^streaming-random-patches: saved state's nFeatures is 3, but the schema and preprocessing give 4 features$/);
  });
});
