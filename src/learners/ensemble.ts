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
import { anything, count, finiteNumber, numbers, object, parseState, positiveInteger, record, refine, rngState } from '../core/state.js';
import { allocateSlots, checkSameShape, heaviest, jsonMergeRule, type MergeRule } from './merge-rule.js';

export interface ForestEnsembleParams {
  /** The most forests kept (K in Wang et al.). */
  readonly maxForests: number;
  /** Trees in each batch's forest. */
  readonly trees: number;
  /** Features each tree sees; 0 means round(sqrt(features)), at least 1. */
  readonly maxFeatures: number;
  /** Folds of the cross-validation that weighs a new forest on its own chunk. */
  readonly cvFolds: number;
  /** Rows buffered before a new forest is fitted on them; 0: each learn() call is one chunk. */
  readonly chunkSize: number;
}

export const forestEnsembleDefaults: ForestEnsembleParams = { maxForests: 10, trees: 10, maxFeatures: 0, cvFolds: 10, chunkSize: 500 };

/**
 * Before the first chunk completes, a forest is refitted on all the rows
 * buffered so far every this many rows: fresh enough to follow a stream whose
 * classes arrive one after another (as the bundled sets do in file order),
 * and for a 500-row chunk the refits cost about as much as two more chunks,
 * once per stream.
 */
const INTERIM_EVERY = 16;

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

// buffer and interim are written only when present: a state without them
// (every one saved before chunks, and every one with chunkSize 0) loads as before.
const stateSchema = refine(
  object({
    nFeatures: positiveInteger,
    nClasses: count,
    members: v.array(object({ forest: record(anything), weight: finiteNumber })),
    rng: rngState,
    buffer: v.optional(object({ x: numbers, y: v.array(count) })),
    interim: v.optional(record(anything)),
  }),
  (s, problem) => {
    if (!s.buffer) return;
    if (s.buffer.x.length !== s.buffer.y.length * s.nFeatures) problem(['buffer', 'x'], `holds ${s.buffer.x.length} values, not ${s.buffer.y.length} rows of ${s.nFeatures}`);
    const bad = s.buffer.y.findIndex((c) => c >= s.nClasses);
    if (bad >= 0) problem(['buffer', 'y', bad], `class ${s.buffer.y[bad]} is not below nClasses ${s.nClasses}`);
  },
);

/**
 * An accuracy-weighted ensemble (AWE; Wang, Fan, Yu & Han 2003, "Mining
 * concept-drifting data streams using ensemble classifiers") of random
 * forests (Breiman 2001, via ml-random-forest, a batch learner).
 *
 * Rows are buffered into chunks of `chunkSize`, whatever the batches they
 * come in (several chunks may complete in one batch; a chunk may span many).
 * Each chunk fits one small forest. Every forest is then
 * weighted by how much better than chance it does on that newest chunk:
 * w = MSE_r - MSE_i, where MSE_i is the mean of (1 - p_i(true class))^2 and
 * MSE_r = sum_c p(c)(1 - p(c))^2 is the error of a guesser that knows only
 * the class shares. The new forest's own weight comes from k-fold
 * cross-validation on its chunk, as in the paper, so it is not judged on
 * rows it learned. The best `maxForests` are kept; prediction is the
 * weighted mean of the forests' vote shares over forests of positive weight,
 * while the next chunk fills. Before the first chunk is complete the answer
 * is a forest fitted on the rows buffered so far (refitted every 16 rows),
 * and before 16 rows the class shares seen so far (majority class).
 * Defaults: chunkSize 500 (MOA's AccuracyWeightedEnsemble; the paper's
 * experiments span chunks of 250 to 1,000 rows), maxForests 10 (the paper
 * keeps K of up to 8 and MOA 15; 10 is this learner's first default, kept),
 * 10 trees a forest, sqrt(features) features a tree, 10 folds (MOA's AWE).
 * chunkSize 0 makes each learn() call one chunk: batch-split's batches, as
 * this learner did before it had chunks (prequential then fits a forest per row).
 */
