import * as v from 'valibot';
import { fail } from '../core/errors.js';
import { Random, deriveSeed } from '../core/random.js';
import { anything, finiteNumber, integer, type Json, object, parseState, positiveInteger, rngState } from '../core/state.js';
import { takeRows, type Batch, type Matrix } from '../core/types.js';
import { ADWIN } from '../drift/adwin.js';
import { errorRose } from '../drift/error-rise.js';
import { argmaxRows, checkSavedClasses, checkSavedFeatures, classesNeeded, type Classifier, type LearnerContext, type LearnerState } from './contract.js';
import type { BaggingBase, LearnerDefinition } from './registry.js';
import { resolveParams } from '../core/params.js';
import { allocateSlots, heaviest, jsonMergeRule, type MergeRule } from './merge-rule.js';

export interface OnlineBaggingParams {
  readonly base: BaggingBase;
  readonly ensembleSize: number;
}

export interface LeveragingBaggingParams extends OnlineBaggingParams {
  /** Rate of the Poisson draw that weighs each row for each member. */
  readonly lambda: number;
  /** ADWIN confidence of each member's error monitor. */
  readonly adwinDelta: number;
}

export const onlineBaggingDefaults: OnlineBaggingParams = { base: 'hoeffding-tree', ensembleSize: 10 };
export const leveragingBaggingDefaults: LeveragingBaggingParams = { ...onlineBaggingDefaults, lambda: 6, adwinDelta: 0.002 };

/** The saved state's shape (also read by the replica merge, baggingMerge). */
export const baggingStateSchema = object({
  nFeatures: positiveInteger,
  k: integer,
  members: v.array(anything),
  detectors: v.optional(v.array(anything)),
  replaced: finiteNumber,
  made: finiteNumber,
  rng: rngState,
});

/**
 * What the two bagging ensembles share: members made from a base learner by
 * name, each trained on each batch with every row weighted by a Poisson draw
 * (a weighted update where the member has one, as MOA, else the row repeated
 * that many times: what weighing by k means for any incremental learner),
 * and a prediction that is the mean of the members' probabilities.
 */
export abstract class Bagging implements Classifier {
  abstract readonly name: string;
  protected k: number;
  protected members: Classifier[] = [];
  protected readonly rng: Random;
  /** Members made so far: each gets a seed of its own. */
  protected made = 0;
  /** Members replaced after their error rose (leveraging bagging). */
  replaced = 0;

  protected constructor(
    protected readonly ctx: LearnerContext,
    protected readonly base: BaggingBase,
    protected readonly size: number,
    protected readonly lambda: number,
    purpose: string,
  ) {
    this.k = Math.max(ctx.nClasses, 1);
    this.rng = Random.derive(ctx.seed, purpose);
  }

  get nClasses(): number {
    return this.k;
  }

  /**
   * The base learner's definition. Looked up on use, not imported: the
   * registry lists these ensembles, so a static import would be circular.
   */
  protected async baseDefinition(): Promise<LearnerDefinition> {
    return (await import('./registry.js')).learnerDefinition(this.base);
  }

  protected async newMember(): Promise<Classifier> {
    const def = await this.baseDefinition();
    const seed = deriveSeed(this.ctx.seed, `member-${this.made++}`);
    return def.create({ ...this.ctx, nClasses: this.k, seed }, resolveParams(def));
  }

  protected async fill(): Promise<void> {
    while (this.members.length < this.size) this.members.push(await this.newMember());
  }

  /**
   * Each member learns the batch with each row weighted Poisson(lambda): in
   * one weighted update where the member has one (as MOA), else with the row
   * repeated that many times.
   */
  protected async learnWeighted(batch: Batch): Promise<void> {
    this.k = classesNeeded(batch.y, this.k);
    const row = this.rowScratch(batch.x.cols);
    for (const m of this.members) {
      if (m.learnOneWeighted) {
        for (let r = 0; r < batch.x.rows; r++) {
          const w = this.rng.poisson(this.lambda);
          if (w > 0) m.learnOneWeighted(copyRowInto(batch.x, r, row), batch.y[r], w);
        }
        continue;
      }
      const rows: number[] = [];
      for (let r = 0; r < batch.x.rows; r++) {
        for (let w = this.rng.poisson(this.lambda); w > 0; w--) rows.push(r);
      }
      if (rows.length > 0) await m.learn(takeRows(batch, rows));
    }
  }

