import { z } from 'zod';
import { fail } from '../core/errors.js';
import { numbers, parseState, type Json } from '../core/state.js';
import type { Schema } from '../core/types.js';
import { schemaColumns } from '../preprocess/contract.js';
import { restoreSteps } from '../preprocess/registry.js';
import type { LearnerState, Params } from './contract.js';
import { learnerContext, Model, type TrainingSummary } from './model.js';
import { learnerDefinition } from './registry.js';
import { gaussianNBStateSchema } from './naive-bayes.js';
import { baggingStateSchema } from './bagging.js';

/**
 * Merging replicas of one model, learned apart on parts of a stream (by
 * workers sharing a consumer), into one model. Everything happens on saved
 * states (each learner's saveState() JSON and each step's getState()), and
 * the merged state is restored by the learner's own restore, so the learner
 * classes know nothing of it.
 *
 * Rules, by learner:
 * - exact (the merged model is the one that would have learned all rows):
 *   gaussian-nb (per class and feature counts, means and squared deviations,
 *   combined by Chan, Golub & LeVeque's parallel formula), majority-class
 *   (counts); the steps standard-scaler (Chan), min-max-scaler (min and max),
 *   impute-mean and impute-mode (means by count, value counts added).
 * - weighted parameter averaging, weights the rows each replica learned:
 *   softmax-regression, perceptron, passive-aggressive (weights, and the
 *   optimizer's moments), mlp (every float32 tensor of the network and its
 *   Adam state, by position; iteration counters from the heaviest replica).
 *   Replicas should start from the same seed (workers do), so they start
 *   from the same weights, as federated averaging assumes.
 * - pooling members, up to the ensemble's size: adaptive-random-forest,
 *   online-bagging, leveraging-bagging, forest-ensemble. Each replica gets
 *   slots in proportion to the rows it learned (largest remainders; slots a
 *   replica cannot fill go to the others); within a replica, ARF's members
 *   are taken by their accuracy so far (correct / seen), forest-ensemble's
 *   forests by their weight, the bagging members in their order (they are
 *   exchangeable: each saw the replica's rows with its own Poisson weights).
 * - knn: the windows are interleaved from their newest rows backwards and
 *   cut to the window size (the replicas have no common clock).
 * - cannot merge: hoeffding-tree and hoeffding-adaptive-tree (a tree's splits
 *   are decisions taken on its own rows; there is no sum of two trees: use an
 *   ensemble of them, whose members pool) and no-change (its one remembered
 *   label has no meaning across replicas).
 */

/** One replica to merge, and how messages name it (a directory or a registry reference). */
export interface MergeInput {
  readonly model: Model;
  readonly label: string;
}

export type MergeKind = 'exact' | 'weighted average' | 'pooled members' | 'interleaved windows';

/** The merged model and how it was made. */
export interface MergeOutcome {
  readonly model: Model;
  readonly learner: string;
  readonly kind: MergeKind;
  /** The rows each replica learned (from its training summary), in input order. */
  readonly rows: number[];
  /** What was done, one phrase per learner and step. */
  readonly notes: string[];
  /** Stream sequences that more than one replica learned (from the sequences their summaries list), in order. */
  readonly overlaps: SequenceOverlap[];
}

/** A run of stream sequences learned by more than one replica: each of its messages counts that many times in the merge. */
export interface SequenceOverlap {
  readonly first: number;
  readonly last: number;
  /** The labels of the replicas that learned them, in input order. */
  readonly replicas: string[];
}

/**
 * The stream sequences found in more than one replica's list, as maximal runs
 * learned by the same replicas. Replicas of different streams (their
 * summaries' datasets differ) share no sequences; replicas without a list
 * take no part. A sweep over the ranges' ends: O(R log R) for R ranges.
 */
