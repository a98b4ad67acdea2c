import * as v from 'valibot';
import { fail } from '../core/errors.js';
import { onOffParam, probabilityParam } from '../core/params.js';
import { Random } from '../core/random.js';
import { anything, count, finiteNumber, integer, type Json, looseObject, nonNegative, object, parseState, positiveInteger, rngState } from '../core/state.js';
import type { Batch, Matrix } from '../core/types.js';
import { ADWIN } from '../drift/adwin.js';
import { errorRose } from '../drift/error-rise.js';
import { checkSavedClasses, checkSavedFeatures, classesNeeded, type Classifier, type LearnerContext, type LearnerState, type Params } from './contract.js';
import { allocateSlots, jsonMergeRule, type MergeRule } from './merge-rule.js';
import type { LearnerDefinition } from './registry.js';
import { hoeffdingTreeDefaults } from './tree/hoeffding-tree-classifier.js';
import { HoeffdingTree, type SplitSettings, type TreeJSON, type TreeOptions } from './tree/hoeffding-tree.js';
import { splitParams, splitSettingsOf } from './tree/split-params.js';

/** How each member is trained: on a random subspace with Poisson weights, on a subspace alone, or with Poisson weights alone. */
export type SrpTrainingMethod = 'random-patches' | 'random-subspaces' | 'resampling';
/** How `subspaceSize` is read: a percentage of the d features, a count, round(sqrt(d)) + 1, or d minus that. */
export type SrpSubspaceMode = 'percentage' | 'count' | 'sqrt' | 'd-minus-sqrt';

export interface StreamingRandomPatchesParams extends SplitSettings {
  readonly ensembleSize: number;
  readonly trainingMethod: SrpTrainingMethod;
  readonly subspaceMode: SrpSubspaceMode;
  /** Features per member, read as `subspaceMode` says; a negative value means d minus it (as MOA). */
  readonly subspaceSize: number;
  /** Rate of the Poisson draw that weighs each row for each member (online bagging). */
  readonly lambda: number;
  /** ADWIN confidence of the drift detector, which replaces the member. */
  readonly driftDelta: number;
  /** ADWIN confidence of the warning detector, which starts a background tree. */
  readonly warningDelta: number;
  /** Off: members are never replaced (and no background tree is grown). */
  readonly driftDetection: 'on' | 'off';
  /** Off: a drift replaces the member by a new tree at once, with no background tree grown on a warning. */
  readonly backgroundLearner: 'on' | 'off';
  /** Votes weighted by each member's accuracy ('on') or equal ('off'). */
  readonly weightedVote: 'on' | 'off';
}

/** MOA's StreamingRandomPatches defaults (the paper gives the method, MOA the numbers). */
export const streamingRandomPatchesDefaults: StreamingRandomPatchesParams = {
  ensembleSize: 100,
  trainingMethod: 'random-patches',
  subspaceMode: 'percentage',
  subspaceSize: 60,
  lambda: 6,
  driftDelta: 1e-5,
  warningDelta: 1e-4,
  driftDetection: 'on',
  backgroundLearner: 'on',
  weightedVote: 'on',
  gracePeriod: 50,
  splitConfidence: 0.01,
  tieThreshold: 0.05,
  splitCriterion: 'info-gain',
  leafPrediction: 'nba',
  numericBins: 10,
};

/**
 * The number of features each member sees, as MOA works it out: `size`
 * read by `mode`, a negative result taken from d, 1 raised to 2. d (every
 * feature) when that is 0 or not below d: the members then differ by
 * their Poisson weights alone.
 */
