import { anything, finiteNumber, integer, object, parseState, positiveInteger, rngState } from '../../core/state.js';
import type { Batch, Matrix } from '../../core/types.js';
import { ADWIN } from '../../drift/adwin.js';
import { errorRose } from '../../drift/error-rise.js';
import { checkSavedFeatures, type LearnerContext, type LearnerState } from '../contract.js';
import { argmax, type Landing, type Split, type TreeJSON, type TreeNode } from './hoeffding-tree.js';
import { classesNeeded } from '../contract.js';
import { copyRow, HoeffdingTreeClassifier, hoeffdingTreeDefaults, predictRows, type HoeffdingTreeParams } from './hoeffding-tree-classifier.js';

export interface HoeffdingAdaptiveTreeParams extends HoeffdingTreeParams {
  /** Confidence of each node's ADWIN error monitor. */
  readonly adwinDelta: number;
  /** Significance of the test that swaps in (or drops) an alternate subtree. */
  readonly switchSignificance: number;
  /** Errors each of a node and its alternate must have seen before they are compared. */
  readonly minErrorWindow: number;
  /** Poisson(1) reweighting of each row at the leaves, as MOA's HAT and River's bootstrap_sampling. */
  readonly bootstrapSampling: 'on' | 'off';
}

export const hoeffdingAdaptiveTreeDefaults: HoeffdingAdaptiveTreeParams = {
  ...hoeffdingTreeDefaults,
  adwinDelta: 0.002,
  switchSignificance: 0.05,
  minErrorWindow: 300,
  bootstrapSampling: 'on',
};

const stateSchema = object({
  nFeatures: positiveInteger,
  tree: object({ k: integer, rowsSinceMemoryCheck: finiteNumber, deactivations: finiteNumber, root: anything }),
  rng: rngState,
});

/**
 * Hoeffding Adaptive Tree (Bifet & Gavaldà 2009, "Adaptive learning from
 * evolving data streams"), HAT-ADWIN: a Hoeffding tree whose every node
 * watches its error with ADWIN. When a split node's error rises
 * significantly, it starts growing an alternate subtree from a fresh leaf on
 * the rows that reach it (a fresh one at every rise, replacing any it was
 * growing, as MOA's HAT); once both have seen `minErrorWindow` errors, the
 * alternate replaces the node when its error is lower by more than the
 * bound sqrt(2 p (1-p) ln(2/alpha) (1/n_alt + 1/n_node)), or is dropped when
 * it is that much worse. Predictions come from the leaf each row reaches in
 * the main tree and in every alternate on its path, each weighted by the
 * inverse square of its estimated error, as in MOA. Leaves learn each row
 * with a Poisson(1) weight (kept at 1 when the draw is 0), as MOA and River.
 * Defaults: those of the Hoeffding tree, ADWIN delta 0.002, alternates
 * compared past 300 errors at significance 0.05.
 */
export class HoeffdingAdaptiveTreeClassifier extends HoeffdingTreeClassifier {
  override readonly name: string = 'hoeffding-adaptive-tree';
  declare readonly params: HoeffdingAdaptiveTreeParams;
  /** Alternates swapped in and dropped, for reports. */
  swaps = 0;
  prunes = 0;
  // Per-row work areas of scoreInto, reused.
  private readonly verdicts = new Verdicts();
  private probaScratch = new Float64Array(0);

  constructor(ctx: LearnerContext, params: Partial<HoeffdingAdaptiveTreeParams> = {}) {
    const full = { ...hoeffdingAdaptiveTreeDefaults, ...params };
    super(ctx, full);
    this.params = full;
  }

  override learn(batch: Batch): void {
    const x = this.rowScratch();
    for (let r = 0; r < batch.x.rows; r++) this.learnRow(copyRow(batch.x, r, x), batch.y[r], undefined, 1);
  }

  /** Classifier.learnOneWeighted: as MOA's HAT, the weight scales the leaf's (Poisson) weight; the error monitors count the row once. */
  override readonly learnOneWeighted = (x: Float64Array, y: number, weight: number): void => this.learnRow(x, y, undefined, weight);

  override predictProba(x: Matrix): Float64Array {
    return predictRows(x, this.tree.k, (row) => this.predictOne(row));
  }

