import * as v from 'valibot';
import { fail } from '../../core/errors.js';
import { probabilityParam, type ParamSpec, type Params } from '../../core/params.js';
import { Random } from '../../core/random.js';
import { anything, checkWith, count, finiteNumber, integer, type Json, nonNegative, numbers, object, parseState, positiveInteger, rngState } from '../../core/state.js';
import type { Matrix } from '../../core/types.js';
import { ADWIN } from '../../drift/adwin.js';
import { checkSavedFeatures, type FeatureContext, type LearnerState } from '../contract.js';
import type { MergeRefusal } from '../merge-rule.js';
import { learnRows, predictRows, type RegressionBatch, type Regressor, type RegressorDefinition } from '../regressor.js';
import {
  addTarget,
  addTargetAt,
  EBSTArena,
  emptyStats,
  NominalRegressionObserver,
  observerFromJSON,
  statsSchema,
  statsToJSON,
  type RegressionSplitSuggestion,
} from './regression-observers.js';

export type LeafPredictionMode = 'mean' | 'model' | 'adaptive';
export const leafPredictionModes: readonly LeafPredictionMode[] = ['mean', 'model', 'adaptive'];

/** The parameters of the Hoeffding tree regressor (FIMT-DD); see hoeffdingTreeRegressorDefaults. */
export interface HoeffdingTreeRegressorParams {
  /** Weight a leaf learns between split attempts. */
  readonly gracePeriod: number;
  /** Delta of the Hoeffding bound. */
  readonly splitConfidence: number;
  /** Bound below which the best split is taken even when it does not clearly win. */
  readonly tieThreshold: number;
  /** 'mean' (regression tree), 'model' (model tree: a perceptron per leaf) or 'adaptive' (whichever has erred less at the leaf). */
  readonly leafPrediction: LeafPredictionMode;
  /** Deepest a leaf may be and still split (the root is at depth 0); 0: no limit. */
  readonly maxDepth: number;
  /** Weight every branch of a candidate split must have. */
  readonly minSamplesSplit: number;
  /** Fading factor of the leaf errors 'adaptive' compares. */
  readonly modelSelectorDecay: number;
  /** Initial learning rate of the leaf perceptrons. */
  readonly learningRate: number;
  /** The perceptron's rate is learningRate / (1 + n * learningRateDecay) after n rows. */
  readonly learningRateDecay: number;
  /** Memory bound in estimated bytes; past it the least promising leaves stop growing. */
  readonly maxByteSize: number;
  /** Rows between checks of the memory bound. */
  readonly memoryEstimatePeriod: number;
}

/**
 * River's HoeffdingTreeRegressor defaults (grace period 200, delta 1e-7,
 * tie threshold 0.05, adaptive leaves, no depth limit, 5 rows a branch,
 * selector decay 0.95); the perceptron's rate 0.02 and decay 0.001 as
 * MOA's FIMTDD; the memory bound as our classifier tree's (MOA's 32 MiB,
 * checked every 1,000,000 rows).
 */
export const hoeffdingTreeRegressorDefaults: HoeffdingTreeRegressorParams = {
  gracePeriod: 200,
  splitConfidence: 1e-7,
  tieThreshold: 0.05,
  leafPrediction: 'adaptive',
  maxDepth: 0,
  minSamplesSplit: 5,
  modelSelectorDecay: 0.95,
  learningRate: 0.02,
  learningRateDecay: 0.001,
  maxByteSize: 33_554_432,
  memoryEstimatePeriod: 1_000_000,
};

/** Options of the class that are not user-facing parameters: what an ensemble sets for its members. */
export interface TreeRegressorOptions {
  /**
   * Features each leaf may split on, drawn afresh for every new leaf from
   * the tree's seeded generator (the random subspaces of the adaptive random
   * forest); 0, or at least nFeatures, means all. The leaf models still read
   * every feature.
   */
  readonly subspaceSize?: number;
  /**
   * The generator the tree draws from (subspaces, perceptron weights, HAT's
   * bootstrap); an ensemble passes its member's own. Absent: one derived from
   * ctx.seed. saveState() records its state and restore() sets it.
   */
  readonly rng?: Random;
}

/** What a node id holds in RegressionTree.kind. */
const FREE = 0;
const LEAF = 1;
const NUMERIC_SPLIT = 2;
const NOMINAL_SPLIT = 3;

/** RegressionTree's alternate of a split that never had an alternate subtree (absent from its saved state). */
const NO_ALTERNATE = -2;
/** RegressionTree's alternate of a split whose alternate was swapped in or dropped (null in its saved state). */
export const ALTERNATE_GONE = -1;

// A node's record in RegressionTree.nodes: eight numbers, 64 bytes (a cache line's worth). First, every node's weight, mean and M2
// of its targets: a leaf's are what it predicts (inherited from the split that made it, then its own rows); a
// split's, of the rows that passed, predict for a category it has no branch for and weigh its branches for a
// missing value.
const RECORD = 8;
const STATS = 0;
// A split's: the feature tested, the threshold of a numeric test (x <= threshold goes to the first child), its two
// children (a numeric test's; a nominal one's are in RegressionTree.children), the adaptive tree's alternate
// subtree (its root, NO_ALTERNATE or ALTERNATE_GONE).
const FEATURE = 3;
const THRESHOLD = 4;
const CHILD = 5;
const ALTERNATE = 7;
// A leaf's: the weight learned since it was made (its split attempts' n) and at its last attempt; the faded
// absolute errors of its mean and of its model (adaptive prediction); where its model, subspace and observers are
// kept (its store: see RegressionTree.weights).
const SEEN = 3;
const LAST_EVAL = 4;
const MEAN_ERROR = 5;
const MODEL_ERROR = 6;
const STORE = 7;

/** A leaf's observer slot with no observer yet. */
const NO_OBSERVER = -1;

/** Rows between measurements of the tree's size after failed split attempts (see learnLeaf). */
const SIZE_CHECK_ROWS = 10_000;

// Estimated bytes of a node besides its observers and model, for the memory bound.
const NODE_BYTES = 160;
// Saved trees deeper than this are refused: no tree grows so deep, and the adaptive tree walks its nodes recursively.
const MAX_SAVED_DEPTH = 5_000;