  async predictProba(x: Matrix): Promise<Float64Array> {
    const k = this.k;
    const out = new Float64Array(x.rows * k);
    if (this.members.every((m) => m.predictProbaOne)) {
      // Row by row through the members' one-row paths: no matrix per member. Each cell adds
      // the members' shares in the same order as below, so the sums are the same to the bit.
      const row = this.rowScratch(x.cols);
      const n = this.members.length;
      for (let r = 0; r < x.rows; r++) {
        copyRowInto(x, r, row);
        for (const m of this.members) {
          const p = m.predictProbaOne!(row);
          const top = Math.min(m.nClasses, k);
          for (let c = 0; c < top; c++) out[r * k + c] += p[c] / n;
        }
      }
      return out;
    }
    for (const m of this.members) {
      const p = await m.predictProba(x);
      const km = m.nClasses;
      for (let r = 0; r < x.rows; r++) {
        for (let c = 0; c < Math.min(km, k); c++) out[r * k + c] += p[r * km + c] / this.members.length;
      }
    }
    return out;
  }

  private scratchRow = new Float64Array(0);

  /** A work array of one row, for the members' one-row paths (which keep no reference to it). */
  protected rowScratch(d: number): Float64Array {
    if (this.scratchRow.length !== d) this.scratchRow = new Float64Array(d);
    return this.scratchRow;
  }

  /** Which rows each member gets wrong (1) or right (0), its first largest probability taken, as argmaxRows. */
  protected async membersWrong(batch: Batch): Promise<Uint8Array[]> {
    const wrong: Uint8Array[] = [];
    for (const m of this.members) {
      if (!m.predictProbaOne) {
        const predicted = argmaxRows(await m.predictProba(batch.x), m.nClasses);
        wrong.push(Uint8Array.from(predicted, (p, r) => (p === batch.y[r] ? 0 : 1)));
        continue;
      }
      const row = this.rowScratch(batch.x.cols);
      const km = m.nClasses;
      const out = new Uint8Array(batch.x.rows);
      for (let r = 0; r < batch.x.rows; r++) {
        const p = m.predictProbaOne(copyRowInto(batch.x, r, row));
        let best = 0;
        let bestP = p[0];
        for (let c = 1; c < km; c++) {
          if (p[c] > bestP) {
            bestP = p[c];
            best = c;
          }
        }
        out[r] = best === batch.y[r] ? 0 : 1;
      }
      wrong.push(out);
    }
    return wrong;
  }

  /**
   * Test-then-train row by row: what predictProba of each row and then learn
   * of it give, to the bit (the same draws, votes, verdicts and updates in
   * the same order), with no per-row matrix. A member that learns the row
   * scores it in the same pass (learnOneWeightedScored: one descent and one
   * naive Bayes evaluation for the vote, the verdict and the update, where
   * predicting and learning apart take three). Rows x the classes known
   * after the batch, 0 for a class not known yet when a row was scored.
   */
  async learnScored(batch: Batch): Promise<Float64Array> {
    const { rows, cols } = batch.x;
    const width = classesNeeded(batch.y, this.k);
    const out = new Float64Array(rows * width);
    if (!this.members.every((m) => m.predictProbaOne && m.learnOneWeighted)) {
      for (let r = 0; r < rows; r++) {
        const x: Matrix = { data: batch.x.data.subarray(r * cols, (r + 1) * cols), rows: 1, cols };
        out.set(await this.predictProba(x), r * width);
        await this.learn({ x, y: batch.y.subarray(r, r + 1) });
      }
      return out;
    }
    const x = this.rowScratch(cols);
    for (let r = 0; r < rows; r++) {
      copyRowInto(batch.x, r, x);
      const y = batch.y[r];
      const k = this.k;
      const n = this.members.length;
      const o = r * width;
      if (y >= this.k) this.k = y + 1;
      if (this.verdicts.length !== n) this.verdicts = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const m = this.members[i];
        const km = m.nClasses;
        const w = this.rng.poisson(this.lambda);
        const scored = w > 0 && m.learnOneWeightedScored !== undefined && y < km;
        const p = scored ? m.learnOneWeightedScored!(x, y, w) : m.predictProbaOne!(x);
        const top = Math.min(km, k);
        for (let c = 0; c < top; c++) out[o + c] += p[c] / n;
        // The first largest, as argmaxRows.
        let best = 0;
        for (let c = 1; c < km; c++) if (p[c] > p[best]) best = c;
        this.verdicts[i] = best === y ? 0 : 1;
        if (w > 0 && !scored) m.learnOneWeighted!(x, y, w);
      }
      const watched = this.watch(this.verdicts);
      if (watched) await watched;
    }
    return out;
  }

  /** Each member's verdict on the last row, 1 where it was wrong (learnScored's work area). */
  private verdicts = new Uint8Array(0);

  /**
   * What an ensemble does with its members' verdicts on one row (wrong[i]:
   * 1 where member i got it wrong before learning it), after they learned it.
   */
  protected watch(_wrong: Uint8Array): void | Promise<void> {}

  abstract learn(batch: Batch): Promise<void>;
  abstract saveState(): Promise<LearnerState>;

  protected async membersState(): Promise<Json[]> {
    const out: Json[] = [];
    for (const m of this.members) out.push((await m.saveState()).json);
    return out;
  }

  protected async restoreMembers(states: readonly unknown[]): Promise<void> {
    const def = await this.baseDefinition();
    this.members = [];
    for (const json of states) {
      this.members.push(await def.restore({ ...this.ctx, nClasses: this.k }, resolveParams(def), { json: json as Json }));
    }
  }
}