  /**
   * Test-then-train row by row; HAT's own, since learning here is not the
   * plain tree's. Each row's probabilities go straight into the result (rows
   * x the classes known after the batch, 0 for a class not yet known when
   * the row was scored), and the leaves' predictions made to score the row
   * also say, when the row is learned, whether each leaf was wrong: the
   * same predictions, computed once rather than twice.
   */
  override learnScored(batch: Batch): Float64Array {
    const { rows } = batch.x;
    const y = batch.y;
    const width = classesNeeded(y, this.tree.k);
    const out = new Float64Array(rows * width);
    const x = this.rowScratch();
    for (let r = 0; r < rows; r++) {
      copyRow(batch.x, r, x);
      this.scoreInto(x, out, r * width, y[r]);
      this.learnRow(x, y[r], this.verdicts, 1);
    }
    return out;
  }

  predictOne(x: Float64Array): Float64Array {
    const out = new Float64Array(this.tree.k);
    this.scoreInto(x, out, 0, -1);
    return out;
  }

  /** Learns one row; `verdicts`, when given, holds what scoreInto found for this row's leaves. */
  private learnRow(x: Float64Array, y: number, verdicts: Verdicts | undefined, weight: number): void {
    if (y >= this.tree.k) this.tree.k = y + 1;
    this.learnNode(this.tree.root, null, -1, null, x, y, weight, verdicts, undefined);
    this.tree.countRow();
  }

  /**
   * The row's probabilities into out[o..o+k): the leaf it reaches in the
   * main tree and in every alternate met on the way, each weighted by the
   * inverse square of its estimated error, as in MOA. The votes are added
   * as the walk meets the leaves (an alternate's before the tree it hangs
   * from, deepest first, the main tree's leaf last): the order in which
   * they were always summed, so the sums are the same to the bit. With a
   * class `y` (not -1), each leaf's verdict (whether its prediction missed
   * y) is kept for learnRow.
   */
  private scoreInto(x: Float64Array, out: Float64Array, o: number, y: number): void {
    const k = this.tree.k;
    this.verdicts.count = 0;
    if (this.probaScratch.length !== k) this.probaScratch = new Float64Array(k);
    for (let c = 0; c < k; c++) out[o + c] = 0;
    const total = this.addVotes(x, this.tree.root, out, o, y, 0);
    for (let c = 0; c < k; c++) out[o + c] /= total;
  }

  /** Adds the votes of the leaves reached from `start` (see scoreInto); returns `total` plus their weights. */
  private addVotes(x: Float64Array, start: TreeNode, out: Float64Array, o: number, y: number, total: number): number {
    let node = start;
    while (node.kind === 'split') {
      if (node.alternate) total = this.addVotes(x, node.alternate, out, o, y, total);
      const child = this.tree.branchOf(node, x[node.feature]);
      if (child < 0) break;
      node = node.children[child];
    }
    const k = this.tree.k;
    const p = this.tree.predictNode(node, x, this.probaScratch);
    if (y >= 0) this.verdicts.add(node, argmax(p) !== y);
    const errors = node.errors;
    // A node with a window of n errors and none wrong has an error under about 1/(n+1).
    const error = errors ? Math.max(errors.estimate, 1 / (errors.width + 1)) : 1;
    const weight = 1 / (error * error);
    for (let c = 0; c < k; c++) out[o + c] += weight * p[c];
    return total + weight;
  }

  static override restore(ctx: LearnerContext, params: Partial<HoeffdingAdaptiveTreeParams>, state: LearnerState): HoeffdingAdaptiveTreeClassifier {
    const s = parseState('hoeffding-adaptive-tree', stateSchema, state.json);
    checkSavedFeatures('hoeffding-adaptive-tree', 'nFeatures', s.nFeatures, ctx);
    const model = new HoeffdingAdaptiveTreeClassifier(ctx, params);
    model.tree.restore(s.tree as TreeJSON, model.params.adwinDelta);
    model.rng.setState(s.rng);
    return model;
  }

  /** Feeds the node its error on the row; true when the error rose significantly. */
  private watch(node: TreeNode, wrong: boolean): boolean {
    node.errors ??= new ADWIN({ delta: this.params.adwinDelta });
    return errorRose(node.errors, wrong);
  }