export function srpSubspaceSize(d: number, mode: SrpSubspaceMode, size: number): number {
  let m: number;
  switch (mode) {
    case 'count':
      m = size;
      break;
    case 'sqrt':
      m = Math.round(Math.sqrt(d)) + 1;
      break;
    case 'd-minus-sqrt':
      m = d - (Math.round(Math.sqrt(d)) + 1);
      break;
    case 'percentage': {
      const share = size < 0 ? (100 + size) / 100 : size / 100;
      m = Math.round(d * share);
      // A share of a handful of features rounds to one or none: MOA takes one more.
      if (m < 2) m += 1;
      break;
    }
  }
  if (m < 0) m = d + m;
  if (m === 1 && d >= 2) m = 2;
  return m <= 0 || m >= d ? d : m;
}

/** C(n, k), or Infinity once it passes `cap` (only compared with ensemble sizes). */
function binomial(n: number, k: number, cap: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) {
    c = (c * (n - k + i)) / i;
    if (c > cap) return Infinity;
  }
  return Math.round(c);
}

/** A uniformly random m-subset of 0..d-1, ascending. */
function randomSubspace(d: number, m: number, rng: Random): Int32Array {
  return rng.permutation(d).slice(0, m).sort();
}

/** Every m-subset of 0..d-1, in lexicographic order (called only when there are fewer than the members). */
function allSubspaces(d: number, m: number): Int32Array[] {
  const out: Int32Array[] = [];
  const pick = new Int32Array(m);
  const walk = (from: number, depth: number): void => {
    if (depth === m) {
      out.push(pick.slice());
      return;
    }
    for (let f = from; f <= d - (m - depth); f++) {
      pick[depth] = f;
      walk(f + 1, depth + 1);
    }
  };
  walk(0, 0);
  return out;
}

/**
 * The members' first subspaces: distinct ones while there are enough
 * m-subsets (the paper's point for low dimensions: two members on the same
 * features are less diverse), else every subset as evenly as the count
 * allows. Assigned to members in random order.
 */
export function srpSubspaces(d: number, m: number, members: number, rng: Random): Int32Array[] {
  const total = binomial(d, m, members);
  let chosen: Int32Array[];
  if (total >= members) {
    const seen = new Set<string>();
    chosen = [];
    while (chosen.length < members) {
      const s = randomSubspace(d, m, rng);
      const key = s.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      chosen.push(s);
    }
  } else {
    const every = allSubspaces(d, m);
    chosen = [];
    for (let round = 0; round < Math.floor(members / total); round++) chosen.push(...every.map((s) => s.slice()));
    chosen.push(...rng.shuffle(every).slice(0, members % total));
  }
  return rng.shuffle(chosen);
}

/** A tree and the features it sees: rows are projected onto them in `row` before it reads them. */
interface Patch {
  /** Ascending feature indices; null: every feature. */
  readonly features: Int32Array | null;
  readonly tree: HoeffdingTree;
  readonly row: Float64Array;
}

interface Member {
  readonly index: number;
  /** The member's own generator (Poisson weights, new subspaces): its draws do not depend on the other members. */
  readonly rng: Random;
  main: Patch;
  background: Patch | null;
  readonly warning: ADWIN;
  readonly drift: ADWIN;
  /** Test-then-train record since the member's tree was made, for its vote weight. */
  correct: number;
  seen: number;
  drifts: number;
  warnings: number;
}

const subspaceSchema = v.nullable(v.array(count));
const patchSchema = object({ features: subspaceSchema, tree: anything });
const memberSchema = object({
  index: count,
  rng: rngState,
  main: patchSchema,
  background: v.nullable(patchSchema),
  warning: anything,
  drift: anything,
  correct: nonNegative,
  seen: nonNegative,
  drifts: count,
  warnings: count,
});
type MemberState = v.InferOutput<typeof memberSchema>;
type PatchState = v.InferOutput<typeof patchSchema>;

const stateSchema = object({
  nFeatures: positiveInteger,
  k: integer,
  members: v.array(memberSchema),
});

const NAME = 'streaming-random-patches';

