import * as v from 'valibot';
import { fail } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import { anything, count, finiteNumber, integer, numbers, object, parseState, positiveInteger, type Json } from '../../core/state.js';
import type { Batch, Matrix } from '../../core/types.js';
import { checkSavedFeatures, classesNeeded, type Classifier, type LearnerContext, type LearnerState } from '../contract.js';
import { copyRow, predictRows } from './hoeffding-tree-classifier.js';
import { HoeffdingTree, normalised, softmax, sumOf, type Landing, type Leaf, type SplitSettings, type Split, type TreeJSON, type TreeNode } from './hoeffding-tree.js';
import { GaussianObserver, NominalObserver, type AttributeObserver, type SplitSuggestion } from './observers.js';
import { splitCriterion, type SplitCriterion } from './split-criterion.js';

export interface EFDTParams extends SplitSettings {
  /** Rows (of the whole stream) between re-evaluations of the splits a row passes. */
  readonly reevaluationPeriod: number;
}

/** MOA's trees.EFDT defaults. */
export const efdtDefaults: EFDTParams = {
  gracePeriod: 200,
  splitConfidence: 1e-7,
  tieThreshold: 0.05,
  splitCriterion: 'info-gain',
  leafPrediction: 'nba',
  numericBins: 10,
  reevaluationPeriod: 2000,
};

/**
 * What EFDT keeps at a node besides the Hoeffding tree's own fields: per
 * attribute (index f) and for not splitting (index nFeatures), the sum of
 * the merits found at each attempt (MOA's infogainSum), and the attempts
 * since the node was made. A split also keeps its attribute observers and
 * the class counts it has seen (its `counts` stay those at its creation).
 */
interface Stats {
  sums: Float64Array;
  attempts: number;
  observers?: (AttributeObserver | undefined)[];
  seen?: Float64Array;
}

type WithStats = TreeNode & { efdt?: Stats };

const statsSchema = v.nullable(
  object({
    sums: v.array(v.nullable(finiteNumber)),
    attempts: count,
    observers: v.optional(v.array(anything)),
    seen: v.optional(numbers),
  }),
);

const stateSchema = object({
  nFeatures: positiveInteger,
  rows: count,
  revisions: count,
  tree: object({ k: integer, rowsSinceMemoryCheck: finiteNumber, deactivations: finiteNumber, root: anything }),
  stats: v.array(statsSchema),
});

type ObserverJSON = { kind: 'gaussian'; k: number; stats: (number | null)[] } | { kind: 'nominal'; k: number; values: [number, number[]][]; totals: number[] };

function widen(values: Float64Array, k: number): Float64Array {
  if (values.length >= k) return values;
  const out = new Float64Array(k);
  out.set(values);
  return out;
}

/**
 * Extremely Fast Decision Tree, or Hoeffding Anytree (Manapragada, Webb &
 * Salehi 2018, "Extremely Fast Decision Tree", KDD), as MOA's trees.EFDT.
 * A leaf splits as soon as the average merit of its best attribute (over
 * its split attempts) beats that of not splitting by the Hoeffding bound,
 * or the bound falls under the tie threshold: not the second-best
 * attribute, as the Hoeffding tree asks. Split nodes keep learning their
 * attribute observers; every `reevaluationPeriod` rows of the stream, each
 * split the row passes is re-evaluated, and when another attribute (or not
 * splitting) beats its own attribute's average merit by the bound (or by
 * half the tie threshold once the bound is under it), its subtree is
 * dropped for a new split on that attribute (or a leaf). As in MOA: no
 * nominal attribute is split on twice along a path, and leaves are naive
 * Bayes adaptive. The Hoeffding tree's leaves, observers, split criterion,
 * predictions and flat split index are reused. Defaults as MOA: grace
 * period 200, split confidence 1e-7, tie threshold 0.05, info-gain, nba,
 * 10 bins, re-evaluation every 2,000 rows. MOA's memory bound never acts in
 * its EFDT (its size estimates are never taken), so there is none here.
 */
export class ExtremelyFastDecisionTree implements Classifier {
  readonly name = 'extremely-fast-decision-tree';
  readonly params: EFDTParams;
  private readonly tree: HoeffdingTree;
  private readonly criterion: SplitCriterion;
  private readonly d: number;
  private readonly nominal: readonly boolean[];
  /** Rows learned: the clock of the re-evaluations. */
  private rows = 0;
  /** Splits replaced by re-evaluation (by another split or by a leaf), for reports and tests. */
  revisions = 0;
  // Nominal attributes split on along the path of the row being learned.
  private used: number[] = [];
  private usedCount = 0;
  private readonly landing: Landing = { node: null as unknown as TreeNode, parent: null, branch: -1 };
  private scratchRow: Float64Array;

