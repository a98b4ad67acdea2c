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
  ALTERNATE_GONE,
  type HoeffdingTreeRegressorParams,
  type TreeRegressorOptions,
} from './hoeffding-tree-regressor.js';
import { addTargetAt } from './regression-observers.js';

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

  /**
   * The weight scales the leaves' (Poisson) weights; the error monitors
   * count the row once; a weight of 0 only predicts. The prediction before
   * learning is the root's, which the error monitors need anyway: it is
   * returned whether asked for or not.
   */
  override learnRow(x: Float64Array, y: number, weight: number, _before: boolean, after: boolean): number {
    const tree = this.tree;
    tree.beginRow();
    let predicted: number;
    if (weight > 0) {
      predicted = this.learnSubtree(tree.root, -1, -1, -1, x, y, weight);
      tree.learnScales(x, y, weight);
      tree.countRow();
    } else predicted = tree.predictAt(tree.descend(x), x);
    if (after) this.predictedAfterLearning = weight > 0 ? tree.predictAt(tree.descend(x), x) : predicted;
    return predicted;
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
  private watch(node: number, absError: number): boolean {
    const tree = this.tree;
    const stats = tree.errorStats;
    const o = 3 * node;
    tree.hasErrorStats[node] = 1;
    addTargetAt(stats, o, absError, 1);
    let value = 0.5;
    if (stats[o] > 1) {
      const sd = Math.sqrt(stats[o + 2] / (stats[o] - 1));
      if (sd > 0) value = Math.min(1, Math.max(0, (absError + 3 * sd) / (6 * sd)));
    }
    const errors = (tree.errors[node] ??= new ADWIN({ delta: this.params.adwinDelta }));
    const before = errors.estimate;
    return errors.update(value) === 'drift' && !(before > errors.estimate);
  }

  /**
   * Learns a row in the subtree at `start`, which hangs from `parent`'s
   * branch `branch`, or is `owner`'s alternate, or is the root (both -1),
   * down the row's path: each node watches the error of its subtree's
   * prediction, a split may start, swap in or drop its alternate (which
   * learns the row too, as a subtree of its own), and the leaf learns.
   * Every node on the path sees the prediction of the same leaf, so it is
   * worked out once, and again only where the path changes (a swapped-in
   * alternate, a new branch). A loop rather than a call per level: a
   * number passed to a call is boxed on the heap. Returns the prediction
   * the subtree gave the row before learning it.
   */
  private learnSubtree(start: number, parent: number, branch: number, owner: number, x: Float64Array, y: number, weight: number): number {
    const tree = this.tree;
    let node = start;
    let predicted = tree.predictAt(tree.descend(x, node), x);
    const before = predicted;
    for (;;) {
      const absError = Math.abs(y - predicted);
      if (tree.isLeaf(node)) {
        this.watch(node, absError);
        let leafWeight = weight;
        if (this.params.bootstrapSampling === 'on') {
          const draw = this.rng.poisson(1);
          if (draw > 0) leafWeight = weight * draw;
        }
        // A leaf that splits becomes the split in place: nothing to put anywhere.
        tree.learnLeaf(node, x, y, leafWeight);
        return before;
      }
      tree.passSplit(node, y, weight);
      const rose = this.watch(node, absError);
      let alternate = tree.alternateOf(node);
      if (rose && alternate < 0) {
        // The alternate sits at the node's own depth: it grows in the node's place.
        tree.setAlternate(node, tree.newLeaf(0, 0, 0, tree.depth[node], -1, 0, 0));
        this.alternatesStarted++;
      } else if (alternate >= 0 && tree.errors[alternate]) {
        const mine = tree.errors[node]!;
        const theirs = tree.errors[alternate]!;
        const threshold = this.params.driftWindowThreshold;
        if (mine.width > threshold && theirs.width > threshold) {
          const p = mine.estimate;
          const n = 1 / theirs.width + 1 / mine.width;
          const bound = Math.sqrt(2 * p * (1 - p) * Math.log(2 / this.params.switchSignificance) * n);
          if (bound < p - theirs.estimate) {
            // The alternate takes the node's place and learns the row there, from its own prediction.
            tree.setAlternate(node, ALTERNATE_GONE);
            this.swaps++;
            this.place(alternate, parent, branch, owner);
            tree.freeSubtree(node);
            node = alternate;
            predicted = tree.predictAt(tree.descend(x, node), x);
            continue;
          }
          if (bound < theirs.estimate - p) {
            tree.setAlternate(node, ALTERNATE_GONE);
            tree.freeSubtree(alternate);
            this.prunes++;
          }
        }
      }
      alternate = tree.alternateOf(node);
      if (alternate >= 0) this.learnSubtree(alternate, -1, -1, node, x, y, weight);
      const value = x[tree.featureOf(node)];
      const b = tree.branchOf(node, value);
      parent = node;
      owner = -1;
      if (b < 0) {
        // A category new at this split: a leaf of its own, which learns the row from its own prediction.
        node = tree.newBranch(parent, value);
        branch = tree.childCount(parent) - 1;
        predicted = tree.predictAt(node, x);
        continue;
      }
      branch = b;
      node = tree.childAt(parent, b);
    }
  }

  /** Puts `node` where a node hanging from `parent`'s `branch`, or `owner`'s alternate, or the root was. */
  private place(node: number, parent: number, branch: number, owner: number): void {
    if (owner >= 0) this.tree.setAlternate(owner, node);
    else if (parent >= 0) this.tree.setChild(parent, branch, node);
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