  /**
   * Learns a row in the subtree at `node`, which hangs from `parent`'s
   * child `branch`, or is `owner`'s alternate, or is the root. A split's
   * error is that of the leaf the row reaches below it, the same leaf for
   * every node on the path, so whether it is wrong is worked out once
   * (`wrong`) and passed down; it is looked up in `verdicts` (the leaves'
   * predictions made to score this row, unchanged since) when there.
   */
  private learnNode(
    node: TreeNode,
    parent: Split | null,
    branch: number,
    owner: Split | null,
    x: Float64Array,
    y: number,
    rowWeight: number,
    verdicts: Verdicts | undefined,
    wrong: boolean | undefined,
  ): void {
    if (wrong === undefined) {
      const landing = this.tree.land(x, node);
      const known = verdicts ? verdicts.of(landing.node) : -1;
      wrong = known >= 0 ? known === 1 : argmax(this.tree.predictAt(landing, x)) !== y;
    }
    if (node.kind === 'leaf') {
      this.watch(node, wrong);
      let weight = rowWeight;
      if (this.params.bootstrapSampling === 'on') {
        const draw = this.rng.poisson(1);
        if (draw > 0) weight = rowWeight * draw;
      }
      // A leaf hanging from a parent is replaced through it; an alternate or the root needs a setter.
      const landing: Landing = { node, parent, branch };
      if (owner !== null) landing.set = (n) => (owner.alternate = n);
      this.tree.learnAt(landing, x, y, weight);
      return;
    }
    if (this.watch(node, wrong)) {
      node.alternate = this.tree.newLeaf(new Float64Array(this.tree.k));
    } else if (node.alternate && node.alternate.errors) {
      const mine = node.errors!;
      const theirs = node.alternate.errors;
      if (mine.width > this.params.minErrorWindow && theirs.width > this.params.minErrorWindow) {
        const p = mine.estimate;
        const n = 1 / theirs.width + 1 / mine.width;
        const bound = Math.sqrt(2 * p * (1 - p) * Math.log(2 / this.params.switchSignificance) * n);
        if (bound < p - theirs.estimate) {
          const alternate = node.alternate;
          node.alternate = null;
          this.swaps++;
          this.place(alternate, parent, branch, owner);
          this.learnNode(alternate, parent, branch, owner, x, y, rowWeight, verdicts, undefined);
          return;
        }
        if (bound < theirs.estimate - p) {
          node.alternate = null;
          this.prunes++;
        }
      }
    }
    const alternate = node.alternate;
    if (alternate) this.learnNode(alternate, null, -1, node, x, y, rowWeight, verdicts, undefined);
    const child = this.tree.branchOf(node, x[node.feature]);
    if (child < 0) {
      this.tree.learnAt({ node, parent: null, branch: -1 }, x, y, rowWeight);
      return;
    }
    this.learnNode(node.children[child], node, child, null, x, y, rowWeight, verdicts, wrong);
  }

  /** Puts `node` where a node hanging from `parent`'s `branch`, or `owner`'s alternate, or the root was. */
  private place(node: TreeNode, parent: Split | null, branch: number, owner: Split | null): void {
    if (owner !== null) owner.alternate = node;
    else if (parent !== null) parent.children[branch] = node;
    else this.tree.root = node;
  }
}

/**
 * The leaves a row reached when it was scored, and whether each one's
 * prediction missed the row's class (1) or not (0); reused from row to row.
 */
class Verdicts {
  count = 0;
  private nodes: TreeNode[] = [];
  private wrong = new Uint8Array(4);

  add(node: TreeNode, wrong: boolean): void {
    if (this.count === this.wrong.length) {
      const grown = new Uint8Array(2 * this.count);
      grown.set(this.wrong);
      this.wrong = grown;
    }
    this.nodes[this.count] = node;
    this.wrong[this.count++] = wrong ? 1 : 0;
  }

  /** 1 or 0 for a leaf scored for this row, -1 for one that was not. */
  of(node: TreeNode): number {
    for (let i = 0; i < this.count; i++) if (this.nodes[i] === node) return this.wrong[i];
    return -1;
  }
}