/**
 * Online bagging (Oza & Russell 2001, "Online bagging and boosting"): each
 * member sees each row k ~ Poisson(1) times, the online counterpart of a
 * bootstrap sample. Defaults as MOA's OzaBag: 10 members, Hoeffding trees.
 */
export class OnlineBagging extends Bagging {
  readonly name = 'online-bagging';
  readonly params: OnlineBaggingParams;

  private constructor(ctx: LearnerContext, params: OnlineBaggingParams) {
    super(ctx, params.base, params.ensembleSize, 1, 'online-bagging');
    this.params = params;
  }

  static async create(ctx: LearnerContext, params: Partial<OnlineBaggingParams> = {}): Promise<OnlineBagging> {
    const bag = new OnlineBagging(ctx, { ...onlineBaggingDefaults, ...params });
    await bag.fill();
    return bag;
  }

  async learn(batch: Batch): Promise<void> {
    await this.learnWeighted(batch);
  }

  async saveState(): Promise<LearnerState> {
    return {
      json: { nFeatures: this.ctx.nFeatures, k: this.k, members: await this.membersState(), replaced: 0, made: this.made, rng: this.rng.getState() },
    };
  }

  static async restore(ctx: LearnerContext, params: Partial<OnlineBaggingParams>, state: LearnerState): Promise<OnlineBagging> {
    const s = parseState('online-bagging', baggingStateSchema, state.json);
    checkSavedFeatures('online-bagging', 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses('online-bagging', 'k', s.k, ctx, 1);
    const bag = new OnlineBagging({ ...ctx, nClasses: s.k }, { ...onlineBaggingDefaults, ...params });
    bag.k = s.k;
    await bag.restoreMembers(s.members);
    bag.made = s.made;
    bag.rng.setState(s.rng);
    return bag;
  }
}

/**
 * Leveraging bagging (Bifet, Holmes & Pfahringer 2010, "Leveraging bagging
 * for evolving data streams"): online bagging with more randomisation,
 * Poisson(lambda = 6) weights, and an ADWIN per member on its errors; when
 * any member's error rises significantly, the member with the highest error
 * is replaced by a new one. Defaults as MOA's LeveragingBag: 10 Hoeffding
 * trees, lambda 6, ADWIN delta 0.002 (output codes are not implemented).
 */
export class LeveragingBagging extends Bagging {
  readonly name = 'leveraging-bagging';
  readonly params: LeveragingBaggingParams;
  private detectors: ADWIN[] = [];

  private constructor(ctx: LearnerContext, params: LeveragingBaggingParams) {
    super(ctx, params.base, params.ensembleSize, params.lambda, 'leveraging-bagging');
    this.params = params;
  }

