import { onOffParam, probabilityParam, type Params } from '../../core/params.js';
import { ADWIN } from '../../drift/adwin.js';
import type { FeatureContext, LearnerState } from '../contract.js';
import type { RegressorDefinition } from '../regressor.js';
import {
  HoeffdingTreeRegressor,
  hoeffdingTreeRegressorDefaults,
  treeRegressorMergeRefusal,
  treeRegressorParams,
  treeRegressorParamsOf,
  type HoeffdingTreeRegressorParams,
  type RegressionNode,
  type RegressionSplit,
  type TreeRegressorOptions,
} from './hoeffding-tree-regressor.js';
import { addTarget, emptyStats } from './regression-observers.js';

export interface HoeffdingAdaptiveTreeRegressorParams extends HoeffdingTreeRegressorParams {
  /** Confidence of each node's ADWIN error monitor. */
  readonly adwinDelta: number;
  /** Significance of the test that swaps in (or drops) an alternate subtree. */
  readonly switchSignificance: number;
  /** Errors each of a node and its alternate must have in their windows before they are compared. */
  readonly driftWindowThreshold: number;
  /** Poisson(1) reweighting of each row at the leaves (River's bootstrap_sampling). */
  readonly bootstrapSampling: 'on' | 'off';
}

/** River's HoeffdingAdaptiveTreeRegressor defaults, on top of the Hoeffding tree regressor's. */
export const hoeffdingAdaptiveTreeRegressorDefaults: HoeffdingAdaptiveTreeRegressorParams = {
  ...hoeffdingTreeRegressorDefaults,
  adwinDelta: 0.002,
  switchSignificance: 0.05,
  driftWindowThreshold: 300,
  bootstrapSampling: 'on',
};

/**
 * Hoeffding Adaptive Tree for regression (Bifet & Gavaldà 2009, "Adaptive
 * learning from evolving data streams", HAT-ADWIN, on FIMT-DD's tree), as
 * River's HoeffdingAdaptiveTreeRegressor. Every node watches the absolute
 * error of the prediction its subtree gives each row, normalised to [0, 1]
 * by that node's running error statistics ((e + 3 sd) / 6 sd, River's
 * rule; clipped to [0, 1] here, as ADWIN and the switch test assume), with
 * ADWIN. When a split node's error rises significantly it starts an
 * alternate subtree from a fresh leaf, which learns the rows that reach
 * the node; once both windows hold more than `driftWindowThreshold` errors,
 * the alternate takes the node's place when its error is lower by more
 * than sqrt(2 p (1 - p) ln(2 / alpha) (1/n_alt + 1/n_node)), or is dropped
 * when it is that much higher. Leaves learn each row with a Poisson(1)
 * weight (kept at the row's own when the draw is 0), seeded. Predictions
 * come from the main tree's leaf, as River's.
 * Defaults (River's): those of the Hoeffding tree regressor, ADWIN delta
 * 0.002, switch significance 0.05, windows over 300, bootstrap sampling on.
 *
 * @example
 * const tree = new HoeffdingAdaptiveTreeRegressor({ nFeatures: 1, seed: 1 });
 * for (let i = 0; i < 5000; i++) tree.learnOne(new Float64Array([i % 10]), i < 2500 ? i % 10 : -(i % 10));
 * tree.predictOne(new Float64Array([7])); // about -7: the tree has followed the change
 */
export class HoeffdingAdaptiveTreeRegressor extends HoeffdingTreeRegressor {
  override readonly name: string = 'hoeffding-adaptive-tree-regressor';
  declare readonly params: HoeffdingAdaptiveTreeRegressorParams;
  /** Alternates started, swapped in and dropped, for reports and tests (not saved). */
  alternatesStarted = 0;
  swaps = 0;
  prunes = 0;

  constructor(ctx: FeatureContext, params: Partial<HoeffdingAdaptiveTreeRegressorParams> = {}, options: TreeRegressorOptions = {}) {
    const full = { ...hoeffdingAdaptiveTreeRegressorDefaults, ...params };
    super(ctx, full, options);
    this.params = full;
  }

  protected override rngPurpose(): string {
    return 'hoeffding-adaptive-tree-regressor';
  }

  /** The weight scales the leaves' (Poisson) weights; the error monitors count the row once; a weight of 0 learns nothing. */
  override learnOneWeighted(x: Float64Array, y: number, weight: number): void {
    if (!(weight > 0)) return;
    this.learnNode(this.tree.root, null, -1, null, x, y, weight, undefined);
    this.tree.learnScales(x, y, weight);
    this.tree.countRow();
  }

  static override restore(ctx: FeatureContext, params: Partial<HoeffdingAdaptiveTreeRegressorParams>, state: LearnerState, options: TreeRegressorOptions = {}): HoeffdingAdaptiveTreeRegressor {
    const model = new HoeffdingAdaptiveTreeRegressor(ctx, params, options);
    model.load(state, model.params.adwinDelta);
    return model;
  }

  /**
   * Feeds a node the absolute error of its subtree's prediction, normalised
   * by the node's running error mean and deviation; true when the error
   * rose significantly (ADWIN cut its window and the mean went up: a fall is
   * no reason to replace anything, as River's check).
   */
  private watch(node: RegressionNode, absError: number): boolean {
    const stats = (node.errorStats ??= emptyStats());
    addTarget(stats, absError, 1);
    let value = 0.5;
    if (stats.w > 1) {
      const sd = Math.sqrt(stats.m2 / (stats.w - 1));
      if (sd > 0) value = Math.min(1, Math.max(0, (absError + 3 * sd) / (6 * sd)));
    }
    const errors = (node.errors ??= new ADWIN({ delta: this.params.adwinDelta }));
    const before = errors.estimate;
    return errors.update(value) === 'drift' && !(before > errors.estimate);
  }