/** `to` with `from` copied into its start. */
function widened<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * The tree of FIMT-DD (Ikonomovska, Gama & Džeroski 2011, "Learning model
 * trees from evolving data streams"), as River's HoeffdingTreeRegressor and
 * MOA's FIMTDD grow it: what HoeffdingTreeRegressor and the adaptive tree
 * drive.
 *
 * Nodes are ids into flat typed arrays, not objects: a forest's ten trees
 * are descended every row, twenty levels deep, and every split passed takes
 * the row into its statistics; in objects that is a chain of pointers per
 * level and, where V8 keeps a number field boxed, a heap number per update.
 * Here what a descent reads of a node is one record of eight numbers (64
 * bytes), and what a leaf learns with is its record, its store (its model's
 * weights, its subspace, its observer slots: arrays by store, which only
 * leaves have, so that a wide tree's splits do not hold a leaf's room) and
 * its E-BSTs in the tree's EBSTArena. Ids of nodes and stores that leave the
 * tree are reused. A nominal split's branches and a nominal feature's
 * observers are objects. The saved state is the nested form it always was.
 */
export class RegressionTree {
  root: number;
  /** Running statistics of every feature and the target, over all rows: the perceptrons' standardisation (as MOA's FIMTDD). */
  readonly inputs: { w: Float64Array; mean: Float64Array; m2: Float64Array };
  readonly target = emptyStats();
  rowsSinceMemoryCheck = 0;
  /** rowsSinceMemoryCheck when the size was last measured after a failed split attempt. */
  sizeCheckedAt = -SIZE_CHECK_ROWS;
  /** Leaves turned inactive by the memory bound, counted for reports. */
  deactivations = 0;

  // Every node, by id: what it is, its depth (the root's is 0) and its record (RECORD numbers).
  private kind = new Uint8Array(0);
  depth = new Int32Array(0);
  private nodes = new Float64Array(0);
  /** A nominal split's category -> branch, and its children by branch. */
  private readonly branches: (Map<number, number> | null)[] = [];
  private readonly children: (number[] | null)[] = [];
  // Every leaf's store, by the index its record holds: its perceptron's weights (nFeatures of them, then the bias:
  // modelWidth numbers a store, none with mean leaves) and the weight of the rows the perceptron learned (what its
  // rate decays with).
  private weights = new Float64Array(0);
  private modelRows = new Float64Array(0);
  private readonly modelWidth: number;
  /**
   * Features a leaf observes: each leaf's random subspace (`slots` of them,
   * in ascending order) when the tree draws subspaces, else all of them.
   */
  private readonly slots: number;
  private readonly drawsSubspaces: boolean;
  /** Per store, 1 when its leaf has a subspace (`slots` features in `subspaces`); a leaf that does not grow may have none. */
  private hasSubspace = new Uint8Array(0);
  private subspaces = new Int32Array(0);
  /** Per store, 1 when its leaf grows (keeps observers); 0 when the memory bound or the depth limit stopped it. */
  private observing = new Uint8Array(0);
  /**
   * Per store, `slots` observers, one per feature its leaf observes (the
   * i-th of its subspace, or feature i): an E-BST's handle in `arena`, -2 -
   * i for nominal observer i, or NO_OBSERVER until the leaf first learns.
   */
  private observers = new Float64Array(0);
  /** Where the leaves' E-BSTs keep their nodes. */
  private readonly arena = new EBSTArena();
  /** The observers of nominal features; freed ones are null, their indices reused. */
  private readonly nominalObservers: (NominalRegressionObserver | null)[] = [];
  private readonly freeNominal: number[] = [];
  // The adaptive tree's error monitor of a node and the running statistics its errors are normalised by (three
  // numbers a node, and whether it has them).
  readonly errors: (ADWIN | undefined)[] = [];
  errorStats = new Float64Array(0);
  hasErrorStats = new Uint8Array(0);

  /** Ids in use or freed (the arrays' used length), the arrays' length, and the ids free for reuse; the same of stores. */
  private used = 0;
  private capacity = 0;
  private readonly freeIds: number[] = [];
  private storesUsed = 0;
  private storeCapacity = 0;
  private readonly freeStores: number[] = [];
  /** After learnDescend: the mean of the split that had no branch for the row (what predictOne gave it), else NaN. */
  unroutedMean = NaN;

  /** Per feature, its population standard deviation (inputs.m2 / inputs.w), kept as learnScales changes them. */
  private readonly inputSd: Float64Array;
  /** Per feature, 1 when nominal: the leaf models read it as 0. */
  private readonly nominalFlags: Uint8Array;
  /** The target's population standard deviation over all rows so far (0 below two rows' weight). */
  private targetDeviation = 0;
  private readonly scaled: Float64Array;
  /** The target and weight of the row a leaf learns, as its observers take them (see EBSTArena.update). */
  private readonly row = new Float64Array(2);
  /** The squared norm of the row standardise() last wrote into `scaled`; NaN when that row is stale (see beginRow). */
  private scaledNorm = NaN;

  constructor(
    readonly params: HoeffdingTreeRegressorParams,
    readonly nFeatures: number,
    readonly nominal: readonly boolean[],
    readonly rng: Random,
    readonly subspaceSize: number,
  ) {
    this.inputs = { w: new Float64Array(nFeatures), mean: new Float64Array(nFeatures), m2: new Float64Array(nFeatures) };
    this.inputSd = new Float64Array(nFeatures);
    this.nominalFlags = Uint8Array.from({ length: nFeatures }, (_, j) => (nominal[j] ? 1 : 0));
    this.scaled = new Float64Array(nFeatures + 1);
    this.modelWidth = params.leafPrediction === 'mean' ? 0 : nFeatures + 1;
    this.drawsSubspaces = subspaceSize > 0 && subspaceSize < nFeatures;
    this.slots = this.drawsSubspaces ? subspaceSize : nFeatures;
    this.grow(16);
    this.growStores(16);
    this.root = this.newLeaf(0, 0, 0, 0, -1, 0, 0);
  }

  /** Whether a leaf at this depth may split. */
  grows(depth: number): boolean {
    return this.params.maxDepth === 0 || depth < this.params.maxDepth;
  }

  isLeaf(id: number): boolean {
    return this.kind[id] === LEAF;
  }

  /** A split's feature. */
  featureOf(split: number): number {
    return this.nodes[RECORD * split + FEATURE];
  }

  /** A split's alternate: its root, NO_ALTERNATE or ALTERNATE_GONE. */
  alternateOf(split: number): number {
    return this.nodes[RECORD * split + ALTERNATE];
  }

  setAlternate(split: number, alternate: number): void {
    this.nodes[RECORD * split + ALTERNATE] = alternate;
  }

  private grow(capacity: number): void {
    this.kind = widened(this.kind, new Uint8Array(capacity));
    this.depth = widened(this.depth, new Int32Array(capacity));
    this.nodes = widened(this.nodes, new Float64Array(RECORD * capacity));
    this.errorStats = widened(this.errorStats, new Float64Array(3 * capacity));
    this.hasErrorStats = widened(this.hasErrorStats, new Uint8Array(capacity));
    this.capacity = capacity;
  }

  private growStores(capacity: number): void {
    this.weights = widened(this.weights, new Float64Array(this.modelWidth * capacity));
    this.modelRows = widened(this.modelRows, new Float64Array(capacity));
    this.hasSubspace = widened(this.hasSubspace, new Uint8Array(capacity));
    this.subspaces = widened(this.subspaces, new Int32Array((this.drawsSubspaces ? this.slots : 0) * capacity));
    this.observing = widened(this.observing, new Uint8Array(capacity));
    this.observers = widened(this.observers, new Float64Array(this.slots * capacity));
    this.storeCapacity = capacity;
  }

  /** A fresh id: a freed one, or the next; its record cleared. */
  private allocate(kind: number, depth: number): number {
    let id = this.freeIds.pop();
    if (id === undefined) {
      if (this.used === this.capacity) this.grow(2 * this.capacity);
      id = this.used++;
    }
    this.kind[id] = kind;
    this.depth[id] = depth;
    this.nodes.fill(0, RECORD * id, RECORD * id + RECORD);
    this.errorStats.fill(0, 3 * id, 3 * id + 3);
    this.hasErrorStats[id] = 0;
    this.branches[id] = null;
    this.children[id] = null;
    this.errors[id] = undefined;
    return id;
  }

  /** A fresh leaf store: a freed one, or the next; no subspace, not observing. */
  private allocateStore(): number {
    let store = this.freeStores.pop();
    if (store === undefined) {
      if (this.storesUsed === this.storeCapacity) this.growStores(2 * this.storeCapacity);
      store = this.storesUsed++;
    }
    this.hasSubspace[store] = 0;
    this.observing[store] = 0;
    this.modelRows[store] = 0;
    return store;
  }

  /** A leaf's store. */
  private storeOf(leaf: number): number {
    return this.nodes[RECORD * leaf + STORE];
  }

  /** Frees a leaf's store, and its observers: the leaf is gone or has become a split. */
  private freeStore(leaf: number): void {
    const store = this.storeOf(leaf);
    this.dropObservers(store);
    this.freeStores.push(store);
  }

  /** Gives back the ids of a subtree that has left the tree (its alternates' too), its leaves' stores and observers. */
  freeSubtree(id: number): void {
    const stack = [id];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const kind = this.kind[node];
      if (kind === FREE) continue;
      if (kind === LEAF) this.freeStore(node);
      else {
        for (let b = 0, n = this.childCount(node); b < n; b++) stack.push(this.childAt(node, b));
        const alternate = this.alternateOf(node);
        if (alternate >= 0) stack.push(alternate);
      }
      this.kind[node] = FREE;
      this.branches[node] = null;
      this.children[node] = null;
      this.errors[node] = undefined;
      this.freeIds.push(node);
    }
  }

  /** Starts a store's observing afresh: every slot empty. */
  private startObserving(store: number): void {
    this.observing[store] = 1;
    this.observers.fill(NO_OBSERVER, this.slots * store, this.slots * (store + 1));
  }

  /** Frees a store's observers and stops its observing. */
  private dropObservers(store: number): void {
    if (this.observing[store] === 0) return;
    const o = this.slots * store;
    for (let i = 0; i < this.slots; i++) {
      const handle = this.observers[o + i];
      if (handle >= 0) this.arena.release(handle);
      else if (handle !== NO_OBSERVER) {
        this.nominalObservers[-2 - handle] = null;
        this.freeNominal.push(-2 - handle);
      }
    }
    this.observing[store] = 0;
  }

  /** The feature a store's slot i observes. */
  private slotFeature(store: number, i: number): number {
    return this.drawsSubspaces ? this.subspaces[this.slots * store + i] : i;
  }

  /** A store's observer of slot i: an E-BST handle, a nominal observer, or null before its leaf's first row. */
  private observerAt(store: number, i: number): number | NominalRegressionObserver | null {
    const handle = this.observers[this.slots * store + i];
    if (handle === NO_OBSERVER) return null;
    return handle >= 0 ? handle : this.nominalObservers[-2 - handle]!;
  }

  /** Keeps a nominal observer: its slot value. */
  private keepNominal(observer: NominalRegressionObserver): number {
    let index = this.freeNominal.pop();
    if (index === undefined) index = this.nominalObservers.push(observer) - 1;
    else this.nominalObservers[index] = observer;
    return -2 - index;
  }

  /**
   * A new leaf with the given target statistics; its model a copy of leaf
   * `modelFrom`'s with half its count (MOA: a child's rate starts higher
   * than its parent's, lower than a new model's), or a new one (-1).
   */
  newLeaf(w: number, mean: number, m2: number, depth: number, modelFrom: number, meanError: number, modelError: number): number {
    const id = this.allocate(LEAF, depth);
    const store = this.allocateStore();
    const nodes = this.nodes;
    const r = RECORD * id;
    nodes[r + STATS] = w;
    nodes[r + STATS + 1] = mean;
    nodes[r + STATS + 2] = m2;
    nodes[r + STORE] = store;
    const width = this.modelWidth;
    if (width > 0) {
      if (modelFrom >= 0) {
        const from = this.storeOf(modelFrom);
        this.weights.copyWithin(width * store, width * from, width * (from + 1));
        this.modelRows[store] = this.modelRows[from] / 2;
      } else this.newModel(store);
    }
    if (this.grows(depth)) {
      this.startObserving(store);
      this.drawSubspace(store);
    }
    nodes[r + MEAN_ERROR] = meanError;
    nodes[r + MODEL_ERROR] = modelError;
    return id;
  }

  /** MOA's initial perceptron: weights uniform in [-1, 1], scaled to sum 1 in absolute value (small, random). */
  private newModel(store: number): void {
    const weights = this.weights;
    const width = this.modelWidth;
    const o = width * store;
    let sum = 0;
    for (let j = 0; j < width; j++) {
      weights[o + j] = 2 * this.rng.next() - 1;
      sum += Math.abs(weights[o + j]);
    }
    if (sum > 0) for (let j = 0; j < width; j++) weights[o + j] /= sum;
    this.modelRows[store] = 0;
  }

  /** A store's random subspace, when the tree draws them: `slots` features in ascending order. */
  private drawSubspace(store: number): void {
    if (!this.drawsSubspaces) return;
    const m = this.slots;
    const drawn = this.rng.permutation(this.nFeatures).subarray(0, m).sort();
    this.subspaces.set(drawn, m * store);
    this.hasSubspace[store] = 1;
  }

  /** A split's number of branches. */
  childCount(split: number): number {
    return this.kind[split] === NUMERIC_SPLIT ? 2 : this.children[split]!.length;
  }

  /** A split's child on branch b. */
  childAt(split: number, b: number): number {
    return this.kind[split] === NUMERIC_SPLIT ? this.nodes[RECORD * split + CHILD + b] : this.children[split]![b];
  }

  /** Puts `node` on a split's branch b. */
  setChild(split: number, b: number, node: number): void {
    if (this.kind[split] === NUMERIC_SPLIT) this.nodes[RECORD * split + CHILD + b] = node;
    else this.children[split]![b] = node;
  }

  /** The branch with the most weight (the first of equals): where a missing value goes. */
  private heaviestBranch(split: number): number {
    let best = 0;
    let bestWeight = this.nodes[RECORD * this.childAt(split, 0) + STATS];
    for (let b = 1, n = this.childCount(split); b < n; b++) {
      const w = this.nodes[RECORD * this.childAt(split, b) + STATS];
      if (w > bestWeight) {
        best = b;
        bestWeight = w;
      }
    }
    return best;
  }

  /** The branch a value goes to: a missing value (NaN) to the heaviest; -1 for a category with no branch yet. */
  branchOf(split: number, value: number): number {
    if (value !== value) return this.heaviestBranch(split);
    if (this.kind[split] === NUMERIC_SPLIT) return value <= this.nodes[RECORD * split + THRESHOLD] ? 0 : 1;
    return this.branches[split]!.get(value) ?? -1;
  }

  /**
   * Follows the tests from `start` to a leaf: its id, or ~id of the split
   * that has no branch for the row's category.
   */
  descend(x: Float64Array, start: number = this.root): number {
    const kind = this.kind;
    const nodes = this.nodes;
    let node = start;
    for (;;) {
      const k = kind[node];
      if (k === NUMERIC_SPLIT) {
        const r = RECORD * node;
        const value = x[nodes[r + FEATURE]];
        if (value <= nodes[r + THRESHOLD]) node = nodes[r + CHILD];
        else if (value === value) node = nodes[r + CHILD + 1];
        else node = this.childAt(node, this.heaviestBranch(node));
      } else if (k === NOMINAL_SPLIT) {
        const b = this.branchOf(node, x[nodes[RECORD * node + FEATURE]]);
        if (b < 0) return ~node;
        node = this.children[node]![b];
      } else return node;
    }
  }

  /**
   * descend() from the root for a row being learned: each split passed takes
   * the row into its statistics, after choosing its branch (which they do
   * not change: a missing value's heaviest branch stays the heaviest once
   * it gains the row), and a category a nominal split has no branch for gets
   * one. Returns the leaf; unroutedMean is then the mean of the first split
   * that had no branch, before it took the row (what predictOne gave it), or
   * NaN.
   */
  learnDescend(x: Float64Array, y: number, weight: number): number {
    const kind = this.kind;
    const nodes = this.nodes;
    let unrouted = NaN;
    let node = this.root;
    for (;;) {
      const k = kind[node];
      if (k === LEAF) break;
      const r = RECORD * node;
      const value = x[nodes[r + FEATURE]];
      let next: number;
      if (k === NUMERIC_SPLIT) {
        if (value <= nodes[r + THRESHOLD]) next = nodes[r + CHILD];
        else if (value === value) next = nodes[r + CHILD + 1];
        else next = this.childAt(node, this.heaviestBranch(node));
      } else {
        const b = this.branchOf(node, value);
        next = b < 0 ? -1 : this.children[node]![b];
        if (b < 0 && unrouted !== unrouted) unrouted = nodes[r + STATS + 1];
      }
      addTargetAt(nodes, r + STATS, y, weight);
      if (next < 0) {
        // A new leaf, the row's; making it may have grown (replaced) the arrays read above.
        node = this.newBranch(node, value);
        break;
      }
      node = next;
    }
    this.unroutedMean = unrouted;
    return node;
  }

  /** The prediction where a row landed (see descend): the leaf's, or the mean of a split with no branch for it. */
  predictAt(landing: number, x: Float64Array): number {
    if (landing < 0) return this.nodes[RECORD * ~landing + STATS + 1];
    const r = RECORD * landing;
    switch (this.params.leafPrediction) {
      case 'mean':
        return this.nodes[r + STATS + 1];
      case 'model':
        return this.modelPrediction(landing, x);
      default:
        return this.nodes[r + MODEL_ERROR] < this.nodes[r + MEAN_ERROR] ? this.modelPrediction(landing, x) : this.nodes[r + STATS + 1];
    }
  }

  /**
   * Says that a new row comes: what standardise() kept of the last one is
   * stale. Every way in (predicting or learning a row) calls it first; the
   * leaf models of one row then share one standardisation (the prediction
   * before learning, the errors of an adaptive leaf, the steps of the
   * perceptron, the adaptive tree's alternates).
   */
  beginRow(): void {
    this.scaledNorm = NaN;
  }

  /**
   * The row standardised into the work array, plus the bias input: (x -
   * mean) / sd per numeric feature over all rows so far (as MOA's FIMTDD);
   * 0 for a nominal or missing value, a feature not yet seen twice or one
   * that has not varied. Returns the squared norm. Done once per row until
   * the statistics change (learnScales) or another row comes (beginRow).
   */
  private standardise(x: Float64Array): number {
    if (this.scaledNorm === this.scaledNorm) return this.scaledNorm;
    const { mean } = this.inputs;
    const sds = this.inputSd;
    const nominal = this.nominalFlags;
    const out = this.scaled;
    let norm = 0;
    for (let j = 0; j < this.nFeatures; j++) {
      const value = x[j];
      const sd = sds[j];
      const z = nominal[j] === 1 || value !== value || !(sd > 1e-7) ? 0 : (value - mean[j]) / sd;
      out[j] = z;
      norm += z * z;
    }
    const bias = this.target.w > 1 ? 1 : 0;
    out[this.nFeatures] = bias;
    this.scaledNorm = norm + bias;
    return norm + bias;
  }

  /** Works out the deviations standardise() divides by from the running statistics (after a restore). */
  private updateDeviations(): void {
    const t = this.target;
    this.targetDeviation = t.w > 1 ? Math.sqrt(t.m2 / t.w) : 0;
    const { w, m2 } = this.inputs;
    for (let j = 0; j < this.nFeatures; j++) {
      const n = w[j];
      this.inputSd[j] = n > 1 ? Math.sqrt(m2[j] / n) : 0;
    }
    this.scaledNorm = NaN;
  }

  /** A leaf's perceptron prediction, back on the target's scale; the target's mean until the target has varied. */
  modelPrediction(leaf: number, x: Float64Array): number {
    const sd = this.targetDeviation;
    if (!(sd > 0)) return this.target.mean;
    this.standardise(x);
    return this.dotScaled(this.storeOf(leaf)) * sd + this.target.mean;
  }

  /** A store's perceptron output on the row standardise() left in the work array. */
  private dotScaled(store: number): number {
    const z = this.scaled;
    const wts = this.weights;
    const o = this.modelWidth * store;
    let p = 0;
    for (let j = 0; j < z.length; j++) p += wts[o + j] * z[j];
    return p;
  }

  /**
   * Updates a leaf's model with a row, and for adaptive leaves first the
   * faded errors of its mean and its model on the row (each judged on a row
   * it has not learned yet). The model learns by FIMT-DD's delta rule on the
   * standardised row and target, at the rate learningRate / (1 + n *
   * learningRateDecay), n the weight it has learned; a weight w is floor(w)
   * steps (MOA's loop for bagging) plus one of the fraction. The step is
   * capped so that it never overshoots the row (rate times the row's
   * squared norm at most 1): MOA keeps its weights from diverging by
   * rescaling them after every row, which also pins their sum; the cap binds
   * only on wide rows (50 features and more at the first rate) and leaves
   * the rule as it is elsewhere.
   */
  private learnModel(leaf: number, x: Float64Array, y: number, weight: number): void {
    const store = this.storeOf(leaf);
    const n = (this.modelRows[store] += weight);
    const sd = this.targetDeviation;
    const adaptive = this.params.leafPrediction === 'adaptive';
    if (!(sd > 0)) {
      if (adaptive) this.fadeErrors(leaf, y, this.target.mean);
      return;
    }
    const norm = this.standardise(x);
    const target = (y - this.target.mean) / sd;
    if (adaptive) this.fadeErrors(leaf, y, this.dotScaled(store) * sd + this.target.mean);
    const rate = Math.min(this.params.learningRate / (1 + n * this.params.learningRateDecay), norm > 0 ? 1 / norm : Infinity);
    const z = this.scaled;
    const wts = this.weights;
    const o = this.modelWidth * store;
    const whole = Math.floor(weight);
    const steps = whole + (weight > whole ? 1 : 0);
    for (let s = 0; s < steps; s++) {
      const step = s < whole ? rate : rate * (weight - whole);
      const delta = (target - this.dotScaled(store)) * step;
      for (let j = 0; j < z.length; j++) wts[o + j] += delta * z[j];
    }
  }

  /** The adaptive leaf's faded absolute errors, of its mean and of its model's prediction `modelPrediction`, on a row not yet learned. */
  private fadeErrors(leaf: number, y: number, modelPrediction: number): void {
    const decay = this.params.modelSelectorDecay;
    const nodes = this.nodes;
    const r = RECORD * leaf;
    nodes[r + MEAN_ERROR] = decay * nodes[r + MEAN_ERROR] + Math.abs(y - nodes[r + STATS + 1]);
    nodes[r + MODEL_ERROR] = decay * nodes[r + MODEL_ERROR] + Math.abs(y - modelPrediction);
  }

  /** Adds the row to the standardisation statistics; once per row learned, after the leaves (as MOA). */
  learnScales(x: Float64Array, y: number, weight: number): void {
    if (this.params.leafPrediction === 'mean') return;
    addTarget(this.target, y, weight);
    const t = this.target;
    this.targetDeviation = t.w > 1 ? Math.sqrt(t.m2 / t.w) : 0;
    const { w, mean, m2 } = this.inputs;
    const nominal = this.nominalFlags;
    for (let j = 0; j < this.nFeatures; j++) {
      const value = x[j];
      if (value !== value || nominal[j] === 1) continue;
      const n = w[j] + weight;
      const d = value - mean[j];
      mean[j] += (d * weight) / n;
      m2[j] += weight * d * (value - mean[j]);
      w[j] = n;
      this.inputSd[j] = n > 1 ? Math.sqrt(m2[j] / n) : 0;
    }
    this.scaledNorm = NaN;
  }

  /** Adds a row to a split's statistics as it passes. */
  passSplit(split: number, y: number, weight: number): void {
    addTargetAt(this.nodes, RECORD * split + STATS, y, weight);
  }

  /** A leaf for a category a nominal split has no branch for yet, hung from it. */
  newBranch(split: number, value: number): number {
    const leaf = this.newLeaf(0, 0, 0, this.depth[split] + 1, -1, 0, 0);
    const children = this.children[split]!;
    this.branches[split]!.set(value, children.length);
    children.push(leaf);
    return leaf;
  }

  /**
   * Learns a row at its leaf; true when the leaf decided to split, and is
   * now that split (in place: whatever pointed to the leaf points to it).
   */
  learnLeaf(leaf: number, x: Float64Array, y: number, weight: number): boolean {
    if (this.modelWidth > 0) this.learnModel(leaf, x, y, weight);
    const nodes = this.nodes;
    const r = RECORD * leaf;
    addTargetAt(nodes, r + STATS, y, weight);
    const seen = (nodes[r + SEEN] += weight);
    const store = nodes[r + STORE];
    if (this.observing[store] === 0) return false;
    const row = this.row;
    row[0] = y;
    row[1] = weight;
    const observers = this.observers;
    const o = this.slots * store;
    for (let i = 0; i < this.slots; i++) {
      const f = this.slotFeature(store, i);
      const handle = observers[o + i];
      if (handle >= 0) observers[o + i] = this.arena.update(handle, x, f, row);
      else if (handle === NO_OBSERVER) {
        if (this.nominalFlags[f] === 1) {
          const nominal = new NominalRegressionObserver();
          nominal.update(x, f, row);
          observers[o + i] = this.keepNominal(nominal);
        } else observers[o + i] = this.arena.update(this.arena.create(), x, f, row);
      } else this.nominalObservers[-2 - handle]!.update(x, f, row);
    }
    if (seen - nodes[r + LAST_EVAL] < this.params.gracePeriod) return false;
    nodes[r + LAST_EVAL] = seen;
    const split = this.attemptSplit(leaf);
    // An E-BST grows with the rows its leaf learns, so the bound is also checked after a failed attempt; but
    // measuring walks the whole tree, so at most once per SIZE_CHECK_ROWS rows (an E-BST adds at most one node
    // per row and feature, so the bound is overshot by little).
    if (!split && this.rowsSinceMemoryCheck - this.sizeCheckedAt >= SIZE_CHECK_ROWS) {
      this.sizeCheckedAt = this.rowsSinceMemoryCheck;
      if (this.estimateBytes() > this.params.maxByteSize) this.enforceMemoryBound();
    }
    return split;
  }

  /**
   * FIMT-DD's split decision: each feature's best split by SDR; the leaf
   * splits on the best when the second's merit over the best's is below 1 -
   * eps, eps the Hoeffding bound sqrt(R^2 ln(1/delta) / 2n) with R = 1 and
   * n the weight the leaf has learned, or when eps falls below the tie
   * threshold; never when the best reduces nothing. With one candidate only,
   * it is taken (MOA; River's null split, merit -inf, gives the same).
   * Merits tied to the bit go to the lower feature index. An attempt that
   * does not split prunes the E-BSTs of the points that cannot win.
   */
  private attemptSplit(leaf: number): boolean {
    const minWeight = this.params.minSamplesSplit;
    const store = this.storeOf(leaf);
    // The two best merits and the best's slot (-1: none yet); only the winner's split is built. Slots go by
    // ascending feature.
    let bestSlot = -1;
    let bestMerit = -Infinity;
    let secondSlot = -1;
    let secondMerit = -Infinity;
    for (let i = 0; i < this.slots; i++) {
      const observer = this.observerAt(store, i);
      if (observer === null) continue;
      const merit = typeof observer === 'number' ? this.arena.bestMerit(observer, minWeight) : observer.bestMerit(minWeight);
      // -Infinity: no candidate; NaN: none that can be compared.
      if (!(merit > -Infinity)) continue;
      if (bestSlot < 0 || merit > bestMerit) {
        secondSlot = bestSlot;
        secondMerit = bestMerit;
        bestSlot = i;
        bestMerit = merit;
      } else if (secondSlot < 0 || merit > secondMerit) {
        secondSlot = i;
        secondMerit = merit;
      }
    }
    if (bestSlot < 0 || !(bestMerit > 0)) return false;
    if (secondSlot >= 0) {
      const bound = Math.sqrt(Math.log(1 / this.params.splitConfidence) / (2 * this.nodes[RECORD * leaf + SEEN]));
      const ratio = secondMerit / bestMerit;
      if (!(ratio < 1 - bound || bound < this.params.tieThreshold)) {
        // No split yet: the points that cannot win are dropped from the E-BSTs (FIMT-DD, River).
        if (secondMerit > 0) {
          const o = this.slots * store;
          for (let i = 0; i < this.slots; i++) {
            const handle = this.observers[o + i];
            if (handle >= 0) this.observers[o + i] = this.arena.removeBadSplits(handle, ratio, bestMerit, bound, minWeight);
          }
        }
        return false;
      }
    }
    const winner = this.observerAt(store, bestSlot)!;
    const feature = this.slotFeature(store, bestSlot);
    this.makeSplit(leaf, typeof winner === 'number' ? this.arena.bestSplit(winner, feature) : winner.bestSplit(feature));
    return true;
  }

  /**
   * Turns a leaf into the split `s`, in place: the split keeps the leaf's
   * statistics; its children start from the split's statistics of their
   * side and a copy of the leaf's model and errors (River). The leaf's
   * store and observers are freed.
   */
  private makeSplit(leaf: number, s: RegressionSplitSuggestion): void {
    const nodes = this.nodes;
    const r = RECORD * leaf;
    const depth = this.depth[leaf];
    const meanError = nodes[r + MEAN_ERROR];
    const modelError = nodes[r + MODEL_ERROR];
    const children = s.post.map((p) => this.newLeaf(p.w, p.mean, p.m2, depth + 1, leaf, meanError, modelError));
    this.freeStore(leaf);
    // A new split: no error monitor, no alternate yet.
    this.errors[leaf] = undefined;
    this.hasErrorStats[leaf] = 0;
    this.errorStats.fill(0, 3 * leaf, 3 * leaf + 3);
    // `nodes` again: making the children may have grown the arrays.
    const record = this.nodes;
    record.fill(0, r + STATS + 3, r + RECORD);
    record[r + FEATURE] = s.feature;
    record[r + ALTERNATE] = NO_ALTERNATE;
    if (s.values) {
      this.kind[leaf] = NOMINAL_SPLIT;
      record[r + THRESHOLD] = NaN;
      this.branches[leaf] = new Map(s.values.map((value, i) => [value, i]));
      this.children[leaf] = children;
    } else {
      this.kind[leaf] = NUMERIC_SPLIT;
      record[r + THRESHOLD] = s.threshold ?? NaN;
      record[r + CHILD] = children[0];
      record[r + CHILD + 1] = children[1];
    }
  }

  /** Counts a learned row; every memoryEstimatePeriod rows, the memory bound is enforced. */
  countRow(): void {
    if (++this.rowsSinceMemoryCheck >= this.params.memoryEstimatePeriod) {
      this.rowsSinceMemoryCheck = 0;
      this.sizeCheckedAt = 0;
      this.enforceMemoryBound();
    }
  }

  /** Every node, alternates and what hangs below them included, depth first (each split's children in order, then its alternate). */
  private forEachNode(visit: (node: number) => void): void {
    const stack = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      visit(node);
      if (this.kind[node] !== LEAF) {
        for (let b = 0, n = this.childCount(node); b < n; b++) stack.push(this.childAt(node, b));
        const alternate = this.alternateOf(node);
        if (alternate >= 0) stack.push(alternate);
      }
    }
  }

  private observerBytes(leaf: number): number {
    const store = this.storeOf(leaf);
    if (this.observing[store] === 0) return 0;
    let bytes = 0;
    for (let i = 0; i < this.slots; i++) {
      const observer = this.observerAt(store, i);
      if (observer !== null) bytes += typeof observer === 'number' ? this.arena.bytes(observer) : observer.bytes;
    }
    return bytes;
  }

  /** Estimated bytes of the tree: what the memory bound compares with maxByteSize. */
  estimateBytes(): number {
    let bytes = 0;
    this.forEachNode((node) => {
      bytes += NODE_BYTES;
      if (this.kind[node] === LEAF) bytes += this.observerBytes(node) + 8 * this.modelWidth;
    });
    return bytes;
  }

  /**
   * MOA's memory management, as our classifier tree's: past maxByteSize the
   * least promising leaves stop growing and drop their observers; with room
   * again the most promising inactive ones start afresh. A leaf's promise is
   * its targets' sum of squared deviations: the error a split could remove.
   * Inactive leaves still learn their mean and model.
   */
  enforceMemoryBound(): void {
    const leaves: number[] = [];
    this.forEachNode((node) => {
      if (this.kind[node] === LEAF && this.grows(this.depth[node])) leaves.push(node);
    });
    const total = this.estimateBytes();
    const active = leaves.filter((l) => this.observing[this.storeOf(l)] === 1);
    if (active.length === 0) return;
    const activeBytes = active.reduce((s, l) => s + this.observerBytes(l), 0);
    if (total <= this.params.maxByteSize && active.length === leaves.length) return;
    const fixed = total - activeBytes;
    const room = Math.max(0, Math.floor((this.params.maxByteSize - fixed) / Math.max(activeBytes / active.length, 1)));
    const ranked = [...leaves].sort((a, b) => this.nodes[RECORD * b + STATS + 2] - this.nodes[RECORD * a + STATS + 2]);
    ranked.forEach((leaf, i) => {
      const store = this.storeOf(leaf);
      if (i < room && this.observing[store] === 0) {
        this.startObserving(store);
        this.drawSubspace(store);
        this.nodes[RECORD * leaf + LAST_EVAL] = this.nodes[RECORD * leaf + SEEN];
      } else if (i >= room && this.observing[store] === 1) {
        this.dropObservers(store);
        this.deactivations++;
      }
    });
  }

  /** Leaves, splits and depth of the main tree (alternates left out). */
  size(): { leaves: number; splits: number; depth: number } {
    let leaves = 0;
    let splits = 0;
    let depth = 0;
    const stack = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      depth = Math.max(depth, this.depth[node]);
      if (this.kind[node] === LEAF) leaves++;
      else {
        splits++;
        for (let b = 0, n = this.childCount(node); b < n; b++) stack.push(this.childAt(node, b));
      }
    }
    return { leaves, splits, depth };
  }

  /** The root's test, or null while the root is a leaf. */
  rootTest(): { feature: number; threshold: number; categories: number[] | null } | null {
    const root = this.root;
    if (this.kind[root] === LEAF) return null;
    const branches = this.branches[root];
    return { feature: this.featureOf(root), threshold: this.nodes[RECORD * root + THRESHOLD], categories: branches ? [...branches.keys()] : null };
  }

  toJSON(): Json {
    return {
      rowsSinceMemoryCheck: this.rowsSinceMemoryCheck,
      sizeCheckedAt: this.sizeCheckedAt,
      deactivations: this.deactivations,
      inputs: { w: Array.from(this.inputs.w), mean: Array.from(this.inputs.mean), m2: Array.from(this.inputs.m2) },
      target: statsToJSON(this.target),
      root: this.nodeToJSON(this.root),
    };
  }

  private adaptiveToJSON(id: number): Record<string, Json> {
    const out: Record<string, Json> = {};
    const errors = this.errors[id];
    if (errors) out.errors = errors.getState();
    if (this.hasErrorStats[id] === 1) out.errorStats = Array.from(this.errorStats.subarray(3 * id, 3 * id + 3));
    return out;
  }

  /** A node and what hangs below it in the saved form. */
  private nodeToJSON(id: number): Json {
    const r = RECORD * id;
    const stats = Array.from(this.nodes.subarray(r + STATS, r + STATS + 3));
    if (this.kind[id] !== LEAF) {
      const branches = this.branches[id];
      const children: Json[] = [];
      for (let b = 0, n = this.childCount(id); b < n; b++) children.push(this.nodeToJSON(this.childAt(id, b)));
      const out: Record<string, Json> = {
        kind: 'split',
        depth: this.depth[id],
        feature: this.nodes[r + FEATURE],
        threshold: branches === null ? this.nodes[r + THRESHOLD] : null,
        branches: branches ? [...branches.entries()] : null,
        children,
        stats,
        ...this.adaptiveToJSON(id),
      };
      const alternate = this.alternateOf(id);
      if (alternate !== NO_ALTERNATE) out.alternate = alternate >= 0 ? this.nodeToJSON(alternate) : null;
      return out;
    }
    const store = this.storeOf(id);
    let observers: Json[] | null = null;
    if (this.observing[store] === 1) {
      observers = new Array<Json>(this.nFeatures).fill(null);
      for (let i = 0; i < this.slots; i++) {
        const observer = this.observerAt(store, i);
        if (observer !== null) observers[this.slotFeature(store, i)] = typeof observer === 'number' ? this.arena.toJSON(observer) : observer.toJSON();
      }
    }
    const width = this.modelWidth;
    return {
      kind: 'leaf',
      depth: this.depth[id],
      stats,
      seen: this.nodes[r + SEEN],
      lastEval: this.nodes[r + LAST_EVAL],
      observers,
      features: this.hasSubspace[store] === 1 ? Array.from(this.subspaces.subarray(this.slots * store, this.slots * (store + 1))) : null,
      model: width > 0 ? { weights: Array.from(this.weights.subarray(width * store, width * (store + 1))), n: this.modelRows[store] } : null,
      meanError: this.nodes[r + MEAN_ERROR],
      modelError: this.nodes[r + MODEL_ERROR],
      ...this.adaptiveToJSON(id),
    };
  }

  /**
   * Loads a saved tree, checked field by field (a model directory may come
   * from anyone): fails in one line naming `learner` and the field's path.
   * `errorDelta`: the ADWIN confidence of the adaptive tree's node monitors.
   */
  restore(learner: string, json: Json, errorDelta?: number): void {
    const s = parseState(learner, treeSchema, json);
    const d = this.nFeatures;
    for (const key of ['w', 'mean', 'm2'] as const) {
      if (s.inputs[key].length !== d) fail(`${learner}: saved state is invalid at tree.inputs.${key}: expected ${d} numbers, received ${s.inputs[key].length}`);
    }
    this.rowsSinceMemoryCheck = s.rowsSinceMemoryCheck;
    this.sizeCheckedAt = s.sizeCheckedAt;
    this.deactivations = s.deactivations;
    this.inputs.w.set(s.inputs.w);
    this.inputs.mean.set(s.inputs.mean);
    this.inputs.m2.set(s.inputs.m2);
    [this.target.w, this.target.mean, this.target.m2] = s.target;
    this.updateDeviations();
    this.freeSubtree(this.root);
    this.root = this.nodeFromJSON(learner, s.root, errorDelta);
  }

  /**
   * Rebuilds the nodes from the root down with a stack of its own: a hostile
   * state cannot exhaust the call stack. Each node is put where its parent
   * holds it: a branch (>= 0), the parent's alternate (-2) or the root (-1).
   */
  private nodeFromJSON(learner: string, json: unknown, errorDelta: number | undefined): number {
    const bad = (path: string, problem: string): never => fail(`${learner}: saved state is invalid at ${path}.${problem}`);
    const expectsModel = this.params.leafPrediction !== 'mean';
    let root = -1;
    const stack: { json: unknown; path: string; depth: number; parent: number; slot: number }[] = [{ json, path: 'tree.root', depth: 0, parent: -1, slot: -1 }];
    while (stack.length > 0) {
      const item = stack.pop()!;
      const { path } = item;
      const kind = typeof item.json === 'object' && item.json !== null ? (item.json as { kind?: unknown }).kind : undefined;
      if (kind !== 'leaf' && kind !== 'split') bad(path, 'kind: expected "leaf" or "split"');
      const checked = checkWith(kind === 'leaf' ? leafSchema : splitSchema, item.json);
      if (!checked.ok) bad(path, checked.problem);
      const n = (checked as { value: v.InferOutput<typeof leafSchema> | v.InferOutput<typeof splitSchema> }).value;
      if (n.depth !== item.depth) bad(path, `depth: expected ${item.depth}, received ${n.depth}`);
      if (n.depth > MAX_SAVED_DEPTH) bad(path, `depth: deeper than ${MAX_SAVED_DEPTH} levels`);
      let errors: ADWIN | undefined;
      if (n.errors !== undefined) {
        if (errorDelta === undefined) bad(path, 'errors: not expected in this tree');
        try {
          errors = ADWIN.restore({ delta: errorDelta }, n.errors as Json);
        } catch (err) {
          bad(path, `errors: ${(err as Error).message.replace(/^adwin: saved state is invalid at /, '')}`);
        }
      }
      let id: number;
      if (n.kind === 'leaf') {
        // Per feature, its observer (an E-BST's handle or a nominal observer), null where it has none.
        let observers: (number | NominalRegressionObserver | null)[] | null = null;
        if (n.observers !== null) {
          if (n.observers.length !== this.nFeatures) bad(path, `observers: expected ${this.nFeatures} entries, received ${n.observers.length}`);
          observers = n.observers.map((o, f) => {
            if (o === null) return null;
            const made = observerFromJSON(o, this.arena);
            if (!made.ok) return bad(`${path}.observers.${f}`, made.problem);
            if ((typeof made.value !== 'number') !== Boolean(this.nominal[f])) bad(`${path}.observers.${f}`, `kind: feature ${f} is ${this.nominal[f] ? 'nominal' : 'numeric'}`);
            return made.value;
          });
        }
        if (n.features !== null && n.features.some((f) => f >= this.nFeatures)) bad(path, `features: a feature past the ${this.nFeatures} there are`);
        // What this tree's leaves observe: a subspace of `slots` features in ascending order when it draws them, else every feature.
        if (n.features !== null && !(this.drawsSubspaces && n.features.length === this.slots && n.features.every((f, i) => i === 0 || f > n.features![i - 1]))) {
          bad(path, this.drawsSubspaces ? `features: expected ${this.slots} distinct features in ascending order` : 'features: not expected in a tree without subspaces');
        }
        if (n.observers !== null && this.drawsSubspaces && n.features === null) bad(path, 'features: missing for a leaf with observers');
        if (n.observers !== null && n.features !== null && n.observers.some((o, f) => o !== null && !n.features!.includes(f))) bad(path, 'observers: an observer of a feature outside the leaf\'s features');
        if (expectsModel !== (n.model !== null)) bad(path, `model: ${expectsModel ? 'missing' : 'not expected with mean leaves'}`);
        if (n.model !== null && n.model.weights.length !== this.nFeatures + 1) bad(path, `model.weights: expected ${this.nFeatures + 1} numbers, received ${n.model.weights.length}`);
        id = this.allocate(LEAF, n.depth);
        const store = this.allocateStore();
        if (n.features !== null) {
          this.subspaces.set(n.features, this.slots * store);
          this.hasSubspace[store] = 1;
        }
        if (observers !== null) {
          this.startObserving(store);
          for (let i = 0; i < this.slots; i++) {
            const observer = observers[this.slotFeature(store, i)];
            if (observer !== null) this.observers[this.slots * store + i] = typeof observer === 'number' ? observer : this.keepNominal(observer);
          }
        }
        const r = RECORD * id;
        this.nodes[r + STORE] = store;
        this.nodes[r + SEEN] = n.seen;
        this.nodes[r + LAST_EVAL] = n.lastEval;
        if (n.model !== null) {
          this.weights.set(n.model.weights, this.modelWidth * store);
          this.modelRows[store] = n.model.n;
        }
        this.nodes[r + MEAN_ERROR] = n.meanError;
        this.nodes[r + MODEL_ERROR] = n.modelError;
      } else {
        if (n.feature >= this.nFeatures) bad(path, `feature: ${n.feature} is past the ${this.nFeatures} features`);
        if (Boolean(this.nominal[n.feature]) !== (n.branches !== null)) bad(path, `branches: feature ${n.feature} is ${this.nominal[n.feature] ? 'nominal' : 'numeric'}`);
        if (n.branches === null) {
          if (n.threshold === null) bad(path, 'threshold: missing for a numeric test');
          if (n.children.length !== 2) bad(path, `children: a numeric test has 2, received ${n.children.length}`);
        } else {
          if (n.children.length < 1) bad(path, 'children: none');
          const used = new Set<number>();
          for (const [, b] of n.branches) {
            if (b >= n.children.length || used.has(b)) bad(path, `branches: branch ${b} is not a child, or taken twice`);
            used.add(b);
          }
          if (used.size !== n.children.length) bad(path, 'branches: a child no category leads to');
        }
        id = this.allocate(n.branches === null ? NUMERIC_SPLIT : NOMINAL_SPLIT, n.depth);
        const r = RECORD * id;
        this.nodes[r + FEATURE] = n.feature;
        this.nodes[r + THRESHOLD] = n.branches === null ? n.threshold! : NaN;
        this.nodes[r + ALTERNATE] = NO_ALTERNATE;
        if (n.branches !== null) {
          this.branches[id] = new Map(n.branches);
          this.children[id] = new Array<number>(n.children.length).fill(-1);
        }
        if (n.alternate !== undefined) {
          this.nodes[r + ALTERNATE] = ALTERNATE_GONE;
          if (n.alternate !== null) stack.push({ json: n.alternate, path: `${path}.alternate`, depth: n.depth, parent: id, slot: -2 });
        }
        n.children.forEach((c, i) => stack.push({ json: c, path: `${path}.children.${i}`, depth: n.depth + 1, parent: id, slot: i }));
      }
      const r = RECORD * id;
      [this.nodes[r + STATS], this.nodes[r + STATS + 1], this.nodes[r + STATS + 2]] = n.stats;
      this.errors[id] = errors;
      if (n.errorStats !== undefined) {
        this.hasErrorStats[id] = 1;
        [this.errorStats[3 * id], this.errorStats[3 * id + 1], this.errorStats[3 * id + 2]] = n.errorStats;
      }
      if (item.slot === -1) root = id;
      else if (item.slot === -2) this.setAlternate(item.parent, id);
      else this.setChild(item.parent, item.slot, id);
    }
    return root;
  }
}

