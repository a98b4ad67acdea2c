import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, Gaussian, numberedNames, RowAllocator, type Generator, type Sample } from './generator.js';

const FEATURES = 10;

export interface Planes2DParams {
  /** Standard deviation of the Gaussian noise added to the target; 0 gives the exact planes. */
  readonly noise: number;
}

export const planes2dDefaults: Planes2DParams = { noise: 1 };

/**
 * Breiman's 2-D planes (Breiman, Friedman, Olshen & Stone 1984,
 * "Classification and Regression Trees"; Torgo's "2dplanes";
 * River's synth.Planes2D): x1 is −1 or 1 with equal odds, x2..x10 each −1,
 * 0 or 1 with equal odds, and the target lies on one of two planes chosen
 * by x1:
 *
 *   x1 = 1:  y = 3 + 3 x2 + 2 x3 + x4 + noise · N(0, 1)
 *   x1 = −1: y = −3 + 3 x5 + 2 x6 + x7 + noise · N(0, 1)
 *
 * x8..x10 are irrelevant. The features are numeric (their values are
 * ordered and the planes are linear in them). The Gaussian is drawn even
 * when noise is 0, so the same seed gives the same features at every noise
 * level. Default: noise 1 (Torgo's and River's unit variance).
 *
 * @example
 * const stream = new Planes2DGenerator(1, { noise: 0 });
 * const { x, y } = stream.next(); // y is exactly on the plane x[0] picks
 */
export class Planes2DGenerator implements Generator {
  readonly schema: Schema = { features: numberedNames('x', FEATURES), label: 'y', classes: [], task: 'regression' };
  readonly params: Planes2DParams;
  private readonly rng: Random;
  private readonly gaussian: Gaussian;
  private readonly rows = new RowAllocator(FEATURES);

  constructor(seed: number, params: Partial<Planes2DParams> = {}) {
    const p = { ...planes2dDefaults, ...params };
    checkRange('planes2d', 'noise', p.noise, 0, Infinity, false);
    this.params = p;
    this.rng = new Random(seed);
    this.gaussian = new Gaussian(this.rng);
  }

  next(): Sample {
    const x = this.rows.take();
    const y = this.nextInto(x, 0);
    return { x, y };
  }

  nextInto(x: Float64Array, o: number): number {
    const rng = this.rng;
    x[o] = rng.int(2) === 0 ? -1 : 1;
    for (let j = 1; j < FEATURES; j++) x[o + j] = rng.int(3) - 1;
    const plane =
      x[o] === 1
        ? 3 + 3 * x[o + 1] + 2 * x[o + 2] + x[o + 3]
        : -3 + 3 * x[o + 4] + 2 * x[o + 5] + x[o + 6];
    return plane + this.params.noise * this.gaussian.next();
  }
}