  constructor(ctx: LearnerContext, params: Partial<EFDTParams> = {}) {
    this.params = { ...efdtDefaults, ...params };
    this.d = ctx.nFeatures;
    this.nominal = ctx.nominal ?? [];
    this.criterion = splitCriterion(this.params.splitCriterion);
    this.scratchRow = new Float64Array(this.d);
    // The tree's own split attempts are turned off (an infinite grace period): EFDT decides here.
    // No subspaces, so its random generator is never drawn from.
    this.tree = new HoeffdingTree(
      { ...this.params, gracePeriod: Infinity, maxByteSize: Infinity, memoryEstimatePeriod: Infinity, subspaceSize: 0 },
      ctx.nFeatures,
      ctx.nClasses,
      this.nominal,
      Random.derive(ctx.seed, 'extremely-fast-decision-tree'),
    );
  }

  get nClasses(): number {
    return this.tree.k;
  }

  /** Weight 0 only predicts: one descent through the flat split index into the tree's work area. */
  predictProbaOne(x: Float64Array): Float64Array {
    return this.tree.learnOneScored(x, 0, 0);
  }

  learn(batch: Batch): void {
    const x = this.scratchRow;
    for (let r = 0; r < batch.x.rows; r++) this.learnOne(copyRow(batch.x, r, x), batch.y[r]);
  }

  predictProba(x: Matrix): Float64Array {
    return predictRows(x, this.tree.k, (row) => this.tree.predictOne(row));
  }

  /**
   * Test-then-train. Off the re-evaluation rows, one descent both predicts
   * and learns, and the leaf's naive Bayes scores serve the prediction and
   * the leaf's tally of which prediction was right (as learnOneScored does
   * for the Hoeffding tree): the splits' observers, updated on the way, play
   * no part in the prediction. On a re-evaluation row a split may be
   * replaced under the row, so it is predicted first, then learned.
   */
  learnScored(batch: Batch): Float64Array {
    const { rows } = batch.x;
    const y = batch.y;
    const width = classesNeeded(y, this.tree.k);
    const out = new Float64Array(rows * width);
    const x = this.scratchRow;
    for (let r = 0; r < rows; r++) {
      copyRow(batch.x, r, x);
      if (this.rows % this.params.reevaluationPeriod === 0) {
        if (y[r] >= this.tree.k) this.tree.k = y[r] + 1;
        out.set(this.predictProbaOne(x), r * width);
        this.learnRow(x, y[r], null, 0);
      } else this.learnRow(x, y[r], out, r * width);
    }
    return out;
  }

  learnOne(x: Float64Array, y: number): void {
    this.learnRow(x, y, null, 0);
  }

  private nbScratch = new Float64Array(0);
  private probaScratch = new Float64Array(0);

  /**
   * Learns a row: every split on its path updates its observers (and, on a
   * re-evaluation row, may be replaced), then the leaf learns it as the
   * Hoeffding tree's leaves do and, past the grace period, attempts a split.
   */
  private learnRow(x: Float64Array, y: number, out: Float64Array | null, o: number): void {
    const tree = this.tree;
    if (y >= tree.k) tree.k = y + 1;
    // MOA re-evaluates on the rows where its count of rows learned before is a multiple of the period.
    const reevaluate = this.rows % this.params.reevaluationPeriod === 0;
    this.rows++;
    let node = tree.root;
    let parent: Split | null = null;
    let branch = -1;
    this.usedCount = 0;
    while (node.kind === 'split') {
      const stats = this.splitStats(node);
      this.observe(stats, x, y);
      if (reevaluate) {
        const replacement = this.reevaluate(node, stats);
        if (replacement !== null) {
          this.revisions++;
          if (parent === null) tree.root = replacement;
          else {
            parent.children[branch] = replacement;
            // Putting the root back through its setter drops the flat split index, now stale.
            const root = tree.root;
            tree.root = root;
          }
          // A leaf put in a split's place starts from the counts that split had seen, this row's among them.
          if (replacement.kind === 'leaf') return;
          node = replacement;
        }
      }
      const split = node as Split;
      let child = tree.branchOf(split, x[split.feature]);
      if (child < 0) {
        if (out !== null) this.write(tree.predictNode(split, x, this.proba()), out, o);
        out = null;
        // A nominal value never seen at this split: it gets a branch of its own.
        child = split.children.length;
        split.branches!.set(x[split.feature], child);
        split.children.push(tree.newLeaf(new Float64Array(tree.k)));
      }
      if (split.branches !== null) this.used[this.usedCount++] = split.feature;
      parent = split;
      branch = child;
      node = split.children[child];
    }
    const landing = this.landing;
    landing.node = node;
    landing.parent = parent;
    landing.branch = branch;
    const leaf = node;
    let nbScores: Float64Array | undefined;
    if (out !== null) {
      const mode = this.params.leafPrediction;
      if (leaf.observers && mode !== 'mc') {
        if (this.nbScratch.length !== tree.k) this.nbScratch = new Float64Array(tree.k);
        nbScores = tree.naiveBayesScores(leaf, x, this.nbScratch);
      }
      // predictNode's choice, on the scores just found.
      const useNB = nbScores !== undefined && (mode === 'nb' || leaf.nbCorrect >= leaf.mcCorrect);
      this.write(useNB ? softmax(nbScores!, tree.k, this.proba()) : normalised(leaf.counts, tree.k, this.proba()), out, o);
    }
    tree.learnAt(landing, x, y, 1, nbScores);
    const seen = sumOf(leaf.counts);
    if (leaf.observers && seen - leaf.weightAtLastEval >= this.params.gracePeriod) {
      leaf.weightAtLastEval = seen;
      const split = this.attemptSplit(leaf);
      if (split) tree.replace(landing, split);
    }
  }

