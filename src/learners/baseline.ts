import * as v from 'valibot';
import type { Batch, Matrix } from '../core/types.js';
import { count, object, parseState } from '../core/state.js';
import {
  checkSavedClasses,
  classesNeeded,
  toNumbers,
  type Classifier,
  type LearnerContext,
  type LearnerState,
  type Params,
} from './contract.js';
import type { LearnerDefinition } from './registry.js';
import { jsonMergeRule } from './merge-rule.js';

const majorityStateSchema = object({ counts: v.array(count) });

/**
 * The majority-class baseline: predicts the class frequencies seen so far,
 * so its most probable class is the one seen most often (ties go to the
 * lowest class index, as argmax does). Before any row it predicts uniformly.
 * A learner that cannot beat it on a stream has learned nothing beyond the
 * class shares; Bifet, Read, Žliobaitė, Pfahringer & Holmes 2013 ("Pitfalls
 * in benchmarking data stream classification") use it alongside the
 * no-change classifier as the floor every stream learner must clear.
 * No parameters.
 */
export class MajorityClass implements Classifier {
  readonly name = 'majority-class';
  private counts: Float64Array;
  private total = 0;

  constructor(ctx: LearnerContext) {
    this.counts = new Float64Array(ctx.nClasses);
  }

  get nClasses(): number {
    return this.counts.length;
  }

  learn(batch: Batch): void {
    const k = classesNeeded(batch.y, this.counts.length);
    if (k > this.counts.length) {
      const counts = new Float64Array(k);
      counts.set(this.counts);
      this.counts = counts;
    }
    for (let r = 0; r < batch.y.length; r++) this.counts[batch.y[r]]++;
    this.total += batch.y.length;
  }

  predictProba(x: Matrix): Float64Array {
    const k = this.counts.length;
    const out = new Float64Array(x.rows * k);
    if (this.total === 0) return out.fill(1 / Math.max(k, 1));
    for (let r = 0; r < x.rows; r++) {
      for (let c = 0; c < k; c++) out[r * k + c] = this.counts[c] / this.total;
    }
    return out;
  }

  saveState(): LearnerState {
    return { json: { counts: toNumbers(this.counts) } };
  }

  // Takes no parameters; `params` keeps the signature every learner's restore has.
  static restore(ctx: LearnerContext, _params: Params, state: LearnerState): MajorityClass {
    const s = parseState('majority-class', majorityStateSchema, state.json);
    checkSavedClasses('majority-class', 'counts.length', s.counts.length, ctx);
    const model = new MajorityClass({ ...ctx, nClasses: s.counts.length });
    model.counts = Float64Array.from(s.counts);
    model.total = s.counts.reduce((a, b) => a + b, 0);
    return model;
  }
}

const noChangeStateSchema = object({
  nClasses: count,
  last: v.nullable(count),
});

/**
 * The no-change classifier: predicts, with probability 1, the label of the
 * last row it learned; before any row, uniform. On streams whose labels come
 * in runs (temporal dependence) it is hard to beat, which is why Bifet,
 * Read, Žliobaitė, Pfahringer & Holmes 2013 ("Pitfalls in benchmarking data
 * stream classification") ask every stream learner to be compared with it.
 * Within a batch rows are learned in order, so the batch's last row decides.
 * No parameters.
 */
export class NoChange implements Classifier {
  readonly name = 'no-change';
  private k: number;
  private last: number | null = null;

  constructor(ctx: LearnerContext) {
    this.k = ctx.nClasses;
  }

  get nClasses(): number {
    return this.k;
  }

  learn(batch: Batch): void {
    this.k = classesNeeded(batch.y, this.k);
    if (batch.y.length > 0) this.last = batch.y[batch.y.length - 1];
  }

  predictProba(x: Matrix): Float64Array {
    const k = this.k;
    const out = new Float64Array(x.rows * k);
    if (this.last === null) return out.fill(1 / Math.max(k, 1));
    for (let r = 0; r < x.rows; r++) out[r * k + this.last] = 1;
    return out;
  }

  saveState(): LearnerState {
    return { json: { nClasses: this.k, last: this.last } };
  }

  static restore(ctx: LearnerContext, _params: Params, state: LearnerState): NoChange {
    const s = parseState('no-change', noChangeStateSchema, state.json);
    checkSavedClasses('no-change', 'nClasses', s.nClasses, ctx);
    if (s.last !== null && s.last >= s.nClasses) throw new Error(`no-change: saved state's last is ${s.last}, not one of its ${s.nClasses} classes`);
    const model = new NoChange({ ...ctx, nClasses: s.nClasses });
    model.last = s.last;
    return model;
  }
}

export const majorityClassDefinition: LearnerDefinition = {
  name: 'majority-class',
  summary: 'baseline: the class frequencies seen so far (predicts the majority class)',
  reference: 'Bifet, Read, Žliobaitė, Pfahringer & Holmes 2013',
  params: {},
  scaleInputs: false,
  // Never reads the features.
  missingNative: true,
  create: async (ctx) => new MajorityClass(ctx),
  restore: async (ctx, p, s) => MajorityClass.restore(ctx, p, s),
  // Exact: the merged counts are those of all rows.
  merge: jsonMergeRule(
    'exact',
    (states) => {
      const parsed = states.map((s) => parseState('majority-class', majorityStateSchema, s));
      const k = Math.max(...parsed.map((p) => p.counts.length));
      const counts = new Array<number>(k).fill(0);
      for (const p of parsed) p.counts.forEach((n, c) => (counts[c] += n));
      return { counts };
    },
    () => 'majority-class: exact (class counts added)',
  ),
};

export const noChangeDefinition: LearnerDefinition = {
  name: 'no-change',
  summary: 'baseline: the label of the last row learned',
  reference: 'Bifet, Read, Žliobaitė, Pfahringer & Holmes 2013',
  params: {},
  scaleInputs: false,
  // Never reads the features.
  missingNative: true,
  create: async (ctx) => new NoChange(ctx),
  restore: async (ctx, p, s) => NoChange.restore(ctx, p, s),
  merge: { kind: null, reason: 'each remembers only the last label it saw, which has no meaning across replicas' },
};
