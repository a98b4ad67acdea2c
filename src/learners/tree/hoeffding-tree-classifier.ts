import { Random } from '../../core/random.js';
import { anything, finiteNumber, integer, object, parseState, positiveInteger, rngState } from '../../core/state.js';
import type { Batch, Matrix } from '../../core/types.js';
import { checkSavedFeatures, classesNeeded, type Classifier, type LearnerContext, type LearnerState } from '../contract.js';
import { HoeffdingTree, type SplitSettings, type TreeJSON, type TreeOptions } from './hoeffding-tree.js';
import type { MergeRefusal } from '../merge-rule.js';

export interface HoeffdingTreeParams extends SplitSettings {
  readonly maxByteSize: number;
  readonly memoryEstimatePeriod: number;
}

/** MOA's HoeffdingTree defaults. */
export const hoeffdingTreeDefaults: HoeffdingTreeParams = {
  gracePeriod: 200,
  splitConfidence: 1e-7,
  tieThreshold: 0.05,
  splitCriterion: 'info-gain',
  leafPrediction: 'nba',
  numericBins: 10,
  maxByteSize: 33_554_432,
  memoryEstimatePeriod: 1_000_000,
};

export const treeStateSchema = object({
  nFeatures: positiveInteger,
  tree: object({ k: integer, rowsSinceMemoryCheck: finiteNumber, deactivations: finiteNumber, root: anything }),
  rng: rngState,
});

/** Copies a row out of a matrix, as the tree's per-row methods take it. */
export function rowOf(x: Matrix, r: number): Float64Array {
  return x.data.subarray(r * x.cols, r * x.cols + x.cols);
}

/** Copies row r of a matrix into `into` (of x.cols values) and returns it. */
export function copyRow(x: Matrix, r: number, into: Float64Array): Float64Array {
  const { data, cols } = x;
  const o = r * cols;
  for (let j = 0; j < cols; j++) into[j] = data[o + j];
  return into;
}

/** Runs a per-row probability function over a matrix: rows x k. */
export function predictRows(x: Matrix, k: number, one: (row: Float64Array) => Float64Array): Float64Array {
  const out = new Float64Array(x.rows * k);
  for (let r = 0; r < x.rows; r++) out.set(one(rowOf(x, r)).subarray(0, k), r * k);
  return out;
}

/**
 * What online boosting asks of a member beyond the Classifier contract: its
 * verdict on a row once it has learned it. learnOneWeightedRescored(x, y,
 * weight, after) is learnOneWeightedScored(x, y, weight), returned, then
 * predictProbaOne(x) into `after` (nClasses values), to the bit; a tree
 * answers the second from the leaf the first landed on, without a second
 * descent.
 */
export interface Rescoring {
  learnOneWeightedRescored(x: Float64Array, y: number, weight: number, after: Float64Array): Float64Array;
}

/**
 * Hoeffding tree classifier: the Very Fast Decision Tree of Domingos &
 * Hulten (2000), as MOA's HoeffdingTree. Splits when the Hoeffding bound
 * says, with confidence 1 - splitConfidence, that the best attribute is
 * better than the second (information gain by default, Gini as an option);
 * numeric attributes by a Gaussian per class with `numericBins` candidate
 * points, nominal ones by counts (multiway); leaves predict by majority
 * class, naive Bayes, or naive Bayes adaptive (whichever has been right more
 * often at that leaf); a memory bound deactivates the least promising leaves.
 * Defaults as MOA: gracePeriod 200, splitConfidence 1e-7, tieThreshold 0.05,
 * info-gain, nba, 10 bins, maxByteSize 32 MiB checked every 1,000,000 rows.
 */
export class HoeffdingTreeClassifier implements Classifier {
  readonly name: string = 'hoeffding-tree';
  readonly params: HoeffdingTreeParams;
  protected readonly tree: HoeffdingTree;
  protected readonly rng: Random;
  protected readonly d: number;

