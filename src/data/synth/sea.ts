import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, percentHit, type Generator, type Sample } from './generator.js';

export interface SEAParams {
  /** Which threshold concept, 1..4 (theta 8, 9, 7, 9.5). */
  readonly function: number;
  /** Percentage of rows whose label is flipped, 0..100. */
  readonly noisePercentage: number;
  /** Alternate the classes row by row (drawing until the wanted class comes). */
  readonly balanceClasses: boolean;
}

export const seaDefaults: SEAParams = { function: 1, noisePercentage: 10, balanceClasses: false };

const thresholds = [8, 9, 7, 9.5];

/**
 * SEA concepts (Street & Kim 2001, "A streaming ensemble algorithm (SEA) for
 * large-scale classification"), as MOA's SEAGenerator defines them: three
 * attributes attrib1..attrib3 uniform in [0, 10); the label is groupA when
 * attrib1 + attrib2 <= theta and groupB otherwise, theta being 8, 9, 7 or
 * 9.5 for functions 1..4; attrib3 is irrelevant. Noise flips the label of
 * noisePercentage % of rows, after class balancing, as in MOA.
 * Defaults: function 1, noisePercentage 10, balanceClasses off. MOA's
 * numInstancesConcept option is left out: MOA reads it nowhere.
 */
export class SEAGenerator implements Generator {
  readonly schema: Schema;
  readonly params: SEAParams;
  private readonly rng: Random;
  private readonly theta: number;
  // MOA starts balancing with class 1.
  private nextClassShouldBeZero = false;

  constructor(seed: number, params: Partial<SEAParams> = {}) {
    const p = { ...seaDefaults, ...params };
    checkRange('sea', 'function', p.function, 1, 4, true);
    checkRange('sea', 'noise-percentage', p.noisePercentage, 0, 100, true);
    this.params = p;
    this.theta = thresholds[p.function - 1];
    this.rng = new Random(seed);
    this.schema = { features: ['attrib1', 'attrib2', 'attrib3'], label: 'class', classes: ['groupA', 'groupB'] };
  }

  next(): Sample {
    const x = new Float64Array(3);
    const y = this.nextInto(x, 0);
    return { x, y };
  }

  nextInto(x: Float64Array, o: number): number {
    const rng = this.rng;
    let y: number;
    for (;;) {
      x[o] = 10 * rng.next();
      x[o + 1] = 10 * rng.next();
      x[o + 2] = 10 * rng.next();
      y = x[o] + x[o + 1] <= this.theta ? 0 : 1;
      if (!this.params.balanceClasses) break;
      if ((y === 0) === this.nextClassShouldBeZero) {
        this.nextClassShouldBeZero = !this.nextClassShouldBeZero;
        break;
      }
    }
    if (percentHit(rng, this.params.noisePercentage)) y = 1 - y;
    return y;
  }
}