const featureIndex = count;
const adaptiveEntries = { errors: v.optional(anything), errorStats: v.optional(statsSchema) };
const leafSchema = object({
  kind: v.literal('leaf'),
  depth: count,
  stats: statsSchema,
  seen: nonNegative,
  lastEval: nonNegative,
  observers: v.nullable(v.array(v.unknown())),
  features: v.nullable(v.array(featureIndex)),
  model: v.nullable(object({ weights: numbers, n: nonNegative })),
  meanError: nonNegative,
  modelError: nonNegative,
  ...adaptiveEntries,
});
const splitSchema = object({
  kind: v.literal('split'),
  depth: count,
  feature: featureIndex,
  threshold: v.nullable(finiteNumber),
  branches: v.nullable(v.array(v.strictTuple([finiteNumber, count]))),
  children: v.array(v.unknown()),
  stats: statsSchema,
  alternate: v.optional(v.unknown()),
  ...adaptiveEntries,
});
const treeSchema = object({
  rowsSinceMemoryCheck: count,
  sizeCheckedAt: integer,
  deactivations: count,
  inputs: object({ w: v.array(nonNegative), mean: numbers, m2: v.array(nonNegative) }),
  target: statsSchema,
  root: anything,
});

export const treeRegressorStateSchema = object({ nFeatures: positiveInteger, tree: anything, rng: rngState });

