import * as v from 'valibot';
import type { Batch, Matrix } from '../core/types.js';
import { count, numbers, object, parseState, positiveInteger } from '../core/state.js';
import {
  checkSavedClasses,
  checkSavedFeatures,
  classesNeeded,
  toNumbers,
  type Classifier,
  type LearnerContext,
  type LearnerState,
  type Params,
} from './contract.js';
import type { LearnerDefinition } from './registry.js';
import { nearestInWindow } from './window-search.js';
import { jsonMergeRule } from './merge-rule.js';

export interface KNNParams {
  /** Neighbours that vote. */
  readonly k: number;
  /** Most recent rows kept; older rows are forgotten. */
  readonly windowSize: number;
  /** Votes weighted by the inverse of the neighbour's distance ('on') or equal ('off'). */
  readonly weighted: 'on' | 'off';
}

export const knnDefaults: KNNParams = { k: 5, windowSize: 1000, weighted: 'on' };

const stateSchema = object({
  nFeatures: positiveInteger,
  nClasses: count,
  // The window's rows, oldest first: row-major features and their labels.
  x: numbers,
  y: v.array(count),
});

/**
 * k nearest neighbours (Cover & Hart 1967, "Nearest neighbor pattern
 * classification") over a sliding window of the most recent rows, as in
 * MOA's kNN (Bifet, Pfahringer, Read & Holmes 2013, "Efficient data stream
 * classification via probabilistic adaptive windows") and River's
 * KNNClassifier: the window forgets old rows, so the learner follows a
 * changing concept within windowSize rows.
 *
 * Distances are Euclidean. With weighted 'on' each of the k nearest stored
 * rows votes for its label with the inverse of its distance (River's vote),
 * so a near neighbour outweighs several far ones; a stored row at distance
 * zero decides alone (the limit of that vote; when several are at zero they
 * share it equally). With weighted 'off' each votes 1 (Cover & Hart's rule
 * and MOA's, where an exact match is one vote among k). Probabilities are
 * the votes' shares. All stored rows vote while fewer than k are stored;
 * uniform before any. Among rows at the same distance the more recent one
 * is nearer, so the answer never depends on where the ring buffer happens
 * to wrap. The paper fixes no k: the defaults are River 0.19's (k 5,
 * windowSize 1000, weighted on); MOA's are k 10, windowSize 1000, unweighted.
 * Features should be standardised, since every feature weighs in the
 * distance by its scale; the registry puts an online standard scaler in
 * front (as River's benchmark does). Stored rows keep the scaling they had
 * when learned.
 */
export class KNNClassifier implements Classifier {
  readonly name = 'knn';
  readonly params: KNNParams;
  private readonly d: number;
  private classes: number;
  // Ring buffer of rows (row-major) and labels. It grows by doubling up to
  // windowSize, so a large window costs memory only once it fills.
  private rows: Float64Array;
  private labels: Int32Array;
  private size = 0;
  /** Where the next row goes: equal to `size` until the window is full, then the oldest row. */
  private next = 0;

