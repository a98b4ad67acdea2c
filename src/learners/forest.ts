import { z } from 'zod';
import { Random } from '../core/random.js';
import { parseState, rngState, type Json } from '../core/state.js';
import type { Batch, Matrix } from '../core/types.js';
import { ADWIN } from '../drift/adwin.js';
import { errorRose } from '../drift/error-rise.js';
import type { Classifier, LearnerContext, LearnerState } from './contract.js';
import { HoeffdingTree, sumOf, type TreeJSON, type TreeOptions } from './tree/hoeffding-tree.js';
import { hoeffdingTreeDefaults, predictRows, rowOf } from './tree/hoeffding-tree-classifier.js';
import type { LeafPrediction } from './tree/hoeffding-tree.js';
import type { SplitCriterionName } from './tree/split-criterion.js';

export interface AdaptiveRandomForestParams {
  readonly ensembleSize: number;
  /** Rate of the Poisson draw that weighs each row for each member (online bagging). */
  readonly lambda: number;
  /** Attributes each leaf may split on; 0 means round(sqrt(d)) + 1, as the paper. */
  readonly subspaceSize: number;
  readonly gracePeriod: number;
  readonly splitConfidence: number;
  readonly tieThreshold: number;
  readonly splitCriterion: SplitCriterionName;
  readonly leafPrediction: LeafPrediction;
  readonly numericBins: number;
  /** ADWIN confidence of the warning detector, which starts a background tree. */
  readonly warningDelta: number;
  /** ADWIN confidence of the drift detector, which replaces the member. */
  readonly driftDelta: number;
  /** Votes weighted by each member's accuracy ('on') or equal ('off'). */
  readonly weightedVote: 'on' | 'off';
}

/** The paper's and MOA's defaults. */
export const adaptiveRandomForestDefaults: AdaptiveRandomForestParams = {
  ensembleSize: 10,
  lambda: 6,
  subspaceSize: 0,
  gracePeriod: 50,
  splitConfidence: 0.01,
  tieThreshold: 0.05,
  splitCriterion: 'info-gain',
  leafPrediction: 'nba',
  numericBins: 10,
  warningDelta: 0.01,
  driftDelta: 0.001,
  weightedVote: 'on',
};

interface Member {
  tree: HoeffdingTree;
  background: HoeffdingTree | null;
  warning: ADWIN;
  drift: ADWIN;
  /** Test-then-train record since the member was (re)made, for its vote weight. */
  correct: number;
  seen: number;
}

const memberSchema = z.object({
  tree: z.unknown(),
  background: z.unknown().nullable(),
  warning: z.unknown(),
  drift: z.unknown(),
  correct: z.number(),
  seen: z.number(),
});

const stateSchema = z.object({
  nFeatures: z.number().int().positive(),
  k: z.number().int(),
  members: z.array(memberSchema),
  drifts: z.number(),
  warnings: z.number(),
  rng: rngState,
});

/**
 * Adaptive Random Forest (Gomes, Bifet, Read, Barddal, Enembreck,
 * Pfahringer, Holmes & Abdessalem 2017, "Adaptive random forests for
 * evolving data stream classification"). Each member is a Hoeffding tree
 * whose leaves split on a random subspace of the attributes, trained by
 * online bagging with Poisson(lambda = 6) weights. Each member is scored on
 * each row before it learns it: the errors feed a warning detector (ADWIN,
 * delta 0.01), which starts a background tree, and a drift detector (ADWIN,
 * delta 0.001), which replaces the member by its background tree (or a new
 * tree). Votes are the members' class probabilities weighted by their
 * accuracy since they were made. Defaults as the paper and MOA: 10 trees,
 * subspace round(sqrt(d)) + 1, grace period 50, split confidence 0.01, tie
 * threshold 0.05, naive Bayes adaptive leaves.
 */
export class AdaptiveRandomForest implements Classifier {
  readonly name = 'adaptive-random-forest';
  readonly params: AdaptiveRandomForestParams;
  private readonly d: number;
  private k: number;
  private members: Member[];
  private readonly rng: Random;
  private readonly options: TreeOptions;
  private readonly nominal: readonly boolean[];
  /** Members replaced after a drift, and warnings that started a background tree. */
  drifts = 0;
  warnings = 0;

