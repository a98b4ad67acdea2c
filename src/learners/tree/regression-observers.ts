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

/**
 * A copy of statistics. Not `{ ...s }`: V8 gives a spread copy's number
 * fields a representation in which every later update of them allocates a
 * number on the heap, and these are updated with every row.
 */
export function copyStats(s: TargetStats): TargetStats {
  return { w: s.w, mean: s.mean, m2: s.m2 };
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

/**
 * addTarget on statistics held flat, stats[o] the weight, stats[o + 1] the
 * mean, stats[o + 2] M2: the same operations, so the same bits.
 */
export function addTargetAt(stats: Float64Array, o: number, y: number, weight: number): void {
  if (weight <= 0) return;
  const before = stats[o];
  if (before === 0) {
    stats[o] = weight;
    stats[o + 1] = y;
    stats[o + 2] = 0;
    return;
  }
  const w = before + weight;
  const d = y - stats[o + 1];
  const mean = stats[o + 1] + (d * weight) / w;
  stats[o + 1] = mean;
  stats[o + 2] = Math.max(0, stats[o + 2] + weight * d * (y - mean));
  stats[o] = w;
}

/** The sample standard deviation (n - 1 in the denominator, as River's Var); 0 below two rows' weight. */
export function sdOf(w: number, m2: number): number {
  return w > 1 ? Math.sqrt(Math.max(0, m2) / (w - 1)) : 0;
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

// An E-BST is a block of its tree's EBSTArena: a header, its nodes, and at the block's end what the last
// bestMerit() found. The header: the weight, mean and M2 of every target observed (the total), the nodes held,
// the capacity the memory estimate counts, and the block's class.
const TOTAL_W = 0;
const TOTAL_MEAN = 1;
const TOTAL_M2 = 2;
const SIZE = 3;
const CAPACITY = 4;
const CLASS = 5;
const HEADER = 6;
// A node, five numbers: its key; its left and right children (node indices in the block, -1: none), as two 32-bit
// integers in one number's place (read through the chunk's Int32Array view); then the weight, mean and M2 of the
// targets whose value was at or below the key on their way through it. A descent reads the key and the links
// first, side by side, and the statistics only where it turns left.
const NODE = 5;
const KEY = 0;
const LINKS = 1;
const W = 2;
const MEAN = 3;
const M2 = 4;
// The best split bestMerit() found, from the block's end back: its key, the weight, mean and M2 of the targets at
// or below it, and its merit.
const BEST = 5;
const BEST_KEY = 0;
const BEST_W = 1;
const BEST_MEAN = 2;
const BEST_M2 = 3;
const BEST_MERIT = 4;

/** Numbers in a block of class 0; class k holds BLOCK_0 << k. */
const BLOCK_0 = 64;
/** Numbers in an arena chunk (a power of two: a handle is chunk * CHUNK + offset); larger blocks get a chunk of their own. */
const CHUNK_BITS = 15;
const CHUNK = 1 << CHUNK_BITS;
const OFFSET_MASK = CHUNK - 1;
/** Classes whose blocks share chunks: up to a quarter chunk. */
const SHARED_CLASSES = CHUNK_BITS - 2 - Math.log2(BLOCK_0) + 1;

/** Nodes a block of class k holds. */
function roomOf(k: number): number {
  return (((BLOCK_0 << k) - HEADER - BEST) / NODE) | 0;
}

/** Where in its chunk the best split of a block of class k at offset b is kept. */
function bestAt(b: number, k: number): number {
  return b + (BLOCK_0 << k) - BEST;
}

/** The capacity an E-BST of n nodes is given: 16, doubled until it holds them (what the memory estimate counts). */
function capacityFor(n: number): number {
  let capacity = 16;
  while (capacity < n) capacity *= 2;
  return capacity;
}

// The walks' stacks and the packing's work arrays, shared by every arena (no walk is re-entered).
let stackNodes = new Int32Array(64);
let stackAux = new Float64Array(3 * 64);
let stackStage = new Uint8Array(64);
let allBad = new Uint8Array(64);
let packOrder = new Int32Array(64);
let packIndex = new Int32Array(64);
let packNodes = new Float64Array(NODE * 64);
let packLinks = new Int32Array(packNodes.buffer);

function ensureWalk(size: number): void {
  if (stackNodes.length < size) {
    stackNodes = new Int32Array(2 * size);
    stackAux = new Float64Array(6 * size);
    stackStage = new Uint8Array(2 * size);
    allBad = new Uint8Array(2 * size);
    packOrder = new Int32Array(2 * size);
    packIndex = new Int32Array(2 * size);
    packNodes = new Float64Array(2 * NODE * size);
    packLinks = new Int32Array(packNodes.buffer);
  }
}

/**
 * The E-BSTs of one tree's leaves: the extended binary search trees of
 * FIMT-DD (Ikonomovska, Gama & Džeroski 2011, as MOA's
 * FIMTDDNumericAttributeClassObserver and River's EBSTSplitter), one per
 * leaf and numeric feature. An E-BST is a binary search tree of the values
 * seen, each node holding the target statistics of the values at or below
 * its key that passed through it. One in-order walk then gives, for every
 * value seen, the statistics of the targets at or below it, so every
 * distinct value is a candidate threshold, scored exactly. Memory grows
 * with the distinct values a leaf sees; the tree's memory bound deactivates
 * leaves past its budget.
 *
 * An E-BST is a handle (a number) to a block of this arena, its header and
 * nodes side by side (node 0 is the root; a child is always added after its
 * parent), not an object: a forest's trees hold tens of thousands of E-BSTs,
 * most of a handful of nodes, and make and drop them by the thousand (a
 * leaf's go when it splits); as objects with arrays of their own, each cost
 * a kilobyte, several allocations and, at every update, as many cache
 * misses. Blocks are powers of two in size (BLOCK_0 numbers and up), carved
 * from chunks of CHUNK numbers that are added as needed, never copied; a
 * freed block is kept for the next E-BST of its size, or halved for
 * smaller ones. The walks keep their own stacks, so values that come sorted
 * (a degenerate, list-like tree) cost no recursion depth. The arena goes
 * with its tree.
 */
export class EBSTArena {
  /** The chunks, and the same memory as 32-bit integers (for the links). */
  private readonly chunks: Float64Array[] = [];
  private readonly chunkLinks: Int32Array[] = [];
  /** The chunk blocks are carved from, and where its free part starts. */
  private current = -1;
  private top = CHUNK;
  /** Free blocks' handles by class (shared classes only). */
  private readonly free: number[][] = [];
  /** Chunks once given to a large block, free again. */
  private readonly spareChunks: number[] = [];

  /** A new, empty E-BST counted at `capacity` nodes by the memory estimate: its handle. */
  create(capacity = 16): number {
    const h = this.take(0);
    const data = this.chunks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    data[b + TOTAL_W] = 0;
    data[b + TOTAL_MEAN] = 0;
    data[b + TOTAL_M2] = 0;
    data[b + SIZE] = 0;
    data[b + CAPACITY] = capacity;
    return h;
  }

  /** A chunk of `size` numbers: its index. */
  private addChunk(size: number): number {
    const data = new Float64Array(size);
    const links = new Int32Array(data.buffer);
    let c = this.spareChunks.pop();
    if (c === undefined) {
      c = this.chunks.push(data) - 1;
      this.chunkLinks.push(links);
    } else {
      this.chunks[c] = data;
      this.chunkLinks[c] = links;
    }
    return c;
  }

  /** A block of class k (its CLASS set): its handle. */
  private take(k: number): number {
    let h = -1;
    if (k >= SHARED_CLASSES) h = this.addChunk(BLOCK_0 << k) * CHUNK;
    else {
      for (let j = k; j < this.free.length && h < 0; j++) {
        const handles = this.free[j];
        if (handles === undefined || handles.length === 0) continue;
        h = handles.pop()!;
        // A larger block is halved down to class k; each upper half is a free block of the class below.
        for (let c = j - 1; c >= k; c--) (this.free[c] ??= []).push(h + (BLOCK_0 << c));
      }
      if (h < 0) {
        const size = BLOCK_0 << k;
        if (this.top + size > CHUNK) {
          this.current = this.addChunk(CHUNK);
          this.top = 0;
        }
        h = this.current * CHUNK + this.top;
        this.top += size;
      }
    }
    this.chunks[h >>> CHUNK_BITS][(h & OFFSET_MASK) + CLASS] = k;
    return h;
  }

  /** Gives back an E-BST's block: the E-BST is gone. */
  release(h: number): void {
    const c = h >>> CHUNK_BITS;
    const k = this.chunks[c][(h & OFFSET_MASK) + CLASS];
    if (k >= SHARED_CLASSES) {
      this.chunks[c] = new Float64Array(0);
      this.chunkLinks[c] = new Int32Array(0);
      this.spareChunks.push(c);
    } else (this.free[k] ??= []).push(h);
  }

  /** Approximate bytes held, for the tree's memory bound: key, three statistics and two links per node of capacity, plus an object's. */
  bytes(h: number): number {
    return 96 + this.chunks[h >>> CHUNK_BITS][(h & OFFSET_MASK) + CAPACITY] * 40;
  }

  /**
   * Adds a row: its value of the feature, x[feature], and its target and
   * weight, row[0] and row[1] (not as numbers: a number passed to a call
   * that V8 does not inline is boxed on the heap). Returns the E-BST's
   * handle, which changes when it moves to a larger block.
   */
  update(h: number, x: Float64Array, feature: number, row: Float64Array): number {
    const value = x[feature];
    if (value !== value) return h;
    const y = row[0];
    const weight = row[1];
    const c = h >>> CHUNK_BITS;
    const data = this.chunks[c];
    const links = this.chunkLinks[c];
    const b = h & OFFSET_MASK;
    // addTargetAt(data, b + TOTAL_W, y, weight), written out: a call here that V8 does not inline boxes y.
    const totalW = data[b + TOTAL_W];
    if (!(weight > 0)) {
      // No weight, nothing to add (the trees never pass one).
    } else if (totalW === 0) {
      data[b + TOTAL_W] = weight;
      data[b + TOTAL_MEAN] = y;
      data[b + TOTAL_M2] = 0;
    } else {
      const w = totalW + weight;
      const d = y - data[b + TOTAL_MEAN];
      const mean = data[b + TOTAL_MEAN] + (d * weight) / w;
      data[b + TOTAL_MEAN] = mean;
      data[b + TOTAL_M2] = Math.max(0, data[b + TOTAL_M2] + weight * d * (y - mean));
      data[b + TOTAL_W] = w;
    }
    if (data[b + SIZE] === 0) return this.add(h, x, feature, row, -1);
    const base = b + HEADER;
    let node = 0;
    for (;;) {
      const o = base + NODE * node;
      const key = data[o + KEY];
      const link = 2 * (o + LINKS);
      if (value <= key) {
        // The node's statistics: of the targets at or below its key that passed through it (Welford, weighted).
        const w = data[o + W] + weight;
        const d = y - data[o + MEAN];
        data[o + MEAN] += (d * weight) / w;
        data[o + M2] += weight * d * (y - data[o + MEAN]);
        data[o + W] = w;
        if (value === key) return h;
        const next = links[link];
        if (next < 0) return this.add(h, x, feature, row, link - 2 * b);
        node = next;
      } else {
        const next = links[link + 1];
        if (next < 0) return this.add(h, x, feature, row, link + 1 - 2 * b);
        node = next;
      }
    }
  }

  /**
   * A new node for the row's value x[feature] with the row's target alone,
   * its index written into the link at `linkAt` (in 32-bit integers from
   * the block's start; none for the root, -1); returns the E-BST's handle.
   */
  private add(h: number, x: Float64Array, feature: number, row: Float64Array, linkAt: number): number {
    let data = this.chunks[h >>> CHUNK_BITS];
    let b = h & OFFSET_MASK;
    const size = data[b + SIZE];
    if (size === data[b + CAPACITY]) data[b + CAPACITY] = 2 * size;
    if (size === roomOf(data[b + CLASS])) {
      h = this.move(h, size + 1);
      data = this.chunks[h >>> CHUNK_BITS];
      b = h & OFFSET_MASK;
    }
    const links = this.chunkLinks[h >>> CHUNK_BITS];
    const o = b + HEADER + NODE * size;
    data[o + KEY] = x[feature];
    links[2 * (o + LINKS)] = -1;
    links[2 * (o + LINKS) + 1] = -1;
    data[o + W] = row[1];
    data[o + MEAN] = row[0];
    data[o + M2] = 0;
    data[b + SIZE] = size + 1;
    if (linkAt >= 0) links[2 * b + linkAt] = size;
    return h;
  }

  /** Moves an E-BST to the smallest block that holds n nodes, header and nodes; returns its new handle. */
  private move(h: number, n: number): number {
    let k = 0;
    while (roomOf(k) < n) k++;
    const to = this.take(k);
    const from = this.chunks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    const data = this.chunks[to >>> CHUNK_BITS];
    const t = to & OFFSET_MASK;
    const keep = Math.min(n, from[b + SIZE]);
    data.set(from.subarray(b, b + HEADER + NODE * keep), t);
    data[t + CLASS] = k;
    this.release(h);
    return to;
  }

  /**
   * The SDR of the E-BST's best split, or -Infinity when no split leaves
   * every branch minWeight: the in-order walk of Ikonomovska's
   * FindBestSplit. At each key, the targets at or below it are those of the
   * walk's accumulated left part (`aux`, everything left of the subtree)
   * plus the node's own statistics; the rest is the total less that (Chan
   * et al.'s pairwise formulas). The split is kept for bestSplit(): an
   * attempt scores every feature but builds only the winner's split.
   */
  bestMerit(h: number, minWeight: number): number {
    const data = this.chunks[h >>> CHUNK_BITS];
    const links = this.chunkLinks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    const best = bestAt(b, data[b + CLASS]);
    data[best + BEST_MERIT] = -Infinity;
    const size = data[b + SIZE];
    if (size < 2) return -Infinity;
    const preW = data[b + TOTAL_W];
    const preMean = data[b + TOTAL_MEAN];
    const preM2 = data[b + TOTAL_M2];
    const preSd = sdOf(preW, preM2);
    ensureWalk(size);
    const base = b + HEADER;
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
    while (node >= 0 || depth > 0) {
      while (node >= 0) {
        stackNodes[depth] = node;
        stackAux[3 * depth] = auxW;
        stackAux[3 * depth + 1] = auxMean;
        stackAux[3 * depth + 2] = auxM2;
        depth++;
        node = links[2 * (base + NODE * node + LINKS)];
      }
      depth--;
      const at = base + NODE * stackNodes[depth];
      // Left part at this key: aux (what the walk has passed) combined with the node's own (Chan et al.).
      const aw = stackAux[3 * depth];
      const nw = data[at + W];
      let lw = nw;
      let lmean = data[at + MEAN];
      let lm2 = data[at + M2];
      if (aw > 0) {
        const amean = stackAux[3 * depth + 1];
        lw = aw + nw;
        const d = lmean - amean;
        lm2 = stackAux[3 * depth + 2] + lm2 + (d * d * aw * nw) / lw;
        lmean = amean + (d * nw) / lw;
      }
      const rw = preW - lw;
      if (lw >= minWeight && rw >= minWeight) {
        const rmean = (preW * preMean - lw * lmean) / rw;
        const dm = lmean - rmean;
        const rm2 = Math.max(0, preM2 - lm2 - ((lw * rw) / preW) * dm * dm);
        const merit = preSd - (lw / preW) * sdOf(lw, lm2) - (rw / preW) * sdOf(rw, rm2);
        if (merit > bestMerit) {
          bestMerit = merit;
          bestKey = data[at + KEY];
          bestW = lw;
          bestMean = lmean;
          bestM2 = lm2;
        }
      }
      // Everything in the right subtree lies above this key: the left part carries over whole.
      auxW = lw;
      auxMean = lmean;
      auxM2 = lm2;
      node = links[2 * (at + LINKS) + 1];
    }
    data[best + BEST_MERIT] = bestMerit;
    data[best + BEST_KEY] = bestKey;
    data[best + BEST_W] = bestW;
    data[best + BEST_MEAN] = bestMean;
    data[best + BEST_M2] = bestM2;
    return bestMerit;
  }

  /** The split the last bestMerit() found (which must have found one), as feature `feature`'s. */
  bestSplit(h: number, feature: number): RegressionSplitSuggestion {
    const data = this.chunks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    const best = bestAt(b, data[b + CLASS]);
    const preW = data[b + TOTAL_W];
    const bestW = data[best + BEST_W];
    const bestMean = data[best + BEST_MEAN];
    const bestM2 = data[best + BEST_M2];
    const rw = preW - bestW;
    const rmean = (preW * data[b + TOTAL_MEAN] - bestW * bestMean) / rw;
    const dm = bestMean - rmean;
    const rm2 = Math.max(0, data[b + TOTAL_M2] - bestM2 - ((bestW * rw) / preW) * dm * dm);
    return {
      feature,
      merit: data[best + BEST_MERIT],
      threshold: data[best + BEST_KEY],
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
   * left are then packed, so the memory is given back. Returns the E-BST's
   * handle, which changes when it moves to a smaller block.
   */
  removeBadSplits(h: number, ratio: number, bestMerit: number, bound: number, minWeight: number): number {
    const data = this.chunks[h >>> CHUNK_BITS];
    const links = this.chunkLinks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    const size = data[b + SIZE];
    if (size === 0 || !(bestMerit > 0)) return h;
    const limit = ratio - 2 * bound;
    const preW = data[b + TOTAL_W];
    const preMean = data[b + TOTAL_MEAN];
    const preM2 = data[b + TOTAL_M2];
    const preSd = sdOf(preW, preM2);
    const base = b + HEADER;
    ensureWalk(size);
    // A post-order walk with its own stack. Stage 0: visit the left subtree; 1: left done, visit the
    // right; 2: both done, judge the node. `bad` carries a finished subtree's verdict up; allBad, per
    // node, whether its subtree so far is all bad (left verdict, then right).
    let depth = 1;
    stackNodes[0] = 0;
    stackStage[0] = 0;
    stackAux[0] = 0;
    stackAux[1] = 0;
    stackAux[2] = 0;
    let bad = false;
    let rootDropped = false;
    while (depth > 0) {
      const f = depth - 1;
      const node = stackNodes[f];
      const o = base + NODE * node;
      const aw = stackAux[3 * f];
      const am = stackAux[3 * f + 1];
      const am2 = stackAux[3 * f + 2];
      // The targets at or below this node's key: aux and the node's own, combined.
      const nw = data[o + W];
      let lw = nw;
      let lmean = data[o + MEAN];
      let lm2 = data[o + M2];
      if (aw > 0) {
        lw = aw + nw;
        const d = lmean - am;
        lm2 = am2 + lm2 + (d * d * aw * nw) / lw;
        lmean = am + (d * nw) / lw;
      }
      const stage = stackStage[f];
      if (stage === 0) {
        stackStage[f] = 1;
        const left = links[2 * (o + LINKS)];
        if (left >= 0) {
          stackNodes[depth] = left;
          stackStage[depth] = 0;
          stackAux[3 * depth] = aw;
          stackAux[3 * depth + 1] = am;
          stackAux[3 * depth + 2] = am2;
          depth++;
          continue;
        }
        bad = true;
      }
      if (stage <= 1) {
        // `bad` is the left subtree's verdict (true when there is none).
        allBad[node] = bad ? 1 : 0;
        stackStage[f] = 2;
        const right = links[2 * (o + LINKS) + 1];
        if (bad && right >= 0) {
          stackNodes[depth] = right;
          stackStage[depth] = 0;
          stackAux[3 * depth] = lw;
          stackAux[3 * depth + 1] = lmean;
          stackAux[3 * depth + 2] = lm2;
          depth++;
          continue;
        }
      } else if (!bad) allBad[node] = 0;
      // Judge the node when its whole subtree is bad.
      depth--;
      bad = false;
      if (allBad[node] === 1) {
        const rw = preW - lw;
        let merit = 0;
        if (lw >= minWeight && rw >= minWeight) {
          const rmean = (preW * preMean - lw * lmean) / rw;
          const dm = lmean - rmean;
          const rm2 = Math.max(0, preM2 - lm2 - ((lw * rw) / preW) * dm * dm);
          merit = preSd - (lw / preW) * sdOf(lw, lm2) - (rw / preW) * sdOf(rw, rm2);
        }
        if (merit / bestMerit < limit) {
          bad = true;
          if (depth === 0) rootDropped = true;
          else {
            const parent = 2 * (base + NODE * stackNodes[depth - 1] + LINKS);
            if (links[parent] === node) links[parent] = -1;
            else links[parent + 1] = -1;
          }
        }
      }
    }
    if (rootDropped) data[b + SIZE] = 0;
    return this.pack(h);
  }

  /**
   * Renumbers the nodes still linked from the root in preorder (each child
   * after its parent), in place, and counts them at the capacity a new
   * E-BST of that many nodes would have; a block far larger than that is
   * swapped for a smaller one. Returns the E-BST's handle.
   */
  private pack(h: number): number {
    const data = this.chunks[h >>> CHUNK_BITS];
    const links = this.chunkLinks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    const base = b + HEADER;
    const size = data[b + SIZE];
    ensureWalk(size);
    let n = 0;
    let top = 0;
    if (size > 0) stackNodes[top++] = 0;
    while (top > 0) {
      const node = stackNodes[--top];
      packOrder[n++] = node;
      const link = 2 * (base + NODE * node + LINKS);
      if (links[link + 1] >= 0) stackNodes[top++] = links[link + 1];
      if (links[link] >= 0) stackNodes[top++] = links[link];
    }
    if (n === size && n > 0) return h;
    for (let i = 0; i < n; i++) packIndex[packOrder[i]] = i;
    for (let i = 0; i < n; i++) {
      const o = base + NODE * packOrder[i];
      const p = NODE * i;
      packNodes[p + KEY] = data[o + KEY];
      packNodes[p + W] = data[o + W];
      packNodes[p + MEAN] = data[o + MEAN];
      packNodes[p + M2] = data[o + M2];
      const left = links[2 * (o + LINKS)];
      const right = links[2 * (o + LINKS) + 1];
      packLinks[2 * (p + LINKS)] = left < 0 ? -1 : packIndex[left];
      packLinks[2 * (p + LINKS) + 1] = right < 0 ? -1 : packIndex[right];
    }
    data[b + SIZE] = n;
    data[b + CAPACITY] = capacityFor(n);
    let k = 0;
    while (roomOf(k) < n) k++;
    // Far more room than the nodes left need: a smaller block, the header moved over.
    if (data[b + CLASS] > k + 2) h = this.move(h, n);
    const to = this.chunks[h >>> CHUNK_BITS];
    to.set(packNodes.subarray(0, NODE * n), (h & OFFSET_MASK) + HEADER);
    return h;
  }

  toJSON(h: number): Json {
    const data = this.chunks[h >>> CHUNK_BITS];
    const links = this.chunkLinks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    const n = data[b + SIZE];
    const keys = new Array<number>(n);
    const stats = new Array<number>(3 * n);
    const left = new Array<number>(n);
    const right = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const o = b + HEADER + NODE * i;
      keys[i] = data[o + KEY];
      stats[3 * i] = data[o + W];
      stats[3 * i + 1] = data[o + MEAN];
      stats[3 * i + 2] = data[o + M2];
      left[i] = links[2 * (o + LINKS)];
      right[i] = links[2 * (o + LINKS) + 1];
    }
    return { kind: 'ebst', keys, stats, left, right, total: [data[b + TOTAL_W], data[b + TOTAL_MEAN], data[b + TOTAL_M2]] };
  }

  /** An E-BST from its checked saved form: its handle. */
  fromJSON(s: EBSTJSON): number {
    const n = s.keys.length;
    // Counted at the capacity arrays of its own would have grown to, so the memory estimate is the same.
    let h = this.create(capacityFor(n));
    if (n > roomOf(0)) h = this.move(h, n);
    const data = this.chunks[h >>> CHUNK_BITS];
    const links = this.chunkLinks[h >>> CHUNK_BITS];
    const b = h & OFFSET_MASK;
    for (let i = 0; i < n; i++) {
      const o = b + HEADER + NODE * i;
      data[o + KEY] = s.keys[i];
      links[2 * (o + LINKS)] = s.left[i];
      links[2 * (o + LINKS) + 1] = s.right[i];
      data[o + W] = s.stats[3 * i];
      data[o + MEAN] = s.stats[3 * i + 1];
      data[o + M2] = s.stats[3 * i + 2];
    }
    data[b + SIZE] = n;
    [data[b + TOTAL_W], data[b + TOTAL_MEAN], data[b + TOTAL_M2]] = s.total;
    return h;
  }
}

/**
 * Nominal feature: target statistics per category. The split is multiway,
 * one branch per category seen (River's default, binary_split=False), and
 * is a candidate only when every branch weighs minWeight.
 */
export class NominalRegressionObserver {
  private readonly byValue = new Map<number, TargetStats>();
  private readonly total = emptyStats();
  /** The categories in ascending order (the order branches and merits take them in); null when one was added since. */
  private sorted: number[] | null = null;
  private bestMeritFound = -Infinity;

  /** Approximate bytes held, for the tree's memory bound. */
  get bytes(): number {
    return 64 + this.byValue.size * 72;
  }

  /** Adds a row: its category x[feature], its target and weight row[0] and row[1] (see EBSTArena.update). */
  update(x: Float64Array, feature: number, row: Float64Array): void {
    const value = x[feature];
    if (value !== value) return;
    const y = row[0];
    const weight = row[1];
    addTarget(this.total, y, weight);
    let s = this.byValue.get(value);
    if (s === undefined) {
      s = emptyStats();
      this.byValue.set(value, s);
      this.sorted = null;
    }
    addTarget(s, y, weight);
  }

  private values(): number[] {
    return (this.sorted ??= [...this.byValue.keys()].sort((a, b) => a - b));
  }

  /**
   * The SDR of the split by category, sd(all) - sum_i (w_i / w) sd(category
   * i) over the categories in ascending order, or -Infinity when there is
   * one only or a category weighs less than minWeight (River's
   * min_samples_split: a split that leaves a sliver is not a candidate).
   */
  bestMerit(minWeight: number): number {
    this.bestMeritFound = -Infinity;
    if (this.byValue.size < 2) return -Infinity;
    const pre = this.total;
    let merit = sdOf(pre.w, pre.m2);
    for (const value of this.values()) {
      const p = this.byValue.get(value)!;
      if (!(p.w >= minWeight)) return -Infinity;
      merit -= (p.w / pre.w) * sdOf(p.w, p.m2);
    }
    this.bestMeritFound = merit;
    return merit;
  }

  /** The split the last bestMerit() scored, as feature `feature`'s. */
  bestSplit(feature: number): RegressionSplitSuggestion {
    const values = this.values().slice();
    const post = values.map((value) => copyStats(this.byValue.get(value)!));
    return { feature, merit: this.bestMeritFound, values, post };
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

/**
 * Checks a saved observer: the observer (an E-BST: its handle in `arena`;
 * a nominal one: the object), or the problem as "PATH: MESSAGE".
 */
export function observerFromJSON(json: unknown, arena: EBSTArena): { ok: true; value: number | NominalRegressionObserver } | { ok: false; problem: string } {
  const kind = typeof json === 'object' && json !== null && 'kind' in json ? (json as { kind: unknown }).kind : undefined;
  if (kind === 'ebst') {
    const checked = checkWith(ebstSchema, json);
    return checked.ok ? { ok: true, value: arena.fromJSON(checked.value) } : checked;
  }
  if (kind === 'nominal') {
    const checked = checkWith(nominalSchema, json);
    return checked.ok ? { ok: true, value: NominalRegressionObserver.fromJSON(checked.value) } : checked;
  }
  return { ok: false, problem: 'kind: expected "ebst" or "nominal"' };
}
