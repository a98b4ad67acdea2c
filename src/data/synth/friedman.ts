import { fail } from '../../core/errors.js';
import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, Gaussian, numberedNames, RowAllocator, type Generator, type Sample } from './generator.js';

const FEATURES = 10;

/** The regression schema the Friedman streams share: x1..x10, all numeric, target y. */
function friedmanSchema(): Schema {
  return { features: numberedNames('x', FEATURES), label: 'y', classes: [], task: 'regression' };
}

/** Friedman's function #1 on the first five features, 0-based: 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4 + 5 x5. */
function friedman1(x: Float64Array, o: number): number {
  const c = x[o + 2] - 0.5;
  return 10 * Math.sin(Math.PI * x[o] * x[o + 1]) + 20 * (c * c) + 10 * x[o + 3] + 5 * x[o + 4];
}

export interface FriedmanParams {
  /** Standard deviation of the Gaussian noise added to the target; 0 gives the exact function. */
  readonly noise: number;
}

export const friedmanDefaults: FriedmanParams = { noise: 1 };

/**
 * Friedman #1 (Friedman 1991, "Multivariate adaptive regression splines",
 * Annals of Statistics 19(1)), as River's synth.Friedman draws
 * it: ten features x1..x10 uniform in [0, 1), of which only the first five
 * matter, and the target
 *
 *   y = 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4 + 5 x5 + noise · N(0, 1).
 *
 * The Gaussian is drawn even when noise is 0, so that the same seed gives
 * the same features at every noise level. Default: noise 1 (the paper's and
 * River's unit variance).
 *
 * @example
 * const stream = new FriedmanGenerator(1);
 * const { x, y } = stream.next(); // x: 10 features in [0, 1), y: the noisy target
 */
export class FriedmanGenerator implements Generator {
  readonly schema: Schema = friedmanSchema();
  readonly params: FriedmanParams;
  private readonly rng: Random;
  private readonly gaussian: Gaussian;
  private readonly rows = new RowAllocator(FEATURES);

  constructor(seed: number, params: Partial<FriedmanParams> = {}) {
    const p = { ...friedmanDefaults, ...params };
    checkRange('friedman', 'noise', p.noise, 0, Infinity, false);
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
    for (let j = 0; j < FEATURES; j++) x[o + j] = this.rng.next();
    return friedman1(x, o) + this.params.noise * this.gaussian.next();
  }
}

/** The three drift scenarios of Ikonomovska, Gama & Džeroski 2011. */
export type FriedmanDriftType = 'lea' | 'gra' | 'gsg';
export const friedmanDriftTypes: readonly FriedmanDriftType[] = ['lea', 'gra', 'gsg'];

export interface FriedmanDriftParams {
  /** lea: local expanding abrupt; gra: global recurring abrupt; gsg: global and slow gradual. */
  readonly driftType: FriedmanDriftType;
  /** Rows before the first change. */
  readonly position1: number;
  /** Rows before the second change. */
  readonly position2: number;
  /** Rows before the third change (lea only; the other two types have two changes). */
  readonly position3: number;
  /** gsg only: rows after each change during which the old concept still labels half the rows. */
  readonly transitionWindow: number;
  /** Standard deviation of the Gaussian noise added to the target. */
  readonly noise: number;
}

export const friedmanDriftDefaults: FriedmanDriftParams = {
  driftType: 'lea',
  position1: 50_000,
  position2: 100_000,
  position3: 150_000,
  transitionWindow: 10_000,
  noise: 1,
};

// The drifted concepts, 0-based feature indices as in River's code.
// gra's second concept: 10 sin(π x4 x6) + 20 (x2 − 0.5)² + 10 x1 + 5 x3.
function graSwapped(x: Float64Array, o: number): number {
  const c = x[o + 1] - 0.5;
  return 10 * Math.sin(Math.PI * x[o + 3] * x[o + 5]) + 20 * (c * c) + 10 * x[o] + 5 * x[o + 2];
}

// gsg's second concept: 10 sin(π x4 x5) + 20 (x2 − 0.5)² + 10 x1 + 5 x3.
function gsgSecond(x: Float64Array, o: number): number {
  const c = x[o + 1] - 0.5;
  return 10 * Math.sin(Math.PI * x[o + 3] * x[o + 4]) + 20 * (c * c) + 10 * x[o] + 5 * x[o + 2];
}

// gsg's third concept: 10 sin(π x2 x5) + 20 (x4 − 0.5)² + 10 x3 + 5 x1.
function gsgThird(x: Float64Array, o: number): number {
  const c = x[o + 3] - 0.5;
  return 10 * Math.sin(Math.PI * x[o + 1] * x[o + 4]) + 20 * (c * c) + 10 * x[o + 2] + 5 * x[o];
}