/** Typed parameters from a registry's resolved ones (numbers and strings). */
export function treeRegressorParamsOf(p: Params): HoeffdingTreeRegressorParams {
  const d = hoeffdingTreeRegressorDefaults;
  const num = (key: keyof HoeffdingTreeRegressorParams, fallback: number): number => (p[key] === undefined ? fallback : Number(p[key]));
  return {
    gracePeriod: num('gracePeriod', d.gracePeriod),
    splitConfidence: num('splitConfidence', d.splitConfidence),
    tieThreshold: num('tieThreshold', d.tieThreshold),
    leafPrediction: leafPredictionModes.find((m) => m === p.leafPrediction) ?? d.leafPrediction,
    maxDepth: num('maxDepth', d.maxDepth),
    minSamplesSplit: num('minSamplesSplit', d.minSamplesSplit),
    modelSelectorDecay: num('modelSelectorDecay', d.modelSelectorDecay),
    learningRate: num('learningRate', d.learningRate),
    learningRateDecay: num('learningRateDecay', d.learningRateDecay),
    maxByteSize: num('maxByteSize', d.maxByteSize),
    memoryEstimatePeriod: num('memoryEstimatePeriod', d.memoryEstimatePeriod),
  };
}

/** The parameter specs both tree regressors share, with their defaults. */
export function treeRegressorParams(d: HoeffdingTreeRegressorParams): Record<string, ParamSpec> {
  return {
    gracePeriod: { type: 'integer', default: d.gracePeriod, min: 1, doc: 'weight a leaf learns between split attempts' },
    splitConfidence: probabilityParam(d.splitConfidence, 'delta of the Hoeffding bound'),
    tieThreshold: { type: 'number', default: d.tieThreshold, min: 0, doc: 'bound below which the best split is taken' },
    leafPrediction: { type: 'choice', default: d.leafPrediction, choices: leafPredictionModes, doc: 'mean, model (a perceptron per leaf) or adaptive (whichever erred less)' },
    maxDepth: { type: 'integer', default: d.maxDepth, min: 0, doc: 'deepest level a leaf splits at (0: no limit)' },
    minSamplesSplit: { type: 'integer', default: d.minSamplesSplit, min: 1, doc: 'weight each branch of a candidate split needs' },
    modelSelectorDecay: probabilityParam(d.modelSelectorDecay, 'fading factor of the errors adaptive leaves compare'),
    learningRate: { type: 'number', default: d.learningRate, min: 0, exclusiveMin: true, max: 1, doc: 'initial learning rate of the leaf perceptrons' },
    learningRateDecay: { type: 'number', default: d.learningRateDecay, min: 0, max: 1, doc: 'rate is learning-rate / (1 + n * decay) after n rows' },
    maxByteSize: { type: 'integer', default: d.maxByteSize, min: 1024, doc: 'memory bound of the tree (estimated bytes)' },
    memoryEstimatePeriod: { type: 'integer', default: d.memoryEstimatePeriod, min: 1, doc: 'rows between memory checks' },
  };
}

