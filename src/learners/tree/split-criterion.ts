/**
 * Split criteria for Hoeffding trees: the merit of a split is how much it
 * reduces the impurity of the class distribution; the range of the merit
 * enters the Hoeffding bound.
 */
export type SplitCriterionName = 'info-gain' | 'gini';
export const splitCriterionNames: readonly SplitCriterionName[] = ['info-gain', 'gini'];

export interface SplitCriterion {
  /** Impurity before minus the weighted impurity after; -Infinity when the split is not worth considering. */
  merit(pre: Float64Array, post: readonly ArrayLike<number>[]): number;
  /**
   * merit(pre, [left, right]) to the bit, without the array: the numeric
   * split attempts of a Hoeffding tree call it for every candidate point.
   * `preImpurity` is impurity(pre), which does not change between candidates.
   */
  merit2(preImpurity: number, left: Float64Array, right: Float64Array): number;
  /** The impurity of `pre` that merit2 takes. */
  impurity(pre: Float64Array): number;
  /** The largest value the merit can take for this distribution (R in the Hoeffding bound). */
  range(pre: Float64Array): number;
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

function entropy(dist: ArrayLike<number>): number {
  const total = sum(dist);
  if (total <= 0) return 0;
  let h = 0;
  for (let i = 0; i < dist.length; i++) {
    if (dist[i] > 0) {
      const p = dist[i] / total;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

function gini(dist: ArrayLike<number>): number {
  const total = sum(dist);
  if (total <= 0) return 0;
  let g = 1;
  for (let i = 0; i < dist.length; i++) {
    const p = dist[i] / total;
    g -= p * p;
  }
  return g;
}

function weightedImpurity(post: readonly ArrayLike<number>[], impurity: (d: ArrayLike<number>) => number): number {
  let total = 0;
  let weighted = 0;
  for (const d of post) {
    const w = sum(d);
    total += w;
    weighted += w * impurity(d);
  }
  return total > 0 ? weighted / total : 0;
}

/** Classes with weight, at least 2: a distribution of one class still has a range. */
function classesPresent(pre: Float64Array): number {
  let n = 0;
  for (let i = 0; i < pre.length; i++) if (pre[i] > 0) n++;
  return Math.max(n, 2);
}

/**
 * Information gain (Quinlan 1986), in bits. As in MOA, a split that leaves
 * fewer than two branches with at least `minBranchFraction` of the weight is
 * not considered, so that slivers do not win on noise.
 */
export function infoGain(minBranchFraction = 0.01): SplitCriterion {
  return {
    merit(pre, post) {
      const total = post.reduce((s, d) => s + sum(d), 0);
      let branches = 0;
      for (const d of post) if (sum(d) > minBranchFraction * total) branches++;
      if (branches < 2) return -Infinity;
      return entropy(pre) - weightedImpurity(post, entropy);
    },
    // The same operations as merit() in the same order: (0 + l) + r is l + r since a sum of
    // non-negative weights is never -0, and so is 0 + l * e(l).
    merit2(preImpurity, left, right) {
      const l = sum(left);
      const r = sum(right);
      const total = l + r;
      const floor = minBranchFraction * total;
      if (!(l > floor && r > floor)) return -Infinity;
      return preImpurity - (total > 0 ? (l * entropy(left) + r * entropy(right)) / total : 0);
    },
    impurity: entropy,
    range(pre) {
      return Math.log2(classesPresent(pre));
    },
  };
}

/** Gini impurity decrease (Breiman et al. 1984); its range is 1. */
export function giniGain(): SplitCriterion {
  return {
    merit(pre, post) {
      return gini(pre) - weightedImpurity(post, gini);
    },
    merit2(preImpurity, left, right) {
      const l = sum(left);
      const r = sum(right);
      const total = l + r;
      return preImpurity - (total > 0 ? (l * gini(left) + r * gini(right)) / total : 0);
    },
    impurity: gini,
    range() {
      return 1;
    },
  };
}

export function splitCriterion(name: SplitCriterionName): SplitCriterion {
  return name === 'gini' ? giniGain() : infoGain();
}
