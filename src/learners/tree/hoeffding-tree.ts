import type { Random } from '../../core/random.js';
import { ADWIN } from '../../drift/adwin.js';
import type { Json } from '../../core/state.js';
import { GaussianObserver, NominalObserver, type AttributeObserver, type SplitSuggestion } from './observers.js';
import { splitCriterion, type SplitCriterion, type SplitCriterionName } from './split-criterion.js';

export type LeafPrediction = 'mc' | 'nb' | 'nba';
export const leafPredictions: readonly LeafPrediction[] = ['mc', 'nb', 'nba'];

/** How a Hoeffding tree grows: what every tree learner's parameters start with. */
export interface SplitSettings {
  /** Weight a leaf must see between split attempts. */
  readonly gracePeriod: number;
  /** Delta of the Hoeffding bound: the chance of choosing the wrong split. */
  readonly splitConfidence: number;
  /** Bound under which the best split is taken even when it does not clearly win. */
  readonly tieThreshold: number;
  readonly splitCriterion: SplitCriterionName;
  readonly leafPrediction: LeafPrediction;
  /** Candidate split points per numeric attribute. */
  readonly numericBins: number;
}

/** The settings of a Hoeffding tree; the classifier classes give them their defaults. */
export interface TreeOptions extends SplitSettings {
  /** Memory bound in bytes (estimated); past it the least promising leaves stop learning. */
  readonly maxByteSize: number;
  /** Rows between checks of the memory bound. */
  readonly memoryEstimatePeriod: number;
  /** Attributes each new leaf may split on, drawn at random (ARF's subspaces); 0 means all. */
  readonly subspaceSize: number;
}

/** What the Hoeffding Adaptive Tree adds to a node: its error monitor and, on a split, an alternate subtree. */
export interface Adaptive {
  errors?: ADWIN;
  alternate?: TreeNode | null;
}

export interface Leaf extends Adaptive {
  readonly kind: 'leaf';
  counts: Float64Array;
  /** Null once deactivated by the memory bound: it then only counts classes. */
  observers: (AttributeObserver | undefined)[] | null;
  /** The attributes this leaf may split on; null means all. */
  features: Int32Array | null;
  weightAtLastEval: number;
  mcCorrect: number;
  nbCorrect: number;
}

export interface Split extends Adaptive {
  readonly kind: 'split';
  readonly feature: number;
  /** Numeric test: x <= threshold goes to child 0. NaN for a nominal test. */
  readonly threshold: number;
  /** Nominal test: value -> child index; null for a numeric test. */
  readonly branches: Map<number, number> | null;
  readonly children: TreeNode[];
  /** The class distribution when the split was made: predicts for a nominal value with no branch. */
  counts: Float64Array;
}

export type TreeNode = Leaf | Split;

/** Where a row lands: the node, and how to put a replacement there. */
export interface Landing {
  node: TreeNode;
  parent: Split | null;
  branch: number;
  /** Puts a replacement in the node's place, for subtrees not hanging from `parent` (HAT's alternates). */
  set?: (node: TreeNode) => void;
}