export function sequenceOverlaps(inputs: readonly { readonly label: string; readonly dataset: string; readonly ranges: readonly (readonly [number, number])[] }[]): SequenceOverlap[] {
  const out: SequenceOverlap[] = [];
  for (const dataset of new Set(inputs.map((i) => i.dataset))) {
    const group = inputs.map((input, index) => ({ ...input, index })).filter((i) => i.dataset === dataset);
    if (group.length < 2) continue;
    // +1 where a replica's range starts, -1 after it ends; ranges read from disk are not trusted to be sorted or disjoint.
    const events: { at: number; index: number; delta: number }[] = [];
    for (const { index, ranges } of group) {
      for (const [a, b] of ranges) if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && a <= b) events.push({ at: a, index, delta: 1 }, { at: b + 1, index, delta: -1 });
    }
    events.sort((x, y) => x.at - y.at);
    const depth = new Map<number, number>();
    let open: { first: number; key: string; replicas: string[] } | null = null;
    for (let e = 0; e < events.length; ) {
      const at = events[e].at;
      for (; e < events.length && events[e].at === at; e++) depth.set(events[e].index, (depth.get(events[e].index) ?? 0) + events[e].delta);
      const holders = [...depth].filter(([, d]) => d > 0).map(([i]) => i).sort((x, y) => x - y);
      const key = holders.join(',');
      if (open && open.key === key) continue;
      if (open) out.push({ first: open.first, last: at - 1, replicas: open.replicas });
      open = holders.length >= 2 ? { first: at, key, replicas: holders.map((i) => inputs[i].label) } : null;
    }
  }
  return out.sort((x, y) => x.first - y.first);
}

/** How each learner merges, for `streamlearn merge` and the documentation; null: it cannot. */
export const mergeKinds: Readonly<Record<string, MergeKind | null>> = {
  'gaussian-nb': 'exact',
  'majority-class': 'exact',
  'softmax-regression': 'weighted average',
  perceptron: 'weighted average',
  'passive-aggressive': 'weighted average',
  mlp: 'weighted average',
  'adaptive-random-forest': 'pooled members',
  'online-bagging': 'pooled members',
  'leveraging-bagging': 'pooled members',
  'forest-ensemble': 'pooled members',
  knn: 'interleaved windows',
  'hoeffding-tree': null,
  'hoeffding-adaptive-tree': null,
  'no-change': null,
};

const ENSEMBLE_HINT = 'train an ensemble whose members pool instead (--model adaptive-random-forest, online-bagging or leveraging-bagging)';