export class ForestEnsemble implements Classifier {
  readonly name = 'forest-ensemble';
  readonly params: ForestEnsembleParams;
  private readonly d: number;
  private k: number;
  private members: Member[] = [];
  private readonly rng: Random;
  private readonly seed: number;
  /** The rows of the chunk being filled, row-major; capacity grows as needed. */
  private bufX = new Float64Array(0);
  private bufY = new Int32Array(0);
  private bufN = 0;
  /** The forest on the buffered rows that answers until the first chunk is complete. */
  private interim: RandomForestClassifier | null = null;

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
    this.seed = ctx.seed;
  }

  get nClasses(): number {
    return this.k;
  }

  learn(batch: Batch): void {
    this.k = classesNeeded(batch.y, this.k);
    const n = batch.x.rows;
    if (this.params.chunkSize === 0) {
      if (n > 0) this.learnChunk(batch);
      return;
    }
    const d = this.d;
    const chunk = this.params.chunkSize;
    let r = 0;
    for (;;) {
      // A merged state may hold more than a chunk: those rows are fitted first.
      if (this.bufN >= chunk) {
        this.learnChunk(this.buffered(chunk));
        this.bufX.copyWithin(0, chunk * d, this.bufN * d);
        this.bufY.copyWithin(0, chunk, this.bufN);
        this.bufN -= chunk;
        this.interim = null;
        continue;
      }
      if (r >= n) break;
      const take = Math.min(n - r, this.nextFit() - this.bufN);
      this.reserve(this.bufN + take);
      this.bufX.set(batch.x.data.subarray(r * d, (r + take) * d), this.bufN * d);
      this.bufY.set(batch.y.subarray(r, r + take), this.bufN);
      this.bufN += take;
      r += take;
      if (this.bufN < chunk && this.members.length === 0 && this.bufN === this.nextInterim(this.bufN - 1)) this.interim = this.fitInterim();
    }
  }

  /**
   * Test-then-train, exactly as predicting and learning each row in turn:
   * the answer only changes when a forest is fitted or a class is first
   * seen, so the rows between are predicted together.
   */
  learnScored(batch: Batch): Float64Array {
    const n = batch.x.rows;
    const { cols } = batch.x;
    const kEnd = classesNeeded(batch.y, this.k);
    const out = new Float64Array(n * kEnd);
    let r = 0;
    while (r < n) {
      let len = 1;
      const fixed = this.params.chunkSize > 0 && (this.members.length > 0 || this.interim !== null) && this.bufN < this.params.chunkSize;
      if (fixed) {
        len = Math.min(n - r, this.nextFit() - this.bufN);
        // A new class widens the answer once learned: that row ends the run.
        for (let i = r; i < r + len; i++) {
          if (batch.y[i] >= this.k) {
            len = i - r + 1;
            break;
          }
        }
      }
      const part: Batch = { x: { data: batch.x.data.subarray(r * cols, (r + len) * cols), rows: len, cols }, y: batch.y.subarray(r, r + len) };
      const k = this.k;
      const p = this.predictProba(part.x);
      for (let i = 0; i < len; i++) out.set(p.subarray(i * k, i * k + k), (r + i) * kEnd);
      this.learn(part);
      r += len;
    }
    return out;
  }

  /** Buffer size at which the next forest is fitted: the chunk, or before it the next interim refit. */
  private nextFit(): number {
    const chunk = this.params.chunkSize;
    return this.members.length === 0 ? Math.min(chunk, this.nextInterim(this.bufN)) : chunk;
  }

  /**
   * The interim forest's seed comes from the learner's seed and the row
   * count, not from the generator the chunks' forests draw on: a chunk of
   * the batch's size then fits the very forests that chunkSize 0 does.
   */
  private fitInterim(): RandomForestClassifier {
    return this.fit(this.buffered(this.bufN), Random.derive(this.seed, `forest-ensemble interim ${this.bufN}`).nextUint32() & 0x7fffffff);
  }

  /** The first interim size above `rows`. */
  private nextInterim(rows: number): number {
    return (Math.floor(rows / INTERIM_EVERY) + 1) * INTERIM_EVERY;
  }

  private reserve(rows: number): void {
    if (this.bufY.length >= rows) return;
    const capacity = Math.max(rows, this.params.chunkSize, 2 * this.bufY.length);
    const x = new Float64Array(capacity * this.d);
    x.set(this.bufX.subarray(0, this.bufN * this.d));
    const y = new Int32Array(capacity);
    y.set(this.bufY.subarray(0, this.bufN));
    this.bufX = x;
    this.bufY = y;
  }

  /** The first `rows` buffered rows as a batch (views, not copies). */
  private buffered(rows: number): Batch {
    return { x: { data: this.bufX.subarray(0, rows * this.d), rows, cols: this.d }, y: this.bufY.subarray(0, rows) };
  }

  /** One chunk: a new forest, every forest reweighted on it, the best kept. */
  private learnChunk(batch: Batch): void {
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
    if (this.members.length === 0 && this.params.chunkSize > 0 && k > 0) {
      if (this.interim) return this.voteShares(this.interim, x);
      return this.prior(x.rows);
    }
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

  /** The class shares of the buffered rows (uniform before any), for every row. */
  private prior(rows: number): Float64Array {
    const k = this.k;
    const shares = new Float64Array(k).fill(this.bufN === 0 ? 1 / k : 0);
    for (let i = 0; i < this.bufN; i++) shares[this.bufY[i]] += 1 / this.bufN;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) out.set(shares, r * k);
    return out;
  }

  saveState(): LearnerState {
    return {
      json: {
        nFeatures: this.d,
        nClasses: this.k,
        members: this.members.map((m) => ({ forest: forestJson(m.forest), weight: m.weight })),
        rng: this.rng.getState(),
        ...(this.bufN > 0 ? { buffer: { x: Array.from(this.bufX.subarray(0, this.bufN * this.d)), y: Array.from(this.bufY.subarray(0, this.bufN)) } } : {}),
        ...(this.interim ? { interim: forestJson(this.interim) } : {}),
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
    if (s.buffer) {
      model.reserve(s.buffer.y.length);
      model.bufX.set(s.buffer.x);
      model.bufY.set(s.buffer.y);
      model.bufN = s.buffer.y.length;
    }
    if (s.interim) model.interim = forestClass().load(s.interim as unknown as Parameters<typeof RandomForestClassifier.load>[0]);
    return model;
  }

  private fit(batch: Batch, seed = this.rng.nextUint32() & 0x7fffffff): RandomForestClassifier {
    const features = this.params.maxFeatures > 0 ? Math.min(this.params.maxFeatures, this.d) : Math.max(1, Math.round(Math.sqrt(this.d)));
    const forest = new (forestClass())({
      nEstimators: this.params.trees,
      maxFeatures: features,
      replacement: false,
      useSampleBagging: true,
      // Out-of-bag scoring fails when a bag leaves no row out, as it does on small batches.
      noOOB: true,
      seed,
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
 * proportion to the rows it learned, its forests by their weight. Their
 * unfinished chunks are joined in input order (no row is lost: rows past a
 * chunk are fitted at the next learn()); the interim forest is kept only
 * while no replica has a chunk's forest, from the replica of most rows.
 */
export const forestEnsembleMerge: MergeRule = jsonMergeRule('pooled members', (states, { params, weights }) => {
  const parsed = states.map((s) => parseState('forest-ensemble', stateSchema, s));
  checkSameShape('forest-ensemble', parsed.map((p) => `${p.nFeatures}x${p.nClasses}`));
  const slots = allocateSlots(Number(params.maxForests), weights, parsed.map((p) => p.members.length));
  const members = parsed.flatMap((p, r) => [...p.members].sort((a, b) => b.weight - a.weight).slice(0, slots[r]));
  const x = parsed.flatMap((p) => p.buffer?.x ?? []);
  const y = parsed.flatMap((p) => p.buffer?.y ?? []);
  const interim = members.length === 0 ? parsed[heaviest(weights)].interim : undefined;
  return {
    nFeatures: parsed[0].nFeatures,
    nClasses: parsed[0].nClasses,
    members: members as unknown as Json,
    rng: parsed[heaviest(weights)].rng,
    ...(y.length > 0 ? { buffer: { x, y } } : {}),
    ...(interim ? { interim: interim as Json } : {}),
  };
});