export function sumOf(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function widen(values: Float64Array, k: number): Float64Array {
  if (values.length >= k) return values;
  const out = new Float64Array(k);
  out.set(values);
  return out;
}

/**
 * The Very Fast Decision Tree (Domingos & Hulten 2000, "Mining high-speed
 * data streams"), as MOA's HoeffdingTree: a leaf that has seen `gracePeriod`
 * more weight since its last attempt compares its two best splits; it splits
 * when the best beats the second by more than the Hoeffding bound
 * sqrt(R^2 ln(1/delta) / 2n), or when the bound falls under the tie
 * threshold. The option not to split competes too (pre-pruning). This class
 * is the tree itself; HoeffdingTreeClassifier and the ensembles drive it.
 */
export class HoeffdingTree {
  private top: TreeNode;
  k: number;
  private readonly criterion: SplitCriterion;
  private rowsSinceMemoryCheck = 0;
  /** Leaves turned inactive by the memory bound, counted for reports. */
  deactivations = 0;
  // Per-row work areas, reused so that learning and predicting a row allocate nothing.
  private nbScratch = new Float64Array(0);
  private probaScratch = new Float64Array(0);
  private readonly landingScratch: Landing;
  // Work areas of attemptSplit: each candidate's merit and attribute (-1: not splitting).
  private meritScratch: number[] = [];
  private ownerScratch: number[] = [];
  // The descent's flat copy of the tree (see Router), built on first use; null when stale.
  private router: Router | null = null;
  /** Nodes put in place (splits, swaps): a landing taken before a change may no longer be where its row goes. */
  private changes = 0;

  constructor(
    readonly options: TreeOptions,
    readonly nFeatures: number,
    k: number,
    /** Per attribute, whether it is nominal (category codes) rather than numeric. */
    readonly nominal: readonly boolean[],
    private readonly rng: Random,
  ) {
    this.k = Math.max(k, 1);
    this.criterion = splitCriterion(options.splitCriterion);
    this.top = this.newLeaf(new Float64Array(this.k));
    this.landingScratch = { node: this.top, parent: null, branch: -1 };
  }

  /** The root node. Putting another in its place from outside (HAT's swaps) drops the router. */
  get root(): TreeNode {
    return this.top;
  }

  set root(node: TreeNode) {
    this.top = node;
    this.router = null;
    this.changes++;
  }

  newLeaf(counts: Float64Array): Leaf {
    return {
      kind: 'leaf',
      counts: widen(counts, this.k),
      observers: new Array(this.nFeatures),
      features: this.drawSubspace(),
      weightAtLastEval: sumOf(counts),
      mcCorrect: 0,
      nbCorrect: 0,
    };
  }

  /** Follows the tests from `start` down to a leaf, or to a split with no branch for the row's value. */
  land(x: Float64Array, start: TreeNode = this.root, parent: Split | null = null, branch = -1): Landing {
    let node = start;
    while (node.kind === 'split') {
      const child = this.branchOf(node, x[node.feature]);
      if (child < 0) return { node, parent, branch };
      parent = node;
      branch = child;
      node = node.children[child];
    }
    return { node, parent, branch };
  }

  /**
   * land() from the root into a reused Landing, for the per-row paths that
   * use the landing before the next row: no object per row. The splits are
   * followed in the router's flat tables rather than through the node
   * objects (see Router): same tests, same landing.
   */
  private landRoot(x: Float64Array): Landing {
    const router = (this.router ??= Router.of(this.top));
    const { tests, thresholds, splits } = router;
    let ref = router.rootRef;
    let prev = -1;
    let branch = -1;
    while (ref >= 0) {
      const feature = tests[3 * ref];
      let b: number;
      let next: number;
      if (feature >= 0) {
        const value = x[feature];
        // NaN (a missing value) fails the test and is sent by branchOf to the heaviest branch.
        b = value <= thresholds[ref] ? 0 : value === value ? 1 : this.branchOf(splits[ref], value);
        next = tests[3 * ref + 1 + b];
      } else {
        // A nominal split: its branches by category code. NaN follows branchOf to the heaviest
        // branch. A value with no entry (not a code, or a branch made since the router was) goes
        // on through the node objects: what hangs there is not in the router.
        const value = x[~feature];
        const code = value | 0;
        const slot = code === value && code >= 0 && code < tests[3 * ref + 2] ? tests[3 * ref + 1] + code : value === value ? -1 : router.slotOf(ref, this.branchOf(splits[ref], value));
        b = slot < 0 ? -1 : router.codeBranches[slot];
        if (b < 0) return this.landBelow(x, splits[ref], prev >= 0 ? splits[prev] : null, branch);
        next = router.codeRefs[slot];
      }
      prev = ref;
      branch = b;
      ref = next;
    }
    router.lastLeaf = ~ref;
    const out = this.landingScratch;
    out.node = router.leaves[~ref]!;
    out.parent = prev >= 0 ? splits[prev] : null;
    out.branch = branch;
    return out;
  }

  /** landRoot's descent from a nominal split on a value the router has no branch for, through the node objects. */
  private landBelow(x: Float64Array, start: Split, parent: Split | null, branch: number): Landing {
    let node: TreeNode = start;
    while (node.kind === 'split') {
      const child = this.branchOf(node, x[node.feature]);
      if (child < 0) break;
      parent = node;
      branch = child;
      node = node.children[child];
    }
    this.router!.lastLeaf = -1;
    const out = this.landingScratch;
    out.node = node;
    out.parent = parent;
    out.branch = branch;
    return out;
  }

  /** The child index a value goes to; -1 for a nominal value with no branch yet. */
  branchOf(split: Split, value: number): number {
    if (Number.isNaN(value)) {
      // A missing value follows the heaviest branch.
      let best = 0;
      let bestWeight = -1;
      split.children.forEach((c, i) => {
        const w = sumOf(c.counts);
        if (w > bestWeight) {
          bestWeight = w;
          best = i;
        }
      });
      return best;
    }
    if (split.branches === null) return value <= split.threshold ? 0 : 1;
    return split.branches.get(value) ?? -1;
  }

  /** Learns one row with a weight; grows the tree where a leaf decides to split. */
  learnOne(x: Float64Array, y: number, weight = 1): void {
    if (y >= this.k) this.k = y + 1;
    this.learnAt(this.landRoot(x), x, y, weight);
    this.countRow();
  }

  /** Counts a learned row; every memoryEstimatePeriod rows, the memory bound is enforced. */
  countRow(): void {
    if (++this.rowsSinceMemoryCheck >= this.options.memoryEstimatePeriod) {
      this.rowsSinceMemoryCheck = 0;
      this.enforceMemoryBound();
    }
  }

  /** The class probabilities of a row: one descent through the flat split index into the tree's work area. */
  predictRow(x: Float64Array): Float64Array {
    return this.predictNode(this.landRoot(x).node, x, this.scratch('proba'));
  }

  /**
   * Learns one row and returns the class probabilities the tree gave it just
   * before: one descent and one naive Bayes evaluation serve both
   * (test-then-train in the ensembles). A weight of 0 only predicts, and
   * works out naive Bayes only where the leaf predicts by it. The array
   * returned is the tree's own work area: read it before the next call.
   * `after`, when given (k values), receives what predictRow gives the row
   * once it is learned (boosting's verdict), from the same landing unless
   * the tree changed under it.
   */
  learnOneScored(x: Float64Array, y: number, weight: number, after?: Float64Array): Float64Array {
    if (y >= this.k) this.k = y + 1;
    const landing = this.landRoot(x);
    const { node } = landing;
    const proba = this.scratch('proba');
    if (!(weight > 0)) {
      this.predictNode(node, x, proba);
      if (after !== undefined) for (let c = 0; c < proba.length; c++) after[c] = proba[c];
      return proba;
    }
    let nbScores: Float64Array | undefined;
    if (node.kind === 'leaf' && node.observers && this.options.leafPrediction !== 'mc') {
      // Needed whatever the leaf predicts by: naive Bayes adaptive counts whether it would have been right.
      nbScores = this.naiveBayesScores(node, x, this.scratch('nb'));
      const useNB = this.options.leafPrediction === 'nb' || node.nbCorrect >= node.mcCorrect;
      if (useNB) softmax(nbScores, this.k, proba);
      else normalised(node.counts, this.k, proba);
    } else {
      this.predictNode(node, x, proba);
    }
    const changes = this.changes;
    this.learnAt(landing, x, y, weight, nbScores);
    this.countRow();
    if (after !== undefined) this.predictNode(node.kind === 'leaf' && this.changes === changes ? node : this.landRoot(x).node, x, after);
    return proba;
  }

  /**
   * Learns one row at the place it landed (a leaf, or a split lacking the
   * row's branch). `nbScores`, when given, are the leaf's naive Bayes scores
   * for the row, already computed by the caller.
   */
  learnAt(landing: Landing, x: Float64Array, y: number, weight: number, nbScores?: Float64Array): void {
    let { node } = landing;
    if (node.kind === 'split') {
      // A nominal value never seen at this split: it gets a branch of its own.
      const leaf = this.newLeaf(new Float64Array(this.k));
      node.branches!.set(x[node.feature], node.children.length);
      node.children.push(leaf);
      landing = { node: leaf, parent: node, branch: node.children.length - 1 };
      // Any custom setter belonged to the split, not to the new leaf.
      node = leaf;
    }
    const leaf = node;
    leaf.counts = widen(leaf.counts, this.k);
    if (leaf.observers && this.options.leafPrediction === 'nba') {
      if (argmax(leaf.counts) === y) leaf.mcCorrect += weight;
      if (argmax(nbScores ?? this.naiveBayesScores(leaf, x, this.scratch('nb'))) === y) leaf.nbCorrect += weight;
    }
    leaf.counts[y] += weight;
    if (!leaf.observers) return;
    const features = leaf.features;
    const m = features ? features.length : this.nFeatures;
    for (let i = 0; i < m; i++) {
      const f = features ? features[i] : i;
      let obs = leaf.observers[f];
      if (!obs) {
        obs = this.nominal[f] ? new NominalObserver(this.k) : new GaussianObserver(this.k, this.options.numericBins);
        leaf.observers[f] = obs;
      }
      obs.update(x[f], y, weight);
    }
    const seen = sumOf(leaf.counts);
    if (seen - leaf.weightAtLastEval >= this.options.gracePeriod) {
      leaf.weightAtLastEval = seen;
      const split = this.attemptSplit(leaf);
      if (split) this.replace(landing, split);
    }
  }

  /** Puts `node` where the landing's node was. */
  replace(landing: Landing, node: TreeNode): void {
    this.changes++;
    const router = this.router;
    if (router !== null) {
      if (landing === this.landingScratch && router.lastLeaf >= 0 && router.leaves[router.lastLeaf] === landing.node) router.replaceLeaf(router.lastLeaf, node);
      // A leaf the descent reached through the node objects is not in the router; any other
      // replacement (from outside landRoot, where the router may hold the node) makes it stale.
      else if (!(landing === this.landingScratch && router.lastLeaf < 0)) this.router = null;
    }
    if (landing.set) landing.set(node);
    else if (landing.parent) landing.parent.children[landing.branch] = node;
    else this.top = node;
  }

  /**
   * Class probabilities at a landing: the leaf's prediction, or a split's
   * class shares; into `out` (k values) when given, else a new array.
   */
  predictAt(landing: Landing, x: Float64Array, out: Float64Array = new Float64Array(this.k)): Float64Array {
    return this.predictNode(landing.node, x, out);
  }

  /** predictAt for the node a row landed on. */
  predictNode(node: TreeNode, x: Float64Array, out: Float64Array = new Float64Array(this.k)): Float64Array {
    if (node.kind === 'split') return normalised(node.counts, this.k, out);
    const mode = this.options.leafPrediction;
    if (node.observers && (mode === 'nb' || (mode === 'nba' && node.nbCorrect >= node.mcCorrect))) {
      return softmax(this.naiveBayesScores(node, x, this.scratch('nb')), this.k, out);
    }
    return normalised(node.counts, this.k, out);
  }

  predictOne(x: Float64Array): Float64Array {
    return this.predictAt(this.land(x), x);
  }

  /**
   * Log posterior scores, up to a constant: the leaf's class prior times the
   * observers' likelihoods (MOA's naive Bayes leaves). Attributes the leaf
   * has not observed are left out; with no usable evidence the prior decides.
   */
  naiveBayesScores(leaf: Leaf, x: Float64Array, scores: Float64Array = new Float64Array(this.k)): Float64Array {
    const k = this.k;
    const total = sumOf(leaf.counts);
    if (total <= 0) return scores.fill(0);
    for (let c = 0; c < k; c++) scores[c] = c < leaf.counts.length && leaf.counts[c] > 0 ? Math.log(leaf.counts[c] / total) : -Infinity;
    const observers = leaf.observers;
    if (!observers) return scores;
    for (let f = 0; f < observers.length; f++) {
      const obs = observers[f];
      if (!obs || obs.weight <= 0 || Number.isNaN(x[f])) continue;
      obs.addLogLikelihoods(x[f], scores, k);
    }
    // Every class ruled out (a value no class has shown): fall back to the prior.
    for (let c = 0; c < k; c++) if (scores[c] > -Infinity) return scores;
    for (let c = 0; c < k; c++) scores[c] = c < leaf.counts.length && leaf.counts[c] > 0 ? Math.log(leaf.counts[c] / total) : -Infinity;
    return scores;
  }

  /** A work area of k numbers, grown when a class is added. */
  private scratch(which: 'nb' | 'proba'): Float64Array {
    if (which === 'nb') {
      if (this.nbScratch.length !== this.k) this.nbScratch = new Float64Array(this.k);
      return this.nbScratch;
    }
    if (this.probaScratch.length !== this.k) this.probaScratch = new Float64Array(this.k);
    return this.probaScratch;
  }

  /**
   * Compares the leaf's best split per attribute, and not splitting, by the
   * Hoeffding bound. Most attempts split nothing, so the merits are found
   * first without building the candidates (bestMerit), and only the winner
   * is built, by bestSplit, which gives that very merit. The ranking is the
   * sort by merit, highest first, ties to the lower index, that it always
   * was: found in one pass unless a merit is NaN, when the sort itself runs.
   */
  private attemptSplit(leaf: Leaf): Split | null {
    const pre = leaf.counts;
    let classes = 0;
    for (let c = 0; c < pre.length; c++) if (pre[c] > 0) classes++;
    if (classes < 2) return null;
    const observers = leaf.observers!;
    // Not splitting competes too (pre-pruning). Under information gain its single
    // branch makes its merit -Infinity, so a leaf only stays whole by the tie rule.
    const merits = this.meritScratch;
    const owners = this.ownerScratch;
    let count = 0;
    merits[count] = this.criterion.merit(pre, [pre]);
    owners[count++] = -1;
    const preImpurity = this.criterion.impurity(pre);
    for (let f = 0; f < observers.length; f++) {
      const obs = observers[f];
      if (!obs) continue;
      const merit = obs.bestMerit(this.criterion, pre, preImpurity);
      if (merit === null) continue;
      merits[count] = merit;
      owners[count++] = f;
    }
    let best = 0;
    let second = -1;
    let sawNaN = false;
    for (let i = 0; i < count; i++) if (Number.isNaN(merits[i])) sawNaN = true;
    if (sawNaN) {
      const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => merits[b] - merits[a] || a - b);
      best = order[0];
      second = count >= 2 ? order[1] : -1;
    } else {
      for (let i = 1; i < count; i++) {
        if (merits[i] > merits[best]) {
          second = best;
          best = i;
        } else if (second < 0 || merits[i] > merits[second]) second = i;
      }
    }
    const n = sumOf(pre);
    const range = this.criterion.range(pre);
    const bound = Math.sqrt((range * range * Math.log(1 / this.options.splitConfidence)) / (2 * n));
    const clearWinner = second >= 0 && merits[best] - merits[second] > bound;
    if (!(clearWinner || bound < this.options.tieThreshold)) return null;
    const f = owners[best];
    if (f < 0 || merits[best] === -Infinity) return null; // not splitting is best, or nothing is worth it
    const winner = observers[f]!.bestSplit(this.criterion, pre, f)!;
    return this.makeSplit(winner, pre);
  }

  private makeSplit(s: SplitSuggestion, counts: Float64Array): Split {
    const children = s.post.map((dist) => this.newLeaf(dist));
    const branches = s.values ? new Map(s.values.map((v, i) => [v, i])) : null;
    return { kind: 'split', feature: s.feature, threshold: s.threshold ?? NaN, branches, children, counts: counts.slice() };
  }

  private drawSubspace(): Int32Array | null {
    const m = this.options.subspaceSize;
    if (m <= 0 || m >= this.nFeatures) return null;
    const perm = this.rng.permutation(this.nFeatures);
    return perm.slice(0, m).sort();
  }

  /** Every leaf with its landing, in the main tree. */
  leaves(): Landing[] {
    const out: Landing[] = [];
    const walk = (node: TreeNode, parent: Split | null, branch: number): void => {
      if (node.kind === 'leaf') out.push({ node, parent, branch });
      else node.children.forEach((c, i) => walk(c, node, i));
    };
    walk(this.root, null, -1);
    return out;
  }

  /** Estimated bytes of the tree: what the memory bound compares with maxByteSize. */
  estimateBytes(): number {
    let bytes = 0;
    const walk = (node: TreeNode): void => {
      bytes += 96 + node.counts.byteLength;
      if (node.kind === 'split') node.children.forEach(walk);
      else if (node.observers) for (const o of node.observers) if (o) bytes += o.bytes;
    };
    walk(this.root);
    return bytes;
  }

  /**
   * MOA's memory management: when the estimate passes maxByteSize, the leaves
   * with the least promise (weight not in their majority class: what a split
   * could still fix) stop learning and drop their observers; when there is
   * room again, the most promising inactive leaves start learning afresh.
   */
  enforceMemoryBound(): void {
    const total = this.estimateBytes();
    const leaves = this.leaves().map((l) => l.node as Leaf);
    const active = leaves.filter((l) => l.observers);
    if (active.length === 0) return;
    const activeBytes = active.reduce((s, l) => s + (l.observers ?? []).reduce((b, o) => b + (o ? o.bytes : 0), 0), 0) / active.length;
    const fixed = total - active.reduce((s, l) => s + (l.observers ?? []).reduce((b, o) => b + (o ? o.bytes : 0), 0), 0);
    const room = Math.max(0, Math.floor((this.options.maxByteSize - fixed) / Math.max(activeBytes, 1)));
    if (total <= this.options.maxByteSize && active.length === leaves.length) return;
    const promise = (l: Leaf): number => sumOf(l.counts) - Math.max(...l.counts);
    const ranked = [...leaves].sort((a, b) => promise(b) - promise(a));
    ranked.forEach((leaf, i) => {
      if (i < room && !leaf.observers) {
        leaf.observers = new Array(this.nFeatures);
        leaf.features = this.drawSubspace();
        leaf.weightAtLastEval = sumOf(leaf.counts);
      } else if (i >= room && leaf.observers) {
        leaf.observers = null;
        this.deactivations++;
      }
    });
  }

  toJSON(): Json {
    return { k: this.k, rowsSinceMemoryCheck: this.rowsSinceMemoryCheck, deactivations: this.deactivations, root: nodeToJSON(this.root) as unknown as Json };
  }

  restore(json: TreeJSON, errorDelta?: number): void {
    this.k = json.k;
    this.rowsSinceMemoryCheck = json.rowsSinceMemoryCheck;
    this.deactivations = json.deactivations;
    this.root = nodeFromJSON(json.root, this.options.numericBins, errorDelta);
    this.router = null;
  }
}