/** Why a learner cannot be merged, as the one-line error says it. */
function cannotMerge(name: string): string {
  if (name === 'hoeffding-tree' || name === 'hoeffding-adaptive-tree') {
    return `${name} models cannot be merged: a tree's splits are decisions taken on its own rows and two trees do not add up; ${ENSEMBLE_HINT}`;
  }
  if (name === 'no-change') return 'no-change models cannot be merged: each remembers only the last label it saw, which has no meaning across replicas';
  return `${name} models cannot be merged`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Fails unless every replica is the same model: learner, parameters, schema and steps. */
function checkCompatible(inputs: readonly MergeInput[]): void {
  const [first] = inputs;
  const a = first.model;
  for (const { model: b, label } of inputs.slice(1)) {
    const versus = `${label} and ${first.label}`;
    if (b.learnerName !== a.learnerName) fail(`merge: ${label} is a ${b.learnerName} model and ${first.label} a ${a.learnerName} one; only replicas of one model merge`);
    if (!sameJson(b.params, a.params)) fail(`merge: ${versus} have different ${a.learnerName} parameters (${JSON.stringify(b.params)} against ${JSON.stringify(a.params)})`);
    const sa = a.schema;
    const sb = b.schema;
    if (!sameJson(sb.features, sa.features)) fail(`merge: ${versus} have different features (${sb.features.join(', ')} against ${sa.features.join(', ')})`);
    if (sb.label !== sa.label) fail(`merge: ${versus} have different labels ("${sb.label}" against "${sa.label}")`);
    if (!sameJson(sb.classes, sa.classes)) {
      fail(`merge: ${versus} have different classes or class order (${sb.classes.join(', ')} against ${sa.classes.join(', ')}); give every replica the same --classes`);
    }
    if (!sameJson(sb.nominal ?? null, sa.nominal ?? null) || !sameJson(sb.categories ?? null, sa.categories ?? null)) {
      fail(`merge: ${versus} code their categorical features differently`);
    }
    if (!sameJson(sb.missing ?? false, sa.missing ?? false)) fail(`merge: ${versus} differ in whether they accept missing values`);
    const stepsA = a.steps.map((s) => ({ name: s.name, params: s.params }));
    const stepsB = b.steps.map((s) => ({ name: s.name, params: s.params }));
    if (!sameJson(stepsB, stepsA)) {
      fail(`merge: ${versus} have different preprocessing (${stepsB.map((s) => s.name).join(' -> ') || 'none'} against ${stepsA.map((s) => s.name).join(' -> ') || 'none'})`);
    }
  }
}

/** The rows each replica learned, from its summary; replicas without one fail when weights are needed. */
function rowsOf(inputs: readonly MergeInput[], needed: boolean): number[] {
  return inputs.map(({ model, label }) => {
    const rows = model.summary?.rows;
    if (typeof rows === 'number' && rows >= 0) return rows;
    if (needed) fail(`merge: ${label} has no training summary saying how many rows it learned, which weighs it in the merge`);
    return 1;
  });
}

/** Weights summing to 1; all equal when no replica learned anything. */
function normalise(rows: readonly number[]): number[] {
  const total = rows.reduce((s, r) => s + r, 0);
  return total > 0 ? rows.map((r) => r / total) : rows.map(() => 1 / rows.length);
}

/** The weighted mean of equally long arrays. */
function averageArrays(arrays: readonly (readonly number[])[], weights: readonly number[], what: string): number[] {
  const n = arrays[0].length;
  if (arrays.some((a) => a.length !== n)) fail(`merge: the replicas' ${what} differ in size; they are not replicas of one model`);
  const out = new Array<number>(n).fill(0);
  arrays.forEach((a, i) => {
    const w = weights[i];
    for (let j = 0; j < n; j++) out[j] += w * a[j];
  });
  return out;
}

/** Index of the largest weight: the replica whose bookkeeping (generators, counters) the merged model keeps. */
function heaviest(weights: readonly number[]): number {
  return weights.reduce((best, w, i) => (w > weights[best] ? i : best), 0);
}

/**
 * Count, mean and M2 (sum of squared deviations) of two parts combined:
 * Chan, Golub & LeVeque 1979/1983, the parallel form of Welford's update.
 */
function chan(na: number, ma: number, m2a: number, nb: number, mb: number, m2b: number): [number, number, number] {
  if (nb === 0) return [na, ma, m2a];
  if (na === 0) return [nb, mb, m2b];
  const n = na + nb;
  const delta = mb - ma;
  return [n, ma + (delta * nb) / n, m2a + m2b + (delta * delta * na * nb) / n];
}

function padded(values: readonly number[], n: number): number[] {
  return values.length >= n ? [...values] : [...values, ...new Array<number>(n - values.length).fill(0)];
}

// ----- learners -----


function mergeGaussianNB(states: readonly Json[]): Json {
  const parsed = states.map((s) => parseState('gaussian-nb', gaussianNBStateSchema, s));
  const d = parsed[0].nFeatures;
  if (parsed.some((p) => p.nFeatures !== d)) fail('merge: the gaussian-nb replicas have different feature counts');
  const k = Math.max(...parsed.map((p) => p.counts.length));
  const counts = new Array<number>(k).fill(0);
  const means = new Array<number>(k * d).fill(0);
  const m2 = new Array<number>(k * d).fill(0);
  let totalCount = 0;
  const totalMean = new Array<number>(d).fill(0);
  const totalM2 = new Array<number>(d).fill(0);
  for (const p of parsed) {
    for (let c = 0; c < p.counts.length; c++) {
      const nb = p.counts[c];
      for (let j = 0; j < d; j++) {
        const o = c * d + j;
        [, means[o], m2[o]] = chan(counts[c], means[o], m2[o], nb, p.means[o], p.m2[o]);
      }
      counts[c] += nb;
    }
    for (let j = 0; j < d; j++) [, totalMean[j], totalM2[j]] = chan(totalCount, totalMean[j], totalM2[j], p.totalCount, p.totalMean[j], p.totalM2[j]);
    totalCount += p.totalCount;
  }
  return { nFeatures: d, counts, means, m2, totalCount, totalMean, totalM2 };
}

const majorityState = z.object({ counts: z.array(z.number().int().nonnegative()) });

function mergeMajority(states: readonly Json[]): Json {
  const parsed = states.map((s) => parseState('majority-class', majorityState, s));
  const k = Math.max(...parsed.map((p) => p.counts.length));
  const counts = new Array<number>(k).fill(0);
  for (const p of parsed) p.counts.forEach((n, c) => (counts[c] += n));
  return { counts };
}

const softmaxState = z.object({
  nFeatures: z.number().int().positive(),
  nClasses: z.number().int().nonnegative(),
  weights: numbers,
  optimizer: z.object({ step: z.number().int(), first: numbers, second: numbers }),
  rng: z.array(z.number().int()),
});

function mergeSoftmax(states: readonly Json[], weights: readonly number[]): Json {
  const parsed = states.map((s) => parseState('softmax-regression', softmaxState, s));
  const shape = parsed.map((p) => `${p.nFeatures}x${p.nClasses}`);
  if (new Set(shape).size > 1) fail(`merge: the softmax-regression replicas know different classes or features (${shape.join(', ')}); give every worker the same --classes`);
  const top = parsed[heaviest(weights)];
  return {
    nFeatures: top.nFeatures,
    nClasses: top.nClasses,
    weights: averageArrays(parsed.map((p) => p.weights), weights, 'weights'),
    optimizer: {
      // Adam's bias correction follows the step count: the furthest replica's.
      step: Math.max(...parsed.map((p) => p.optimizer.step)),
      first: averageArrays(parsed.map((p) => p.optimizer.first), weights, 'optimizer moments'),
      second: averageArrays(parsed.map((p) => p.optimizer.second), weights, 'optimizer moments'),
    },
    rng: top.rng,
  };
}

const marginState = z.object({ nFeatures: z.number().int().positive(), nClasses: z.number().int().nonnegative(), weights: numbers });

function mergeMargin(name: string, states: readonly Json[], weights: readonly number[]): Json {
  const parsed = states.map((s) => parseState(name, marginState, s));
  const shape = parsed.map((p) => `${p.nFeatures}x${p.nClasses}`);
  if (new Set(shape).size > 1) fail(`merge: the ${name} replicas know different classes or features (${shape.join(', ')}); give every worker the same --classes`);
  return { nFeatures: parsed[0].nFeatures, nClasses: parsed[0].nClasses, weights: averageArrays(parsed.map((p) => p.weights), weights, 'weights') };
}

const knnState = z.object({ nFeatures: z.number().int().positive(), nClasses: z.number().int().nonnegative(), x: numbers, y: z.array(z.number().int().nonnegative()) });

function mergeKnn(states: readonly Json[], params: Params): Json {
  const parsed = states.map((s) => parseState('knn', knnState, s));
  const d = parsed[0].nFeatures;
  const window = Number(params.windowSize);
  // Newest first, one row from each replica in turn, until the window is full; then oldest first again.
  const picked: { x: number[]; y: number }[] = [];
  const at = parsed.map((p) => p.y.length - 1);
  while (picked.length < window && at.some((i) => i >= 0)) {
    parsed.forEach((p, r) => {
      const i = at[r];
      if (i < 0 || picked.length >= window) return;
      picked.push({ x: p.x.slice(i * d, i * d + d), y: p.y[i] });
      at[r]--;
    });
  }
  picked.reverse();
  return { nFeatures: d, nClasses: Math.max(...parsed.map((p) => p.nClasses)), x: picked.flatMap((r) => r.x), y: picked.map((r) => r.y) };
}

/**
 * How many members each replica gives: slots in proportion to the weights
 * (largest remainders), at most what each has; slots left over go to the
 * replicas with members to spare, heaviest first.
 */
export function allocateSlots(size: number, weights: readonly number[], available: readonly number[]): number[] {
  const total = Math.min(size, available.reduce((s, a) => s + a, 0));
  const exact = weights.map((w) => w * total);
  const slots = exact.map((e, i) => Math.min(available[i], Math.floor(e)));
  const order = weights.map((_, i) => i).sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || weights[b] - weights[a] || a - b);
  let left = total - slots.reduce((s, n) => s + n, 0);
  for (const i of order) {
    if (left === 0) break;
    if (slots[i] < available[i]) {
      slots[i]++;
      left--;
    }
  }
  const byWeight = weights.map((_, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);
  while (left > 0) {
    const i = byWeight.find((j) => slots[j] < available[j]);
    if (i === undefined) break;
    slots[i]++;
    left--;
  }
  return slots;
}

const arfState = z.object({
  nFeatures: z.number().int().positive(),
  k: z.number().int(),
  members: z.array(z.object({ index: z.number().int().nonnegative(), correct: z.number(), seen: z.number() }).passthrough()),
});

function mergeArf(states: readonly Json[], weights: readonly number[], params: Params): Json {
  const parsed = states.map((s) => parseState('adaptive-random-forest', arfState, s));
  if (new Set(parsed.map((p) => p.nFeatures)).size > 1) fail('merge: the adaptive-random-forest replicas have different feature counts');
  const size = Number(params.ensembleSize);
  const slots = allocateSlots(size, weights, parsed.map((p) => p.members.length));
  const accuracy = (m: { correct: number; seen: number }): number => (m.seen > 0 ? m.correct / m.seen : 0);
  const members = parsed.flatMap((p, r) => [...p.members].sort((a, b) => accuracy(b) - accuracy(a) || a.index - b.index).slice(0, slots[r]));
  return { nFeatures: parsed[0].nFeatures, k: Math.max(...parsed.map((p) => p.k)), members: members.map((m, index) => ({ ...m, index })) as unknown as Json };
}


function mergeBagging(name: string, states: readonly Json[], weights: readonly number[], params: Params): Json {
  const parsed = states.map((s) => parseState(name, baggingStateSchema, s));
  if (new Set(parsed.map((p) => p.nFeatures)).size > 1) fail(`merge: the ${name} replicas have different feature counts`);
  const slots = allocateSlots(Number(params.ensembleSize), weights, parsed.map((p) => p.members.length));
  const members = parsed.flatMap((p, r) => p.members.slice(0, slots[r]));
  const detectors = parsed.every((p) => p.detectors) ? parsed.flatMap((p, r) => p.detectors!.slice(0, slots[r])) : undefined;
  const top = parsed[heaviest(weights)];
  return {
    nFeatures: top.nFeatures,
    k: Math.max(...parsed.map((p) => p.k)),
    members: members as Json[],
    ...(detectors ? { detectors: detectors as Json[] } : {}),
    replaced: parsed.reduce((s, p) => s + p.replaced, 0),
    made: Math.max(...parsed.map((p) => p.made)),
    rng: top.rng,
  };
}

const forestEnsembleState = z.object({
  nFeatures: z.number().int().positive(),
  nClasses: z.number().int().nonnegative(),
  members: z.array(z.object({ forest: z.record(z.string(), z.unknown()), weight: z.number() })),
  rng: z.array(z.number().int()),
});

function mergeForestEnsemble(states: readonly Json[], weights: readonly number[], params: Params): Json {
  const parsed = states.map((s) => parseState('forest-ensemble', forestEnsembleState, s));
  const shape = parsed.map((p) => `${p.nFeatures}x${p.nClasses}`);
  if (new Set(shape).size > 1) fail(`merge: the forest-ensemble replicas know different classes or features (${shape.join(', ')})`);
  const slots = allocateSlots(Number(params.maxForests), weights, parsed.map((p) => p.members.length));
  const members = parsed.flatMap((p, r) => [...p.members].sort((a, b) => b.weight - a.weight).slice(0, slots[r]));
  return { nFeatures: parsed[0].nFeatures, nClasses: parsed[0].nClasses, members: members as unknown as Json, rng: parsed[heaviest(weights)].rng };
}

const mlpState = z.object({
  nFeatures: z.number().int().positive(),
  nClasses: z.number().int().positive(),
  classesGrown: z.number().int().nonnegative(),
  adamBetaPowers: z.array(z.number()).length(2).nullable(),
});

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
}

