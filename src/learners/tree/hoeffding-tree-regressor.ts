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
  EBSTObserver,
  emptyStats,
  NominalRegressionObserver,
  observerFromJSON,
  statsSchema,
  statsToJSON,
  type RegressionObserver,
  type RegressionSplitSuggestion,
  type TargetStats,
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

/** A leaf's linear model: FIMT-DD's perceptron, on standardised inputs and target. */
export interface LeafModel {
  /** One weight per feature, then the bias. */
  weights: Float64Array;
  /** Weight of the rows it learned: what its learning rate decays with. */
  n: number;
}

/** What the adaptive tree adds to a node: its error monitor and the running statistics its errors are normalised by. */
interface Adaptive {
  errors?: ADWIN;
  errorStats?: TargetStats;
}

export interface RegressionLeaf extends Adaptive {
  readonly kind: 'leaf';
  readonly depth: number;
  /** The targets' statistics: the mean it predicts (inherited from the split that made it, then its own rows). */
  stats: TargetStats;
  /** Weight learned since the leaf was made: its split attempts' n. */
  seen: number;
  /** `seen` at the last split attempt. */
  lastEval: number;
  /** Per feature, its split statistics; null when the leaf does not grow (memory bound, depth limit). */
  observers: (RegressionObserver | undefined)[] | null;
  /** The features this leaf may split on; null means all. */
  features: Int32Array | null;
  model: LeafModel | null;
  /** Faded absolute errors of the mean and of the model at this leaf (adaptive prediction). */
  meanError: number;
  modelError: number;
}

export interface RegressionSplit extends Adaptive {
  readonly kind: 'split';
  readonly depth: number;
  readonly feature: number;
  /** Numeric test: x <= threshold goes to child 0. NaN for a nominal test. */
  readonly threshold: number;
  /** Nominal test: category -> child index; null for a numeric test. */
  readonly branches: Map<number, number> | null;
  readonly children: RegressionNode[];
  /** The targets of the rows that passed: predicts for a category with no branch, weighs the branches for a missing value. */
  stats: TargetStats;
  /** HAT's alternate subtree, grown since the node's error rose. */
  alternate?: RegressionNode | null;
}

export type RegressionNode = RegressionLeaf | RegressionSplit;

/** Rows between measurements of the tree's size after failed split attempts (see learnLeaf). */
const SIZE_CHECK_ROWS = 10_000;

// Estimated bytes of a node besides its observers and model, for the memory bound.
const NODE_BYTES = 160;
// Saved trees deeper than this are refused: no tree grows so deep, and the adaptive tree walks its nodes recursively.
const MAX_SAVED_DEPTH = 5_000;

/**
 * The tree of FIMT-DD (Ikonomovska, Gama & Džeroski 2011, "Learning model
 * trees from evolving data streams"), as River's HoeffdingTreeRegressor and
 * MOA's FIMTDD grow it: what HoeffdingTreeRegressor and the adaptive tree
 * drive. Nodes are objects; descents are loops.
 */
export class RegressionTree {
  root: RegressionNode;
  /** Running statistics of every feature and the target, over all rows: the perceptrons' standardisation (as MOA's FIMTDD). */
  readonly inputs: { w: Float64Array; mean: Float64Array; m2: Float64Array };
  readonly target = emptyStats();
  rowsSinceMemoryCheck = 0;
  /** rowsSinceMemoryCheck when the size was last measured after a failed split attempt. */
  sizeCheckedAt = -SIZE_CHECK_ROWS;
  /** Leaves turned inactive by the memory bound, counted for reports. */
  deactivations = 0;
  private readonly scaled: Float64Array;

  constructor(
    readonly params: HoeffdingTreeRegressorParams,
    readonly nFeatures: number,
    readonly nominal: readonly boolean[],
    readonly rng: Random,
    readonly subspaceSize: number,
  ) {
    this.inputs = { w: new Float64Array(nFeatures), mean: new Float64Array(nFeatures), m2: new Float64Array(nFeatures) };
    this.scaled = new Float64Array(nFeatures + 1);
    this.root = this.newLeaf(emptyStats(), 0, null, 0, 0);
  }

  /** Whether a leaf at this depth may split. */
  grows(depth: number): boolean {
    return this.params.maxDepth === 0 || depth < this.params.maxDepth;
  }