  constructor(ctx: LearnerContext, params: Partial<HoeffdingTreeParams> = {}, subspaceSize = 0) {
    this.params = { ...hoeffdingTreeDefaults, ...params };
    this.d = ctx.nFeatures;
    this.rng = Random.derive(ctx.seed, 'hoeffding-tree');
    const options: TreeOptions = { ...this.params, subspaceSize };
    this.tree = new HoeffdingTree(options, ctx.nFeatures, ctx.nClasses, ctx.nominal ?? [], this.rng);
    if (new.target === HoeffdingTreeClassifier) {
      this.predictProbaOne = (x) => this.tree.predictRow(x);
      this.learnOne = (x, y) => this.tree.learnOne(x, y, 1);
      this.learnOneWeighted = (x, y, weight) => this.tree.learnOne(x, y, weight);
      // One descent and one naive Bayes evaluation serve the prediction and the update, as in learnScored.
      this.learnOneWeightedScored = (x, y, weight) => this.tree.learnOneScored(x, y, weight);
      this.learnOneWeightedRescored = (x, y, weight, after) => this.tree.learnOneScored(x, y, weight, after);
    }
  }

  get nClasses(): number {
    return this.tree.k;
  }

  /** The one-row fast paths (Classifier.predictProbaOne, learnOne); not a subclass's, whose trees learn and predict otherwise. */
  readonly predictProbaOne?: (x: Float64Array) => Float64Array;
  readonly learnOne?: (x: Float64Array, y: number) => void;
  /** Classifier.learnOneWeighted: the row's weight goes into the leaf's counts and observers, as MOA's instance weight. */
  readonly learnOneWeighted?: (x: Float64Array, y: number, weight: number) => void;
  readonly learnOneWeightedScored?: (x: Float64Array, y: number, weight: number) => Float64Array;
  /** Rescoring's. */
  readonly learnOneWeightedRescored?: (x: Float64Array, y: number, weight: number, after: Float64Array) => Float64Array;

  learn(batch: Batch): void {
    const x = this.rowScratch();
    for (let r = 0; r < batch.x.rows; r++) this.tree.learnOne(copyRow(batch.x, r, x), batch.y[r], 1);
  }

  predictProba(x: Matrix): Float64Array {
    return predictRows(x, this.tree.k, (row) => this.tree.predictOne(row));
  }

  /**
   * Test-then-train, written straight into the result: rows x the classes
   * known after the batch, a row scored before a class was known having 0
   * for it (what stacking each row's own probabilities gives). No per-row
   * allocation: the row is copied into a work array, not viewed (a view is an
   * object per row), and the tree's probabilities are its own work area.
   */
  learnScored(batch: Batch): Float64Array {
    const { rows } = batch.x;
    const y = batch.y;
    const width = classesNeeded(y, this.tree.k);
    const out = new Float64Array(rows * width);
    const x = this.rowScratch();
    for (let r = 0; r < rows; r++) {
      const p = this.tree.learnOneScored(copyRow(batch.x, r, x), y[r], 1);
      const o = r * width;
      for (let c = 0; c < p.length; c++) out[o + c] = p[c];
    }
    return out;
  }

  private scratchRow: Float64Array | null = null;

  /** A work array of one row: the tree keeps no reference to the row it is given. */
  protected rowScratch(): Float64Array {
    if (this.scratchRow === null || this.scratchRow.length !== this.d) this.scratchRow = new Float64Array(this.d);
    return this.scratchRow;
  }

  saveState(): LearnerState {
    return { json: { nFeatures: this.d, tree: this.tree.toJSON(), rng: this.rng.getState() } };
  }

  static restore(ctx: LearnerContext, params: Partial<HoeffdingTreeParams>, state: LearnerState): HoeffdingTreeClassifier {
    const s = parseState('hoeffding-tree', treeStateSchema, state.json);
    checkSavedFeatures('hoeffding-tree', 'nFeatures', s.nFeatures, ctx);
    const model = new HoeffdingTreeClassifier(ctx, params);
    model.tree.restore(s.tree as TreeJSON);
    model.rng.setState(s.rng);
    return model;
  }
}

/**
 * Why replicas of a Hoeffding tree (adaptive or not) do not merge: there is
 * no sum of two trees; an ensemble of them does, by pooling its members.
 */
export const treeMergeRefusal: MergeRefusal = {
  kind: null,
  reason:
    "a tree's splits are decisions taken on its own rows and two trees do not add up; " +
    'train an ensemble whose members pool instead (--model adaptive-random-forest, online-bagging or leveraging-bagging)',
};