/** A TensorFlow.js layers model's files: the weight specs, in the order weights.bin holds them. */
function weightSpecs(files: Readonly<Record<string, Uint8Array>>): WeightSpec[] {
  const modelBytes = files['model.json'];
  if (!modelBytes || !files['weights.bin']) fail('merge: an mlp replica lacks model.json or weights.bin');
  const json = JSON.parse(new TextDecoder().decode(modelBytes)) as { weightsManifest: { weights: WeightSpec[] }[] };
  return json.weightsManifest.flatMap((g) => g.weights);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

function mergeMlp(states: readonly LearnerState[], weights: readonly number[]): LearnerState {
  const parsed = states.map((s) => parseState('mlp', mlpState, s.json));
  const shape = parsed.map((p) => `${p.nFeatures}x${p.nClasses}`);
  if (new Set(shape).size > 1) fail(`merge: the mlp replicas know different classes or features (${shape.join(', ')}); give every worker the same --classes`);
  const specs = states.map((s) => weightSpecs(s.files ?? {}));
  const layout = (list: WeightSpec[]): string => list.map((w) => `${w.shape.join('x')}:${w.dtype ?? 'float32'}`).join(',');
  if (new Set(specs.map(layout)).size > 1) fail('merge: the mlp replicas have different network shapes (hidden units or optimizer state)');
  const top = heaviest(weights);
  const bins = states.map((s) => {
    const b = s.files!['weights.bin'];
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  });
  const out = new Uint8Array(bins[top].byteLength);
  out.set(new Uint8Array(bins[top].buffer, bins[top].byteOffset, bins[top].byteLength));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const spec of specs[0]) {
    const dtype = spec.dtype ?? 'float32';
    const count = spec.shape.reduce((n, s) => n * s, 1);
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) fail(`merge: the mlp replicas hold a ${dtype} tensor, which cannot be averaged`);
    // Weights, biases and Adam's moments are averaged; integer counters are kept from the heaviest replica.
    if (dtype === 'float32') {
      for (let i = 0; i < count; i++) {
        const at = offset + i * 4;
        let sum = 0;
        bins.forEach((b, r) => (sum += weights[r] * b.getFloat32(at, true)));
        view.setFloat32(at, sum, true);
      }
    }
    offset += count * size;
  }
  if (offset !== out.byteLength) fail('merge: an mlp replica\'s weights.bin does not match its weight specs');
  const json = parsed[top];
  return {
    json: { nFeatures: json.nFeatures, nClasses: json.nClasses, classesGrown: json.classesGrown, adamBetaPowers: json.adamBetaPowers },
    files: { 'model.json': states[top].files!['model.json'], 'weights.bin': out },
  };
}

