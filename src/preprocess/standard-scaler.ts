import { z } from 'zod';
import type { Matrix } from '../core/types.js';
import type { Json } from '../core/state.js';
import { numbers, parseState } from '../core/state.js';

const stateSchema = z.object({ count: z.number(), mean: numbers, m2: numbers });

/**
 * Online standardisation: each feature is centred on its running mean and
 * divided by its running standard deviation (Welford's algorithm), both
 * learned from training rows only. A feature with zero variance so far is
 * only centred. Same semantics as River's preprocessing.StandardScaler.
 */
export class StandardScaler {
  readonly name = 'standard-scaler';
  private count = 0;
  private mean: Float64Array;
  private m2: Float64Array;

  constructor(readonly nFeatures: number) {
    this.mean = new Float64Array(nFeatures);
    this.m2 = new Float64Array(nFeatures);
  }

  learn(x: Matrix): void {
    const d = this.nFeatures;
    for (let r = 0; r < x.rows; r++) {
      const n = ++this.count;
      for (let j = 0; j < d; j++) {
        const v = x.data[r * d + j];
        const delta = v - this.mean[j];
        this.mean[j] += delta / n;
        this.m2[j] += delta * (v - this.mean[j]);
      }
    }
  }

  transform(x: Matrix): Matrix {
    const d = this.nFeatures;
    const scale = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const sd = this.count > 0 ? Math.sqrt(this.m2[j] / this.count) : 0;
      scale[j] = sd > 0 ? 1 / sd : 1;
    }
    const out = new Float64Array(x.data.length);
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < d; j++) out[r * d + j] = (x.data[r * d + j] - this.mean[j]) * scale[j];
    }
    return { data: out, rows: x.rows, cols: d };
  }

  getState(): Json {
    return { count: this.count, mean: Array.from(this.mean), m2: Array.from(this.m2) };
  }

  static restore(nFeatures: number, json: Json): StandardScaler {
    const s = parseState('standard-scaler', stateSchema, json);
    if (s.mean.length !== nFeatures || s.m2.length !== nFeatures) {
      throw new Error('standard-scaler: saved state does not match the schema');
    }
    const scaler = new StandardScaler(nFeatures);
    scaler.count = s.count;
    scaler.mean = Float64Array.from(s.mean);
    scaler.m2 = Float64Array.from(s.m2);
    return scaler;
  }
}
