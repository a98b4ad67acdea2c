import { z } from 'zod';
import { parseState, rngState } from '../../core/state.js';
import type { Batch, Matrix } from '../../core/types.js';
import { ADWIN } from '../../drift/adwin.js';
import { errorRose } from '../../drift/error-rise.js';
import type { LearnerContext, LearnerState } from '../contract.js';
import { argmax, type Landing, type Split, type TreeJSON, type TreeNode } from './hoeffding-tree.js';
import { HoeffdingTreeClassifier, hoeffdingTreeDefaults, predictRows, rowOf, stackRows, type HoeffdingTreeParams } from './hoeffding-tree-classifier.js';

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

const stateSchema = z.object({
  nFeatures: z.number().int().positive(),
  tree: z.object({ k: z.number().int(), rowsSinceMemoryCheck: z.number(), deactivations: z.number(), root: z.unknown() }),
  rng: rngState,
});

/**
 * Hoeffding Adaptive Tree (Bifet & Gavaldà 2009, "Adaptive learning from
 * evolving data streams"), HAT-ADWIN: a Hoeffding tree whose every node
 * watches its error with ADWIN. When a split node's error rises
 * significantly, it starts growing an alternate subtree from a fresh leaf on
 * the rows that reach it; once both have seen `minErrorWindow` errors, the
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

  constructor(ctx: LearnerContext, params: Partial<HoeffdingAdaptiveTreeParams> = {}) {
    const full = { ...hoeffdingAdaptiveTreeDefaults, ...params };
    super(ctx, full);
    this.params = full;
  }

  override learn(batch: Batch): void {
    for (let r = 0; r < batch.x.rows; r++) {
      const x = rowOf(batch.x, r);
      const y = batch.y[r];
      if (y >= this.tree.k) this.tree.k = y + 1;
      this.learnNode(this.tree.root, (n) => (this.tree.root = n), x, y);
      this.tree.countRow();
    }
  }

  override predictProba(x: Matrix): Float64Array {
    return predictRows(x, this.tree.k, (row) => this.predictOne(row));
  }

  /** Test-then-train row by row; HAT's own, since learning here is not the plain tree's. */
  override learnScored(batch: Batch): Float64Array {
    const rows = batch.x.rows;
    const scored: Float64Array[] = new Array(rows);
    for (let r = 0; r < rows; r++) {
      scored[r] = this.predictOne(rowOf(batch.x, r));
      this.learn({ x: { data: rowOf(batch.x, r), rows: 1, cols: batch.x.cols }, y: batch.y.subarray(r, r + 1) });
    }
    return stackRows(scored, this.tree.k);
  }

  predictOne(x: Float64Array): Float64Array {
    const k = this.tree.k;
    const out = new Float64Array(k);
    let total = 0;
    for (const landing of this.landings(x)) {
      const p = this.tree.predictAt(landing, x);
      const errors = landing.node.errors;
      // A node with a window of n errors and none wrong has an error under about 1/(n+1).
      const error = errors ? Math.max(errors.estimate, 1 / (errors.width + 1)) : 1;
      const weight = 1 / (error * error);
      for (let c = 0; c < k; c++) out[c] += weight * p[c];
      total += weight;
    }
    for (let c = 0; c < k; c++) out[c] /= total;
    return out;
  }

  static override restore(ctx: LearnerContext, params: Partial<HoeffdingAdaptiveTreeParams>, state: LearnerState): HoeffdingAdaptiveTreeClassifier {
    const s = parseState('hoeffding-adaptive-tree', stateSchema, state.json);
    if (s.nFeatures !== ctx.nFeatures) throw new Error('hoeffding-adaptive-tree: saved state does not match the schema');
    const model = new HoeffdingAdaptiveTreeClassifier(ctx, params);
    model.tree.restore(s.tree as TreeJSON, model.params.adwinDelta);
    model.rng.setState(s.rng);
    return model;
  }

  /** The places a row reaches: in the main tree and in every alternate met on the way. */
  private landings(x: Float64Array, start: TreeNode = this.tree.root, out: Landing[] = []): Landing[] {
    let node = start;
    let parent: Split | null = null;
    let branch = -1;
    while (node.kind === 'split') {
      if (node.alternate) this.landings(x, node.alternate, out);
      const child = this.tree.branchOf(node, x[node.feature]);
      if (child < 0) break;
      parent = node;
      branch = child;
      node = node.children[child];
    }
    out.push({ node, parent, branch });
    return out;
  }

  /** Feeds the node its error on the row; true when the error rose significantly. */
  private watch(node: TreeNode, wrong: boolean): boolean {
    node.errors ??= new ADWIN({ delta: this.params.adwinDelta });
    return errorRose(node.errors, wrong);
  }

  /**
   * Learns a row in the subtree at `node`. A split's error is that of the
   * leaf the row reaches below it, the same leaf for every node on the path,
   * so whether it is wrong is worked out once (`wrong`) and passed down.
   */
  private learnNode(node: TreeNode, set: (n: TreeNode) => void, x: Float64Array, y: number, wrong?: boolean): void {
    if (wrong === undefined) wrong = argmax(this.tree.predictAt(this.tree.land(x, node), x)) !== y;
    if (node.kind === 'leaf') {
      this.watch(node, wrong);
      let weight = 1;
      if (this.params.bootstrapSampling === 'on') {
        const draw = this.rng.poisson(1);
        if (draw > 0) weight = draw;
      }
      this.tree.learnAt({ node, parent: null, branch: -1, set }, x, y, weight);
      return;
    }
    if (this.watch(node, wrong)) {
      node.alternate ??= this.tree.newLeaf(new Float64Array(this.tree.k));
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
          set(alternate);
          this.learnNode(alternate, set, x, y);
          return;
        }
        if (bound < theirs.estimate - p) {
          node.alternate = null;
          this.prunes++;
        }
      }
    }
    const alternate = node.alternate;
    if (alternate) this.learnNode(alternate, (n) => (node.alternate = n), x, y);
    const child = this.tree.branchOf(node, x[node.feature]);
    if (child < 0) {
      this.tree.learnAt({ node, parent: null, branch: -1 }, x, y, 1);
      return;
    }
    this.learnNode(node.children[child], (n) => (node.children[child] = n), x, y, wrong);
  }
}