/**
 * Hoeffding tree regressor: FIMT-DD (Ikonomovska, Gama & Džeroski 2011,
 * "Learning model trees from evolving data streams") as River's
 * HoeffdingTreeRegressor and MOA's FIMTDD grow it. A leaf keeps, per
 * feature, an extended binary search tree (E-BST) of the values it saw with
 * their targets' statistics, and every grace period scores each feature's
 * best split by standard deviation reduction (SDR); it splits when the
 * second-best SDR over the best is below 1 - eps (eps the Hoeffding bound,
 * range 1, confidence delta), or eps is below the tie threshold. Nominal
 * features split multiway, one branch per category (River's default); a
 * category first seen at a split gets a branch of its own. Leaves predict
 * their targets' mean ('mean'), a perceptron on standardised inputs
 * trained by the delta rule ('model', FIMT-DD's leaf model), or whichever
 * of the two has the lower faded absolute error there ('adaptive', the
 * default). A missing value (NaN) goes to the heaviest branch and is left
 * out of the leaf's statistics for that feature. A memory bound stops the
 * least promising leaves from growing.
 * Defaults (River's, see hoeffdingTreeRegressorDefaults): grace period
 * 200, delta 1e-7, tie threshold 0.05, adaptive leaves, no depth limit, 5
 * rows a branch, selector decay 0.95; perceptron rate 0.02 with decay 0.001
 * (MOA); 32 MiB memory bound.
 *
 * @example
 * const tree = new HoeffdingTreeRegressor({ nFeatures: 2, seed: 1 });
 * for (let i = 0; i < 2000; i++) tree.learnOne(new Float64Array([i % 10, 0]), i % 10 < 5 ? 1 : 9);
 * tree.predictOne(new Float64Array([2, 0])); // about 1
 */