  /**
   * A new leaf with the given target statistics; its model a copy of
   * `model` with half its count (MOA: a child's rate starts higher than its
   * parent's, lower than a new model's), or a new one.
   */
  newLeaf(stats: TargetStats, depth: number, model: LeafModel | null, meanError: number, modelError: number): RegressionLeaf {
    let leafModel: LeafModel | null = null;
    if (this.params.leafPrediction !== 'mean') leafModel = model ? { weights: model.weights.slice(), n: model.n / 2 } : this.newModel();
    const grows = this.grows(depth);
    return {
      kind: 'leaf',
      depth,
      stats: { ...stats },
      seen: 0,
      lastEval: 0,
      observers: grows ? new Array<RegressionObserver | undefined>(this.nFeatures) : null,
      features: grows ? this.drawSubspace() : null,
      model: leafModel,
      meanError,
      modelError,
    };
  }

  /** MOA's initial perceptron: weights uniform in [-1, 1], scaled to sum 1 in absolute value (small, random). */
  private newModel(): LeafModel {
    const weights = new Float64Array(this.nFeatures + 1);
    let sum = 0;
    for (let j = 0; j < weights.length; j++) {
      weights[j] = 2 * this.rng.next() - 1;
      sum += Math.abs(weights[j]);
    }
    if (sum > 0) for (let j = 0; j < weights.length; j++) weights[j] /= sum;
    return { weights, n: 0 };
  }

  private drawSubspace(): Int32Array | null {
    const m = this.subspaceSize;
    if (m <= 0 || m >= this.nFeatures) return null;
    return this.rng.permutation(this.nFeatures).slice(0, m).sort();
  }

  /** The child a value goes to: a missing value (NaN) to the heaviest branch; -1 for a category with no branch yet. */
  branchOf(split: RegressionSplit, value: number): number {
    if (value !== value) {
      let best = 0;
      for (let i = 1; i < split.children.length; i++) if (split.children[i].stats.w > split.children[best].stats.w) best = i;
      return best;
    }
    if (split.branches === null) return value <= split.threshold ? 0 : 1;
    return split.branches.get(value) ?? -1;
  }

  /** Follows the tests from `start` to a leaf, or to a split with no branch for the row's category. */
  descend(x: Float64Array, start: RegressionNode = this.root): RegressionNode {
    let node = start;
    while (node.kind === 'split') {
      const b = this.branchOf(node, x[node.feature]);
      if (b < 0) return node;
      node = node.children[b];
    }
    return node;
  }

  /** The prediction where a row landed: the leaf's, or a split's mean (a category it has no branch for). */
  predictAt(node: RegressionNode, x: Float64Array): number {
    if (node.kind === 'split') return node.stats.mean;
    switch (this.params.leafPrediction) {
      case 'mean':
        return node.stats.mean;
      case 'model':
        return this.modelPrediction(node.model!, x);
      default:
        return node.modelError < node.meanError ? this.modelPrediction(node.model!, x) : node.stats.mean;
    }
  }

  /**
   * The row standardised into the work array, plus the bias input: (x -
   * mean) / sd per numeric feature over all rows so far (as MOA's FIMTDD);
   * 0 for a nominal or missing value, a feature not yet seen twice or one
   * that has not varied. Returns the squared norm.
   */
  private standardise(x: Float64Array): number {
    const { w, mean, m2 } = this.inputs;
    const out = this.scaled;
    let norm = 0;
    for (let j = 0; j < this.nFeatures; j++) {
      const value = x[j];
      const n = w[j];
      const sd = n > 1 ? Math.sqrt(m2[j] / n) : 0;
      const z = this.nominal[j] || value !== value || !(sd > 1e-7) ? 0 : (value - mean[j]) / sd;
      out[j] = z;
      norm += z * z;
    }
    const bias = this.target.w > 1 ? 1 : 0;
    out[this.nFeatures] = bias;
    return norm + bias;
  }

  /** The target's population standard deviation over all rows so far. */
  private targetSd(): number {
    const t = this.target;
    return t.w > 1 ? Math.sqrt(t.m2 / t.w) : 0;
  }