export interface TreeJSON {
  k: number;
  rowsSinceMemoryCheck: number;
  deactivations: number;
  root: NodeJSON;
}

interface AdaptiveJSON {
  errors?: Json;
  alternate?: NodeJSON | null;
}

export type NodeJSON =
  | ({ kind: 'split'; feature: number; threshold: number | null; branches: [number, number][] | null; children: NodeJSON[]; counts: number[] } & AdaptiveJSON)
  | ({
      kind: 'leaf';
      counts: number[];
      observers: (Json | null)[] | null;
      features: number[] | null;
      weightAtLastEval: number;
      mcCorrect: number;
      nbCorrect: number;
    } & AdaptiveJSON);

function adaptiveToJSON(node: Adaptive): AdaptiveJSON {
  const out: AdaptiveJSON = {};
  if (node.errors) out.errors = node.errors.getState();
  if (node.alternate !== undefined) out.alternate = node.alternate ? nodeToJSON(node.alternate) : null;
  return out;
}

function adaptiveFromJSON(json: AdaptiveJSON, bins: number, errorDelta: number): Adaptive {
  const out: Adaptive = {};
  if (json.errors !== undefined) out.errors = ADWIN.restore({ delta: errorDelta }, json.errors);
  if (json.alternate !== undefined) out.alternate = json.alternate ? nodeFromJSON(json.alternate, bins, errorDelta) : null;
  return out;
}