  constructor(ctx: LearnerContext, params: Partial<KNNParams> = {}) {
    this.params = { ...knnDefaults, ...params };
    const { k, windowSize, weighted } = this.params;
    if (weighted !== 'on' && weighted !== 'off') throw new RangeError(`knn: weighted must be on or off, got ${String(weighted)}`);
    if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`knn: k must be a positive integer, got ${k}`);
    if (!(Number.isInteger(windowSize) && windowSize >= 1)) {
      throw new RangeError(`knn: windowSize must be a positive integer, got ${windowSize}`);
    }
    this.d = ctx.nFeatures;
    this.classes = ctx.nClasses;
    const capacity = Math.min(windowSize, 64);
    this.rows = new Float64Array(capacity * this.d);
    this.labels = new Int32Array(capacity);
  }

  get nClasses(): number {
    return this.classes;
  }

  /** How many rows the window holds now. */
  get stored(): number {
    return this.size;
  }

  learn(batch: Batch): void {
    this.classes = classesNeeded(batch.y, this.classes);
    const { d } = this;
    const w = this.params.windowSize;
    const data = batch.x.data;
    for (let r = 0; r < batch.x.rows; r++) {
      if (this.size < w && this.size === this.labels.length) this.growStorage();
      const at = this.next;
      const o = at * d;
      for (let j = 0; j < d; j++) this.rows[o + j] = data[r * d + j];
      this.labels[at] = batch.y[r];
      this.next = at + 1 === w ? 0 : at + 1;
      if (this.size < w) this.size++;
    }
  }

  predictProba(x: Matrix): Float64Array {
    const { d, size } = this;
    const nc = this.classes;
    const out = new Float64Array(x.rows * nc);
    if (size === 0) return out.fill(1 / Math.max(nc, 1));
    const kk = Math.min(this.params.k, size);
    // The k best so far, nearest first; reused for every query row.
    const bestDist = new Float64Array(kk);
    const bestSlot = new Int32Array(kk);
    const weighted = this.params.weighted === 'on';
    const window = { rows: this.rows, d, size, next: this.next, windowSize: this.params.windowSize };
    const labels = this.labels;
    for (let r = 0; r < x.rows; r++) {
      const found = nearestInWindow(window, x.data, r * d, kk, bestDist, bestSlot);
      const o = r * nc;
      if (found === 0) {
        // Only when every distance was NaN or infinite.
        for (let c = 0; c < nc; c++) out[o + c] = 1 / nc;
        continue;
      }
      if (!weighted) {
        for (let i = 0; i < found; i++) out[o + labels[bestSlot[i]]] += 1;
        for (let c = 0; c < nc; c++) out[o + c] /= found;
        continue;
      }
      // bestDist holds squared distances, nearest first.
      let exact = 0;
      while (exact < found && bestDist[exact] === 0) exact++;
      let total = 0;
      if (exact > 0) {
        for (let i = 0; i < exact; i++) out[o + labels[bestSlot[i]]] += 1;
        total = exact;
      } else {
        for (let i = 0; i < found; i++) {
          const vote = 1 / Math.sqrt(bestDist[i]);
          out[o + labels[bestSlot[i]]] += vote;
          total += vote;
        }
      }
      for (let c = 0; c < nc; c++) out[o + c] /= total;
    }
    return out;
  }

  saveState(): LearnerState {
    const { d, size } = this;
    const w = this.params.windowSize;
    const x = new Float64Array(size * d);
    const y = new Int32Array(size);
    const oldest = (this.next - size + w) % w;
    for (let i = 0; i < size; i++) {
      const slot = (oldest + i) % w;
      x.set(this.rows.subarray(slot * d, slot * d + d), i * d);
      y[i] = this.labels[slot];
    }
    return { json: { nFeatures: d, nClasses: this.classes, x: toNumbers(x), y: toNumbers(y) } };
  }

  /** Rebuilds the window; when the saved window is larger than windowSize, only its newest rows are kept. */
  static restore(ctx: LearnerContext, params: Partial<KNNParams>, state: LearnerState): KNNClassifier {
    const s = parseState('knn', stateSchema, state.json);
    const d = s.nFeatures;
    checkSavedFeatures('knn', 'nFeatures', d, ctx);
    checkSavedClasses('knn', 'nClasses', s.nClasses, ctx);
    if (s.x.length !== s.y.length * d) throw new Error(`knn: saved state's x has ${s.x.length} values, not rows x features = ${s.y.length * d}`);
    const label = s.y.findIndex((c) => c >= s.nClasses);
    if (label >= 0) throw new Error(`knn: saved state's y[${label}] is ${s.y[label]}, not one of its ${s.nClasses} classes`);
    const model = new KNNClassifier({ ...ctx, nClasses: s.nClasses }, params);
    const skip = Math.max(0, s.y.length - model.params.windowSize);
    const n = s.y.length - skip;
    model.rows = new Float64Array(Math.max(n, model.labels.length) * d);
    model.labels = new Int32Array(Math.max(n, model.labels.length));
    model.rows.set(s.x.slice(skip * d));
    model.labels.set(s.y.slice(skip));
    model.size = n;
    model.next = n % model.params.windowSize;
    return model;
  }

  private growStorage(): void {
    const capacity = Math.min(this.params.windowSize, Math.max(1, this.labels.length * 2));
    const rows = new Float64Array(capacity * this.d);
    rows.set(this.rows);
    const labels = new Int32Array(capacity);
    labels.set(this.labels);
    this.rows = rows;
    this.labels = labels;
  }
}

// The registry checks every value against its ParamSpec before this cast.
const paramsAs = (params: Params): Partial<KNNParams> => params as unknown as Partial<KNNParams>;

export const knnDefinition: LearnerDefinition = {
  name: 'knn',
  summary: 'k nearest neighbours (Euclidean, votes weighted by inverse distance) over a sliding window of recent rows, on standardised features',
  reference: 'Cover & Hart 1967; Bifet, Pfahringer, Read & Holmes 2013; defaults of River 0.19',
  params: {
    k: { type: 'integer', default: knnDefaults.k, min: 1, max: 10_000, doc: 'neighbours that vote (at most 10,000)' },
    windowSize: { type: 'integer', default: knnDefaults.windowSize, min: 1, max: 10_000_000, doc: 'most recent rows kept (at most 10,000,000)' },
    weighted: { type: 'choice', default: knnDefaults.weighted, choices: ['on', 'off'], doc: 'votes weighted by inverse distance (on) or equal (off)' },
  },
  scaleInputs: true,
  create: async (ctx, p) => new KNNClassifier(ctx, paramsAs(p)),
  restore: async (ctx, p, s) => KNNClassifier.restore(ctx, paramsAs(p), s),
  merge: jsonMergeRule(
    'interleaved windows',
    (states, { params }) => {
      const parsed = states.map((s) => parseState('knn', stateSchema, s));
      const d = parsed[0].nFeatures;
      const window = Number(params.windowSize);
      // The replicas have no common clock: newest first, one row from each replica in turn, until the
      // window is full; then oldest first again.
      const picked: { x: number[]; y: number }[] = [];
      const at = parsed.map((p) => p.y.length - 1);
      while (picked.length < window && at.some((i) => i >= 0)) {
        parsed.forEach((p, r) => {
          const i = at[r];
          if (i < 0 || picked.length >= window) return;
          picked.push({ x: p.x.slice(i * d, i * d + d), y: p.y[i] });
          at[r]--;
        });
      }
      picked.reverse();
      return { nFeatures: d, nClasses: Math.max(...parsed.map((p) => p.nClasses)), x: picked.flatMap((r) => r.x), y: picked.map((r) => r.y) };
    },
    ({ params }) => `knn: windows interleaved from their newest rows, cut to ${params.windowSize}`,
  ),
};