  /** The perceptron's prediction, back on the target's scale; the target's mean until the target has varied. */
  modelPrediction(model: LeafModel, x: Float64Array): number {
    const sd = this.targetSd();
    if (!(sd > 0)) return this.target.mean;
    this.standardise(x);
    return this.dotScaled(model) * sd + this.target.mean;
  }

  /** The perceptron's output on the row standardise() left in the work array. */
  private dotScaled(model: LeafModel): number {
    const z = this.scaled;
    const wts = model.weights;
    let p = 0;
    for (let j = 0; j < z.length; j++) p += wts[j] * z[j];
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
  private learnModel(leaf: RegressionLeaf, model: LeafModel, x: Float64Array, y: number, weight: number): void {
    model.n += weight;
    const sd = this.targetSd();
    const adaptive = this.params.leafPrediction === 'adaptive';
    if (!(sd > 0)) {
      if (adaptive) this.fadeErrors(leaf, y, this.target.mean);
      return;
    }
    const norm = this.standardise(x);
    const target = (y - this.target.mean) / sd;
    if (adaptive) this.fadeErrors(leaf, y, this.dotScaled(model) * sd + this.target.mean);
    const rate = Math.min(this.params.learningRate / (1 + model.n * this.params.learningRateDecay), norm > 0 ? 1 / norm : Infinity);
    const z = this.scaled;
    const wts = model.weights;
    const whole = Math.floor(weight);
    const steps = whole + (weight > whole ? 1 : 0);
    for (let s = 0; s < steps; s++) {
      const step = s < whole ? rate : rate * (weight - whole);
      const delta = (target - this.dotScaled(model)) * step;
      for (let j = 0; j < z.length; j++) wts[j] += delta * z[j];
    }
  }

  /** The adaptive leaf's faded absolute errors, of its mean and of its model's prediction `modelPrediction`, on a row not yet learned. */
  private fadeErrors(leaf: RegressionLeaf, y: number, modelPrediction: number): void {
    const decay = this.params.modelSelectorDecay;
    leaf.meanError = decay * leaf.meanError + Math.abs(y - leaf.stats.mean);
    leaf.modelError = decay * leaf.modelError + Math.abs(y - modelPrediction);
  }

  /** Adds the row to the standardisation statistics; once per row learned, after the leaves (as MOA). */
  learnScales(x: Float64Array, y: number, weight: number): void {
    if (this.params.leafPrediction === 'mean') return;
    addTarget(this.target, y, weight);
    const { w, mean, m2 } = this.inputs;
    for (let j = 0; j < this.nFeatures; j++) {
      const value = x[j];
      if (value !== value || this.nominal[j]) continue;
      const n = w[j] + weight;
      const d = value - mean[j];
      mean[j] += (d * weight) / n;
      m2[j] += weight * d * (value - mean[j]);
      w[j] = n;
    }
  }

  /** Adds a row to a split's statistics as it passes. */
  passSplit(split: RegressionSplit, y: number, weight: number): void {
    addTarget(split.stats, y, weight);
  }

  /** A leaf for a category a nominal split has no branch for yet, hung from it. */
  newBranch(split: RegressionSplit, value: number): RegressionLeaf {
    const leaf = this.newLeaf(emptyStats(), split.depth + 1, null, 0, 0);
    split.branches!.set(value, split.children.length);
    split.children.push(leaf);
    return leaf;
  }

  /**
   * Learns a row at its leaf; returns the split to put in the leaf's place
   * when the leaf decides to split, else null.
   */
  learnLeaf(leaf: RegressionLeaf, x: Float64Array, y: number, weight: number): RegressionSplit | null {
    if (leaf.model !== null) this.learnModel(leaf, leaf.model, x, y, weight);
    addTarget(leaf.stats, y, weight);
    leaf.seen += weight;
    const observers = leaf.observers;
    if (observers === null) return null;
    const features = leaf.features;
    const m = features ? features.length : this.nFeatures;
    for (let i = 0; i < m; i++) {
      const f = features ? features[i] : i;
      let obs = observers[f];
      if (obs === undefined) {
        obs = this.nominal[f] ? new NominalRegressionObserver() : new EBSTObserver();
        observers[f] = obs;
      }
      obs.update(x[f], y, weight);
    }
    if (leaf.seen - leaf.lastEval < this.params.gracePeriod) return null;
    leaf.lastEval = leaf.seen;
    const split = this.attemptSplit(leaf);
    // An E-BST grows with the rows its leaf learns, so the bound is also checked after a failed attempt; but
    // measuring walks the whole tree, so at most once per SIZE_CHECK_ROWS rows (an E-BST adds at most one node
    // per row and feature, so the bound is overshot by little).
    if (split === null && this.rowsSinceMemoryCheck - this.sizeCheckedAt >= SIZE_CHECK_ROWS) {
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
  private attemptSplit(leaf: RegressionLeaf): RegressionSplit | null {
    const observers = leaf.observers!;
    const minWeight = this.params.minSamplesSplit;
    let best: RegressionSplitSuggestion | null = null;
    let second: RegressionSplitSuggestion | null = null;
    for (let f = 0; f < observers.length; f++) {
      const obs = observers[f];
      if (obs === undefined) continue;
      const s = obs.bestSplit(f, minWeight);
      if (s === null || !(s.merit === s.merit)) continue;
      if (best === null || s.merit > best.merit) {
        second = best;
        best = s;
      } else if (second === null || s.merit > second.merit) second = s;
    }
    if (best === null || !(best.merit > 0)) return null;
    if (second !== null) {
      const bound = Math.sqrt(Math.log(1 / this.params.splitConfidence) / (2 * leaf.seen));
      const ratio = second.merit / best.merit;
      if (!(ratio < 1 - bound || bound < this.params.tieThreshold)) {
        // No split yet: the points that cannot win are dropped from the E-BSTs (FIMT-DD, River).
        if (second.merit > 0) for (const obs of observers) if (obs instanceof EBSTObserver) obs.removeBadSplits(ratio, best.merit, bound, minWeight);
        return null;
      }
    }
    return this.makeSplit(leaf, best);
  }

  private makeSplit(leaf: RegressionLeaf, s: RegressionSplitSuggestion): RegressionSplit {
    // Children start from the split's statistics of their side and a copy of the leaf's model and errors (River).
    const children = s.post.map((stats) => this.newLeaf(stats, leaf.depth + 1, leaf.model, leaf.meanError, leaf.modelError));
    return {
      kind: 'split',
      depth: leaf.depth,
      feature: s.feature,
      threshold: s.threshold ?? NaN,
      branches: s.values ? new Map(s.values.map((value, i) => [value, i])) : null,
      children,
      stats: { ...leaf.stats },
    };
  }

  /** Counts a learned row; every memoryEstimatePeriod rows, the memory bound is enforced. */
  countRow(): void {
    if (++this.rowsSinceMemoryCheck >= this.params.memoryEstimatePeriod) {
      this.rowsSinceMemoryCheck = 0;
      this.sizeCheckedAt = 0;
      this.enforceMemoryBound();
    }
  }

  /** Every node, alternates and what hangs below them included. */
  private forEachNode(visit: (node: RegressionNode) => void): void {
    const stack: RegressionNode[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      visit(node);
      if (node.kind === 'split') {
        for (const c of node.children) stack.push(c);
        if (node.alternate) stack.push(node.alternate);
      }
    }
  }

  private static observerBytes(leaf: RegressionLeaf): number {
    let bytes = 0;
    if (leaf.observers) for (const o of leaf.observers) if (o) bytes += o.bytes;
    return bytes;
  }

  /** Estimated bytes of the tree: what the memory bound compares with maxByteSize. */
  estimateBytes(): number {
    let bytes = 0;
    this.forEachNode((node) => {
      bytes += NODE_BYTES;
      if (node.kind === 'leaf') {
        bytes += RegressionTree.observerBytes(node);
        if (node.model) bytes += 8 * node.model.weights.length;
      }
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
    const leaves: RegressionLeaf[] = [];
    this.forEachNode((node) => {
      if (node.kind === 'leaf' && this.grows(node.depth)) leaves.push(node);
    });
    const total = this.estimateBytes();
    const active = leaves.filter((l) => l.observers !== null);
    if (active.length === 0) return;
    const activeBytes = active.reduce((s, l) => s + RegressionTree.observerBytes(l), 0);
    if (total <= this.params.maxByteSize && active.length === leaves.length) return;
    const fixed = total - activeBytes;
    const room = Math.max(0, Math.floor((this.params.maxByteSize - fixed) / Math.max(activeBytes / active.length, 1)));
    const ranked = [...leaves].sort((a, b) => b.stats.m2 - a.stats.m2);
    ranked.forEach((leaf, i) => {
      if (i < room && leaf.observers === null) {
        leaf.observers = new Array<RegressionObserver | undefined>(this.nFeatures);
        leaf.features = this.drawSubspace();
        leaf.lastEval = leaf.seen;
      } else if (i >= room && leaf.observers !== null) {
        leaf.observers = null;
        this.deactivations++;
      }
    });
  }

  toJSON(): Json {
    return {
      rowsSinceMemoryCheck: this.rowsSinceMemoryCheck,
      sizeCheckedAt: this.sizeCheckedAt,
      deactivations: this.deactivations,
      inputs: { w: Array.from(this.inputs.w), mean: Array.from(this.inputs.mean), m2: Array.from(this.inputs.m2) },
      target: statsToJSON(this.target),
      root: nodeToJSON(this.root),
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
    this.root = this.nodeFromJSON(learner, s.root, errorDelta);
  }

  /** Rebuilds the nodes from the root down with a stack of its own: a hostile state cannot exhaust the call stack. */
  private nodeFromJSON(learner: string, json: unknown, errorDelta: number | undefined): RegressionNode {
    const bad = (path: string, problem: string): never => fail(`${learner}: saved state is invalid at ${path}.${problem}`);
    const expectsModel = this.params.leafPrediction !== 'mean';
    let root: RegressionNode | null = null;
    const stack: { json: unknown; path: string; depth: number; put: (n: RegressionNode) => void }[] = [{ json, path: 'tree.root', depth: 0, put: (n) => (root = n) }];
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
      const adaptive: Adaptive = {};
      if (n.errors !== undefined) {
        if (errorDelta === undefined) bad(path, 'errors: not expected in this tree');
        try {
          adaptive.errors = ADWIN.restore({ delta: errorDelta }, n.errors as Json);
        } catch (err) {
          bad(path, `errors: ${(err as Error).message.replace(/^adwin: saved state is invalid at /, '')}`);
        }
      }
      if (n.errorStats !== undefined) adaptive.errorStats = { w: n.errorStats[0], mean: n.errorStats[1], m2: n.errorStats[2] };
      const stats = { w: n.stats[0], mean: n.stats[1], m2: n.stats[2] };
      if (n.kind === 'leaf') {
        let observers: (RegressionObserver | undefined)[] | null = null;
        if (n.observers !== null) {
          if (n.observers.length !== this.nFeatures) bad(path, `observers: expected ${this.nFeatures} entries, received ${n.observers.length}`);
          observers = n.observers.map((o, f) => {
            if (o === null) return undefined;
            const made = observerFromJSON(o);
            if (!made.ok) return bad(`${path}.observers.${f}`, made.problem);
            if ((made.value instanceof NominalRegressionObserver) !== Boolean(this.nominal[f])) bad(`${path}.observers.${f}`, `kind: feature ${f} is ${this.nominal[f] ? 'nominal' : 'numeric'}`);
            return made.value;
          });
        }
        if (n.features !== null && n.features.some((f) => f >= this.nFeatures)) bad(path, `features: a feature past the ${this.nFeatures} there are`);
        if (expectsModel !== (n.model !== null)) bad(path, `model: ${expectsModel ? 'missing' : 'not expected with mean leaves'}`);
        if (n.model !== null && n.model.weights.length !== this.nFeatures + 1) bad(path, `model.weights: expected ${this.nFeatures + 1} numbers, received ${n.model.weights.length}`);
        item.put({
          kind: 'leaf',
          depth: n.depth,
          stats,
          seen: n.seen,
          lastEval: n.lastEval,
          observers,
          features: n.features === null ? null : Int32Array.from(n.features),
          model: n.model === null ? null : { weights: Float64Array.from(n.model.weights), n: n.model.n },
          meanError: n.meanError,
          modelError: n.modelError,
          ...adaptive,
        });
        continue;
      }
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
      const children = new Array<RegressionNode>(n.children.length);
      const split: RegressionSplit = {
        kind: 'split',
        depth: n.depth,
        feature: n.feature,
        threshold: n.threshold ?? NaN,
        branches: n.branches === null ? null : new Map(n.branches),
        children,
        stats,
        ...adaptive,
      };
      if (n.alternate !== undefined) {
        split.alternate = null;
        if (n.alternate !== null) stack.push({ json: n.alternate, path: `${path}.alternate`, depth: n.depth, put: (c) => (split.alternate = c) });
      }
      n.children.forEach((c, i) => stack.push({ json: c, path: `${path}.children.${i}`, depth: n.depth + 1, put: (node) => (children[i] = node) }));
      item.put(split);
    }
    return root!;
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

function adaptiveToJSON(node: Adaptive): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (node.errors) out.errors = node.errors.getState();
  if (node.errorStats) out.errorStats = statsToJSON(node.errorStats);
  return out;
}

export function nodeToJSON(node: RegressionNode): Json {
  if (node.kind === 'split') {
    const out: Record<string, Json> = {
      kind: 'split',
      depth: node.depth,
      feature: node.feature,
      threshold: node.branches === null ? node.threshold : null,
      branches: node.branches ? [...node.branches.entries()] : null,
      children: node.children.map(nodeToJSON),
      stats: statsToJSON(node.stats),
      ...adaptiveToJSON(node),
    };
    if (node.alternate !== undefined) out.alternate = node.alternate ? nodeToJSON(node.alternate) : null;
    return out;
  }
  return {
    kind: 'leaf',
    depth: node.depth,
    stats: statsToJSON(node.stats),
    seen: node.seen,
    lastEval: node.lastEval,
    observers: node.observers ? Array.from(node.observers, (o) => (o ? o.toJSON() : null)) : null,
    features: node.features ? Array.from(node.features) : null,
    model: node.model ? { weights: Array.from(node.model.weights), n: node.model.n } : null,
    meanError: node.meanError,
    modelError: node.modelError,
    ...adaptiveToJSON(node),
  };
}

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
    this.learnOneWeighted(x, y, 1);
  }

  /**
   * The row's weight goes into the leaf's statistics and observers and into
   * its perceptron's steps, as MOA's instance weight; a weight of 0 (a
   * Poisson draw of none) learns nothing.
   */
  learnOneWeighted(x: Float64Array, y: number, weight: number): void {
    if (!(weight > 0)) return;
    const tree = this.tree;
    let parent: RegressionSplit | null = null;
    let branch = -1;
    let node = tree.root;
    while (node.kind === 'split') {
      tree.passSplit(node, y, weight);
      let b = tree.branchOf(node, x[node.feature]);
      if (b < 0) {
        tree.newBranch(node, x[node.feature]);
        b = node.children.length - 1;
      }
      parent = node;
      branch = b;
      node = node.children[b];
    }
    const split = tree.learnLeaf(node, x, y, weight);
    if (split !== null) {
      if (parent === null) tree.root = split;
      else parent.children[branch] = split;
    }
    tree.learnScales(x, y, weight);
    tree.countRow();
  }

  predictOne(x: Float64Array): number {
    return this.tree.predictAt(this.tree.descend(x), x);
  }

  /** Leaves and splits in the main tree: for reports and tests. */
  get size(): { leaves: number; splits: number; depth: number } {
    let leaves = 0;
    let splits = 0;
    let depth = 0;
    const stack: RegressionNode[] = [this.tree.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      depth = Math.max(depth, node.depth);
      if (node.kind === 'leaf') leaves++;
      else {
        splits++;
        stack.push(...node.children);
      }
    }
    return { leaves, splits, depth };
  }

  /** The tree's estimated bytes (what the memory bound compares) and the leaves it has stopped: for reports and tests. */
  get memory(): { bytes: number; deactivations: number } {
    return { bytes: this.tree.estimateBytes(), deactivations: this.tree.deactivations };
  }

  /** The root's test, or null while the root is a leaf: for tests and reports. */
  get rootTest(): { feature: number; threshold: number; categories: number[] | null } | null {
    const root = this.tree.root;
    if (root.kind === 'leaf') return null;
    return { feature: root.feature, threshold: root.threshold, categories: root.branches ? [...root.branches.keys()] : null };
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