// ----- preprocessing steps -----

const standardScalerState = z.object({ count: z.number(), mean: numbers, m2: numbers, counts: numbers.optional() });

function mergeStandardScaler(states: readonly Json[]): Json {
  const parsed = states.map((s) => parseState('standard-scaler', standardScalerState, s));
  const d = parsed[0].mean.length;
  if (parsed.some((p) => p.mean.length !== d)) fail('merge: the standard-scaler steps have different widths');
  let count = 0;
  const counts = new Array<number>(d).fill(0);
  const mean = new Array<number>(d).fill(0);
  const m2 = new Array<number>(d).fill(0);
  for (const p of parsed) {
    const pc = p.counts ?? new Array<number>(d).fill(p.count);
    for (let j = 0; j < d; j++) [counts[j], mean[j], m2[j]] = chan(counts[j], mean[j], m2[j], pc[j], p.mean[j], p.m2[j]);
    count += p.count;
  }
  // Per-feature counts are written only when some replica needed them, as the scaler itself does.
  return parsed.some((p) => p.counts) ? { count, mean, m2, counts } : { count, mean, m2 };
}

const minMaxState = z.object({ count: numbers, min: numbers, max: numbers });

function mergeMinMax(states: readonly Json[]): Json {
  const parsed = states.map((s) => parseState('min-max-scaler', minMaxState, s));
  const d = parsed[0].count.length;
  if (parsed.some((p) => p.count.length !== d)) fail('merge: the min-max-scaler steps have different widths');
  const count = new Array<number>(d).fill(0);
  const min = new Array<number>(d).fill(0);
  const max = new Array<number>(d).fill(0);
  for (const p of parsed) {
    for (let j = 0; j < d; j++) {
      if (p.count[j] === 0) continue;
      if (count[j] === 0) {
        min[j] = p.min[j];
        max[j] = p.max[j];
      } else {
        min[j] = Math.min(min[j], p.min[j]);
        max[j] = Math.max(max[j], p.max[j]);
      }
      count[j] += p.count[j];
    }
  }
  return { count, min, max };
}