  private proba(): Float64Array {
    if (this.probaScratch.length !== this.tree.k) this.probaScratch = new Float64Array(this.tree.k);
    return this.probaScratch;
  }

  private write(p: Float64Array, out: Float64Array, o: number): void {
    for (let c = 0; c < p.length; c++) out[o + c] = p[c];
  }

  private bound(range: number, n: number): number {
    return Math.sqrt((range * range * Math.log(1 / this.params.splitConfidence)) / (2 * n));
  }

  private newStats(): Stats {
    return { sums: new Float64Array(this.d + 1), attempts: 0 };
  }

  private splitStats(node: Split): Stats {
    const s = node as WithStats;
    if (!s.efdt) s.efdt = this.newStats();
    s.efdt.observers ??= new Array(this.d);
    s.efdt.seen ??= node.counts.slice();
    return s.efdt;
  }

  private observe(stats: Stats, x: Float64Array, y: number): void {
    const k = this.tree.k;
    const seen = (stats.seen = widen(stats.seen!, k));
    seen[y] += 1;
    const observers = stats.observers!;
    for (let f = 0; f < this.d; f++) {
      let obs = observers[f];
      if (!obs) {
        obs = this.nominal[f] ? new NominalObserver(k) : new GaussianObserver(k, this.params.numericBins);
        observers[f] = obs;
      }
      obs.update(x[f], y, 1);
    }
  }

  /**
   * Adds each attribute's best merit on `pre` to the node's sums; returns
   * the best attribute (-1: not splitting) and how many candidates there
   * were. Equal merits go to the later candidate, as MOA's stable sort of
   * its suggestions (not splitting first) leaves them.
   */
  private scoreCandidates(observers: readonly (AttributeObserver | undefined)[], pre: Float64Array, stats: Stats, nullMerit: number): { best: number; merit: number; candidates: number } {
    const preImpurity = this.criterion.impurity(pre);
    let best = -1;
    let bestMerit = nullMerit;
    let candidates = 1;
    for (let f = 0; f < observers.length; f++) {
      const obs = observers[f];
      if (!obs) continue;
      const merit = obs.bestMerit(this.criterion, pre, preImpurity);
      if (merit === null) continue;
      candidates++;
      stats.sums[f] += merit;
      if (merit >= bestMerit) {
        best = f;
        bestMerit = merit;
      }
    }
    return { best, merit: bestMerit, candidates };
  }

  /** MOA's EFDT attemptToSplit: the best attribute's average merit against not splitting's. */
  private attemptSplit(leaf: Leaf): Split | null {
    const pre = widen(leaf.counts, this.tree.k);
    let classes = 0;
    for (let c = 0; c < pre.length; c++) if (pre[c] > 0) classes++;
    if (classes < 2) return null;
    const node = leaf as WithStats;
    const stats = (node.efdt ??= this.newStats());
    stats.attempts++;
    const nullMerit = this.criterion.merit(pre, [pre]);
    const { best, merit, candidates } = this.scoreCandidates(leaf.observers!, pre, stats, nullMerit);
    // Not splitting counts 0 at a leaf under information gain (its merit there is -Infinity).
    stats.sums[this.d] = Math.max(0, stats.sums[this.d] + nullMerit);
    if (candidates < 2 || best < 0 || !(merit >= 1e-10)) return null;
    const bound = this.bound(this.criterion.range(pre), sumOf(pre));
    const gain = (stats.sums[best] - stats.sums[this.d]) / stats.attempts;
    if (!(gain > bound || bound < this.params.tieThreshold)) return null;
    if (this.nominal[best]) for (let i = 0; i < this.usedCount; i++) if (this.used[i] === best) return null;
    const suggestion = leaf.observers![best]!.bestSplit(this.criterion, pre, best);
    if (suggestion === null) return null;
    // The split inherits the leaf's observers and merit history, not its attempt count (as MOA).
    return this.makeSplit(suggestion, pre, { sums: stats.sums, attempts: 0, observers: leaf.observers!, seen: pre.slice() });
  }

