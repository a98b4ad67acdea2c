import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { numberedNames, RowAllocator, type Generator, type Sample } from './generator.js';

const FEATURES = 10;

/**
 * The category names of Mv's three nominal features, in code order: the
 * rows carry x3, x7 and x8 as these codes (x3 = 0 is green).
 */
export const mvCategories: Readonly<Record<'x3' | 'x7' | 'x8', readonly string[]>> = {
  x3: ['green', 'red', 'brown'],
  x7: ['yes', 'no'],
  x8: ['normal', 'large'],
};

const GREEN = 0, RED = 1, BROWN = 2;
const YES = 0, NO = 1;
const NORMAL = 0, LARGE = 1;

/**
 * Mv, an artificial regression data set with dependent features, numeric
 * and nominal (Luís Torgo's regression data sets, "mv"; River's synth.Mv):
 *
 * - x1 uniform in [−5, 5), x2 uniform in [−15, −10);
 * - x3 nominal: green when x1 > 0, else red (probability 0.4) or brown (0.6);
 * - x4 = x1 + 2 x2 when x3 is green, else x1 / 2 (probability 0.3) or x2 / 2 (0.7);
 * - x5 uniform in [−1, 1); x6 = x4 · ε with ε uniform in [0, 5);
 * - x7 nominal: yes (probability 0.3) or no (0.7);
 * - x8 nominal: normal when x5 < 0.5, else large;
 * - x9 uniform in [100, 500); x10 a uniform integer in 1000..1200.
 *
 * The target: if x2 > 2, 35 − 0.5 x4; else if −2 <= x4 <= 2, 10 − 2 x1;
 * else if x7 is yes, 3 − x1 / x4; else if x8 is normal, x6 + x1; else x1 / 2.
 * (x2 > 2 never holds, since x2 < −10; the rule is kept as Torgo states it.)
 * There is no added noise. Nominal features are emitted as the codes of
 * `mvCategories`. x10 is an integer as Torgo and River's documentation
 * define it (River's code draws a real number there; x10 never enters the
 * target). No parameters.
 *
 * @example
 * const stream = new MvGenerator(1);
 * const { x, y } = stream.next(); // x[2] is 0, 1 or 2 (green, red, brown)
 */
export class MvGenerator implements Generator {
  readonly schema: Schema = {
    features: numberedNames('x', FEATURES),
    label: 'y',
    classes: [],
    task: 'regression',
    nominal: numberedNames('x', FEATURES).map((f) => f in mvCategories),
  };
  private readonly rng: Random;
  private readonly rows = new RowAllocator(FEATURES);

  constructor(seed: number) {
    this.rng = new Random(seed);
  }

  next(): Sample {
    const x = this.rows.take();
    const y = this.nextInto(x, 0);
    return { x, y };
  }

  nextInto(x: Float64Array, o: number): number {
    const rng = this.rng;
    const x1 = -5 + 10 * rng.next();
    const x2 = -15 + 5 * rng.next();
    const x3 = x1 > 0 ? GREEN : rng.next() < 0.4 ? RED : BROWN;
    let x4: number;
    if (x3 === GREEN) x4 = x1 + 2 * x2;
    else x4 = rng.next() < 0.3 ? x1 / 2 : x2 / 2;
    const x5 = -1 + 2 * rng.next();
    const x6 = x4 * (5 * rng.next());
    const x7 = rng.next() < 0.3 ? YES : NO;
    const x8 = x5 < 0.5 ? NORMAL : LARGE;
    const x9 = 100 + 400 * rng.next();
    const x10 = 1000 + rng.int(201);
    x[o] = x1;
    x[o + 1] = x2;
    x[o + 2] = x3;
    x[o + 3] = x4;
    x[o + 4] = x5;
    x[o + 5] = x6;
    x[o + 6] = x7;
    x[o + 7] = x8;
    x[o + 8] = x9;
    x[o + 9] = x10;
    if (x2 > 2) return 35 - 0.5 * x4;
    if (x4 >= -2 && x4 <= 2) return 10 - 2 * x1;
    // x4 is outside [-2, 2] here, so never 0; River guards the division anyway.
    if (x7 === YES) return 3 - x1 / x4;
    if (x8 === NORMAL) return x6 + x1;
    return x1 / 2;
  }
}