/**
 * Streaming Random Patches (Gomes, Read & Bifet 2019, "Streaming Random
 * Patches for evolving data stream classification", ICDM 2019): online
 * bagging and random subspaces together. Each member is a Hoeffding tree
 * that sees ONE random subset of the features for its whole life (unlike
 * the Adaptive Random Forest, whose leaves each draw their own), and learns
 * each row with a Poisson(lambda) weight. Each member's verdict on each row
 * it learns, once learned, feeds a warning detector (ADWIN), which
 * starts a background tree on a newly drawn subspace, and a drift detector
 * (ADWIN), which replaces the member by its background tree (or by a new
 * tree on a new subspace); both react to rises of the error only. Votes are
 * the members' class probabilities weighted by their accuracy since their
 * tree was made.
 *
 * Defaults as MOA's StreamingRandomPatches (checked against MOA 2024.07):
 * 100 members (-s); subspaces of 60% of the features (-o Percentage,
 * -m 60; a share under 2 features takes one more, and a subspace of every
 * feature turns the method into resampling); training by random patches
 * (-t; random subspaces, weight 1, and resampling, every feature, are the
 * alternatives); lambda 6 (-a); drift detector ADWIN delta 1e-5 (-x),
 * warning detector ADWIN delta 1e-4 (-p); background learners and weighted
 * votes on; members are Hoeffding trees as MOA's SRP makes them
 * (trees.HoeffdingTree -g 50 -c 0.01): grace period 50, split confidence
 * 0.01, tie threshold 0.05, information gain, naive Bayes adaptive leaves,
 * 10 numeric bins, 32 MiB memory bound.
 *
 * As in MOA, the vote weights read the member's prediction made before it
 * learns the row and the detectors its prediction after, on the rows it
 * learns (Poisson weight above 0). Where this differs from MOA: after a
 * drift both detectors start afresh, and the background tree's place is
 * emptied (MOA keeps feeding the replaced member's old background entry,
 * which is by then the member's own tree); while there are at least as many
 * m-subsets as members the first subspaces are all distinct (MOA: for at
 * most 20 features only). A member whose accuracy is 0 has no vote (MOA
 * lets it vote unweighted).
 */
export class StreamingRandomPatches implements Classifier {
  readonly name = NAME;
  readonly params: StreamingRandomPatchesParams;
  private readonly d: number;
  private k: number;
  private readonly nominal: readonly boolean[];
  private readonly options: TreeOptions;
  /** Features per member (d: every feature, and members differ by their Poisson weights alone). */
  readonly subspaceSize: number;
  private readonly poisson: boolean;
  private readonly weighted: boolean;
  private readonly detect: boolean;
  private readonly grow: boolean;
  private members: Member[];
  // Work areas of the one-row paths.
  private oneProba = new Float64Array(0);
  private readonly oneWeight = new Float64Array(1);

  constructor(ctx: LearnerContext, params: Partial<StreamingRandomPatchesParams> = {}, states: readonly MemberState[] | null = null) {
    this.params = { ...streamingRandomPatchesDefaults, ...params };
    const p = this.params;
    this.d = ctx.nFeatures;
    this.k = Math.max(ctx.nClasses, 1);
    this.nominal = [...(ctx.nominal ?? [])];
    this.options = {
      ...hoeffdingTreeDefaults,
      ...splitSettingsOf(p),
      // The member's subspace is fixed for the tree's life: its leaves split on any of its features.
      subspaceSize: 0,
    };
    this.subspaceSize = p.trainingMethod === 'resampling' ? this.d : srpSubspaceSize(this.d, p.subspaceMode, p.subspaceSize);
    // With every feature in each subspace, random subspaces would make identical members: MOA resamples then.
    this.poisson = p.trainingMethod !== 'random-subspaces' || this.subspaceSize >= this.d;
    this.weighted = p.weightedVote === 'on';
    this.detect = p.driftDetection === 'on';
    this.grow = this.detect && p.backgroundLearner === 'on';
    if (states) {
      this.members = states.map((s, i) => this.restoreMember(s, i));
      for (const m of this.members) this.k = Math.max(this.k, m.main.tree.k, m.background?.tree.k ?? 0);
      return;
    }
    const subspaces =
      this.subspaceSize < this.d ? srpSubspaces(this.d, this.subspaceSize, p.ensembleSize, Random.derive(ctx.seed, 'srp-subspaces')) : null;
    this.members = Array.from({ length: p.ensembleSize }, (_, index) => {
      const rng = Random.derive(ctx.seed, `srp-member-${index}`);
      return {
        index,
        rng,
        main: this.newPatch(subspaces ? subspaces[index] : null, rng),
        background: null,
        warning: new ADWIN({ delta: p.warningDelta }),
        drift: new ADWIN({ delta: p.driftDelta }),
        correct: 0,
        seen: 0,
        drifts: 0,
        warnings: 0,
      };
    });
  }