/**
 * Friedman #1 with concept drift (Ikonomovska, Gama & Džeroski 2011,
 * "Learning model trees from evolving data streams", Data Mining and
 * Knowledge Discovery 23(1)), as River's synth.FriedmanDrift
 * defines it. Features and noise are Friedman #1's; the row with 0-based
 * index t (t rows before it) is labelled by a function that depends on t:
 *
 * - lea, local expanding abrupt: three changes, at position1..3. From each
 *   change on, two regions of the space follow other functions, region 1
 *   (x2 < 0.3, x3 < 0.3, x4 > 0.7, x5 < 0.3) 10 x1 x2 + 20 (x3 − 0.5) +
 *   10 x4 + 5 x5, and region 2 (x2 > 0.7, x3 > 0.7, x4 < 0.3, x5 > 0.7)
 *   10 cos(x1 x2) + 20 (x3 − 0.5) + e^x4 + 5 x5²; at the second change the
 *   conditions on x5 are dropped, at the third those on x4 too, so the
 *   regions grow. The rest of the space keeps Friedman #1.
 * - gra, global recurring abrupt: from position1 the whole space follows
 *   10 sin(π x4 x6) + 20 (x2 − 0.5)² + 10 x1 + 5 x3 (River's code; the paper
 *   writes x4 x5), and from position2 Friedman #1 returns.
 * - gsg, global and slow gradual: from position1 the space follows
 *   10 sin(π x4 x5) + 20 (x2 − 0.5)² + 10 x1 + 5 x3, from position2
 *   10 sin(π x2 x5) + 20 (x4 − 0.5)² + 10 x3 + 5 x1; for transitionWindow
 *   rows after each change, each row keeps the old concept with probability
 *   1/2 (a coin from its own seeded generator, tossed only inside a window).
 *
 * So with position p, rows 1..p (1-based) are before the change, as in
 * ConceptDriftStream. Defaults (River's): lea, positions 50,000, 100,000 and
 * 150,000, transition window 10,000, noise 1. The positions must increase
 * (position3 is ignored by gra and gsg) and a gsg window must fit between
 * its two changes.
 *
 * @example
 * const stream = new FriedmanDriftGenerator(1, { driftType: 'gra', position1: 1000, position2: 2000 });
 * for (let i = 0; i < 3000; i++) stream.next(); // rows 1001..2000 follow the swapped concept
 */
export class FriedmanDriftGenerator implements Generator {
  readonly schema: Schema = friedmanSchema();
  readonly params: FriedmanDriftParams;
  private readonly rng: Random;
  private readonly gaussian: Gaussian;
  private readonly coin: Random;
  private readonly rows = new RowAllocator(FEATURES);
  /** Rows generated so far: the 0-based index of the next row. */
  private index = 0;

  constructor(seed: number, params: Partial<FriedmanDriftParams> = {}) {
    const p = { ...friedmanDriftDefaults, ...params };
    if (!friedmanDriftTypes.includes(p.driftType)) {
      fail(`friedman-drift: drift-type must be one of ${friedmanDriftTypes.join(', ')} (got ${String(p.driftType)})`);
    }
    const max = Number.MAX_SAFE_INTEGER;
    checkRange('friedman-drift', 'position1', p.position1, 0, max, true);
    checkRange('friedman-drift', 'position2', p.position2, 0, max, true);
    checkRange('friedman-drift', 'position3', p.position3, 0, max, true);
    checkRange('friedman-drift', 'transition-window', p.transitionWindow, 0, max, true);
    checkRange('friedman-drift', 'noise', p.noise, 0, Infinity, false);
    if (p.position2 <= p.position1) {
      fail(`friedman-drift: position2 (${p.position2}) must be greater than position1 (${p.position1})`);
    }
    if (p.driftType === 'lea' && p.position3 <= p.position2) {
      fail(`friedman-drift: position3 (${p.position3}) must be greater than position2 (${p.position2}) for drift type lea`);
    }
    if (p.driftType === 'gsg' && p.transitionWindow > p.position2 - p.position1) {
      fail(
        `friedman-drift: transition-window (${p.transitionWindow}) must not exceed position2 - position1 (${p.position2 - p.position1})`,
      );
    }
    this.params = p;
    this.rng = new Random(seed);
    this.gaussian = new Gaussian(this.rng);
    this.coin = Random.derive(seed, 'friedman-drift:transition');
  }

  next(): Sample {
    const x = this.rows.take();
    const y = this.nextInto(x, 0);
    return { x, y };
  }

  nextInto(x: Float64Array, o: number): number {
    for (let j = 0; j < FEATURES; j++) x[o + j] = this.rng.next();
    const t = this.index++;
    return this.concept(x, o, t) + this.params.noise * this.gaussian.next();
  }

  private concept(x: Float64Array, o: number, t: number): number {
    const { driftType, position1, position2 } = this.params;
    if (driftType === 'gra') return t >= position1 && t < position2 ? graSwapped(x, o) : friedman1(x, o);
    if (driftType === 'gsg') {
      if (t < position1) return friedman1(x, o);
      if (t < position2) return this.keepsOld(t, position1) ? friedman1(x, o) : gsgSecond(x, o);
      return this.keepsOld(t, position2) ? gsgSecond(x, o) : gsgThird(x, o);
    }
    return this.localExpanding(x, o, t);
  }

  /** Inside the window after a change, a fair coin keeps the old concept. */
  private keepsOld(t: number, change: number): boolean {
    return t < change + this.params.transitionWindow && (this.coin.nextUint32() & 1) === 1;
  }

  private localExpanding(x: Float64Array, o: number, t: number): number {
    const { position1, position2, position3 } = this.params;
    if (t < position1) return friedman1(x, o);
    // Each change drops one more condition, so the two regions expand.
    const stage = t < position2 ? 1 : t < position3 ? 2 : 3;
    const x1 = x[o], x2 = x[o + 1], x3 = x[o + 2], x4 = x[o + 3], x5 = x[o + 4];
    const inR1 = x2 < 0.3 && x3 < 0.3 && (stage === 3 || x4 > 0.7) && (stage !== 1 || x5 < 0.3);
    if (inR1) return 10 * x1 * x2 + 20 * (x3 - 0.5) + 10 * x4 + 5 * x5;
    const inR2 = x2 > 0.7 && x3 > 0.7 && (stage === 3 || x4 < 0.3) && (stage !== 1 || x5 > 0.7);
    if (inR2) return 10 * Math.cos(x1 * x2) + 20 * (x3 - 0.5) + Math.exp(x4) + 5 * (x5 * x5);
    return friedman1(x, o);
  }
}