export class HoeffdingTreeRegressor implements Regressor {
  readonly name: string = 'hoeffding-tree-regressor';
  readonly task = 'regression' as const;
  readonly params: HoeffdingTreeRegressorParams;
  protected readonly tree: RegressionTree;
  protected readonly rng: Random;
  protected readonly d: number;
  /**
   * What predictOne() gives the row of the last learnOneWeightedScored(...,
   * true) once learned: what a forest's detectors watch.
   */
  predictedAfterLearning = NaN;

  /**
   * `options.subspaceSize` and `options.rng` are for ensembles (see
   * TreeRegressorOptions); a tree on its own leaves them out.
   */
  constructor(ctx: FeatureContext, params: Partial<HoeffdingTreeRegressorParams> = {}, options: TreeRegressorOptions = {}) {
    this.params = { ...hoeffdingTreeRegressorDefaults, ...params };
    this.d = ctx.nFeatures;
    this.rng = options.rng ?? Random.derive(ctx.seed, this.rngPurpose());
    this.tree = new RegressionTree(this.params, ctx.nFeatures, ctx.nominal ?? [], this.rng, options.subspaceSize ?? 0);
  }

  /** The name the tree's generator is derived under. */
  protected rngPurpose(): string {
    return 'hoeffding-tree-regressor';
  }