  get nClasses(): number {
    return this.k;
  }

  /** Members replaced after a drift, and warnings that started a background tree. */
  get drifts(): number {
    return this.members.reduce((s, m) => s + m.drifts, 0);
  }

  get warnings(): number {
    return this.members.reduce((s, m) => s + m.warnings, 0);
  }

  /** Each member's current subspace (ascending feature indices; every feature when the subspace holds them all). */
  subspaces(): Int32Array[] {
    return this.members.map((m) => (m.main.features ? m.main.features.slice() : Int32Array.from({ length: this.d }, (_, j) => j)));
  }

  learn(batch: Batch): void {
    this.learnScored(batch);
  }

  /**
   * Learns the rows in order and returns the ensemble's probabilities for
   * each row as they were just before that row was learned (test-then-train).
   * Member by member, each over all the rows: every member's draws come from
   * its own generator, so this is learning row by row, to the bit.
   */
  learnScored(batch: Batch): Float64Array {
    const { data, rows } = batch.x;
    const y = batch.y;
    this.k = classesNeeded(y, this.k);
    const k = this.k;
    const out = new Float64Array(rows * k);
    const weights = new Float64Array(rows);
    for (const m of this.members) for (let r = 0; r < rows; r++) this.learnRow(m, data, r * this.d, y[r], out, r * k, weights, r);
    return this.normalise(out, weights, rows);
  }

  predictProba(x: Matrix): Float64Array {
    const k = this.k;
    const out = new Float64Array(x.rows * k);
    const weights = new Float64Array(x.rows);
    for (const m of this.members) {
      for (let r = 0; r < x.rows; r++) {
        // Weight 0 only predicts: the tree's one-descent path, which gives what learnScored saw.
        const p = m.main.tree.learnOneScored(load(m.main, x.data, r * this.d), 0, 0);
        this.addVote(m, p, out, r * k, weights, r);
      }
    }
    return this.normalise(out, weights, x.rows);
  }

  /** Classifier.predictProbaOne: predictProba of the row, to the bit, in a work array of the ensemble's. */
  predictProbaOne(x: Float64Array): Float64Array {
    const k = this.k;
    if (this.oneProba.length !== k) this.oneProba = new Float64Array(k);
    const out = this.oneProba.fill(0);
    const weights = this.oneWeight.fill(0);
    for (const m of this.members) this.addVote(m, m.main.tree.learnOneScored(load(m.main, x, 0), 0, 0), out, 0, weights, 0);
    return this.normalise(out, weights, 1);
  }

  /** Classifier.learnOne: learn() of a one-row batch, to the bit. */
  learnOne(x: Float64Array, y: number): void {
    if (y >= this.k) this.k = y + 1;
    const k = this.k;
    if (this.oneProba.length !== k) this.oneProba = new Float64Array(k);
    const out = this.oneProba.fill(0);
    const weights = this.oneWeight.fill(0);
    for (const m of this.members) this.learnRow(m, x, 0, y, out, 0, weights, 0);
  }

