import * as v from 'valibot';
import { anything, finiteNumber, integer, type Json, object, parseState, positiveInteger, rngState } from '../core/state.js';
import type { Batch, Matrix } from '../core/types.js';
import { ADWIN } from '../drift/adwin.js';
import { errorRose } from '../drift/error-rise.js';
import { Bagging, copyRowInto } from './bagging.js';
import { checkSavedClasses, checkSavedFeatures, classesNeeded, type Classifier, type LearnerContext, type LearnerState } from './contract.js';
import type { MergeRefusal } from './merge-rule.js';
import type { Rescoring } from './tree/hoeffding-tree-classifier.js';
import type { BaggingBase } from './registry.js';

export const boostingDriftDetectors = ['none', 'adwin'] as const;

export interface OnlineBoostingParams {
  readonly base: BaggingBase;
  readonly ensembleSize: number;
  /**
   * 'adwin': an ADWIN per member watches its errors, and when one rises the
   * member with the highest error starts afresh (Bifet et al. 2009, MOA's
   * OzaBoostAdwin); 'none': Oza and Russell's boosting as it is.
   */
  readonly driftDetector: (typeof boostingDriftDetectors)[number];
  /** ADWIN confidence of each member's error monitor (with driftDetector 'adwin'). */
  readonly adwinDelta: number;
}

export const onlineBoostingDefaults: OnlineBoostingParams = { base: 'hoeffding-tree', ensembleSize: 10, driftDetector: 'none', adwinDelta: 0.002 };

const boostingStateSchema = object({
  nFeatures: positiveInteger,
  k: integer,
  members: v.array(anything),
  /** Weight of the rows each member got right, and wrong, as it was given them (MOA's scms, swms). */
  correct: v.array(finiteNumber),
  wrong: v.array(finiteNumber),
  seen: finiteNumber,
  made: finiteNumber,
  rng: rngState,
  /** With driftDetector 'adwin': each member's error monitor, and how many members were replaced. */
  detectors: v.optional(v.array(anything)),
  replaced: v.optional(finiteNumber),
});

/**
 * Online boosting (Oza & Russell 2001, "Online bagging and boosting"), as
 * MOA's OzaBoost: each row goes through the members in order with a weight
 * lambda (1 at the first); each member learns it with weight Poisson(lambda)
 * (one weighted update, as MOA, or that many repeats for a member without
 * one), then lambda is scaled by N / (2 * weight the member got right) when
 * it now classifies the row right, else by N / (2 * weight it got wrong), so
 * later members dwell on what earlier ones miss. A member votes with weight
 * log((1 - e) / e), e its weighted error; the vote stops at the first member
 * with e of 0 or above 0.5 (MOA's rule). Defaults as MOA's: 10 Hoeffding trees.
 *
 * With `driftDetector: 'adwin'` it is ADWIN boosting (Bifet, Holmes,
 * Pfahringer, Kirkby & Gavaldà 2009, "New ensemble methods for evolving data
 * streams"; MOA's OzaBoostAdwin): each member's verdict on a row once it has
 * learned it feeds an ADWIN (delta 0.002), and when any member's error rises
 * significantly, the member with the highest estimated error is replaced by
 * a new one with no votes counted, which, as in MOA, silences it and the
 * members after it until it has been right or wrong.
 */
export class OnlineBoosting extends Bagging {
  readonly name = 'online-boosting';
  readonly params: OnlineBoostingParams;
  private correct: number[] = [];
  private wrong: number[] = [];
  /** Rows learned (MOA's trainingWeightSeenByModel: every row weighs 1). */
  private seen = 0;
  /** Each member's error monitor, with driftDetector 'adwin'. */
  private detectors: ADWIN[] | null = null;
  /** A member's error rose on the row being learned (ADWIN boosting). */
  private changed = false;

  private constructor(ctx: LearnerContext, params: OnlineBoostingParams) {
    super(ctx, params.base, params.ensembleSize, 1, 'online-boosting');
    this.params = params;
  }