  static async create(ctx: LearnerContext, params: Partial<LeveragingBaggingParams> = {}): Promise<LeveragingBagging> {
    const bag = new LeveragingBagging(ctx, { ...leveragingBaggingDefaults, ...params });
    await bag.fill();
    bag.detectors = bag.members.map(() => new ADWIN({ delta: bag.params.adwinDelta }));
    return bag;
  }

  async learn(batch: Batch): Promise<void> {
    this.k = classesNeeded(batch.y, this.k);
    // Each member is scored on the rows before it learns them (test-then-train).
    const wrong = await this.membersWrong(batch);
    await this.learnWeighted(batch);
    let change = false;
    for (let r = 0; r < batch.x.rows; r++) {
      for (let i = 0; i < this.members.length; i++) if (errorRose(this.detectors[i], wrong[i][r] === 1)) change = true;
    }
    if (change) await this.replaceWorst();
  }

  protected override watch(wrong: Uint8Array): void | Promise<void> {
    let change = false;
    for (let i = 0; i < this.members.length; i++) if (errorRose(this.detectors[i], wrong[i] === 1)) change = true;
    if (change) return this.replaceWorst();
  }

  /** A member's error rose: the member with the highest error estimate starts afresh. */
  private async replaceWorst(): Promise<void> {
    let worst = 0;
    for (let i = 1; i < this.detectors.length; i++) if (this.detectors[i].estimate > this.detectors[worst].estimate) worst = i;
    this.members[worst] = await this.newMember();
    this.detectors[worst] = new ADWIN({ delta: this.params.adwinDelta });
    this.replaced++;
  }

  async saveState(): Promise<LearnerState> {
    return {
      json: {
        nFeatures: this.ctx.nFeatures,
        k: this.k,
        members: await this.membersState(),
        detectors: this.detectors.map((d) => d.getState()),
        replaced: this.replaced,
        made: this.made,
        rng: this.rng.getState(),
      },
    };
  }

  static async restore(ctx: LearnerContext, params: Partial<LeveragingBaggingParams>, state: LearnerState): Promise<LeveragingBagging> {
    const s = parseState('leveraging-bagging', baggingStateSchema, state.json);
    checkSavedFeatures('leveraging-bagging', 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses('leveraging-bagging', 'k', s.k, ctx, 1);
    const bag = new LeveragingBagging({ ...ctx, nClasses: s.k }, { ...leveragingBaggingDefaults, ...params });
    bag.k = s.k;
    await bag.restoreMembers(s.members);
    bag.detectors = (s.detectors ?? []).map((d) => ADWIN.restore({ delta: bag.params.adwinDelta }, d as Json));
    bag.replaced = s.replaced;
    bag.made = s.made;
    bag.rng.setState(s.rng);
    return bag;
  }
}

/** Copies row r of a matrix into `into` (x.cols values) and returns it. */
export function copyRowInto(x: Matrix, r: number, into: Float64Array): Float64Array {
  const { data, cols } = x;
  const o = r * cols;
  for (let j = 0; j < cols; j++) into[j] = data[o + j];
  return into;
}

/**
 * Online and leveraging bagging pool their members, up to ensembleSize:
 * each replica gives slots in proportion to the rows it learned, its members
 * in their order (they are exchangeable: each saw the replica's rows with
 * its own Poisson weights), with their drift detectors.
 */
export const baggingMerge: MergeRule = jsonMergeRule('pooled members', (states, { learner, params, weights }) => {
  const parsed = states.map((s) => parseState(learner, baggingStateSchema, s));
  if (new Set(parsed.map((p) => p.nFeatures)).size > 1) fail(`merge: the ${learner} replicas have different feature counts`);
  const slots = allocateSlots(Number(params.ensembleSize), weights, parsed.map((p) => p.members.length));
  const members = parsed.flatMap((p, r) => p.members.slice(0, slots[r]));
  const detectors = parsed.every((p) => p.detectors) ? parsed.flatMap((p, r) => p.detectors!.slice(0, slots[r])) : undefined;
  const top = parsed[heaviest(weights)];
  return {
    nFeatures: top.nFeatures,
    k: Math.max(...parsed.map((p) => p.k)),
    members: members as Json[],
    ...(detectors ? { detectors: detectors as Json[] } : {}),
    replaced: parsed.reduce((s, p) => s + p.replaced, 0),
    made: Math.max(...parsed.map((p) => p.made)),
    rng: top.rng,
  };
});
