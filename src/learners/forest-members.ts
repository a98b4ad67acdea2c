import * as v from 'valibot';
import { Random } from '../core/random.js';
import { anything, count, finiteNumber, type Json, object, rngState } from '../core/state.js';
import { ADWIN } from '../drift/adwin.js';
import { errorRose } from '../drift/error-rise.js';
import { argmax, HoeffdingTree, sumOf, type TreeJSON, type TreeOptions } from './tree/hoeffding-tree.js';

/** The vote weight of a member that has not yet been right (see addVote). */
const UNPROVEN_WEIGHT = 0.01;

/** What makes a forest member: tree settings, detector confidences, the Poisson rate. */
export interface MemberSettings {
  readonly options: TreeOptions;
  readonly nFeatures: number;
  readonly nominal: readonly boolean[];
  readonly lambda: number;
  readonly warningDelta: number;
  readonly driftDelta: number;
  readonly weightedVote: boolean;
  readonly seed: number;
}

interface Member {
  readonly index: number;
  /** The member's own generator: results do not depend on which thread runs it. */
  readonly rng: Random;
  tree: HoeffdingTree;
  background: HoeffdingTree | null;
  warning: ADWIN;
  drift: ADWIN;
  /** Test-then-train record since the member was (re)made, for its vote weight. */
  correct: number;
  seen: number;
  drifts: number;
  warnings: number;
}

export const memberStateSchema = object({
  index: count,
  rng: rngState,
  tree: anything,
  background: anything,
  warning: anything,
  drift: anything,
  correct: finiteNumber,
  seen: finiteNumber,
  drifts: finiteNumber,
  warnings: finiteNumber,
});
export type MemberState = v.InferOutput<typeof memberStateSchema>;

/**
 * Each member's weighted probabilities for each row (members x rows x k)
 * and its weights (members x rows), with the members' indices. Kept apart,
 * not summed, so that the forest can add them up in member order whatever
 * thread computed them: floating-point sums depend on their order.
 */
export interface Votes {
  readonly k: number;
  readonly indices: number[];
  readonly votes: Float64Array;
  readonly weights: Float64Array;
}

/**
 * A set of Adaptive Random Forest members: all of them in one thread, or a
 * share of them in a worker thread. Every member predicts each row before it
 * learns it, so the forest's vote on a row can be summed from the members'
 * votes, whoever computed them: splitting members across threads changes
 * nothing in the results.
 */
export class ForestMembers {
  private members: Member[];
  k: number;

  constructor(
    private readonly settings: MemberSettings,
    k: number,
    indices: readonly number[],
  ) {
    this.k = Math.max(k, 1);
    this.members = indices.map((i) => this.newMember(i));
  }