  static async create(ctx: LearnerContext, params: Partial<OnlineBoostingParams> = {}): Promise<OnlineBoosting> {
    const boost = new OnlineBoosting(ctx, { ...onlineBoostingDefaults, ...params });
    await boost.fill();
    boost.correct = boost.members.map(() => 0);
    boost.wrong = boost.members.map(() => 0);
    if (boost.params.driftDetector === 'adwin') boost.detectors = boost.members.map(() => new ADWIN({ delta: boost.params.adwinDelta }));
    return boost;
  }

  /** Poisson(lambda) as MOA draws it: a normal approximation from 100 on, where exp(-lambda) loses precision. */
  private draw(lambda: number): number {
    if (lambda < 100) return this.rng.poisson(lambda);
    const u = 1 - this.rng.next();
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rng.next());
    return Math.max(0, Math.floor(lambda + Math.sqrt(lambda) * g));
  }

  /** The member's vote weight, 0 when it must not vote (nor let later members). */
  private memberWeight(i: number): number {
    const e = this.wrong[i] / (this.correct[i] + this.wrong[i]);
    if (!(e > 0 && e <= 0.5)) return 0;
    return Math.log((1 - e) / e);
  }

  async learn(batch: Batch): Promise<void> {
    this.k = classesNeeded(batch.y, this.k);
    const d = batch.x.cols;
    for (let r = 0; r < batch.x.rows; r++) {
      const x = batch.x.data.subarray(r * d, (r + 1) * d);
      const y = batch.y[r];
      this.seen++;
      let lambda = 1;
      for (let i = 0; i < this.members.length; i++) {
        const m = this.members[i];
        const times = this.draw(lambda);
        if (times > 0) {
          const learned = this.learnMember(m, x, y, times);
          if (learned) await learned;
        }
        const p = m.predictProbaOne ? m.predictProbaOne(x) : await m.predictProba({ data: x, rows: 1, cols: d });
        lambda = this.reweigh(i, p, y, lambda);
      }
      if (this.changed) await this.replaceWorst();
    }
  }

  /**
   * Test-then-train row by row: what predictProba of each row and then learn
   * of it give, to the bit (the same draws, votes and updates in the same
   * order), with no per-row matrix; a member that learns the row scores it
   * in the same pass (learnOneWeightedScored). Rows x the classes known
   * after the batch, 0 for a class not known yet when a row was scored.
   */
  override async learnScored(batch: Batch): Promise<Float64Array> {
    const { rows, cols: d } = batch.x;
    const width = classesNeeded(batch.y, this.k);
    const out = new Float64Array(rows * width);
    if (!this.members.every((m) => m.predictProbaOne)) {
      for (let r = 0; r < rows; r++) {
        const x: Matrix = { data: batch.x.data.subarray(r * d, (r + 1) * d), rows: 1, cols: d };
        const p = await this.predictProba(x);
        out.set(p, r * width);
        await this.learn({ x, y: batch.y.subarray(r, r + 1) });
      }
      return out;
    }
    const x = new Float64Array(d);
    const weights = new Float64Array(this.members.length);
    const rescoring = this.members.map((m) => (m as Classifier & Partial<Rescoring>).learnOneWeightedRescored?.bind(m));
    for (let r = 0; r < rows; r++) {
      copyRowInto(batch.x, r, x);
      const y = batch.y[r];
      const k = this.k;
      let voters = 0;
      while (voters < this.members.length && (weights[voters] = this.memberWeight(voters)) !== 0) voters++;
      const o = r * width;
      if (y >= this.k) this.k = y + 1;
      this.seen++;
      let lambda = 1;
      for (let i = 0; i < this.members.length; i++) {
        const m = this.members[i];
        const times = this.draw(lambda);
        const km = m.nClasses;
        const rescore = y < km ? rescoring[i] : undefined;
        // The member's probabilities for the row once it has learned it (its verdict, for lambda).
        let after: Float64Array | null = null;
        if (i < voters) {
          let p: Float64Array;
          let learned = false;
          if (times > 0 && rescore) {
            after = this.afterScratch(km);
            p = rescore(x, y, times, after);
            learned = true;
          } else if (times > 0 && m.learnOneWeightedScored && y < km) {
            p = m.learnOneWeightedScored(x, y, times);
            learned = true;
          } else p = m.predictProbaOne!(x);
          let sum = 0;
          for (let c = 0; c < km; c++) sum += p[c];
          if (sum > 0) {
            const w = weights[i];
            for (let c = 0; c < Math.min(km, k); c++) out[o + c] += (w * p[c]) / sum;
          }
          if (times > 0 && !learned) {
            const pending = this.learnMember(m, x, y, times);
            if (pending) await pending;
          }
          // A member that did not learn the row still holds p for it: asking again would give the same.
          if (times === 0) after = p;
        } else if (times > 0) {
          if (rescore) rescore(x, y, times, (after = this.afterScratch(km)));
          else {
            const pending = this.learnMember(m, x, y, times);
            if (pending) await pending;
          }
        }
        lambda = this.reweigh(i, after ?? m.predictProbaOne!(x), y, lambda);
      }
      if (this.changed) {
        const i = await this.replaceWorst();
        if (i >= 0) rescoring[i] = (this.members[i] as Classifier & Partial<Rescoring>).learnOneWeightedRescored?.bind(this.members[i]);
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += out[o + c];
      for (let c = 0; c < k; c++) out[o + c] = sum > 0 ? out[o + c] / sum : 1 / k;
    }
    return out;
  }

  private after = new Float64Array(0);

  /** A work area of k numbers for a member's probabilities after learning. */
  private afterScratch(k: number): Float64Array {
    if (this.after.length !== k) this.after = new Float64Array(k);
    return this.after;
  }

  /** Member m learns row x with weight `times`: one weighted update where it has one, else that many repeats. */
  private learnMember(m: Classifier, x: Float64Array, y: number, times: number): void | Promise<void> {
    if (m.learnOneWeighted) return m.learnOneWeighted(x, y, times);
    if (m.learnOne) {
      for (let t = 0; t < times; t++) m.learnOne(x, y);
      return;
    }
    return m.learn({ ...repeat(x, x.length, times), y: new Int32Array(times).fill(y) });
  }

  /** Counts member i's verdict on the row it just learned (p: its probabilities now) and returns the next member's lambda. */
  private reweigh(i: number, p: Float64Array, y: number, lambda: number): number {
    // The first largest, as MOA's correctlyClassifies.
    let best = 0;
    for (let c = 1; c < this.members[i].nClasses; c++) if (p[c] > p[best]) best = c;
    if (this.detectors !== null && errorRose(this.detectors[i], best !== y)) this.changed = true;
    if (best === y) {
      this.correct[i] += lambda;
      return lambda * (this.seen / (2 * this.correct[i]));
    }
    this.wrong[i] += lambda;
    return lambda * (this.seen / (2 * this.wrong[i]));
  }

  /**
   * A member's error rose: the member with the highest error estimate (if
   * any is above 0) starts afresh, with a new monitor and no verdicts
   * counted. Returns its index, or -1.
   */
  private async replaceWorst(): Promise<number> {
    this.changed = false;
    const detectors = this.detectors!;
    let worst = -1;
    let max = 0;
    for (let i = 0; i < detectors.length; i++) {
      if (detectors[i].estimate > max) {
        max = detectors[i].estimate;
        worst = i;
      }
    }
    if (worst < 0) return -1;
    this.members[worst] = await this.newMember();
    detectors[worst] = new ADWIN({ delta: this.params.adwinDelta });
    this.correct[worst] = 0;
    this.wrong[worst] = 0;
    this.replaced++;
    return worst;
  }

  override async predictProba(x: Matrix): Promise<Float64Array> {
    const k = this.k;
    const out = new Float64Array(x.rows * k);
    let voters = 0;
    while (voters < this.members.length && this.memberWeight(voters) !== 0) voters++;
    if (this.members.slice(0, voters).every((m) => m.predictProbaOne)) {
      // Row by row through the members' one-row paths, no matrix per member; each cell
      // adds the members' votes in the same order as below: the same sums to the bit.
      const weights = this.members.slice(0, voters).map((_, i) => this.memberWeight(i));
      const row = this.rowScratch(x.cols);
      for (let r = 0; r < x.rows; r++) {
        copyRowInto(x, r, row);
        for (let i = 0; i < voters; i++) {
          const m = this.members[i];
          const p = m.predictProbaOne!(row);
          const km = m.nClasses;
          let sum = 0;
          for (let c = 0; c < km; c++) sum += p[c];
          if (!(sum > 0)) continue;
          const w = weights[i];
          for (let c = 0; c < Math.min(km, k); c++) out[r * k + c] += (w * p[c]) / sum;
        }
      }
      return normaliseRows(out, x.rows, k);
    }
    for (let i = 0; i < this.members.length; i++) {
      const w = this.memberWeight(i);
      if (w === 0) break;
      const m: Classifier = this.members[i];
      const p = await m.predictProba(x);
      const km = m.nClasses;
      for (let r = 0; r < x.rows; r++) {
        let sum = 0;
        for (let c = 0; c < km; c++) sum += p[r * km + c];
        if (!(sum > 0)) continue;
        for (let c = 0; c < Math.min(km, k); c++) out[r * k + c] += (w * p[r * km + c]) / sum;
      }
    }
    return normaliseRows(out, x.rows, k);
  }

  async saveState(): Promise<LearnerState> {
    return {
      json: {
        nFeatures: this.ctx.nFeatures,
        k: this.k,
        members: await this.membersState(),
        correct: [...this.correct],
        wrong: [...this.wrong],
        seen: this.seen,
        made: this.made,
        rng: this.rng.getState(),
        // Only with the option: a state without it is byte for byte what plain boosting saved before.
        ...(this.detectors !== null ? { detectors: this.detectors.map((d) => d.getState()), replaced: this.replaced } : {}),
      },
    };
  }

  static async restore(ctx: LearnerContext, params: Partial<OnlineBoostingParams>, state: LearnerState): Promise<OnlineBoosting> {
    const s = parseState('online-boosting', boostingStateSchema, state.json);
    checkSavedFeatures('online-boosting', 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses('online-boosting', 'k', s.k, ctx, 1);
    const boost = new OnlineBoosting({ ...ctx, nClasses: s.k }, { ...onlineBoostingDefaults, ...params });
    boost.k = s.k;
    await boost.restoreMembers(s.members as Json[]);
    if (s.correct.length !== boost.members.length || s.wrong.length !== boost.members.length) {
      throw new Error(`online-boosting: saved state has ${s.members.length} members but ${s.correct.length} and ${s.wrong.length} error counts`);
    }
    boost.correct = [...s.correct];
    boost.wrong = [...s.wrong];
    boost.seen = s.seen;
    boost.made = s.made;
    boost.rng.setState(s.rng);
    if (boost.params.driftDetector === 'adwin') {
      const saved = s.detectors ?? [];
      if (saved.length !== boost.members.length) {
        throw new Error(`online-boosting: saved state has ${boost.members.length} members but ${saved.length} drift detectors (driftDetector is adwin)`);
      }
      boost.detectors = saved.map((d) => ADWIN.restore({ delta: boost.params.adwinDelta }, d as Json));
      boost.replaced = s.replaced ?? 0;
    }
    return boost;
  }
}

/** Each row's votes scaled to sum to 1; a row without votes gets 1/k for each class. */
function normaliseRows(out: Float64Array, rows: number, k: number): Float64Array {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[r * k + c];
    for (let c = 0; c < k; c++) out[r * k + c] = sum > 0 ? out[r * k + c] / sum : 1 / k;
  }
  return out;
}

/** One row repeated `times` times, as the rows of a batch. */
function repeat(x: Float64Array, d: number, times: number): { x: Matrix } {
  const data = new Float64Array(d * times);
  for (let t = 0; t < times; t++) data.set(x, t * d);
  return { x: { data, rows: times, cols: d } };
}

/** Why boosting's replicas do not merge: its members are a chain, not a pool. */
export const boostingMergeRefusal: MergeRefusal = {
  kind: null,
  reason:
    "boosting's members are a chain, each trained on the rows the ones before it missed, so one replica's members " +
    'do not follow another\'s; train an ensemble whose members pool instead (--model online-bagging or leveraging-bagging)',
};
