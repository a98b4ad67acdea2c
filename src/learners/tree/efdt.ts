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
 * the class counts it has seen (its `counts` stay those at its creation);
 * once it has learned a row, its numeric attributes' observers are held in
 * `moments`, and its nominal ones in `codes` (per nominal attribute; null
 * for one that met a value other than a category code, whose observer stays
 * in `observers`), their entries in `observers` left empty.
 */
interface Stats {
  sums: Float64Array;
  attempts: number;
  observers: (AttributeObserver | undefined)[] | undefined;
  moments: SplitMoments | undefined;
  codes: (NominalCounts | null)[] | undefined;
  seen: Float64Array | undefined;
}

/** A node's Stats, every field present from the start: one shape for all, which the optimised code of the per-row path counts on. */
function makeStats(sums: Float64Array, attempts: number, observers?: (AttributeObserver | undefined)[], seen?: Float64Array, moments?: SplitMoments, codes?: (NominalCounts | null)[]): Stats {
  return { sums, attempts, observers, moments, codes, seen };
}

// A class's moments of one numeric attribute, as GaussianObserver keeps them: weight, mean, sum of
// squared deviations, minimum, maximum.
const W = 0;
const MEAN = 1;
const M2 = 2;
const MIN = 3;
const MAX = 4;
const STRIDE = 5;
const EMPTY = [0, 0, 0, Infinity, -Infinity];

/**
 * The Gaussian observers of a split's numeric attributes, packed into one
 * array: every row that passes a split updates all of them, and one array
 * of a few hundred bytes costs far fewer cache misses than an object and
 * its arrays per attribute. They learn as GaussianObserver.update does, the
 * same operations in the same order, and are made into GaussianObservers
 * (toObserver) to be scored or saved: the same numbers, so the same merits,
 * splits and saved state as the observers themselves.
 */
class SplitMoments {
  /** data[(c * m + i) * STRIDE + j]: moment j of class c for numeric attribute i; classes below `room`. */
  data: Float64Array;
  room = 0;
  /** Per numeric attribute, how many classes its observer knows (GaussianObserver's k); 0: no observer yet. */
  readonly ks: Int32Array;

  /** Whether every attribute has its observer. */
  complete = false;

  constructor(
    readonly m: number,
    k: number,
  ) {
    this.data = new Float64Array(0);
    this.ks = new Int32Array(m);
    this.grow(k);
  }

  /** Gives every attribute without an observer one, knowing k classes. */
  make(k: number): void {
    for (let i = 0; i < this.m; i++) if (this.ks[i] === 0) this.ks[i] = k;
    this.complete = true;
  }

  /** Makes room for k classes, the new ones empty. */
  grow(k: number): void {
    if (k <= this.room) return;
    const data = new Float64Array(k * this.m * STRIDE);
    data.set(this.data);
    for (let o = this.data.length; o < data.length; o += STRIDE) for (let j = 0; j < STRIDE; j++) data[o + j] = EMPTY[j];
    this.data = data;
    this.room = k;
  }

  /** Takes in attribute i's observer, from its saved form (as GaussianObserver.fromJSON reads it). */
  adopt(i: number, observer: GaussianObserver): void {
    const { k, stats } = observer.toJSON() as { k: number; stats: (number | null)[] };
    this.grow(k);
    this.ks[i] = k;
    for (let c = 0; c < k; c++) {
      const o = (c * this.m + i) * STRIDE;
      for (let j = 0; j < STRIDE; j++) this.data[o + j] = stats[c * STRIDE + j] ?? (j === MIN ? Infinity : -Infinity);
    }
  }

  /** Attribute i's observer, as the GaussianObserver that learned the same rows would be; undefined when it has none. */
  toObserver(i: number, bins: number): GaussianObserver | undefined {
    const k = this.ks[i];
    if (k === 0) return undefined;
    const stats: number[] = [];
    for (let c = 0; c < k; c++) {
      const o = (c * this.m + i) * STRIDE;
      for (let j = 0; j < STRIDE; j++) stats.push(c < this.room ? this.data[o + j] : EMPTY[j]);
    }
    return new GaussianObserver(k, bins, stats);
  }
}

/** A value NominalCounts holds: a category code, a whole number from 0 to 1023. */
function isCode(value: number): boolean {
  return (value | 0) === value && value >= 0 && value < 1024;
}

/**
 * A split's NominalObserver of one attribute, as counts per category code
 * and class in one array, for the same reason as SplitMoments: it learns as
 * NominalObserver.update does with weight 1 (whole counts, so that class
 * totals are the sums of the values' counts, in any order) and is made into
 * a NominalObserver, values in the order first seen, to be scored or saved.
 */
