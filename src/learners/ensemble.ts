import * as v from 'valibot';
import type { RandomForestClassifier } from 'ml-random-forest';
import { fail } from '../core/errors.js';
import { Random } from '../core/random.js';
import { takeRows, type Batch, type Matrix } from '../core/types.js';
import {
  checkSavedClasses,
  checkSavedFeatures,
  classesNeeded,
  type Classifier,
  type Json,
  type LearnerContext,
  type LearnerState,
} from './contract.js';
import { anything, count, finiteNumber, object, parseState, positiveInteger, record, rngState } from '../core/state.js';
import { allocateSlots, checkSameShape, heaviest, jsonMergeRule, type MergeRule } from './merge-rule.js';

export interface ForestEnsembleParams {
  /** The most forests kept (K in Wang et al.). */
  readonly maxForests: number;
  /** Trees in each batch's forest. */
  readonly trees: number;
  /** Features each tree sees; 0 means round(sqrt(features)), at least 1. */
  readonly maxFeatures: number;
  /** Folds of the cross-validation that weighs a new forest on its own batch. */
  readonly cvFolds: number;
}

export const forestEnsembleDefaults: ForestEnsembleParams = { maxForests: 10, trees: 10, maxFeatures: 0, cvFolds: 10 };

/**
 * ml-random-forest and its ml-* dependencies load when the first
 * forest-ensemble is made (Model.create, or ForestEnsemble.load()), not
 * with the core: they were a fifth of `import('streamlearn')`'s time.
 */
let randomForest: typeof import('ml-random-forest') | undefined;

function forestClass(): typeof RandomForestClassifier {
  if (randomForest === undefined) fail('forest-ensemble: ml-random-forest is not loaded; make the learner with Model.create, or await ForestEnsemble.load() before new ForestEnsemble(...)');
  return randomForest.RandomForestClassifier;
}

interface Member {
  forest: RandomForestClassifier;
  weight: number;
}

const stateSchema = object({
  nFeatures: positiveInteger,
  nClasses: count,
  members: v.array(object({ forest: record(anything), weight: finiteNumber })),
  rng: rngState,
});

/**
 * An accuracy-weighted ensemble (AWE; Wang, Fan, Yu & Han 2003, "Mining
 * concept-drifting data streams using ensemble classifiers") of random
 * forests (Breiman 2001, via ml-random-forest, a batch learner).
 *
 * Each batch's training rows fit one small forest. Every forest is then
 * weighted by how much better than chance it does on that newest batch:
 * w = MSE_r - MSE_i, where MSE_i is the mean of (1 - p_i(true class))^2 and
 * MSE_r = sum_c p(c)(1 - p(c))^2 is the error of a guesser that knows only
 * the class shares. The new forest's own weight comes from k-fold
 * cross-validation on its batch, as in the paper, so it is not judged on
 * rows it learned. The best `maxForests` are kept; prediction is the
 * weighted mean of the forests' vote shares over forests of positive weight.
 * Defaults: maxForests 10 (MOA's AWE), 10 trees a forest, sqrt(features)
 * features a tree, 10 folds (MOA's AWE).
 */
export class ForestEnsemble implements Classifier {
  readonly name = 'forest-ensemble';
  readonly params: ForestEnsembleParams;
  private readonly d: number;
  private k: number;
  private members: Member[] = [];
  private readonly rng: Random;

  /** Loads ml-random-forest, which the constructor and restore() need; Model.create does this itself. */
  static async load(): Promise<void> {
    randomForest ??= await import('ml-random-forest');
  }

  constructor(ctx: LearnerContext, params: Partial<ForestEnsembleParams> = {}) {
    forestClass();
    this.params = { ...forestEnsembleDefaults, ...params };
    this.d = ctx.nFeatures;
    this.k = ctx.nClasses;
    this.rng = Random.derive(ctx.seed, 'forest-ensemble');
  }

  get nClasses(): number {
    return this.k;
  }

  learn(batch: Batch): void {
    this.k = classesNeeded(batch.y, this.k);
    const n = batch.x.rows;
    if (n === 0) return;
    const candidate = this.fit(batch);
    const chanceError = chanceMSE(batch.y, this.k);
    if (chanceError > 0) {
      for (const m of this.members) m.weight = chanceError - this.mse(m.forest, batch);
      const weight = chanceError - this.crossValidatedMSE(batch, candidate);
      this.members.push({ forest: candidate, weight });
    } else {
      // One class only: the batch cannot tell a forest from a guesser, so
      // the old weights stand and the newcomer gets their mean.
      const positive = this.members.filter((m) => m.weight > 0);
      const weight = positive.length ? positive.reduce((s, m) => s + m.weight, 0) / positive.length : 1;
      this.members.push({ forest: candidate, weight });
    }
    // Stable sort keeps the newer forest ahead on equal weight.
    this.members = this.members
      .map((m, i) => ({ m, i }))
      .sort((a, b) => b.m.weight - a.m.weight || b.i - a.i)
      .slice(0, this.params.maxForests)
      .map(({ m }) => m);
  }

  predictProba(x: Matrix): Float64Array {
    const k = this.k;
    const out = new Float64Array(x.rows * k);
    let voters = this.members.filter((m) => m.weight > 0);
    // Every forest no better than chance on the newest batch: an unweighted vote beats none.
    const uniform = voters.length === 0;
    if (uniform) voters = this.members;
    if (voters.length === 0 || k === 0) return out.fill(1 / Math.max(k, 1));
    let total = 0;
    for (const m of voters) {
      const w = uniform ? 1 : m.weight;
      total += w;
      const shares = this.voteShares(m.forest, x);
      for (let i = 0; i < out.length; i++) out[i] += w * shares[i];
    }
    for (let i = 0; i < out.length; i++) out[i] /= total;
    return out;
  }

