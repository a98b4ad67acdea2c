import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, type Generator, type Sample } from './generator.js';

export interface STAGGERParams {
  /** Which concept labels the rows, 1..3. */
  readonly function: number;
  /** Alternate the classes row by row (drawing until the wanted class comes). */
  readonly balanceClasses: boolean;
}

export const staggerDefaults: STAGGERParams = { function: 1, balanceClasses: false };

/** Codes of the nominal values, in MOA's order. */
export const staggerValues = {
  size: ['small', 'medium', 'large'],
  color: ['red', 'blue', 'green'],
  shape: ['circle', 'square', 'triangle'],
} as const;

type Concept = (size: number, color: number, shape: number) => boolean;

const concepts: readonly Concept[] = [
  (size, color) => size === 0 && color === 0, // small and red
  (_size, color, shape) => color === 2 || shape === 0, // green or circle
  (size) => size === 1 || size === 2, // medium or large
];

/**
 * The STAGGER concepts (Schlimmer & Granger 1986, "Incremental learning from
 * noisy data", Machine Learning 1, page 341), as MOA's STAGGERGenerator
 * defines them: size (small, medium, large), color (red, blue, green) and
 * shape (circle, square, triangle), each uniform and emitted as its integer
 * code 0..2. The label is "true" for function 1 when size is small and color
 * red, for function 2 when color is green or shape circle, for function 3
 * when size is medium or large; "false" otherwise. No noise.
 * Defaults: function 1, balanceClasses off.
 */
export class STAGGERGenerator implements Generator {
  readonly schema: Schema;
  readonly params: STAGGERParams;
  private readonly rng: Random;
  private readonly concept: Concept;
  private nextClassShouldBeZero = false;

  constructor(seed: number, params: Partial<STAGGERParams> = {}) {
    const p = { ...staggerDefaults, ...params };
    checkRange('stagger', 'function', p.function, 1, 3, true);
    this.params = p;
    this.concept = concepts[p.function - 1];
    this.rng = new Random(seed);
    this.schema = {
      features: ['size', 'color', 'shape'],
      label: 'class',
      classes: ['false', 'true'],
      nominal: [true, true, true],
    };
  }

  next(): Sample {
    const rng = this.rng;
    let size: number, color: number, shape: number, y: number;
    for (;;) {
      size = rng.int(3);
      color = rng.int(3);
      shape = rng.int(3);
      y = this.concept(size, color, shape) ? 1 : 0;
      if (!this.params.balanceClasses) break;
      if ((y === 0) === this.nextClassShouldBeZero) {
        this.nextClassShouldBeZero = !this.nextClassShouldBeZero;
        break;
      }
    }
    const x = new Float64Array(3);
    x[0] = size;
    x[1] = color;
    x[2] = shape;
    return { x, y };
  }
}
