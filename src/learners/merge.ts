import * as v from 'valibot';
import { fail } from '../core/errors.js';
import { finiteNumber, type Json, numbers, object, parseState } from '../core/state.js';
import type { Schema } from '../core/types.js';
import { schemaColumns } from '../preprocess/contract.js';
import { restoreSteps } from '../preprocess/registry.js';
import type { LearnerState } from './contract.js';
import { chan, type MergeContext, type MergeKind } from './merge-rule.js';
import { learnerContext, Model, type TrainingSummary } from './model.js';
import { anyLearnerDefinition, learnerDefinitions } from './registry.js';
import { RegressionModel, regressorContext, type RegressionTrainingSummary } from './regression-model.js';
import { regressorDefinitions } from './regressor-registry.js';

export { allocateSlots, type LearnerMerge, type MergeContext, type MergeKind, type MergeRefusal, type MergeRule } from './merge-rule.js';

/**
 * Merging replicas of one model, learned apart on parts of a stream (by
 * workers sharing a consumer), into one model. Everything happens on saved
 * states (each learner's saveState() JSON and each step's getState()), and
 * the merged state is restored by the learner's own restore.
 *
 * Each learner's rule is its definition's `merge` (src/learners/merge-rule.ts
 * has the contract), beside its saved state in its own module; this module
 * does what every merge shares: checking the replicas are one model, their
 * weights (the rows each learned), the preprocessing steps, the summary and
 * the stream sequences learned twice. The rules, by learner:
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
export interface MergeInput<M extends Model | RegressionModel = Model> {
  readonly model: M;
  readonly label: string;
}

/** The merged model and how it was made. */
export interface MergeOutcome<M extends Model | RegressionModel = Model> {
  readonly model: M;
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

/** How each learner merges, from its definition, for `streamlearn merge`, the workers and the documentation; null: it cannot. */
export const mergeKinds: Readonly<Record<string, MergeKind | null>> = Object.fromEntries([...learnerDefinitions, ...regressorDefinitions].map((d) => [d.name, d.merge?.kind ?? null]));

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What to do about replicas whose classes differ. Replicas of a stream's
 * workers index classes alike (the format record's, then --classes), unless
 * a worker learned a label outside them as a new class (--new-classes allow)
 * or they were given different --classes; replicas are not remapped onto a
 * union of classes.
 */
function classAdvice(a: readonly string[], b: readonly string[]): string {
  const extra = [...b.filter((c) => !a.includes(c)), ...a.filter((c) => !b.includes(c))];
  const order = 'give every replica the same --classes, in the same order';
  if (extra.length === 0) return order;
  const shown = extra.slice(0, 5).map((c) => `"${c}"`).join(', ') + (extra.length > 5 ? ', ...' : '');
  return (
    `${shown} ${extra.length === 1 ? 'is a class' : 'are classes'} of one and not the other: a label outside the classes was learned as a new class ` +
    '(worker and train --source --new-classes allow), or the replicas were given different --classes; ' +
    `${order}, and let the workers leave such labels out (--new-classes skip, the worker's default) or stop on them (--new-classes fail), then learn again`
  );
}

/** Fails unless every replica is the same model: learner, parameters, schema and steps. */
function checkCompatible(inputs: readonly MergeInput<Model | RegressionModel>[]): void {
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
      fail(`merge: ${versus} have different classes or class order (${sb.classes.join(', ')} against ${sa.classes.join(', ')}); ${classAdvice(sa.classes, sb.classes)}`);
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
function rowsOf(inputs: readonly MergeInput<Model | RegressionModel>[], needed: boolean): number[] {
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

// ----- preprocessing steps -----

const standardScalerState = object({ count: finiteNumber, mean: numbers, m2: numbers, counts: v.optional(numbers) });

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

const minMaxState = object({ count: numbers, min: numbers, max: numbers });

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

const imputerState = object({ count: v.optional(numbers), mean: v.optional(numbers), values: v.array(v.array(v.strictTuple([finiteNumber, finiteNumber]))) });

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

/** The replicas' stream sequences, united, when every replica lists those of one stream (so a later merge reports overlaps too). */
function mergedSequences(all: readonly { dataset: string; sequences?: [number, number][] }[]): { sequences?: [number, number][] } {
  return all.every((x) => x.sequences && x.dataset === all[0].dataset) ? { sequences: unionRanges(all.flatMap((x) => x.sequences ?? [])) } : {};
}

/**
 * A merged regression model's summary: the rows added, MAE and RMSE the
 * row-weighted means of the replicas' (RMSE through the mean squared error);
 * R² is null, since the replicas' target spreads are not known apart.
 */
function mergeRegressionSummaries(inputs: readonly MergeInput<RegressionModel>[], rows: readonly number[]): RegressionTrainingSummary | null {
  const all = inputs.map((i) => i.model.summary);
  if (all.some((s) => s === null)) return null;
  const summaries = all as RegressionTrainingSummary[];
  const total = rows.reduce((s, r) => s + r, 0);
  const weights = normalise(rows);
  return {
    task: 'regression',
    dataset: [...new Set(summaries.map((s) => s.dataset))].join('+'),
    protocol: summaries[0].protocol,
    rows: total,
    batches: summaries.reduce((s, x) => s + x.batches, 0),
    mae: summaries.reduce((s, x, i) => s + weights[i] * x.mae, 0),
    rmse: Math.sqrt(summaries.reduce((s, x, i) => s + weights[i] * x.rmse * x.rmse, 0)),
    r2: null,
    seed: summaries[0].seed,
    batchSize: summaries[0].batchSize,
    testSize: summaries[0].testSize,
    trainedAt: new Date().toISOString(),
    ...mergedSequences(summaries),
  };
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
    ...mergedSequences(all),
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

/** What a merge of `kind` did, for rules that do not say it themselves. */
function describeMerge(kind: MergeKind, { learner, rows }: MergeContext): string {
  switch (kind) {
    case 'weighted average':
      return `${learner}: parameters averaged, weighted by rows learned (${rows.join(', ')})`;
    case 'pooled members':
      return `${learner}: members pooled, slots in proportion to rows learned (${rows.join(', ')})`;
    case 'interleaved windows':
      return `${learner}: windows interleaved from their newest rows`;
    case 'exact':
      return `${learner}: exact`;
  }
}

/**
 * Merges replicas of one model (same learner, parameters, schema and steps)
 * into a new model, by the learner's rule (see the module comment). Fails
 * with one line when the learner cannot be merged or the replicas differ.
 * The replicas are not changed.
 */
export async function mergeModels<M extends Model | RegressionModel = Model>(inputs: readonly MergeInput<M>[]): Promise<MergeOutcome<M>> {
  if (inputs.length === 0) fail('merge: no models to merge');
  const first: Model | RegressionModel = inputs[0].model;
  const name = first.learnerName;
  const def = anyLearnerDefinition(name);
  const rule = def.merge;
  if (!rule || rule.kind === null) fail(`merge: ${name} models cannot be merged${rule ? `: ${rule.reason}` : ''}`);
  const kind = rule.kind;
  checkCompatible(inputs);
  const rows = rowsOf(inputs, kind !== 'exact' && inputs.length > 1);
  const ctx: MergeContext = { learner: name, params: first.params, rows, weights: normalise(rows) };
  const states: LearnerState[] = [];
  for (const { model } of inputs) states.push(await model.learner.saveState());
  const merged = rule.merge(states, ctx);
  const notes = [rule.describe?.(ctx) ?? describeMerge(kind, ctx)];
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
  const loadFailed = (err: unknown): never => fail(`merge: the merged ${name} state does not load: ${(err as Error).message}`);
  let model: Model | RegressionModel;
  if (def.task === 'regression') {
    let regressor;
    try {
      regressor = def.restore(regressorContext(schema, restored, first.seed), first.params, merged);
    } catch (err) {
      return loadFailed(err);
    }
    const m = new RegressionModel(name, first.params, first.seed, schema, restored, regressor);
    m.summary = mergeRegressionSummaries(inputs as readonly MergeInput<Model | RegressionModel>[] as readonly MergeInput<RegressionModel>[], rows);
    model = m;
  } else {
    let learner;
    try {
      learner = await def.restore(learnerContext(schema, restored, first.seed), first.params, merged);
    } catch (err) {
      return loadFailed(err);
    }
    const m = new Model(name, first.params, first.seed, schema, restored, learner);
    m.summary = mergeSummaries(inputs as readonly MergeInput<Model | RegressionModel>[] as readonly MergeInput[], rows);
    model = m;
  }
  const overlaps = sequenceOverlaps(
    inputs.flatMap(({ model: m, label }) => (m.summary?.sequences ? [{ label, dataset: m.summary.dataset, ranges: m.summary.sequences }] : [])),
  );
  return { model: model as M, learner: name, kind, rows, notes, overlaps };
}
