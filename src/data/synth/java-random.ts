/**
 * The linear congruential generator of java.util.Random, as specified in the
 * Java SE API documentation (48-bit state, multiplier 0x5DEECE66D, addend
 * 0xB), with its nextDouble and nextInt. MOA draws the concept of some
 * generators (Random RBF's centroids) from java.util.Random seeded with the
 * model seed; drawing them the same way gives the very same concept, so that
 * accuracies can be compared with MOA's on the same stream. Only for those
 * few model draws: rows use the project's own faster generator.
 */
export class JavaRandom {
  private static readonly MULTIPLIER = 0x5deece66dn;
  private static readonly MASK = (1n << 48n) - 1n;
  private state: bigint;

  constructor(seed: number) {
    this.state = (BigInt.asIntN(64, BigInt(seed)) ^ JavaRandom.MULTIPLIER) & JavaRandom.MASK;
  }

  /** java.util.Random.next(bits): the top `bits` bits of the new state, as a signed 32-bit int. */
  private bits(bits: number): number {
    this.state = (this.state * JavaRandom.MULTIPLIER + 0xbn) & JavaRandom.MASK;
    return Number(BigInt.asIntN(32, this.state >> BigInt(48 - bits)));
  }

  /** java.util.Random.nextDouble(): uniform in [0, 1) from 53 bits. */
  next(): number {
    return (this.bits(26) * 134217728 + this.bits(27)) / 9007199254740992;
  }

  /** java.util.Random.nextInt(bound), without modulo bias as Java does it. */
  int(bound: number): number {
    if (!(bound > 0) || !Number.isInteger(bound) || bound > 0x7fffffff) throw new RangeError(`JavaRandom.int: bad bound ${bound}`);
    if ((bound & -bound) === bound) {
      return Number((BigInt(bound) * BigInt(this.bits(31))) >> 31n);
    }
    for (;;) {
      const bits = this.bits(31);
      const value = bits % bound;
      // Java rejects draws from the last, incomplete run of `bound` values (int overflow test).
      if (bits - value + (bound - 1) <= 0x7fffffff) return value;
    }
  }
}