export function nodeToJSON(node: TreeNode): NodeJSON {
  if (node.kind === 'split') {
    return {
      kind: 'split',
      feature: node.feature,
      threshold: Number.isNaN(node.threshold) ? null : node.threshold,
      branches: node.branches ? [...node.branches.entries()] : null,
      children: node.children.map(nodeToJSON),
      counts: Array.from(node.counts),
      ...adaptiveToJSON(node),
    };
  }
  return {
    kind: 'leaf',
    counts: Array.from(node.counts),
    observers: node.observers ? Array.from(node.observers, (o) => (o ? o.toJSON() : null)) : null,
    features: node.features ? Array.from(node.features) : null,
    weightAtLastEval: node.weightAtLastEval,
    mcCorrect: node.mcCorrect,
    nbCorrect: node.nbCorrect,
    ...adaptiveToJSON(node),
  };
}

type ObserverJSON = { kind: 'gaussian'; k: number; stats: (number | null)[] } | { kind: 'nominal'; k: number; values: [number, number[]][]; totals: number[] };

/** Rebuilds a node; `errorDelta` is the ADWIN confidence of adaptive nodes' error monitors. */
export function nodeFromJSON(json: NodeJSON, bins: number, errorDelta = 0.002): TreeNode {
  if (json.kind === 'split') {
    return {
      kind: 'split',
      feature: json.feature,
      threshold: json.threshold ?? NaN,
      branches: json.branches ? new Map(json.branches) : null,
      children: json.children.map((c) => nodeFromJSON(c, bins, errorDelta)),
      counts: Float64Array.from(json.counts),
      ...adaptiveFromJSON(json, bins, errorDelta),
    };
  }
  return {
    kind: 'leaf',
    counts: Float64Array.from(json.counts),
    observers: json.observers
      ? json.observers.map((o) => {
          if (o === null) return undefined;
          const obs = o as ObserverJSON;
          return obs.kind === 'gaussian' ? GaussianObserver.fromJSON(obs, bins) : NominalObserver.fromJSON(obs);
        })
      : null,
    features: json.features ? Int32Array.from(json.features) : null,
    weightAtLastEval: json.weightAtLastEval,
    mcCorrect: json.mcCorrect,
    nbCorrect: json.nbCorrect,
    ...adaptiveFromJSON(json, bins, errorDelta),
  };
}

