import * as v from 'valibot';
import { checkWith, finiteNumber, nonNegative, object, refine } from '../../core/state.js';
import type { Json } from '../../core/state.js';

/**
 * What a regression tree's leaf keeps about one feature to find its best
 * split by standard deviation reduction (SDR, Ikonomovska, Gama & Džeroski
 * 2011): target statistics (weight, mean and sum of squared deviations,
 * Welford 1962) per candidate split point or per category.
 */

/** Weight, mean and sum of squared deviations (M2) of targets: what every candidate is scored from. */
export interface TargetStats {
  w: number;
  mean: number;
  m2: number;
}

export function emptyStats(): TargetStats {
  return { w: 0, mean: 0, m2: 0 };
}

/** Adds a target with a weight (weighted Welford). */
export function addTarget(s: TargetStats, y: number, weight: number): void {
  if (weight <= 0) return;
  if (s.w === 0) {
    // Exactly: a first row of weight 3 would otherwise leave a spread of 1e-7 from rounding, which a leaf model scales up.
    s.w = weight;
    s.mean = y;
    s.m2 = 0;
    return;
  }
  const w = s.w + weight;
  const d = y - s.mean;
  s.mean += (d * weight) / w;
  // Rounding can take a sum of squares of equal values just below 0, which a saved state may not hold.
  s.m2 = Math.max(0, s.m2 + weight * d * (y - s.mean));
  s.w = w;
}

/** The sample standard deviation (n - 1 in the denominator, as River's Var); 0 below two rows' weight. */
export function sdOf(w: number, m2: number): number {
  return w > 1 ? Math.sqrt(Math.max(0, m2) / (w - 1)) : 0;
}

/**
 * SDR of a split of `pre` into parts: sd(pre) - sum_i (w_i / w) sd(part_i),
 * or null when a part weighs less than `minWeight` (River's
 * min_samples_split: a split that leaves a sliver is not a candidate).
 */
export function sdr(pre: TargetStats, parts: readonly TargetStats[], minWeight: number): number | null {
  let merit = sdOf(pre.w, pre.m2);
  for (const p of parts) {
    if (!(p.w >= minWeight)) return null;
    merit -= (p.w / pre.w) * sdOf(p.w, p.m2);
  }
  return merit;
}

/** A candidate split of one feature: its merit, its test, and the target statistics of each branch. */
export interface RegressionSplitSuggestion {
  readonly feature: number;
  readonly merit: number;
  /** Numeric: x <= threshold goes to branch 0, else branch 1. */
  readonly threshold?: number;
  /** Nominal: one branch per category seen, in this order. */
  readonly values?: readonly number[];
  readonly post: TargetStats[];
}

export interface RegressionObserver {
  update(value: number, y: number, weight: number): void;
  /** The best split of this feature by SDR, or null when none leaves every branch minWeight. */
  bestSplit(feature: number, minWeight: number): RegressionSplitSuggestion | null;
  /** Weight observed (values that were not NaN). */
  readonly weight: number;
  /** Approximate bytes held, for the tree's memory bound. */
  readonly bytes: number;
  toJSON(): Json;
}

// Per E-BST node, three numbers: weight, mean, M2 of the targets whose value was at or below the node's key on their way through it.
const W = 0;
const MEAN = 1;
const M2 = 2;

// The in-order walk's stack, shared by every observer (the walk is never re-entered).
let stackNodes = new Int32Array(64);
let stackAux = new Float64Array(3 * 64);
let stackStage = new Uint8Array(64);

/**
 * Extended binary search tree (E-BST; Ikonomovska, Gama & Džeroski 2011,
 * as MOA's FIMTDDNumericAttributeClassObserver and River's EBSTSplitter): a
 * binary search tree of the values seen, each node holding the target
 * statistics of the values at or below its key that passed through it. One
 * in-order walk then gives, for every value seen, the statistics of the
 * targets at or below it, so every distinct value is a candidate threshold,
 * scored exactly. Memory grows with the distinct values a leaf sees; the
 * tree's memory bound deactivates leaves past its budget.
 *
 * Nodes live in flat arrays (index 0 is the root; a child is always added
 * after its parent), and the walk keeps its own stack, so values that come
 * sorted (a degenerate, list-like tree) cost no recursion depth.
 */
export class EBSTObserver implements RegressionObserver {
  private keys: Float64Array;
  private stats: Float64Array;
  private left: Int32Array;
  private right: Int32Array;
  private size = 0;
  private readonly total = emptyStats();