  /** Predicts each row with every member, then lets every member learn it (weight Poisson(lambda)). */
  learnScored(data: Float64Array, y: Int32Array, rows: number): Votes {
    for (let r = 0; r < rows; r++) if (y[r] >= this.k) this.k = y[r] + 1;
    const k = this.k;
    const d = this.settings.nFeatures;
    const votes = new Float64Array(this.members.length * rows * k);
    const weights = new Float64Array(this.members.length * rows);
    // One view per row, shared by every member.
    const xs = Array.from({ length: rows }, (_, r) => data.subarray(r * d, r * d + d));
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i];
      for (let r = 0; r < rows; r++) {
        const x = xs[r];
        const label = y[r];
        const weight = m.rng.poisson(this.settings.lambda);
        // The background tree learns each row the member learns, once, as MOA's does (the row
        // with its own weight): it grows more slowly than with the Poisson weight, and costs less.
        if (weight > 0) m.background?.learnOne(x, label, 1);
        const p = m.tree.learnOneScored(x, label, weight);
        // The vote weight is the member's test-then-train accuracy: its verdict before learning the row.
        this.addVote(m, p, votes, weights, i * rows + r);
        const rightBefore = argmax(p) === label;
        m.seen++;
        if (rightBefore) m.correct++;
        // The detectors watch the tree's verdict once it has learned the row, as the paper's
        // Algorithm 1 and MOA do; a row it did not learn (weight 0) is not watched. Right after
        // learning, a tree that fits its leaves' few rows looks better than it predicts, and the
        // error rise as those leaves fill is what gets such trees replaced on a stable stream.
        // Learning a row only adds to its class at its leaf (the class's count, and its Gaussians
        // moved towards the row), so a row the tree got right it still gets right, and only the
        // others are asked again: a second prediction for every row would cost a tenth of the
        // forest's time. The exceptions are rows that split their leaf, or bring their leaf a
        // nominal value it has not seen, counted right as they were before learning: measured,
        // 1 watched row in 1,200 on Agrawal function 1, 1 in 2,700 on SEA.
        if (weight === 0) continue;
        const wrong = !rightBefore && argmax(m.tree.predictRow(x)) !== label;
        if (errorRose(m.warning, wrong)) {
          m.background = this.newTree(m.rng);
          // A fresh detector: the next warning needs evidence of its own, not the tail of this one's window.
          m.warning = new ADWIN({ delta: this.settings.warningDelta });
          m.warnings++;
        }
        if (errorRose(m.drift, wrong)) {
          // The new tree gets detectors that have watched nothing else (MOA: the background
          // learner's own, or a fresh drift detector when there was no background tree).
          if (m.background) m.warning = new ADWIN({ delta: this.settings.warningDelta });
          m.drift = new ADWIN({ delta: this.settings.driftDelta });
          m.tree = m.background ?? this.newTree(m.rng);
          m.background = null;
          m.correct = 0;
          m.seen = 0;
          m.drifts++;
        }
      }
    }
    return { k, indices: this.members.map((m) => m.index), votes, weights };
  }

  predict(data: Float64Array, rows: number): Votes {
    const k = this.k;
    const d = this.settings.nFeatures;
    const votes = new Float64Array(this.members.length * rows * k);
    const weights = new Float64Array(this.members.length * rows);
    this.members.forEach((m, i) => {
      for (let r = 0; r < rows; r++) this.addVote(m, m.tree.predictOne(data.subarray(r * d, r * d + d)), votes, weights, i * rows + r);
    });
    return { k, indices: this.members.map((m) => m.index), votes, weights };
  }

  get drifts(): number {
    return this.members.reduce((s, m) => s + m.drifts, 0);
  }

  get warnings(): number {
    return this.members.reduce((s, m) => s + m.warnings, 0);
  }

  getState(): MemberState[] {
    return this.members.map((m) => ({
      index: m.index,
      rng: m.rng.getState(),
      tree: m.tree.toJSON(),
      background: m.background ? m.background.toJSON() : null,
      warning: m.warning.getState(),
      drift: m.drift.getState(),
      correct: m.correct,
      seen: m.seen,
      drifts: m.drifts,
      warnings: m.warnings,
    }));
  }

  setState(states: readonly MemberState[]): void {
    this.members = states.map((s) => {
      const rng = new Random(0);
      const tree = (json: unknown): HoeffdingTree => {
        const t = this.newTree(rng);
        t.restore(json as TreeJSON);
        return t;
      };
      const main = tree(s.tree);
      const background = s.background ? tree(s.background) : null;
      // Last: making the trees above drew from the generator.
      rng.setState(s.rng);
      return {
        index: s.index,
        rng,
        tree: main,
        background,
        warning: ADWIN.restore({ delta: this.settings.warningDelta }, s.warning as Json),
        drift: ADWIN.restore({ delta: this.settings.driftDelta }, s.drift as Json),
        correct: s.correct,
        seen: s.seen,
        drifts: s.drifts,
        warnings: s.warnings,
      };
    });
    for (const m of this.members) this.k = Math.max(this.k, m.tree.k);
  }

  /**
   * Writes a member's weighted vote for one row at `slot` (member * rows + row).
   * A member with no right answer yet (new, or just replaced) still votes,
   * with weight 0.01, as in MOA, where such a member's vote counts once
   * beside the others' accuracies in percent.
   */
  private addVote(m: Member, p: Float64Array, votes: Float64Array, weights: Float64Array, slot: number): void {
    const w = this.settings.weightedVote ? (m.correct > 0 ? m.correct / m.seen : UNPROVEN_WEIGHT) : 1;
    const s = sumOf(p);
    if (s <= 0) return;
    const k = this.k;
    for (let c = 0; c < p.length && c < k; c++) votes[slot * k + c] = (w * p[c]) / s;
    weights[slot] = w;
  }

  private newTree(rng: Random): HoeffdingTree {
    return new HoeffdingTree(this.settings.options, this.settings.nFeatures, this.k, this.settings.nominal, rng);
  }

  private newMember(index: number): Member {
    const rng = Random.derive(this.settings.seed, `arf-member-${index}`);
    return {
      index,
      rng,
      tree: this.newTree(rng),
      background: null,
      warning: new ADWIN({ delta: this.settings.warningDelta }),
      drift: new ADWIN({ delta: this.settings.driftDelta }),
      correct: 0,
      seen: 0,
      drifts: 0,
      warnings: 0,
    };
  }
}