const imputerState = z.object({ count: numbers.optional(), mean: numbers.optional(), values: z.array(z.array(z.tuple([z.number(), z.number()]))) });

function mergeImputer(name: string, states: readonly Json[]): Json {
  const parsed = states.map((s) => parseState(name, imputerState, s));
  const d = parsed[0].values.length;
  const values = Array.from({ length: d }, (_, j) => {
    const counts = new Map<number, number>();
    for (const p of parsed) for (const [v, c] of p.values[j] ?? []) counts.set(v, (counts.get(v) ?? 0) + c);
    return [...counts].map(([v, c]) => [v, c]);
  });
  if (!parsed[0].count || !parsed[0].mean) return { values };
  const count = new Array<number>(d).fill(0);
  const mean = new Array<number>(d).fill(0);
  for (const p of parsed) {
    for (let j = 0; j < d; j++) {
      const n = p.count?.[j] ?? 0;
      if (n === 0) continue;
      mean[j] += ((p.mean?.[j] ?? 0) - mean[j]) * (n / (count[j] + n));
      count[j] += n;
    }
  }
  return { count, mean, values };
}

function mergeStep(name: string, states: readonly Json[]): Json {
  switch (name) {
    case 'standard-scaler':
      return mergeStandardScaler(states);
    case 'min-max-scaler':
      return mergeMinMax(states);
    case 'impute-mean':
    case 'impute-mode':
      return mergeImputer(name, states);
    case 'one-hot':
      // Its state is the categories known when it was made, which the schemas (checked equal) fix.
      if (states.some((s) => !sameJson(s, states[0]))) fail('merge: the one-hot steps were made with different categories');
      return states[0];
    default:
      fail(`merge: no rule to merge the preprocessing step ${name}`);
  }
}