  constructor(capacity = 16) {
    this.keys = new Float64Array(capacity);
    this.stats = new Float64Array(3 * capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
  }

  get weight(): number {
    return this.total.w;
  }

  /** Distinct values held. */
  get nodes(): number {
    return this.size;
  }

  get bytes(): number {
    // Key, three statistics and two links per node, as held (capacity), plus the object.
    return 96 + this.keys.length * 40;
  }

  update(value: number, y: number, weight: number): void {
    if (Number.isNaN(value)) return;
    addTarget(this.total, y, weight);
    if (this.size === 0) {
      this.add(value, y, weight);
      return;
    }
    let node = 0;
    for (;;) {
      const key = this.keys[node];
      if (value === key) {
        this.addAt(node, y, weight);
        return;
      }
      if (value < key) {
        this.addAt(node, y, weight);
        const next = this.left[node];
        if (next < 0) {
          // add() may grow (replace) the arrays: the link is written into the array as it is after.
          const child = this.add(value, y, weight);
          this.left[node] = child;
          return;
        }
        node = next;
      } else {
        const next = this.right[node];
        if (next < 0) {
          // add() may grow (replace) the arrays: the link is written into the array as it is after.
          const child = this.add(value, y, weight);
          this.right[node] = child;
          return;
        }
        node = next;
      }
    }
  }

  /**
   * The in-order walk of Ikonomovska's FindBestSplit: at each key, the
   * targets at or below it are those of the walk's accumulated left part
   * (`aux`, everything left of the subtree) plus the node's own statistics;
   * the rest is the total less that (Chan et al.'s pairwise formulas).
   */
  bestSplit(feature: number, minWeight: number): RegressionSplitSuggestion | null {
    if (this.size < 2) return null;
    const pre = this.total;
    const preSd = sdOf(pre.w, pre.m2);
    if (stackNodes.length < this.size) {
      stackNodes = new Int32Array(2 * this.size);
      stackAux = new Float64Array(6 * this.size);
    }
    let depth = 0;
    let node = 0;
    let auxW = 0;
    let auxMean = 0;
    let auxM2 = 0;
    let bestMerit = -Infinity;
    let bestKey = NaN;
    let bestW = 0;
    let bestMean = 0;
    let bestM2 = 0;
    const s = this.stats;
    while (node >= 0 || depth > 0) {
      while (node >= 0) {
        stackNodes[depth] = node;
        stackAux[3 * depth] = auxW;
        stackAux[3 * depth + 1] = auxMean;
        stackAux[3 * depth + 2] = auxM2;
        depth++;
        node = this.left[node];
      }
      depth--;
      const at = stackNodes[depth];
      // Left part at this key: aux (what the walk has passed) combined with the node's own (Chan et al.).
      const aw = stackAux[3 * depth];
      const nw = s[3 * at + W];
      let lw = nw;
      let lmean = s[3 * at + MEAN];
      let lm2 = s[3 * at + M2];
      if (aw > 0) {
        const amean = stackAux[3 * depth + 1];
        lw = aw + nw;
        const d = lmean - amean;
        lm2 = stackAux[3 * depth + 2] + lm2 + (d * d * aw * nw) / lw;
        lmean = amean + (d * nw) / lw;
      }
      const rw = pre.w - lw;
      if (lw >= minWeight && rw >= minWeight) {
        const rmean = (pre.w * pre.mean - lw * lmean) / rw;
        const dm = lmean - rmean;
        const rm2 = Math.max(0, pre.m2 - lm2 - ((lw * rw) / pre.w) * dm * dm);
        const merit = preSd - (lw / pre.w) * sdOf(lw, lm2) - (rw / pre.w) * sdOf(rw, rm2);
        if (merit > bestMerit) {
          bestMerit = merit;
          bestKey = this.keys[at];
          bestW = lw;
          bestMean = lmean;
          bestM2 = lm2;
        }
      }
      // Everything in the right subtree lies above this key: the left part carries over whole.
      auxW = lw;
      auxMean = lmean;
      auxM2 = lm2;
      node = this.right[at];
    }
    if (bestMerit === -Infinity) return null;
    const rw = pre.w - bestW;
    const rmean = (pre.w * pre.mean - bestW * bestMean) / rw;
    const dm = bestMean - rmean;
    const rm2 = Math.max(0, pre.m2 - bestM2 - ((bestW * rw) / pre.w) * dm * dm);
    return {
      feature,
      merit: bestMerit,
      threshold: bestKey,
      post: [
        { w: bestW, mean: bestMean, m2: bestM2 },
        { w: rw, mean: rmean, m2: rm2 },
      ],
    };
  }

  /**
   * FIMT-DD's pruning of bad split points (Ikonomovska et al. 2011, as
   * River's EBSTSplitter.remove_bad_splits), after a split attempt that did
   * not split: with r the second-best merit over the best (`bestMerit`) and
   * eps the Hoeffding bound, a point whose merit over the best is below r -
   * 2 eps cannot become the best, and a node is dropped with its subtree
   * when it and everything below it are such points. Only whole subtrees
   * go, so the statistics kept stay right for the points that remain (the
   * dropped values still count in their ancestors and the total). The nodes
   * left are then packed, so the memory is given back.
   */
  removeBadSplits(ratio: number, bestMerit: number, bound: number, minWeight: number): void {
    if (this.size === 0 || !(bestMerit > 0)) return;
    const limit = ratio - 2 * bound;
    const pre = this.total;
    const preSd = sdOf(pre.w, pre.m2);
    const s = this.stats;
    if (stackNodes.length < this.size) {
      stackNodes = new Int32Array(2 * this.size);
      stackAux = new Float64Array(6 * this.size);
    }
    if (stackStage.length < stackNodes.length) stackStage = new Uint8Array(stackNodes.length);
    // A post-order walk with its own stack. Stage 0: visit the left subtree; 1: left done, visit the
    // right; 2: both done, judge the node. `bad` carries a finished subtree's verdict up.
    let depth = 0;
    let bad = false;
    let rootDropped = false;
    const push = (node: number, w: number, mean: number, m2: number): void => {
      stackNodes[depth] = node;
      stackStage[depth] = 0;
      stackAux[3 * depth] = w;
      stackAux[3 * depth + 1] = mean;
      stackAux[3 * depth + 2] = m2;
      depth++;
    };
    push(0, 0, 0, 0);
    // Per frame, whether its subtree so far is all bad (left verdict, then right).
    const allBad = new Uint8Array(this.size);
    while (depth > 0) {
      const f = depth - 1;
      const node = stackNodes[f];
      const aw = stackAux[3 * f];
      const am = stackAux[3 * f + 1];
      const am2 = stackAux[3 * f + 2];
      // The targets at or below this node's key: aux and the node's own, combined.
      const nw = s[3 * node + W];
      let lw = nw;
      let lmean = s[3 * node + MEAN];
      let lm2 = s[3 * node + M2];
      if (aw > 0) {
        lw = aw + nw;
        const d = lmean - am;
        lm2 = am2 + lm2 + (d * d * aw * nw) / lw;
        lmean = am + (d * nw) / lw;
      }
      const stage = stackStage[f];
      if (stage === 0) {
        stackStage[f] = 1;
        if (this.left[node] >= 0) {
          push(this.left[node], aw, am, am2);
          continue;
        }
        bad = true;
      }
      if (stage <= 1) {
        // `bad` is the left subtree's verdict (true when there is none).
        allBad[node] = bad ? 1 : 0;
        stackStage[f] = 2;
        if (bad && this.right[node] >= 0) {
          push(this.right[node], lw, lmean, lm2);
          continue;
        }
      } else if (!bad) allBad[node] = 0;
      // Judge the node when its whole subtree is bad.
      depth--;
      bad = false;
      if (allBad[node] === 1) {
        const rw = pre.w - lw;
        let merit = 0;
        if (lw >= minWeight && rw >= minWeight) {
          const rmean = (pre.w * pre.mean - lw * lmean) / rw;
          const dm = lmean - rmean;
          const rm2 = Math.max(0, pre.m2 - lm2 - ((lw * rw) / pre.w) * dm * dm);
          merit = preSd - (lw / pre.w) * sdOf(lw, lm2) - (rw / pre.w) * sdOf(rw, rm2);
        }
        if (merit / bestMerit < limit) {
          bad = true;
          if (depth === 0) rootDropped = true;
          else {
            const parent = stackNodes[depth - 1];
            if (this.left[parent] === node) this.left[parent] = -1;
            else this.right[parent] = -1;
          }
        }
      }
    }
    if (rootDropped) {
      this.size = 0;
      this.pack();
    } else this.pack();
  }

  /** Renumbers the nodes still linked from the root, in preorder (each child after its parent), into arrays just large enough. */
  private pack(): void {
    const order = new Int32Array(this.size);
    let n = 0;
    const stack = this.size > 0 ? [0] : [];
    while (stack.length > 0) {
      const node = stack.pop()!;
      order[n++] = node;
      if (this.right[node] >= 0) stack.push(this.right[node]);
      if (this.left[node] >= 0) stack.push(this.left[node]);
    }
    if (n === this.size && n > 0) return;
    const index = new Int32Array(this.size).fill(-1);
    for (let i = 0; i < n; i++) index[order[i]] = i;
    let capacity = 16;
    while (capacity < n) capacity *= 2;
    const keys = new Float64Array(capacity);
    const stats = new Float64Array(3 * capacity);
    const left = new Int32Array(capacity);
    const right = new Int32Array(capacity);
    for (let i = 0; i < n; i++) {
      const old = order[i];
      keys[i] = this.keys[old];
      stats[3 * i] = this.stats[3 * old];
      stats[3 * i + 1] = this.stats[3 * old + 1];
      stats[3 * i + 2] = this.stats[3 * old + 2];
      left[i] = this.left[old] < 0 ? -1 : index[this.left[old]];
      right[i] = this.right[old] < 0 ? -1 : index[this.right[old]];
    }
    this.keys = keys;
    this.stats = stats;
    this.left = left;
    this.right = right;
    this.size = n;
  }

  toJSON(): Json {
    const n = this.size;
    return {
      kind: 'ebst',
      keys: Array.from(this.keys.subarray(0, n)),
      stats: Array.from(this.stats.subarray(0, 3 * n)),
      left: Array.from(this.left.subarray(0, n)),
      right: Array.from(this.right.subarray(0, n)),
      total: [this.total.w, this.total.mean, this.total.m2],
    };
  }

  static fromJSON(s: EBSTJSON): EBSTObserver {
    const n = s.keys.length;
    // The capacity the arrays would have grown to (16, doubled), so the memory estimate is the same.
    let capacity = 16;
    while (capacity < n) capacity *= 2;
    const o = new EBSTObserver(capacity);
    o.keys.set(s.keys);
    o.stats.set(s.stats);
    o.left.set(s.left);
    o.right.set(s.right);
    o.size = n;
    [o.total.w, o.total.mean, o.total.m2] = s.total;
    return o;
  }

  private addAt(node: number, y: number, weight: number): void {
    const s = this.stats;
    const o = 3 * node;
    const w = s[o + W] + weight;
    const d = y - s[o + MEAN];
    s[o + MEAN] += (d * weight) / w;
    s[o + M2] += weight * d * (y - s[o + MEAN]);
    s[o + W] = w;
  }

  private add(value: number, y: number, weight: number): number {
    if (this.size === this.keys.length) this.grow();
    const i = this.size++;
    this.keys[i] = value;
    this.stats[3 * i + W] = weight;
    this.stats[3 * i + MEAN] = y;
    this.stats[3 * i + M2] = 0;
    this.left[i] = -1;
    this.right[i] = -1;
    return i;
  }

  private grow(): void {
    const cap = 2 * this.keys.length;
    const keys = new Float64Array(cap);
    keys.set(this.keys);
    this.keys = keys;
    const stats = new Float64Array(3 * cap);
    stats.set(this.stats);
    this.stats = stats;
    const left = new Int32Array(cap);
    left.set(this.left);
    this.left = left;
    const right = new Int32Array(cap);
    right.set(this.right);
    this.right = right;
  }
}

/**
 * Nominal feature: target statistics per category. The split is multiway,
 * one branch per category seen (River's default, binary_split=False), and
 * is a candidate only when every branch weighs minWeight.
 */
export class NominalRegressionObserver implements RegressionObserver {
  private readonly byValue = new Map<number, TargetStats>();
  private readonly total = emptyStats();

