import type { Random } from '../core/random.js';

// Rows are held as float32, what the network takes: half the memory of the float64 rows given, and
// nothing lost that a step would have used.

/** Rows learned but not yet stepped on, in arrival order; grows as needed. */
export class RowQueue {
  x = new Float32Array(0);
  y = new Int32Array(0);
  rows = 0;

  constructor(private readonly d: number) {}

  push(x: ArrayLike<number>, y: ArrayLike<number>, n: number): void {
    const d = this.d;
    if (this.rows + n > this.y.length) {
      const capacity = Math.max(this.rows + n, this.y.length * 2, 8);
      const wx = new Float32Array(capacity * d);
      wx.set(this.x.subarray(0, this.rows * d));
      const wy = new Int32Array(capacity);
      wy.set(this.y.subarray(0, this.rows));
      this.x = wx;
      this.y = wy;
    }
    const o = this.rows * d;
    for (let i = 0; i < n * d; i++) this.x[o + i] = x[i];
    for (let i = 0; i < n; i++) this.y[this.rows + i] = y[i];
    this.rows += n;
  }

  clear(): void {
    this.rows = 0;
  }
}

/**
 * The replay buffer: the `capacity` rows pushed most recently, in a ring
 * that grows by doubling up to its capacity, so a large buffer costs memory
 * only once it fills.
 */
export class RowRing {
  private x = new Float32Array(0);
  private y = new Int32Array(0);
  rows = 0;
  /** Where the next row goes: equal to `rows` until the ring is full, then the oldest row. */
  private next = 0;

  constructor(
    private readonly d: number,
    private readonly capacity: number,
  ) {}

  /** Pushes row i of x and y (row-major x), pushing out the oldest row once full. */
  push(x: Float32Array, y: Int32Array, i: number): void {
    const { d, capacity } = this;
    if (capacity === 0) return;
    if (this.rows < capacity && this.rows === this.y.length) this.grow();
    const at = this.next;
    this.x.set(x.subarray(i * d, i * d + d), at * d);
    this.y[at] = y[i];
    this.next = at + 1 === capacity ? 0 : at + 1;
    if (this.rows < capacity) this.rows++;
  }

  /** Writes `count` rows drawn uniformly with replacement into x and y from row `at` on; returns count. */
  sampleInto(x: Float32Array, y: Int32Array, at: number, count: number, rng: Random): number {
    const d = this.d;
    // By age, not by slot: a ring restored from a save (oldest row in slot 0) then draws the same rows.
    const oldest = this.rows < this.capacity ? 0 : this.next;
    for (let i = 0; i < count; i++) {
      let r = oldest + rng.int(this.rows);
      if (r >= this.capacity) r -= this.capacity;
      x.set(this.x.subarray(r * d, r * d + d), (at + i) * d);
      y[at + i] = this.y[r];
    }
    return count;
  }

  /** The rows, oldest first. */
  oldestFirst(): { x: Float32Array; y: Int32Array } {
    const { d, rows } = this;
    const x = new Float32Array(rows * d);
    const y = new Int32Array(rows);
    const oldest = rows < this.capacity ? 0 : this.next;
    for (let i = 0; i < rows; i++) {
      const slot = (oldest + i) % this.capacity;
      x.set(this.x.subarray(slot * d, slot * d + d), i * d);
      y[i] = this.y[slot];
    }
    return { x, y };
  }

  private grow(): void {
    const capacity = Math.min(this.capacity, Math.max(64, this.y.length * 2));
    const x = new Float32Array(capacity * this.d);
    x.set(this.x);
    const y = new Int32Array(capacity);
    y.set(this.y);
    this.x = x;
    this.y = y;
  }
}