  /**
   * Learns a row in the subtree at `node`, which hangs from `parent`'s child
   * `branch`, or is `owner`'s alternate, or is the root. Every node on the
   * main path from here sees the prediction of the same leaf, so it is
   * worked out once (`prediction`) and passed down.
   */
  private learnNode(node: RegressionNode, parent: RegressionSplit | null, branch: number, owner: RegressionSplit | null, x: Float64Array, y: number, weight: number, prediction: number | undefined): void {
    const tree = this.tree;
    const predicted = prediction ?? tree.predictAt(tree.descend(x, node), x);
    const absError = Math.abs(y - predicted);
    if (node.kind === 'leaf') {
      this.watch(node, absError);
      let leafWeight = weight;
      if (this.params.bootstrapSampling === 'on') {
        const draw = this.rng.poisson(1);
        if (draw > 0) leafWeight = weight * draw;
      }
      const split = tree.learnLeaf(node, x, y, leafWeight);
      if (split !== null) this.place(split, parent, branch, owner);
      return;
    }
    tree.passSplit(node, y, weight);
    const rose = this.watch(node, absError);
    if (rose && !node.alternate) {
      // The alternate sits at the node's own depth: it grows in the node's place.
      node.alternate = tree.newLeaf(emptyStats(), node.depth, null, 0, 0);
      this.alternatesStarted++;
    } else if (node.alternate && node.alternate.errors) {
      const mine = node.errors!;
      const theirs = node.alternate.errors;
      const threshold = this.params.driftWindowThreshold;
      if (mine.width > threshold && theirs.width > threshold) {
        const p = mine.estimate;
        const n = 1 / theirs.width + 1 / mine.width;
        const bound = Math.sqrt(2 * p * (1 - p) * Math.log(2 / this.params.switchSignificance) * n);
        if (bound < p - theirs.estimate) {
          const alternate = node.alternate;
          node.alternate = null;
          this.swaps++;
          this.place(alternate, parent, branch, owner);
          this.learnNode(alternate, parent, branch, owner, x, y, weight, undefined);
          return;
        }
        if (bound < theirs.estimate - p) {
          node.alternate = null;
          this.prunes++;
        }
      }
    }
    if (node.alternate) this.learnNode(node.alternate, null, -1, node, x, y, weight, undefined);
    let b = tree.branchOf(node, x[node.feature]);
    if (b < 0) {
      tree.newBranch(node, x[node.feature]);
      b = node.children.length - 1;
      this.learnNode(node.children[b], node, b, null, x, y, weight, undefined);
      return;
    }
    this.learnNode(node.children[b], node, b, null, x, y, weight, predicted);
  }

  /** Puts `node` where a node hanging from `parent`'s `branch`, or `owner`'s alternate, or the root was. */
  private place(node: RegressionNode, parent: RegressionSplit | null, branch: number, owner: RegressionSplit | null): void {
    if (owner !== null) owner.alternate = node;
    else if (parent !== null) parent.children[branch] = node;
    else this.tree.root = node;
  }
}

function adaptiveParamsOf(p: Params): HoeffdingAdaptiveTreeRegressorParams {
  const d = hoeffdingAdaptiveTreeRegressorDefaults;
  return {
    ...treeRegressorParamsOf(p),
    adwinDelta: p.adwinDelta === undefined ? d.adwinDelta : Number(p.adwinDelta),
    switchSignificance: p.switchSignificance === undefined ? d.switchSignificance : Number(p.switchSignificance),
    driftWindowThreshold: p.driftWindowThreshold === undefined ? d.driftWindowThreshold : Number(p.driftWindowThreshold),
    bootstrapSampling: p.bootstrapSampling === 'off' ? 'off' : p.bootstrapSampling === 'on' ? 'on' : d.bootstrapSampling,
  };
}

export const hoeffdingAdaptiveTreeRegressorDefinition: RegressorDefinition = {
  name: 'hoeffding-adaptive-tree-regressor',
  task: 'regression',
  summary: 'FIMT-DD with an ADWIN on each node\'s error and alternate subtrees swapped in on drift',
  reference: 'Bifet & Gavaldà 2009; Ikonomovska, Gama & Džeroski 2011; River HoeffdingAdaptiveTreeRegressor',
  params: {
    ...treeRegressorParams(hoeffdingAdaptiveTreeRegressorDefaults),
    adwinDelta: probabilityParam(hoeffdingAdaptiveTreeRegressorDefaults.adwinDelta, 'ADWIN confidence at each node'),
    switchSignificance: probabilityParam(hoeffdingAdaptiveTreeRegressorDefaults.switchSignificance, 'significance of the alternate-tree test'),
    driftWindowThreshold: { type: 'integer', default: hoeffdingAdaptiveTreeRegressorDefaults.driftWindowThreshold, min: 1, doc: 'errors in both windows before an alternate is judged' },
    bootstrapSampling: onOffParam(hoeffdingAdaptiveTreeRegressorDefaults.bootstrapSampling, 'Poisson(1) weights at the leaves'),
  },
  scaleInputs: false,
  nominalNative: true,
  // Observers skip NaN; at a split a NaN follows the heaviest branch; the perceptron reads it as the mean.
  missingNative: true,
  create: (ctx, p) => new HoeffdingAdaptiveTreeRegressor(ctx, adaptiveParamsOf(p)),
  restore: (ctx, p, s) => HoeffdingAdaptiveTreeRegressor.restore(ctx, adaptiveParamsOf(p), s),
  merge: treeRegressorMergeRefusal,
};
