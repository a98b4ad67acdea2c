import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, numberedNames, percentHit, RowAllocator, type Generator, type Sample } from './generator.js';

export interface LEDParams {
  /** Percentage chance that each of the seven segments is inverted, 0..100. */
  readonly noisePercentage: number;
  /** Emit only the seven segments, without the 17 irrelevant attributes. */
  readonly suppressIrrelevantAttributes: boolean;
}

export const ledDefaults: LEDParams = { noisePercentage: 10, suppressIrrelevantAttributes: false };

export interface LEDDriftParams extends LEDParams {
  /** How many segments trade places with an irrelevant attribute, 0..7. */
  readonly numberAttributesDrift: number;
}

export const ledDriftDefaults: LEDDriftParams = { ...ledDefaults, numberAttributesDrift: 1 };

/** Relevant segments, as in Breiman et al. and MOA. */
export const LED_SEGMENTS = 7;
/** Irrelevant attributes after the segments, as in MOA. */
export const LED_IRRELEVANT = 17;

/**
 * Segments lit for each digit 0..9, in the order top, upper left, upper
 * right, middle, lower left, lower right, bottom.
 */
export const ledDigits: readonly (readonly number[])[] = [
  [1, 1, 1, 0, 1, 1, 1],
  [0, 0, 1, 0, 0, 1, 0],
  [1, 0, 1, 1, 1, 0, 1],
  [1, 0, 1, 1, 0, 1, 1],
  [0, 1, 1, 1, 0, 1, 0],
  [1, 1, 0, 1, 0, 1, 1],
  [1, 1, 0, 1, 1, 1, 1],
  [1, 0, 1, 0, 0, 1, 0],
  [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 1, 1],
];

/**
 * The LED display problem (Breiman, Friedman, Olshen & Stone 1984,
 * "Classification and Regression Trees"), as MOA's LEDGenerator defines it:
 * a digit 0..9 is drawn uniformly and shown on seven binary segments
 * (att1..att7), each inverted with probability noisePercentage %; 17 further
 * binary attributes (att8..att24) are uniformly random and irrelevant. The
 * label is the digit ("0".."9").
 * Defaults: noisePercentage 10, suppressIrrelevantAttributes off (24 attributes).
 */
export class LEDGenerator implements Generator {
  readonly schema: Schema;
  readonly params: LEDParams;
  private readonly rng: Random;
  // Where each of the 24 source attributes is written in the row; the drift
  // variant swaps entries, the plain generator keeps them in place.
  protected readonly placement: Int32Array;
  private readonly rows: RowAllocator;

  constructor(seed: number, params: Partial<LEDParams> = {}, name = 'led') {
    const p = { ...ledDefaults, ...params };
    checkRange(name, 'noise-percentage', p.noisePercentage, 0, 100, true);
    this.params = p;
    this.rng = new Random(seed);
    const n = p.suppressIrrelevantAttributes ? LED_SEGMENTS : LED_SEGMENTS + LED_IRRELEVANT;
    this.placement = new Int32Array(LED_SEGMENTS + LED_IRRELEVANT);
    for (let i = 0; i < this.placement.length; i++) this.placement[i] = i;
    this.rows = new RowAllocator(n);
    this.schema = {
      features: numberedNames('att', n),
      label: 'class',
      classes: Array.from({ length: 10 }, (_, i) => String(i)),
      // MOA declares every LED attribute nominal, with values 0 and 1.
      nominal: new Array<boolean>(n).fill(true),
    };
  }

  next(): Sample {
    const rng = this.rng;
    const to = this.placement;
    const x = this.rows.take();
    const digit = rng.int(10);
    const segments = ledDigits[digit];
    const noise = this.params.noisePercentage;
    for (let i = 0; i < LED_SEGMENTS; i++) {
      x[to[i]] = percentHit(rng, noise) ? 1 - segments[i] : segments[i];
    }
    if (!this.params.suppressIrrelevantAttributes) {
      // One 32-bit draw holds the 17 fair coin flips MOA makes one by one.
      let bits = rng.nextUint32();
      for (let i = LED_SEGMENTS; i < LED_SEGMENTS + LED_IRRELEVANT; i++) {
        x[to[i]] = bits & 1;
        bits >>>= 1;
      }
    }
    return { x, y: digit };
  }
}

/**
 * MOA's LEDGeneratorDrift: the LED stream in which segment i (for i below
 * numberAttributesDrift) trades places with irrelevant attribute i, so that
 * att(i+1) carries noise and att(i+8) carries the segment. The swap is fixed
 * for the generator's life; drift arises when a ConceptDriftStream moves
 * from one setting to another, as in Bifet et al. 2009 ("New ensemble
 * methods for evolving data streams", KDD). As in MOA, nothing is swapped
 * when the irrelevant attributes are suppressed.
 * Defaults: those of LEDGenerator, numberAttributesDrift 1.
 */
export class LEDGeneratorDrift extends LEDGenerator {
  override readonly params: LEDDriftParams;

  constructor(seed: number, params: Partial<LEDDriftParams> = {}) {
    const p = { ...ledDriftDefaults, ...params };
    super(seed, p, 'led-drift');
    checkRange('led-drift', 'number-attributes-drift', p.numberAttributesDrift, 0, LED_SEGMENTS, true);
    this.params = p;
    if (!p.suppressIrrelevantAttributes) {
      for (let i = 0; i < p.numberAttributesDrift; i++) {
        this.placement[i] = LED_SEGMENTS + i;
        this.placement[LED_SEGMENTS + i] = i;
      }
    }
  }
}
