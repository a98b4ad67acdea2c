import { fail } from '../core/errors.js';
import type { Json } from '../core/state.js';
import type { LearnerState, Params } from './contract.js';

/**
 * How a learner's replicas merge: the contract a LearnerDefinition's `merge`
 * fulfils, and the arithmetic the rules share. Each learner's rule lives in
 * its own module beside its saved state's schema; src/learners/merge.ts does
 * the rest (reading the replicas, checking they are one model, merging the
 * preprocessing, the summary). This module imports no learner, so learner
 * modules can import it without a cycle through the registry.
 */

/**
 * - exact: the merged model is the one that would have learned all rows;
 * - weighted average: parameters averaged, weighted by the rows each replica learned;
 * - pooled members: an ensemble's members taken from every replica, up to its size;
 * - interleaved windows: a window of recent rows made of every replica's newest rows.
 */
export type MergeKind = 'exact' | 'weighted average' | 'pooled members' | 'interleaved windows';

/** What a rule is told besides the states, all checked by the merge before it is called. */
export interface MergeContext {
  /** The learner's registry name (rules shared by sister learners name the one at hand). */
  readonly learner: string;
  /** The replicas' parameters (one set: replicas with different parameters are refused before). */
  readonly params: Params;
  /** The rows each replica learned, in input order. */
  readonly rows: readonly number[];
  /** The rows' shares: weights summing to 1, in input order (all equal when nobody learned anything). */
  readonly weights: readonly number[];
}

/** A learner whose replicas merge. */
export interface MergeRule {
  readonly kind: MergeKind;
  /**
   * One saved state made of the replicas' saved states (in input order),
   * which the learner's own restore then loads. Fails with fail() when the
   * states cannot be one model's (different widths, classes or shapes).
   */
  merge(states: readonly LearnerState[], ctx: MergeContext): LearnerState;
  /** What was done, one phrase for `streamlearn merge`'s notes; absent: said from the kind. */
  describe?(ctx: MergeContext): string;
}

/** A learner whose replicas cannot merge, and why (the end of the one-line error). */
export interface MergeRefusal {
  readonly kind: null;
  readonly reason: string;
}

/** A LearnerDefinition's `merge`: a rule, or a refusal with its reason. */
export type LearnerMerge = MergeRule | MergeRefusal;

/** A rule over the states' JSON alone: every learner's but mlp's, whose state has files. */
export function jsonMergeRule(
  kind: MergeKind,
  merge: (states: readonly Json[], ctx: MergeContext) => Json,
  describe?: (ctx: MergeContext) => string,
): MergeRule {
  return { kind, merge: (states, ctx) => ({ json: merge(states.map((s) => s.json), ctx) }), ...(describe ? { describe } : {}) };
}

/** Fails unless every replica gives the same shape (e.g. `${nFeatures}x${nClasses}`), with `hint` after the shapes. */
export function checkSameShape(learner: string, shapes: readonly string[], hint = ''): void {
  if (new Set(shapes).size > 1) fail(`merge: the ${learner} replicas know different classes or features (${shapes.join(', ')})${hint}`);
}

/** The hint shapes that differ in classes end with: workers learn classes as they see them unless told. */
export const SAME_CLASSES_HINT = '; give every worker the same --classes';

/** The weighted mean of equally long arrays. */
export function averageArrays(arrays: readonly (readonly number[])[], weights: readonly number[], what: string): number[] {
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
export function heaviest(weights: readonly number[]): number {
  return weights.reduce((best, w, i) => (w > weights[best] ? i : best), 0);
}

/**
 * Count, mean and M2 (sum of squared deviations) of two parts combined:
 * Chan, Golub & LeVeque 1979/1983, the parallel form of Welford's update.
 */
export function chan(na: number, ma: number, m2a: number, nb: number, mb: number, m2b: number): [number, number, number] {
  if (nb === 0) return [na, ma, m2a];
  if (na === 0) return [nb, mb, m2b];
  const n = na + nb;
  const delta = mb - ma;
  return [n, ma + (delta * nb) / n, m2a + m2b + (delta * delta * na * nb) / n];
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