  /**
   * One member, one row at data[o..o+d): predicts it (its vote goes into
   * out[vo..vo+k) and weights[r]), learns it with its weight, and reads its
   * error into the detectors, which may start a background tree or replace
   * the member's tree.
   */
  private learnRow(m: Member, data: Float64Array, o: number, y: number, out: Float64Array, vo: number, weights: Float64Array, r: number): void {
    const weight = this.poisson ? m.rng.poisson(this.params.lambda) : 1;
    // The member's verdict once it has learned the row, for the detectors (as MOA's); its prediction
    // before, for its vote and its accuracy.
    const after = this.afterScratch().fill(0);
    const p = m.main.tree.learnOneScored(load(m.main, data, o), y, weight, after);
    this.addVote(m, p, out, vo, weights, r);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    m.seen++;
    if (best === y) m.correct++;
    const bg = m.background;
    if (bg !== null && weight > 0) bg.tree.learnOne(load(bg, data, o), y, weight);
    // A row the member did not learn (Poisson weight 0) is not watched, as in MOA.
    if (!this.detect || !(weight > 0)) return;
    let verdict = 0;
    for (let c = 1; c < after.length; c++) if (after[c] > after[verdict]) verdict = c;
    const wrong = verdict !== y;
    if (this.grow && errorRose(m.warning, wrong)) {
      m.background = this.newPatch(this.drawSubspace(m.rng), m.rng);
      m.warning.reset();
      m.warnings++;
    }
    if (errorRose(m.drift, wrong)) {
      m.main = m.background ?? this.newPatch(this.drawSubspace(m.rng), m.rng);
      m.background = null;
      m.warning.reset();
      m.drift.reset();
      m.correct = 0;
      m.seen = 0;
      m.drifts++;
    }
  }

  private after = new Float64Array(0);

  /** A work area of k numbers for a member's probabilities once it has learned a row. */
  private afterScratch(): Float64Array {
    if (this.after.length !== this.k) this.after = new Float64Array(this.k);
    return this.after;
  }

  /** Adds a member's vote, its probabilities weighted by its accuracy (or 1), at out[o..o+k). */
  private addVote(m: Member, p: Float64Array, out: Float64Array, o: number, weights: Float64Array, r: number): void {
    const w = this.weighted ? (m.seen > 0 ? m.correct / m.seen : 0) : 1;
    if (w <= 0) return;
    let s = 0;
    for (let c = 0; c < p.length; c++) s += p[c];
    if (s <= 0) return;
    const top = Math.min(p.length, this.k);
    for (let c = 0; c < top; c++) out[o + c] += (w * p[c]) / s;
    weights[r] += w;
  }

  /** The summed votes as probabilities, in place; a row no member could vote on is uniform. */
  private normalise(out: Float64Array, weights: Float64Array, rows: number): Float64Array {
    const k = this.k;
    for (let r = 0; r < rows; r++) {
      const w = weights[r];
      for (let c = 0; c < k; c++) out[r * k + c] = w > 0 ? out[r * k + c] / w : 1 / k;
    }
    return out;
  }

  /** A new subspace of the member's size, for a background or replacement tree; null when members see every feature. */
  private drawSubspace(rng: Random): Int32Array | null {
    return this.subspaceSize < this.d ? randomSubspace(this.d, this.subspaceSize, rng) : null;
  }

  private newPatch(features: Int32Array | null, rng: Random): Patch {
    const width = features ? features.length : this.d;
    const nominal = features ? Array.from(features, (f) => this.nominal[f] ?? false) : this.nominal;
    return { features, tree: new HoeffdingTree(this.options, width, this.k, nominal, rng), row: new Float64Array(width) };
  }