  /**
   * MOA's EFDT reEvaluateBestSplit: the split's own attribute's average
   * merit against the best one's, both on everything the node has seen; a
   * new split on a better attribute (or a leaf) when it wins by the bound.
   */
  private reevaluate(node: Split, stats: Stats): TreeNode | null {
    const pre = stats.seen!;
    stats.attempts++;
    const bound = this.bound(this.criterion.range(node.counts), sumOf(pre));
    const nullMerit = this.criterion.merit(pre, [pre]);
    const { best } = this.scoreCandidates(stats.observers!, pre, stats, nullMerit);
    stats.sums[this.d] += nullMerit;
    const bestSum = stats.sums[best < 0 ? this.d : best];
    const deltaG = (bestSum - stats.sums[node.feature]) / stats.attempts;
    const tie = this.params.tieThreshold;
    if (!(deltaG > bound || (bound < tie && deltaG > tie / 2)) || best === node.feature) return null;
    if (best < 0) {
      const leaf = this.tree.newLeaf(pre.slice()) as WithStats;
      leaf.efdt = { sums: stats.sums, attempts: 0 };
      return leaf;
    }
    const suggestion = stats.observers![best]!.bestSplit(this.criterion, pre, best);
    if (suggestion === null) return null;
    return this.makeSplit(suggestion, pre, { sums: stats.sums, attempts: 0, observers: stats.observers, seen: pre.slice() });
  }

  private makeSplit(s: SplitSuggestion, pre: Float64Array, stats: Stats): Split {
    const children = s.post.map((dist) => this.tree.newLeaf(dist));
    const branches = s.values ? new Map(s.values.map((value, i) => [value, i])) : null;
    const split: Split & { efdt: Stats } = { kind: 'split', feature: s.feature, threshold: s.threshold ?? NaN, branches, children, counts: pre.slice(), efdt: stats };
    return split;
  }

  /** Every node of the tree, parents before children, children in order: how the stats are saved. */
  private nodes(): WithStats[] {
    const out: WithStats[] = [];
    const walk = (node: TreeNode): void => {
      out.push(node);
      if (node.kind === 'split') node.children.forEach(walk);
    };
    walk(this.tree.root);
    return out;
  }

  saveState(): LearnerState {
    const stats = this.nodes().map((node): Json => {
      const s = node.efdt;
      if (!s) return null;
      const out: { [key: string]: Json } = {
        // Not splitting sums to -Infinity at a split under information gain: JSON has no such number.
        sums: Array.from(s.sums, (x) => (Number.isFinite(x) ? x : null)),
        attempts: s.attempts,
      };
      if (s.observers) out.observers = Array.from(s.observers, (o) => (o ? o.toJSON() : null));
      if (s.seen) out.seen = Array.from(s.seen);
      return out;
    });
    return { json: { nFeatures: this.d, rows: this.rows, revisions: this.revisions, tree: this.tree.toJSON(), stats } };
  }

  static restore(ctx: LearnerContext, params: Partial<EFDTParams>, state: LearnerState): ExtremelyFastDecisionTree {
    const name = 'extremely-fast-decision-tree';
    const s = parseState(name, stateSchema, state.json);
    checkSavedFeatures(name, 'nFeatures', s.nFeatures, ctx);
    const model = new ExtremelyFastDecisionTree(ctx, params);
    model.tree.restore(s.tree as TreeJSON);
    model.rows = s.rows;
    model.revisions = s.revisions;
    const nodes = model.nodes();
    if (nodes.length !== s.stats.length) fail(`${name}: saved state has stats for ${s.stats.length} nodes, but its tree has ${nodes.length}`);
    const bins = model.params.numericBins;
    nodes.forEach((node, i) => {
      const saved = s.stats[i];
      if (saved === null) return;
      if (saved.sums.length !== model.d + 1) fail(`${name}: saved state has ${saved.sums.length} merit sums at a node, expected ${model.d + 1}`);
      const stats: Stats = { sums: Float64Array.from(saved.sums, (x) => x ?? -Infinity), attempts: saved.attempts };
      if (saved.observers) {
        stats.observers = saved.observers.map((o) => {
          if (o === null) return undefined;
          const obs = o as ObserverJSON;
          return obs.kind === 'gaussian' ? GaussianObserver.fromJSON(obs, bins) : NominalObserver.fromJSON(obs);
        });
      }
      if (saved.seen) stats.seen = Float64Array.from(saved.seen);
      node.efdt = stats;
    });
    return model;
  }
}