/** Counts as probabilities over k classes, into `out`; uniform when nothing was counted. */
export function normalised(counts: Float64Array, k: number, out: Float64Array = new Float64Array(k)): Float64Array {
  const total = sumOf(counts);
  if (total <= 0) return out.fill(1 / k);
  // A loop, not fill(): for a few classes the call costs more than the stores.
  const n = Math.min(k, counts.length);
  for (let c = 0; c < n; c++) out[c] = counts[c] / total;
  for (let c = n; c < out.length; c++) out[c] = 0;
  return out;
}

export function softmax(scores: Float64Array, k: number, out: Float64Array = new Float64Array(k)): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < scores.length; c++) if (scores[c] > max) max = scores[c];
  if (max === -Infinity) return out.fill(1 / k);
  let sum = 0;
  for (let c = 0; c < scores.length; c++) {
    out[c] = Math.exp(scores[c] - max);
    sum += out[c];
  }
  for (let c = 0; c < k; c++) out[c] /= sum;
  return out;
}

/**
 * The splits of a Hoeffding tree copied into flat typed arrays, for the
 * descent every row makes (in the forest, ten trees fourteen levels deep
 * per row). Following node objects costs a cache miss or more per level (the
 * node, its boxed threshold, its children array); an entry here is 20 bytes
 * side by side with its neighbours, and the tree's upper levels, made first,
 * stay together in the cache. The node objects remain the tree; the router
 * is only an index to them, kept in step as leaves split, and rebuilt from
 * the nodes when anything else changes them.
 *
 * Entry e (a numeric split): tests[3e] its attribute; tests[3e+1] and
 * tests[3e+2] its children for x <= thresholds[e] and x > thresholds[e]. A
 * child reference r >= 0 is an entry, r < 0 the leaf ~r. Entry e (a nominal
 * split): tests[3e] is ~attribute; for a category code v below tests[3e+2],
 * codeBranches[tests[3e+1] + v] is its branch (-1: none) and codeRefs[...]
 * that child's reference. The branches a nominal split grows later, and
 * values that are not codes, are left to the node objects.
 */
