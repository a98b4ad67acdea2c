import { fail } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, numberedNames, percentHit, RowAllocator, type Generator, type Sample } from './generator.js';

export interface HyperplaneParams {
  readonly numAtts: number;
  /** How many weights (the first ones) drift. */
  readonly numDriftAtts: number;
  /** How far each drifting weight moves per row, 0..1. */
  readonly magChange: number;
  /** Percentage of rows whose label is flipped, 0..100. */
  readonly noisePercentage: number;
  /** Percentage chance per row that a drifting weight reverses direction, 0..100. */
  readonly sigmaPercentage: number;
}

export const hyperplaneDefaults: HyperplaneParams = {
  numAtts: 10,
  numDriftAtts: 2,
  magChange: 0,
  noisePercentage: 5,
  sigmaPercentage: 10,
};

/**
 * The rotating hyperplane (Hulten, Spencer & Domingos 2001, "Mining
 * time-changing data streams", KDD), as MOA's HyperplaneGenerator defines
 * it: attributes att1..attN uniform in [0, 1); weights w uniform in [0, 1)
 * drawn at the start; the label is class2 when sum(w_i x_i) >= sum(w_i) / 2,
 * else class1, flipped for noisePercentage % of rows. After each row the
 * first numDriftAtts weights move by magChange in their current direction,
 * and each reverses direction with probability sigmaPercentage %. As in MOA
 * the weights are not bounded, and the reversal draws happen even when
 * magChange is 0.
 * Defaults: numAtts 10, numDriftAtts 2, magChange 0, noisePercentage 5,
 * sigmaPercentage 10. MOA's numClasses option is left out: its labels are
 * only ever the first two classes.
 */
export class HyperplaneGenerator implements Generator {
  readonly schema: Schema;
  readonly params: HyperplaneParams;
  private readonly rng: Random;
  private readonly weights: Float64Array;
  private readonly directions: Float64Array;
  private readonly rows: RowAllocator;

  constructor(seed: number, params: Partial<HyperplaneParams> = {}) {
    const p = { ...hyperplaneDefaults, ...params };
    checkRange('hyperplane', 'num-atts', p.numAtts, 1, Number.MAX_SAFE_INTEGER, true);
    checkRange('hyperplane', 'num-drift-atts', p.numDriftAtts, 0, Number.MAX_SAFE_INTEGER, true);
    checkRange('hyperplane', 'mag-change', p.magChange, 0, 1, false);
    checkRange('hyperplane', 'noise-percentage', p.noisePercentage, 0, 100, true);
    checkRange('hyperplane', 'sigma-percentage', p.sigmaPercentage, 0, 100, true);
    // MOA would fail on its first row here; say so up front.
    if (p.numDriftAtts > p.numAtts) {
      fail(`hyperplane: num-drift-atts (${p.numDriftAtts}) must not exceed num-atts (${p.numAtts})`);
    }
    this.params = p;
    this.rng = new Random(seed);
    this.weights = new Float64Array(p.numAtts);
    this.directions = new Float64Array(p.numAtts);
    this.rows = new RowAllocator(p.numAtts);
    for (let i = 0; i < p.numAtts; i++) {
      this.weights[i] = this.rng.next();
      this.directions[i] = i < p.numDriftAtts ? 1 : 0;
    }
    this.schema = { features: numberedNames('att', p.numAtts), label: 'class', classes: ['class1', 'class2'] };
  }

  /** A copy of the weights that will label the next row. */
  currentWeights(): Float64Array {
    return this.weights.slice();
  }

  next(): Sample {
    const rng = this.rng;
    const w = this.weights;
    const n = w.length;
    const x = this.rows.take();
    let sum = 0;
    let sumWeights = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.next();
      x[i] = v;
      sum += w[i] * v;
      sumWeights += w[i];
    }
    let y = sum >= sumWeights * 0.5 ? 1 : 0;
    if (percentHit(rng, this.params.noisePercentage)) y = 1 - y;
    const { numDriftAtts, magChange, sigmaPercentage } = this.params;
    for (let i = 0; i < numDriftAtts; i++) {
      w[i] += this.directions[i] * magChange;
      if (percentHit(rng, sigmaPercentage)) this.directions[i] = -this.directions[i];
    }
    return { x, y };
  }
}
