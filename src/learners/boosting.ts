import * as v from 'valibot';
import { anything, finiteNumber, integer, type Json, object, parseState, positiveInteger, rngState } from '../core/state.js';
import type { Batch, Matrix } from '../core/types.js';
import { Bagging } from './bagging.js';
import { checkSavedClasses, checkSavedFeatures, classesNeeded, type Classifier, type LearnerContext, type LearnerState } from './contract.js';
import type { MergeRefusal } from './merge-rule.js';
import type { BaggingBase } from './registry.js';

export interface OnlineBoostingParams {
  readonly base: BaggingBase;
  readonly ensembleSize: number;
}

export const onlineBoostingDefaults: OnlineBoostingParams = { base: 'hoeffding-tree', ensembleSize: 10 };

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
});

/**
 * Online boosting (Oza & Russell 2001, "Online bagging and boosting"), as
 * MOA's OzaBoost: each row goes through the members in order with a weight
 * lambda (1 at the first); each member learns it Poisson(lambda) times, then
 * lambda is scaled by N / (2 * weight the member got right) when it now
 * classifies the row right, else by N / (2 * weight it got wrong), so later
 * members dwell on what earlier ones miss. A member votes with weight
 * log((1 - e) / e), e its weighted error; the vote stops at the first member
 * with e of 0 or above 0.5 (MOA's rule). Defaults as MOA's: 10 Hoeffding trees.
 */
export class OnlineBoosting extends Bagging {
  readonly name = 'online-boosting';
  readonly params: OnlineBoostingParams;
  private correct: number[] = [];
  private wrong: number[] = [];
  /** Rows learned (MOA's trainingWeightSeenByModel: every row weighs 1). */
  private seen = 0;

  private constructor(ctx: LearnerContext, params: OnlineBoostingParams) {
    super(ctx, params.base, params.ensembleSize, 1, 'online-boosting');
    this.params = params;
  }

  static async create(ctx: LearnerContext, params: Partial<OnlineBoostingParams> = {}): Promise<OnlineBoosting> {
    const boost = new OnlineBoosting(ctx, { ...onlineBoostingDefaults, ...params });
    await boost.fill();
    boost.correct = boost.members.map(() => 0);
    boost.wrong = boost.members.map(() => 0);
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
          if (m.learnOne) for (let t = 0; t < times; t++) m.learnOne(x, y);
          else await m.learn({ ...repeat(x, d, times), y: new Int32Array(times).fill(y) });
        }
        const p = m.predictProbaOne ? m.predictProbaOne(x) : await m.predictProba({ data: x, rows: 1, cols: d });
        // The first largest, as MOA's correctlyClassifies.
        let best = 0;
        for (let c = 1; c < m.nClasses; c++) if (p[c] > p[best]) best = c;
        if (best === y) {
          this.correct[i] += lambda;
          lambda *= this.seen / (2 * this.correct[i]);
        } else {
          this.wrong[i] += lambda;
          lambda *= this.seen / (2 * this.wrong[i]);
        }
      }
    }
  }

  override async predictProba(x: Matrix): Promise<Float64Array> {
    const k = this.k;
    const out = new Float64Array(x.rows * k);
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
    for (let r = 0; r < x.rows; r++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += out[r * k + c];
      for (let c = 0; c < k; c++) out[r * k + c] = sum > 0 ? out[r * k + c] / sum : 1 / k;
    }
    return out;
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
    return boost;
  }
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