class Router {
  tests = new Int32Array(48);
  thresholds = new Float64Array(16);
  codeRefs = new Int32Array(16);
  codeBranches = new Int32Array(16);
  private codesUsed = 0;
  splits: Split[] = [];
  leaves: (Leaf | null)[] = [];
  /** Per leaf, where its reference is held: an index i into tests, -1 for the root, or -2 - i for codeRefs[i]. */
  private slots: number[] = [];
  rootRef = -1;
  /** The leaf the last descent reached, or -1 when it went on through the node objects. */
  lastLeaf = -1;

  static of(root: TreeNode): Router {
    const router = new Router();
    router.rootRef = router.add(root, -1);
    return router;
  }

  /** Puts a split (with its fresh leaves) where leaf `id` was. */
  replaceLeaf(id: number, node: TreeNode): void {
    const slot = this.slots[id];
    this.leaves[id] = null;
    const ref = this.add(node, slot);
    this.hold(slot, ref);
  }

  /** Where nominal entry e holds its branch b: an index into codeRefs, or -1 when it has no entry for it. */
  slotOf(e: number, b: number): number {
    const at = this.tests[3 * e + 1];
    const end = at + this.tests[3 * e + 2];
    for (let i = at; i < end; i++) if (this.codeBranches[i] === b) return i;
    return -1;
  }