function mergeSummaries(inputs: readonly MergeInput[], rows: readonly number[]): TrainingSummary | null {
  const summaries = inputs.map((i) => i.model.summary);
  if (summaries.some((s) => s === null)) return null;
  const all = summaries as TrainingSummary[];
  const total = rows.reduce((s, r) => s + r, 0);
  const scored = all.map((s, i) => ({ a: s.accuracy, w: rows[i] })).filter((x) => Number.isFinite(x.a));
  const weight = scored.reduce((s, x) => s + x.w, 0);
  return {
    dataset: [...new Set(all.map((s) => s.dataset))].join('+'),
    protocol: all[0].protocol,
    rows: total,
    batches: all.reduce((s, x) => s + x.batches, 0),
    accuracy: weight > 0 ? scored.reduce((s, x) => s + x.a * x.w, 0) / weight : (scored[0]?.a ?? 0),
    meanAccuracy: null,
    stdAccuracy: null,
    seed: all[0].seed,
    batchSize: all[0].batchSize,
    testSize: all[0].testSize,
    trainedAt: new Date().toISOString(),
    // Kept when every replica lists the sequences of one stream, so a later merge with this model reports overlaps too.
    ...(all.every((x) => x.sequences && x.dataset === all[0].dataset) ? { sequences: unionRanges(all.flatMap((x) => x.sequences ?? [])) } : {}),
  };
}