  learn(batch: RegressionBatch): void {
    learnRows(this, batch);
  }

  predict(x: Matrix): Float64Array {
    return predictRows(this, x);
  }

  learnOne(x: Float64Array, y: number): void {
    this.learnRow(x, y, 1, false, false);
  }

  /**
   * The row's weight goes into the leaf's statistics and observers and into
   * its perceptron's steps, as MOA's instance weight; a weight of 0 (a
   * Poisson draw of none) learns nothing.
   */
  learnOneWeighted(x: Float64Array, y: number, weight: number): void {
    if (!(weight > 0)) return;
    this.learnRow(x, y, weight, false, false);
  }

  /** Test-then-train of one row: predictOne(x) as it was, then learnOne(x, y), in one descent. */
  learnOneScored(x: Float64Array, y: number): number {
    return this.learnRow(x, y, 1, true, false);
  }

  /**
   * Learns a row with a weight (as learnOneWeighted; a weight of 0 only
   * predicts) and returns what predictOne() gave it just before, from the
   * same descent (see RegressionTree.learnDescend). With `after`,
   * predictedAfterLearning is set to what predictOne() gives the row once
   * learned: from the same leaf, or from the split it became.
   */
  learnOneWeightedScored(x: Float64Array, y: number, weight: number, after: boolean): number {
    return this.learnRow(x, y, weight, true, after);
  }