  constructor(ctx: LearnerContext, params: Partial<AdaptiveRandomForestParams> = {}) {
    this.params = { ...adaptiveRandomForestDefaults, ...params };
    this.d = ctx.nFeatures;
    this.k = Math.max(ctx.nClasses, 1);
    this.nominal = ctx.nominal ?? [];
    this.rng = Random.derive(ctx.seed, 'adaptive-random-forest');
    const p = this.params;
    const subspace = p.subspaceSize > 0 ? Math.min(p.subspaceSize, this.d) : Math.min(this.d, Math.round(Math.sqrt(this.d)) + 1);
    this.options = {
      ...hoeffdingTreeDefaults,
      gracePeriod: p.gracePeriod,
      splitConfidence: p.splitConfidence,
      tieThreshold: p.tieThreshold,
      splitCriterion: p.splitCriterion,
      leafPrediction: p.leafPrediction,
      numericBins: p.numericBins,
      subspaceSize: subspace,
    };
    this.members = Array.from({ length: p.ensembleSize }, () => this.newMember());
  }

  get nClasses(): number {
    return this.k;
  }

  learn(batch: Batch): void {
    for (let r = 0; r < batch.x.rows; r++) this.learnOne(rowOf(batch.x, r), batch.y[r]);
  }

  learnOne(x: Float64Array, y: number): void {
    if (y >= this.k) this.k = y + 1;
    for (const m of this.members) {
      const weight = this.rng.poisson(this.params.lambda);
      const wrong = !m.tree.learnOneScored(x, y, weight);
      m.seen++;
      if (!wrong) m.correct++;
      if (weight > 0) m.background?.learnOne(x, y, weight);
      if (errorRose(m.warning, wrong)) {
        m.background = this.newTree();
        this.warnings++;
      }
      if (errorRose(m.drift, wrong)) {
        m.tree = m.background ?? this.newTree();
        m.background = null;
        m.warning.reset();
        m.correct = 0;
        m.seen = 0;
        this.drifts++;
      }
    }
  }

  predictProba(x: Matrix): Float64Array {
    return predictRows(x, this.k, (row) => this.predictOne(row));
  }

  predictOne(x: Float64Array): Float64Array {
    const k = this.k;
    const out = new Float64Array(k);
    const weighted = this.params.weightedVote === 'on';
    let total = 0;
    for (const m of this.members) {
      const p = m.tree.predictOne(x);
      const w = weighted ? (m.seen > 0 ? m.correct / m.seen : 0) : 1;
      if (w <= 0) continue;
      const s = sumOf(p);
      if (s <= 0) continue;
      for (let c = 0; c < p.length && c < k; c++) out[c] += (w * p[c]) / s;
      total += w;
    }
    if (total <= 0) return out.fill(1 / k);
    for (let c = 0; c < k; c++) out[c] /= total;
    return out;
  }

  saveState(): LearnerState {
    return {
      json: {
        nFeatures: this.d,
        k: this.k,
        members: this.members.map((m) => ({
          tree: m.tree.toJSON(),
          background: m.background ? m.background.toJSON() : null,
          warning: m.warning.getState(),
          drift: m.drift.getState(),
          correct: m.correct,
          seen: m.seen,
        })),
        drifts: this.drifts,
        warnings: this.warnings,
        rng: this.rng.getState(),
      },
    };
  }

  static restore(ctx: LearnerContext, params: Partial<AdaptiveRandomForestParams>, state: LearnerState): AdaptiveRandomForest {
    const s = parseState('adaptive-random-forest', stateSchema, state.json);
    if (s.nFeatures !== ctx.nFeatures) throw new Error('adaptive-random-forest: saved state does not match the schema');
    const forest = new AdaptiveRandomForest({ ...ctx, nClasses: s.k }, params);
    const tree = (json: unknown): HoeffdingTree => {
      const t = forest.newTree();
      t.restore(json as TreeJSON);
      return t;
    };
    forest.members = s.members.map((m) => ({
      tree: tree(m.tree),
      background: m.background ? tree(m.background) : null,
      warning: ADWIN.restore({ delta: forest.params.warningDelta }, m.warning as Json),
      drift: ADWIN.restore({ delta: forest.params.driftDelta }, m.drift as Json),
      correct: m.correct,
      seen: m.seen,
    }));
    forest.drifts = s.drifts;
    forest.warnings = s.warnings;
    forest.rng.setState(s.rng);
    return forest;
  }

  private newTree(): HoeffdingTree {
    return new HoeffdingTree(this.options, this.d, this.k, this.nominal, this.rng);
  }

  private newMember(): Member {
    return {
      tree: this.newTree(),
      background: null,
      warning: new ADWIN({ delta: this.params.warningDelta }),
      drift: new ADWIN({ delta: this.params.driftDelta }),
      correct: 0,
      seen: 0,
    };
  }
}