/** Sorted, merged inclusive ranges. */
function unionRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = ranges.filter(([a, b]) => Number.isSafeInteger(a) && Number.isSafeInteger(b) && a <= b).map(([a, b]): [number, number] => [a, b]);
  sorted.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * Merges replicas of one model (same learner, parameters, schema and steps)
 * into a new model, by the learner's rule (see the module comment). Fails
 * with one line when the learner cannot be merged or the replicas differ.
 * The replicas are not changed.
 */
export async function mergeModels(inputs: readonly MergeInput[]): Promise<MergeOutcome> {
  if (inputs.length === 0) fail('merge: no models to merge');
  const first = inputs[0].model;
  const name = first.learnerName;
  const kind = mergeKinds[name];
  if (kind === undefined) fail(`merge: no rule to merge ${name} models`);
  if (kind === null) fail(`merge: ${cannotMerge(name)}`);
  checkCompatible(inputs);
  const rows = rowsOf(inputs, kind !== 'exact' && inputs.length > 1);
  const weights = normalise(rows);
  const states: LearnerState[] = [];
  for (const { model } of inputs) states.push(await model.learner.saveState());
  const jsons = states.map((s) => s.json);
  const params = first.params;
  let merged: LearnerState;
  const notes: string[] = [];
  switch (name) {
    case 'gaussian-nb':
      merged = { json: mergeGaussianNB(jsons) };
      notes.push('gaussian-nb: exact (class counts; means and variances by Chan et al.)');
      break;
    case 'majority-class':
      merged = { json: mergeMajority(jsons) };
      notes.push('majority-class: exact (class counts added)');
      break;
    case 'softmax-regression':
      merged = { json: mergeSoftmax(jsons, weights) };
      break;
    case 'perceptron':
    case 'passive-aggressive':
      merged = { json: mergeMargin(name, jsons, weights) };
      break;
    case 'mlp':
      merged = mergeMlp(states, weights);
      break;
    case 'knn':
      merged = { json: mergeKnn(jsons, params) };
      notes.push(`knn: windows interleaved from their newest rows, cut to ${params.windowSize}`);
      break;
    case 'adaptive-random-forest':
      merged = { json: mergeArf(jsons, weights, params) };
      break;
    case 'online-bagging':
    case 'leveraging-bagging':
      merged = { json: mergeBagging(name, jsons, weights, params) };
      break;
    case 'forest-ensemble':
      merged = { json: mergeForestEnsemble(jsons, weights, params) };
      break;
    default:
      fail(`merge: no rule to merge ${name} models`);
  }
  if (kind === 'weighted average') notes.push(`${name}: parameters averaged, weighted by rows learned (${rows.join(', ')})`);
  if (kind === 'pooled members') notes.push(`${name}: members pooled, slots in proportion to rows learned (${rows.join(', ')})`);
  const steps = first.steps.map((step, i) => {
    const state = mergeStep(
      step.name,
      inputs.map((input) => input.model.steps[i].getState()),
    );
    notes.push(`${step.name}: exact`);
    return { name: step.name, params: step.params, state };
  });
  const schema: Schema = {
    ...first.schema,
    classes: [...first.schema.classes],
    ...(first.schema.categories ? { categories: first.schema.categories.map((c) => (c ? [...c] : null)) } : {}),
  };
  const restored = restoreSteps(steps, schemaColumns(schema));
  const def = learnerDefinition(name);
  let learner;
  try {
    learner = await def.restore(learnerContext(schema, restored, first.seed), params, merged);
  } catch (err) {
    fail(`merge: the merged ${name} state does not load: ${(err as Error).message}`);
  }
  const model = new Model(name, params, first.seed, schema, restored, learner);
  model.summary = mergeSummaries(inputs, rows);
  const overlaps = sequenceOverlaps(
    inputs.flatMap(({ model: m, label }) => (m.summary?.sequences ? [{ label, dataset: m.summary.dataset, ranges: m.summary.sequences }] : [])),
  );
  return { model, learner: name, kind, rows, notes, overlaps };
}
