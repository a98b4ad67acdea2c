import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, type Generator, type Sample } from './generator.js';

export interface SineParams {
  /** Which curve and orientation labels the rows, 1..4. */
  readonly function: number;
  /** Emit only att1 and att2, without the two irrelevant attributes. */
  readonly suppressIrrelevantAttributes: boolean;
  /** Alternate the classes row by row (drawing until the wanted class comes). */
  readonly balanceClasses: boolean;
}

export const sineDefaults: SineParams = { function: 1, suppressIrrelevantAttributes: false, balanceClasses: false };

/** Index 0 is "positive", 1 "negative", as in MOA's header. */
type Curve = (x: number, y: number) => number;

const curves: readonly Curve[] = [
  (x, y) => (y < Math.sin(x) ? 0 : 1),
  (x, y) => (y >= Math.sin(x) ? 0 : 1),
  (x, y) => (y < 0.5 + 0.3 * Math.sin(3 * Math.PI * x) ? 0 : 1),
  (x, y) => (y >= 0.5 + 0.3 * Math.sin(3 * Math.PI * x) ? 0 : 1),
];

/**
 * The sine concepts (Gama, Medas, Castillo & Rodrigues 2004, "Learning with
 * drift detection", SBIA), as MOA's SineGenerator defines them: att1 and
 * att2 uniform in [0, 1). Function 1 labels a row "positive" when
 * att2 < sin(att1), function 2 reverses it; function 3 labels it "positive"
 * when att2 < 0.5 + 0.3 sin(3 pi att1), function 4 reverses that. Two
 * irrelevant attributes att3, att4 uniform in [0, 1) follow unless
 * suppressed (River calls them noise); the labels carry no noise, as in MOA.
 * Defaults: function 1, suppressIrrelevantAttributes off, balanceClasses off.
 */
export class SineGenerator implements Generator {
  readonly schema: Schema;
  readonly params: SineParams;
  private readonly rng: Random;
  private readonly curve: Curve;
  private nextClassShouldBeZero = false;

  constructor(seed: number, params: Partial<SineParams> = {}) {
    const p = { ...sineDefaults, ...params };
    checkRange('sine', 'function', p.function, 1, 4, true);
    this.params = p;
    this.curve = curves[p.function - 1];
    this.rng = new Random(seed);
    this.schema = {
      features: p.suppressIrrelevantAttributes ? ['att1', 'att2'] : ['att1', 'att2', 'att3', 'att4'],
      label: 'class',
      classes: ['positive', 'negative'],
    };
  }

  next(): Sample {
    const rng = this.rng;
    let a1: number, a2: number, y: number;
    for (;;) {
      a1 = rng.next();
      a2 = rng.next();
      y = this.curve(a1, a2);
      if (!this.params.balanceClasses) break;
      if ((y === 0) === this.nextClassShouldBeZero) {
        this.nextClassShouldBeZero = !this.nextClassShouldBeZero;
        break;
      }
    }
    const x = new Float64Array(this.schema.features.length);
    x[0] = a1;
    x[1] = a2;
    if (x.length > 2) {
      x[2] = rng.next();
      x[3] = rng.next();
    }
    return { x, y };
  }
}