  get weight(): number {
    return this.total.w;
  }

  get bytes(): number {
    return 64 + this.byValue.size * 72;
  }

  update(value: number, y: number, weight: number): void {
    if (Number.isNaN(value)) return;
    addTarget(this.total, y, weight);
    let s = this.byValue.get(value);
    if (s === undefined) {
      s = emptyStats();
      this.byValue.set(value, s);
    }
    addTarget(s, y, weight);
  }

  bestSplit(feature: number, minWeight: number): RegressionSplitSuggestion | null {
    if (this.byValue.size < 2) return null;
    const values = [...this.byValue.keys()].sort((a, b) => a - b);
    const post = values.map((value) => ({ ...this.byValue.get(value)! }));
    const merit = sdr(this.total, post, minWeight);
    return merit === null ? null : { feature, merit, values, post };
  }

  toJSON(): Json {
    const values = [...this.byValue.keys()];
    return { kind: 'nominal', values, stats: values.flatMap((value) => statsToJSON(this.byValue.get(value)!)), total: statsToJSON(this.total) };
  }

  static fromJSON(s: NominalJSON): NominalRegressionObserver {
    const o = new NominalRegressionObserver();
    s.values.forEach((value, i) => {
      const stats = { w: s.stats[3 * i], mean: s.stats[3 * i + 1], m2: s.stats[3 * i + 2] };
      o.byValue.set(value, stats);
    });
    [o.total.w, o.total.mean, o.total.m2] = s.total;
    return o;
  }
}

export function statsToJSON(s: TargetStats): number[] {
  return [s.w, s.mean, s.m2];
}

/** Statistics as saved: [weight, mean, M2], weight and M2 not negative. */
export const statsSchema = v.strictTuple([nonNegative, finiteNumber, nonNegative]);

/**
 * A saved E-BST: its arrays of one length, each child after its parent and
 * with one parent only (so the walk ends and visits each node once).
 */
export const ebstSchema = refine(
  object({
    kind: v.literal('ebst'),
    keys: v.array(finiteNumber),
    stats: v.array(finiteNumber),
    left: v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(-1))),
    right: v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(-1))),
    total: statsSchema,
  }),
  (s, problem) => {
    const n = s.keys.length;
    if (s.stats.length !== 3 * n) return problem(['stats'], `expected ${3 * n} numbers (3 per key), received ${s.stats.length}`);
    if (s.left.length !== n) return problem(['left'], `expected ${n} links, received ${s.left.length}`);
    if (s.right.length !== n) return problem(['right'], `expected ${n} links, received ${s.right.length}`);
    for (let i = 0; i < n; i++) {
      if (s.stats[3 * i] < 0 || s.stats[3 * i + 2] < 0) return problem(['stats', 3 * i], 'weights and sums of squares cannot be negative');
    }
    const parented = new Uint8Array(n);
    for (const [field, links] of [['left', s.left] as const, ['right', s.right] as const]) {
      for (let i = 0; i < n; i++) {
        const c = links[i];
        if (c === -1) continue;
        if (c <= i || c >= n || parented[c]) return problem([field, i], `link ${c} is not a later node with no other parent`);
        parented[c] = 1;
      }
    }
  },
);
export type EBSTJSON = v.InferOutput<typeof ebstSchema>;

