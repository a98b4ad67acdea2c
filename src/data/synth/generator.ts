import { fail } from '../../core/errors.js';
import type { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';

/** One generated row: the features and the class index into `schema.classes` (a regression stream's: the target value). */
export interface Sample {
  readonly x: Float64Array;
  readonly y: number;
}

/**
 * An endless, seeded stream of labelled rows. The same seed and parameters
 * give the same rows; `next()` never ends and never fails.
 */
export interface Generator {
  readonly schema: Schema;
  next(): Sample;
  /**
   * Optional: the next row written into out[offset..offset + features), its
   * class (or target value) returned; the very row next() would have given, with no array or
   * object made for it (a stream read a million rows at a time spends more
   * on those than on the drawing).
   */
  nextInto?(out: Float64Array, offset: number): number;
}

/** The generator's next row into out[offset..), its class returned: by nextInto when it has one. */
export function nextRowInto(generator: Generator, out: Float64Array, offset: number): number {
  if (generator.nextInto) return generator.nextInto(out, offset);
  const { x, y } = generator.next();
  for (let j = 0; j < x.length; j++) out[offset + j] = x[j];
  return y;
}

/**
 * Checks a constructor argument, so that a generator made directly (not
 * through the registry, which checks against the ParamSpecs) is refused with
 * the same kind of one-line message rather than producing nonsense rows.
 */
export function checkRange(
  generator: string,
  key: string,
  value: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const what = integer ? 'an integer' : 'a number';
    const upper = max === Number.MAX_SAFE_INTEGER || max === Infinity ? '' : ` and at most ${max}`;
    fail(`${generator}: ${key} must be ${what} at least ${min}${upper} (got ${value})`);
  }
  return value;
}

/**
 * MOA's noise test `1 + nextInt(100) <= percentage`: true with probability
 * exactly percentage / 100. It draws even at 0 %, as MOA does, so that the
 * same seed gives the same attribute values whatever the noise level.
 */
export function percentHit(rng: Random, percentage: number): boolean {
  return rng.int(100) < percentage;
}

/**
 * Standard normal deviates by Marsaglia's polar method, keeping the second
 * deviate of each pair for the next call as java.util.Random.nextGaussian
 * does, so a Gaussian costs about one uniform pair per two deviates.
 */
export class Gaussian {
  private spare = 0;
  private hasSpare = false;

  constructor(private readonly rng: Random) {}

  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.rng.next() - 1;
      v = 2 * this.rng.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }
}

/** att1, att2, ...: MOA's names for anonymous attributes. */
export function numberedNames(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

// V8 keeps typed arrays of up to 64 bytes on the JS heap; a larger one gets
// its own off-heap backing store, which costs about ten times more to make
// and collect than the generating does. Wider rows are therefore carved out
// of shared chunks of about 8 KiB.
const IN_HEAP_BYTES = 64;
const CHUNK_BYTES = 8192;

/**
 * Hands out a fresh Float64Array per row, never reused or overwritten. Rows
 * wider than 8 values are views into a shared chunk of a few kilobytes, so
 * `x.buffer` may hold other rows too and one kept row keeps its chunk alive.
 */
export class RowAllocator {
  private readonly rowsPerChunk: number;
  private chunk: ArrayBuffer | undefined;
  private used = 0;

  constructor(readonly width: number) {
    const bytes = 8 * width;
    this.rowsPerChunk = bytes <= IN_HEAP_BYTES || bytes >= CHUNK_BYTES ? 0 : Math.floor(CHUNK_BYTES / bytes);
  }

  take(): Float64Array {
    if (this.rowsPerChunk === 0) return new Float64Array(this.width);
    if (this.chunk === undefined || this.used === this.rowsPerChunk) {
      this.chunk = new ArrayBuffer(8 * this.width * this.rowsPerChunk);
      this.used = 0;
    }
    return new Float64Array(this.chunk, 8 * this.width * this.used++, this.width);
  }
}