  /**
   * What every way of learning a row comes to: learns it with a weight (0:
   * only predicts), and returns what predictOne() gave it before when
   * `before` (else NaN), and sets predictedAfterLearning when `after`.
   */
  learnRow(x: Float64Array, y: number, weight: number, before: boolean, after: boolean): number {
    const tree = this.tree;
    tree.beginRow();
    if (!(weight > 0)) {
      const predicted = before || after ? tree.predictAt(tree.descend(x), x) : NaN;
      if (after) this.predictedAfterLearning = predicted;
      return predicted;
    }
    const leaf = tree.learnDescend(x, y, weight);
    const unrouted = tree.unroutedMean;
    const predicted = !before ? NaN : unrouted === unrouted ? unrouted : tree.predictAt(leaf, x);
    const split = tree.learnLeaf(leaf, x, y, weight);
    tree.learnScales(x, y, weight);
    tree.countRow();
    if (after) this.predictedAfterLearning = tree.predictAt(split ? tree.descend(x, leaf) : leaf, x);
    return predicted;
  }

  predictOne(x: Float64Array): number {
    this.tree.beginRow();
    return this.tree.predictAt(this.tree.descend(x), x);
  }

  /** Leaves and splits in the main tree: for reports and tests. */
  get size(): { leaves: number; splits: number; depth: number } {
    return this.tree.size();
  }

  /** The tree's estimated bytes (what the memory bound compares) and the leaves it has stopped: for reports and tests. */
  get memory(): { bytes: number; deactivations: number } {
    return { bytes: this.tree.estimateBytes(), deactivations: this.tree.deactivations };
  }

  /** The root's test, or null while the root is a leaf: for tests and reports. */
  get rootTest(): { feature: number; threshold: number; categories: number[] | null } | null {
    return this.tree.rootTest();
  }

  saveState(): LearnerState {
    return { json: { nFeatures: this.d, tree: this.tree.toJSON(), rng: this.rng.getState() } };
  }

  static restore(ctx: FeatureContext, params: Partial<HoeffdingTreeRegressorParams>, state: LearnerState, options: TreeRegressorOptions = {}): HoeffdingTreeRegressor {
    const model = new HoeffdingTreeRegressor(ctx, params, options);
    model.load(state);
    return model;
  }

  /** Loads a saved state into this (new) regressor, naming it in any error. */
  protected load(state: LearnerState, errorDelta?: number): void {
    const s = parseState(this.name, treeRegressorStateSchema, state.json);
    checkSavedFeatures(this.name, 'nFeatures', s.nFeatures, { nFeatures: this.d, seed: 0 });
    this.tree.restore(this.name, s.tree as Json, errorDelta);
    this.rng.setState(s.rng);
  }
}

/** Why replicas of a tree regressor (adaptive or not) do not merge. */
export const treeRegressorMergeRefusal: MergeRefusal = {
  kind: null,
  reason: "a tree's splits are decisions taken on its own rows and two trees do not add up; an ensemble of trees pools its members instead",
};

export const hoeffdingTreeRegressorDefinition: RegressorDefinition = {
  name: 'hoeffding-tree-regressor',
  task: 'regression',
  summary: 'FIMT-DD: splits by standard deviation reduction and the Hoeffding bound, E-BST observers, mean/perceptron/adaptive leaves',
  reference: 'Ikonomovska, Gama & Džeroski 2011; River HoeffdingTreeRegressor',
  params: treeRegressorParams(hoeffdingTreeRegressorDefaults),
  // Splits do not care about scale, and the leaf perceptrons standardise their own inputs.
  scaleInputs: false,
  nominalNative: true,
  // Observers skip NaN; at a split a NaN follows the heaviest branch; the perceptron reads it as the mean.
  missingNative: true,
  create: (ctx, p) => new HoeffdingTreeRegressor(ctx, treeRegressorParamsOf(p)),
  restore: (ctx, p, s) => HoeffdingTreeRegressor.restore(ctx, treeRegressorParamsOf(p), s),
  merge: treeRegressorMergeRefusal,
};