class NominalCounts {
  /** The classes its observer knows (NominalObserver's k); 0: no observer yet. */
  k = 0;
  /** The values in the order first seen (the observer's insertion order). */
  readonly order: number[] = [];
  private room = 0;
  private capacity = 0;
  /** data[v * room + c]: the count of code v in class c. */
  private data = new Float64Array(0);
  private present = new Uint8Array(0);

  /** NominalObserver.update(value, y, 1); false, and nothing done, for a value that is not a category code. */
  add(value: number, y: number): boolean {
    if (Number.isNaN(value)) return true;
    if (!isCode(value)) return false;
    if (y >= this.k) this.k = y + 1;
    if (y >= this.room || value >= this.capacity) this.grow(Math.max(this.k, this.room), value + 1);
    if (this.present[value] === 0) {
      this.present[value] = 1;
      this.order.push(value);
    }
    this.data[value * this.room + y] += 1;
    return true;
  }

  private grow(room: number, values: number): void {
    const capacity = Math.max(this.capacity, values, 8);
    const data = new Float64Array(capacity * room);
    for (let v = 0; v < this.capacity; v++) for (let c = 0; c < this.room; c++) data[v * room + c] = this.data[v * this.room + c];
    const present = new Uint8Array(capacity);
    present.set(this.present);
    this.data = data;
    this.present = present;
    this.room = room;
    this.capacity = capacity;
  }

  private count(value: number, c: number): number {
    return c < this.room ? this.data[value * this.room + c] : 0;
  }

  /** The packed form of `observer`, or null when it holds a value that is not a category code. */
  static of(observer: NominalObserver): NominalCounts | null {
    const { k, values } = observer.toJSON() as { k: number; values: [number, number[]][] };
    if (!values.every(([v]) => isCode(v))) return null;
    const out = new NominalCounts();
    out.k = k;
    out.grow(k, values.reduce((most, [v]) => Math.max(most, v + 1), 0));
    for (const [v, row] of values) {
      out.present[v] = 1;
      out.order.push(v);
      for (let c = 0; c < row.length; c++) out.data[v * out.room + c] = row[c];
    }
    return out;
  }

  /** The NominalObserver that learned the same rows; undefined when there is none yet. */
  toObserver(): NominalObserver | undefined {
    const k = this.k;
    if (k === 0) return undefined;
    const values = this.order.map((v): [number, number[]] => [v, Array.from({ length: k }, (_, c) => this.count(v, c))]);
    const totals = Array.from({ length: k }, (_, c) => this.order.reduce((sum, v) => sum + this.count(v, c), 0));
    return NominalObserver.fromJSON({ k, values, totals });
  }
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
 * predictions and flat split index are reused; a split's observers, which
 * every row through it updates, are kept packed (SplitMoments,
 * NominalCounts) and made into observers to be scored or saved. Defaults
 * as MOA: grace period 200, split confidence 1e-7, tie threshold 0.05,
 * info-gain, nba, 10 bins, re-evaluation every 2,000 rows. MOA's memory
 * bound never acts in its EFDT (its size estimates are never taken), so
 * there is none here.
 */
export class ExtremelyFastDecisionTree implements Classifier {
  readonly name = 'extremely-fast-decision-tree';
  readonly params: EFDTParams;
  private readonly tree: HoeffdingTree;
  private readonly criterion: SplitCriterion;
  private readonly d: number;
  private readonly nominal: readonly boolean[];
  // The numeric and the nominal attributes apart: a split packs their observers differently.
  private readonly numericFeatures: Int32Array;
  private readonly nominalFeatures: Int32Array;
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
    const all = Array.from({ length: this.d }, (_, f) => f);
    this.numericFeatures = Int32Array.from(all.filter((f) => !this.nominal[f]));
    this.nominalFeatures = Int32Array.from(all.filter((f) => this.nominal[f]));
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

  /** One descent through the flat split index into the tree's work area. */
  predictProbaOne(x: Float64Array): Float64Array {
    return this.tree.predictRow(x);
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
    return makeStats(new Float64Array(this.d + 1), 0);
  }

  private splitStats(node: Split): Stats {
    const s = node as WithStats;
    if (!s.efdt) s.efdt = this.newStats();
    const stats = s.efdt;
    if (stats.moments === undefined) {
      // The observers it came with (from the leaf it was, or a saved state) go into moments and codes.
      const observers = (stats.observers ??= new Array(this.d));
      const moments = new SplitMoments(this.numericFeatures.length, this.tree.k);
      this.numericFeatures.forEach((f, i) => {
        const obs = observers[f];
        if (obs) moments.adopt(i, obs as GaussianObserver);
        observers[f] = undefined;
      });
      stats.moments = moments;
      stats.codes = Array.from(this.nominalFeatures, (f) => {
        const obs = observers[f] as NominalObserver | undefined;
        const counts = obs ? NominalCounts.of(obs) : new NominalCounts();
        if (counts !== null) observers[f] = undefined;
        return counts;
      });
    }
    stats.seen ??= node.counts.slice();
    return stats;
  }