  saveState(): LearnerState {
    const patch = (p: Patch): Json => ({ features: p.features ? Array.from(p.features) : null, tree: p.tree.toJSON() });
    const members: Json[] = this.members.map((m) => ({
      index: m.index,
      rng: m.rng.getState(),
      main: patch(m.main),
      background: m.background ? patch(m.background) : null,
      warning: m.warning.getState(),
      drift: m.drift.getState(),
      correct: m.correct,
      seen: m.seen,
      drifts: m.drifts,
      warnings: m.warnings,
    }));
    return { json: { nFeatures: this.d, k: this.k, members } };
  }

  static restore(ctx: LearnerContext, params: Partial<StreamingRandomPatchesParams>, state: LearnerState): StreamingRandomPatches {
    const s = parseState(NAME, stateSchema, state.json);
    checkSavedFeatures(NAME, 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses(NAME, 'k', s.k, ctx, 1);
    const srp = new StreamingRandomPatches({ ...ctx, nClasses: s.k }, params, s.members);
    srp.k = Math.max(s.k, 1);
    return srp;
  }

  private restoreMember(s: MemberState, at: number): Member {
    const rng = new Random(0);
    const where = `members.${at}`;
    const main = this.restorePatch(s.main, rng, `${where}.main`);
    const background = s.background ? this.restorePatch(s.background, rng, `${where}.background`) : null;
    rng.setState(s.rng);
    return {
      index: s.index,
      rng,
      main,
      background,
      warning: ADWIN.restore({ delta: this.params.warningDelta }, s.warning as Json),
      drift: ADWIN.restore({ delta: this.params.driftDelta }, s.drift as Json),
      correct: s.correct,
      seen: s.seen,
      drifts: s.drifts,
      warnings: s.warnings,
    };
  }

  /**
   * A saved tree on its subspace, after checking that the subspace holds
   * features the schema has, each once, and that the tree reads no feature
   * past its subspace: a state from elsewhere would otherwise read past the
   * row it projects, or answer from the wrong features, silently.
   */
  private restorePatch(s: PatchState, rng: Random, where: string): Patch {
    let features: Int32Array | null = null;
    if (s.features !== null) {
      const f = s.features;
      for (let j = 0; j < f.length; j++) {
        if (f[j] >= this.d) throw new Error(`${NAME}: saved state's ${where}.features holds feature ${f[j]}, but the schema and preprocessing give ${this.d} features`);
        if (j > 0 && f[j] <= f[j - 1]) throw new Error(`${NAME}: saved state's ${where}.features is not ascending and distinct at ${j}`);
      }
      if (f.length === 0) throw new Error(`${NAME}: saved state's ${where}.features is empty`);
      features = Int32Array.from(f);
    }
    const patch = this.newPatch(features, rng);
    checkTreeWidth(s.tree, patch.row.length, `${where}.tree`);
    patch.tree.restore(s.tree as TreeJSON);
    return patch;
  }
}

/** Projects the row at data[o..) onto the patch's features, into its work row. */
function load(p: Patch, data: Float64Array, o: number): Float64Array {
  const row = p.row;
  const f = p.features;
  if (f === null) for (let j = 0; j < row.length; j++) row[j] = data[o + j];
  else for (let j = 0; j < f.length; j++) row[j] = data[o + f[j]];
  return row;
}

/** Fails when a saved tree tests, or keeps observers for, features past `width` (its member's subspace). */
function checkTreeWidth(tree: unknown, width: number, where: string): void {
  const bad = (what: string): never => {
    throw new Error(`${NAME}: saved state's ${where} ${what}, but its subspace has ${width} features`);
  };
  const root = (tree as { root?: unknown } | null)?.root;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as { kind?: unknown; feature?: unknown; children?: unknown; observers?: unknown } | null;
    if (typeof node !== 'object' || node === null) continue;
    if (node.kind === 'split') {
      if (typeof node.feature !== 'number' || !(node.feature >= 0 && node.feature < width)) bad(`splits on feature ${String(node.feature)}`);
      if (Array.isArray(node.children)) stack.push(...(node.children as unknown[]));
    } else if (Array.isArray(node.observers) && node.observers.length !== width) {
      bad(`has a leaf observing ${node.observers.length} features`);
    }
  }
}