  saveState(): LearnerState {
    return {
      json: {
        nFeatures: this.d,
        nClasses: this.k,
        members: this.members.map((m) => ({ forest: forestJson(m.forest), weight: m.weight })),
        rng: this.rng.getState(),
      },
    };
  }

  static restore(ctx: LearnerContext, params: Partial<ForestEnsembleParams>, state: LearnerState): ForestEnsemble {
    const s = parseState('forest-ensemble', stateSchema, state.json);
    checkSavedFeatures('forest-ensemble', 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses('forest-ensemble', 'nClasses', s.nClasses, ctx);
    const model = new ForestEnsemble({ ...ctx, nClasses: s.nClasses }, params);
    model.members = s.members.map((m) => ({
      forest: forestClass().load(m.forest as unknown as Parameters<typeof RandomForestClassifier.load>[0]),
      weight: m.weight,
    }));
    model.rng.setState(s.rng);
    return model;
  }

  private fit(batch: Batch): RandomForestClassifier {
    const features = this.params.maxFeatures > 0 ? Math.min(this.params.maxFeatures, this.d) : Math.max(1, Math.round(Math.sqrt(this.d)));
    const forest = new (forestClass())({
      nEstimators: this.params.trees,
      maxFeatures: features,
      replacement: false,
      useSampleBagging: true,
      // Out-of-bag scoring fails when a bag leaves no row out, as it does on small batches.
      noOOB: true,
      seed: this.rng.nextUint32() & 0x7fffffff,
    });
    forest.train(toRows(batch.x), Array.from(batch.y));
    return forest;
  }

  /** Each row's share of tree votes per class: rows x k. */
  private voteShares(forest: RandomForestClassifier, x: Matrix): Float64Array {
    const k = this.k;
    const shares = new Float64Array(x.rows * k);
    const votes = forest.predictionValues(toRows(x));
    const trees = votes.columns;
    for (let r = 0; r < x.rows; r++) {
      for (let t = 0; t < trees; t++) shares[r * k + votes.get(r, t)] += 1 / trees;
    }
    return shares;
  }

  private mse(forest: RandomForestClassifier, batch: Batch): number {
    const shares = this.voteShares(forest, batch.x);
    let sum = 0;
    for (let r = 0; r < batch.x.rows; r++) sum += (1 - shares[r * this.k + batch.y[r]]) ** 2;
    return sum / batch.x.rows;
  }

  /** Mean squared error of forests fitted on k - 1 folds of the batch, scored on the fold left out. */
  private crossValidatedMSE(batch: Batch, candidate: RandomForestClassifier): number {
    const n = batch.x.rows;
    const folds = Math.min(this.params.cvFolds, n);
    if (folds < 2) return this.mse(candidate, batch); // one row: nothing to hold out
    const order = this.rng.permutation(n);
    let sum = 0;
    for (let f = 0; f < folds; f++) {
      const held: number[] = [];
      const kept: number[] = [];
      order.forEach((row, i) => (i % folds === f ? held : kept).push(row));
      const test = takeRows(batch, held);
      sum += this.mse(this.fit(takeRows(batch, kept)), test) * held.length;
    }
    return sum / n;
  }
}

/**
 * A forest's state as JSON. ml-cart keeps an unbounded depth (maxDepth) and
 * a leaf's gain as +-Infinity, which only training reads and which JSON
 * writes as null; they are written as null here on purpose, so the state
 * holds no number JSON cannot (saveModel refuses those) and loads as before.
 */
function forestJson(forest: RandomForestClassifier): Json {
  const text = JSON.stringify(forest.toJSON(), (key, value: unknown) =>
    (key === 'maxDepth' || key === 'gain') && typeof value === 'number' && !Number.isFinite(value) ? null : value,
  );
  return JSON.parse(text) as Json;
}

/** The squared error of predicting each class's share: sum_c p(c)(1 - p(c))^2. */
function chanceMSE(y: Int32Array, k: number): number {
  const counts = new Float64Array(k);
  for (const c of y) counts[c]++;
  let sum = 0;
  for (const c of counts) {
    const p = c / y.length;
    sum += p * (1 - p) ** 2;
  }
  return sum;
}

function toRows(x: Matrix): number[][] {
  const rows: number[][] = new Array(x.rows);
  for (let r = 0; r < x.rows; r++) rows[r] = Array.from(x.data.subarray(r * x.cols, r * x.cols + x.cols));
  return rows;
}

/**
 * Replicas pool their forests, up to maxForests: each gives slots in
 * proportion to the rows it learned, its forests by their weight.
 */
export const forestEnsembleMerge: MergeRule = jsonMergeRule('pooled members', (states, { params, weights }) => {
  const parsed = states.map((s) => parseState('forest-ensemble', stateSchema, s));
  checkSameShape('forest-ensemble', parsed.map((p) => `${p.nFeatures}x${p.nClasses}`));
  const slots = allocateSlots(Number(params.maxForests), weights, parsed.map((p) => p.members.length));
  const members = parsed.flatMap((p, r) => [...p.members].sort((a, b) => b.weight - a.weight).slice(0, slots[r]));
  return { nFeatures: parsed[0].nFeatures, nClasses: parsed[0].nClasses, members: members as unknown as Json, rng: parsed[heaviest(weights)].rng };
});