  /** The split's observers, the numeric ones made from its moments: what reevaluation scores and saveState writes. */
  private observersOf(stats: Stats): (AttributeObserver | undefined)[] | undefined {
    const { observers, moments } = stats;
    if (!observers || !moments) return observers;
    const out = observers.slice();
    const numeric = this.numericFeatures;
    for (let i = 0; i < numeric.length; i++) out[numeric[i]] = moments.toObserver(i, this.params.numericBins);
    const nominal = this.nominalFeatures;
    const codes = stats.codes!;
    for (let j = 0; j < nominal.length; j++) if (codes[j] !== null) out[nominal[j]] = codes[j]!.toObserver();
    return out;
  }

  private observe(stats: Stats, x: Float64Array, y: number): void {
    const k = this.tree.k;
    const seen = (stats.seen = widen(stats.seen!, k));
    seen[y] += 1;
    const numeric = this.numericFeatures;
    const moments = stats.moments!;
    if (moments.room < k) moments.grow(k);
    const { data, ks } = moments;
    // An attribute's first row here makes its observer, knowing the classes the tree knows.
    if (!moments.complete) moments.make(k);
    const base = y * numeric.length * STRIDE;
    for (let i = 0; i < numeric.length; i++) {
      // GaussianObserver.update(value, y, 1), on the packed moments: the same operations, in the
      // same order (the new mean is kept in a local rather than read back).
      const value = x[numeric[i]];
      if (Number.isNaN(value)) continue;
      if (y >= ks[i]) ks[i] = y + 1;
      const o = base + i * STRIDE;
      const w = data[o + W] + 1;
      const delta = value - data[o + MEAN];
      const mean = data[o + MEAN] + delta / w;
      data[o + MEAN] = mean;
      data[o + M2] += delta * (value - mean);
      data[o + W] = w;
      if (value < data[o + MIN]) data[o + MIN] = value;
      if (value > data[o + MAX]) data[o + MAX] = value;
    }
    if (this.nominalFeatures.length > 0) this.observeNominal(stats, x, y, k);
  }

  /** observe() for the nominal attributes: apart, so that observe() stays small enough to be inlined into learnRow(). */
  private observeNominal(stats: Stats, x: Float64Array, y: number, k: number): void {
    const observers = stats.observers!;
    const nominal = this.nominalFeatures;
    const codes = stats.codes!;
    for (let j = 0; j < nominal.length; j++) {
      const f = nominal[j];
      const counts = codes[j];
      if (counts !== null) {
        if (counts.k === 0) counts.k = k;
        if (counts.add(x[f], y)) continue;
        // A value that is not a category code: the attribute goes on as the observer itself.
        observers[f] = counts.toObserver();
        codes[j] = null;
      }
      let obs = observers[f] as NominalObserver | undefined;
      if (obs === undefined) {
        obs = new NominalObserver(k);
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
    return this.makeSplit(suggestion, pre, makeStats(stats.sums, 0, leaf.observers!, pre.slice()));
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
    const observers = this.observersOf(stats)!;
    const { best } = this.scoreCandidates(observers, pre, stats, nullMerit);
    stats.sums[this.d] += nullMerit;
    const bestSum = stats.sums[best < 0 ? this.d : best];
    const deltaG = (bestSum - stats.sums[node.feature]) / stats.attempts;
    const tie = this.params.tieThreshold;
    if (!(deltaG > bound || (bound < tie && deltaG > tie / 2)) || best === node.feature) return null;
    if (best < 0) {
      const leaf = this.tree.newLeaf(pre.slice()) as WithStats;
      leaf.efdt = makeStats(stats.sums, 0);
      return leaf;
    }
    const suggestion = observers[best]!.bestSplit(this.criterion, pre, best);
    if (suggestion === null) return null;
    // The new split goes on with these very observers, as MOA's does.
    return this.makeSplit(suggestion, pre, makeStats(stats.sums, 0, stats.observers, pre.slice(), stats.moments, stats.codes));
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
      const observers = this.observersOf(s);
      if (observers) out.observers = Array.from(observers, (o) => (o ? o.toJSON() : null));
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
      const observers = saved.observers?.map((o) => {
        if (o === null) return undefined;
        const obs = o as ObserverJSON;
        return obs.kind === 'gaussian' ? GaussianObserver.fromJSON(obs, bins) : NominalObserver.fromJSON(obs);
      });
      node.efdt = makeStats(Float64Array.from(saved.sums, (x) => x ?? -Infinity), saved.attempts, observers, saved.seen && Float64Array.from(saved.seen));
    });
    return model;
  }
}