// The merge reads only what it ranks members by, and carries each member through whole, as saved.
const mergedMemberSchema = looseObject({ index: count, correct: finiteNumber, seen: finiteNumber });
const mergeStateSchema = object({ nFeatures: positiveInteger, k: integer, members: v.array(mergedMemberSchema) });

/**
 * Replicas pool their members, up to ensembleSize: each gives slots in
 * proportion to the rows it learned (largest remainders), its members taken
 * by their accuracy so far (correct / seen), each with its own subspace.
 */
export const streamingRandomPatchesMerge: MergeRule = jsonMergeRule('pooled members', (states, { params, weights }) => {
  const parsed = states.map((s) => parseState(NAME, mergeStateSchema, s));
  if (new Set(parsed.map((p) => p.nFeatures)).size > 1) fail(`merge: the ${NAME} replicas have different feature counts`);
  const slots = allocateSlots(Number(params.ensembleSize), weights, parsed.map((p) => p.members.length));
  const accuracy = (m: { correct: number; seen: number }): number => (m.seen > 0 ? m.correct / m.seen : 0);
  const members = parsed.flatMap((p, r) => [...p.members].sort((a, b) => accuracy(b) - accuracy(a) || a.index - b.index).slice(0, slots[r]));
  return { nFeatures: parsed[0].nFeatures, k: Math.max(...parsed.map((p) => p.k)), members: members.map((m, index) => ({ ...m, index })) as unknown as Json };
});

// The registry checks every value against its ParamSpec before this cast.
const paramsAs = (p: Params): Partial<StreamingRandomPatchesParams> => p as unknown as Partial<StreamingRandomPatchesParams>;
const d = streamingRandomPatchesDefaults;

export const streamingRandomPatchesDefinition: LearnerDefinition = {
  name: NAME,
  summary: 'Hoeffding trees each on one random subspace for its life, Poisson(6) bagging, ADWIN warning/drift with background trees',
  reference: 'Gomes, Read & Bifet 2019',
  params: {
    ensembleSize: { type: 'integer', default: d.ensembleSize, min: 1, max: 1_000, doc: 'trees (at most 1,000)' },
    trainingMethod: {
      type: 'choice',
      default: d.trainingMethod,
      choices: ['random-patches', 'random-subspaces', 'resampling'],
      doc: 'subspaces and Poisson weights, subspaces alone, or Poisson weights alone',
    },
    subspaceMode: { type: 'choice', default: d.subspaceMode, choices: ['percentage', 'count', 'sqrt', 'd-minus-sqrt'], doc: 'how subspace-size is read' },
    subspaceSize: { type: 'integer', default: d.subspaceSize, min: -1_000_000, max: 1_000_000, doc: 'features per member, by subspace-mode (negative: d minus it)' },
    lambda: { type: 'number', default: d.lambda, min: 0, exclusiveMin: true, doc: 'Poisson rate of online bagging' },
    driftDelta: probabilityParam(d.driftDelta, 'ADWIN confidence of the drift detector'),
    warningDelta: probabilityParam(d.warningDelta, 'ADWIN confidence of the warning detector'),
    driftDetection: onOffParam(d.driftDetection, 'members replaced on drift'),
    backgroundLearner: onOffParam(d.backgroundLearner, 'background trees grown from a warning'),
    weightedVote: onOffParam(d.weightedVote, 'votes weighted by member accuracy'),
    ...splitParams(d),
  },
  scaleInputs: false,
  nominalNative: true,
  // Trees take NaN: observers skip it when learning; a NaN at a split follows the heaviest branch.
  missingNative: true,
  create: async (ctx, p) => new StreamingRandomPatches(ctx, paramsAs(p)),
  restore: async (ctx, p, s) => StreamingRandomPatches.restore(ctx, paramsAs(p), s),
  merge: streamingRandomPatchesMerge,
};