/** A saved nominal observer: its categories (distinct) and three statistics each. */
export const nominalSchema = refine(
  object({ kind: v.literal('nominal'), values: v.array(finiteNumber), stats: v.array(finiteNumber), total: statsSchema }),
  (s, problem) => {
    if (s.stats.length !== 3 * s.values.length) return problem(['stats'], `expected ${3 * s.values.length} numbers (3 per category), received ${s.stats.length}`);
    if (new Set(s.values).size !== s.values.length) return problem(['values'], 'a category is listed twice');
    for (let i = 0; i < s.values.length; i++) {
      if (s.stats[3 * i] < 0 || s.stats[3 * i + 2] < 0) return problem(['stats', 3 * i], 'weights and sums of squares cannot be negative');
    }
  },
);
export type NominalJSON = v.InferOutput<typeof nominalSchema>;

/** Checks a saved observer: the observer, or the problem as "PATH: MESSAGE". */
export function observerFromJSON(json: unknown): { ok: true; value: RegressionObserver } | { ok: false; problem: string } {
  const kind = typeof json === 'object' && json !== null && 'kind' in json ? (json as { kind: unknown }).kind : undefined;
  if (kind === 'ebst') {
    const checked = checkWith(ebstSchema, json);
    return checked.ok ? { ok: true, value: EBSTObserver.fromJSON(checked.value) } : checked;
  }
  if (kind === 'nominal') {
    const checked = checkWith(nominalSchema, json);
    return checked.ok ? { ok: true, value: NominalRegressionObserver.fromJSON(checked.value) } : checked;
  }
  return { ok: false, problem: 'kind: expected "ebst" or "nominal"' };
}