  /** Puts a reference where `slot` says (see slots). */
  private hold(slot: number, ref: number): void {
    if (slot >= 0) this.tests[slot] = ref;
    else if (slot === -1) this.rootRef = ref;
    else this.codeRefs[-2 - slot] = ref;
  }

  /** Adds `node` and what hangs below it, referenced from `slot`; returns its reference. */
  private add(node: TreeNode, slot: number): number {
    if (node.kind === 'leaf') {
      const id = this.leaves.length;
      this.leaves.push(node);
      this.slots.push(slot);
      return ~id;
    }
    const e = this.splits.length;
    if (3 * e + 3 > this.tests.length) {
      const tests = new Int32Array(2 * this.tests.length);
      tests.set(this.tests);
      this.tests = tests;
      const thresholds = new Float64Array(2 * this.thresholds.length);
      thresholds.set(this.thresholds);
      this.thresholds = thresholds;
    }
    this.splits.push(node);
    if (node.branches !== null) return this.addNominal(node, e);
    this.tests[3 * e] = node.feature;
    this.thresholds[e] = node.threshold;
    // The child is added first: adding it may grow (replace) `tests`, and `this.tests[i] = this.add(...)`
    // would write into the array read before the call.
    const left = this.add(node.children[0], 3 * e + 1);
    this.tests[3 * e + 1] = left;
    const right = this.add(node.children[1], 3 * e + 2);
    this.tests[3 * e + 2] = right;
    return e;
  }

  /** add() for a nominal split, entry e. */
  private addNominal(node: Split, e: number): number {
    let span = 0;
    for (const value of node.branches!.keys()) if (isCode(value) && value >= span) span = value + 1;
    const at = this.codesUsed;
    if (at + span > this.codeRefs.length) {
      const size = Math.max(2 * this.codeRefs.length, at + span);
      const refs = new Int32Array(size);
      refs.set(this.codeRefs);
      this.codeRefs = refs;
      const branches = new Int32Array(size);
      branches.set(this.codeBranches);
      this.codeBranches = branches;
    }
    this.codesUsed += span;
    this.codeBranches.fill(-1, at, at + span);
    this.tests[3 * e] = ~node.feature;
    this.tests[3 * e + 1] = at;
    this.tests[3 * e + 2] = span;
    for (const [value, b] of node.branches!) {
      if (!isCode(value)) continue;
      this.codeBranches[at + value] = b;
      // As in add(): the child first, then its reference, into the arrays as they are after.
      const ref = this.add(node.children[b], -2 - (at + value));
      this.codeRefs[at + value] = ref;
    }
    return e;
  }
}

/** A value the router indexes a nominal split by: a whole number from 0 to 4095 (larger ones go through the node objects). */
function isCode(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 4096;
}
