/**
 * Regression metrics for data streams, computed incrementally in constant
 * memory (MOA's BasicRegressionPerformanceEvaluator, River's metrics.MAE,
 * RMSE and R2):
 *
 * - MAE, the mean absolute error, and RMSE, the root of the mean squared error;
 * - R² = 1 − SSE / SST, where SST is the sum of squares of the targets about
 *   their own running mean (Welford 1962), so R² compares the model with the
 *   best constant a stream learner could have known in hindsight and needs no
 *   target mean given in advance. 0 is as good as that constant, below 0 worse.
 *   With fewer than two rows, or targets all equal (SST = 0), R² is NaN,
 *   as scikit-learn's r2_score warns of: there is no spread to explain.
 * - On zero rows every metric is NaN.
 */
export interface RegressionSummary {
  readonly rows: number;
  readonly mae: number;
  readonly rmse: number;
  readonly r2: number;
  /** The mean of the targets seen. */
  readonly targetMean: number;
}

/** Running MAE, RMSE and R² over every row seen. */
export class RegressionMetrics {
  private n = 0;
  private absSum = 0;
  private sqSum = 0;
  private mean = 0;
  private m2 = 0;

  update(truth: number, predicted: number): void {
    const e = truth - predicted;
    this.n++;
    this.absSum += Math.abs(e);
    this.sqSum += e * e;
    const d = truth - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (truth - this.mean);
  }

  get rows(): number {
    return this.n;
  }

  get mae(): number {
    return this.n === 0 ? NaN : this.absSum / this.n;
  }

  get rmse(): number {
    return this.n === 0 ? NaN : Math.sqrt(this.sqSum / this.n);
  }

  get r2(): number {
    return this.n < 2 || this.m2 === 0 ? NaN : 1 - this.sqSum / this.m2;
  }

  summary(): RegressionSummary {
    return { rows: this.n, mae: this.mae, rmse: this.rmse, r2: this.r2, targetMean: this.n === 0 ? NaN : this.mean };
  }
}

/**
 * MAE, RMSE and R² over the last `size` rows only (MOA's windowed
 * evaluator): the curve a drifting stream's recovery shows in. R² here is
 * against the window's own target mean. Sums are recomputed from the window
 * every `size` rows, so rounding does not build up over a long stream.
 */
export class WindowedRegressionMetrics {
  private readonly truths: Float64Array;
  private readonly errors: Float64Array;
  private next = 0;
  private filled = 0;
  private absSum = 0;
  private sqSum = 0;
  private ySum = 0;
  private ySqSum = 0;
  private sinceRefresh = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`WindowedRegressionMetrics: size must be a positive integer, got ${size}`);
    this.truths = new Float64Array(size);
    this.errors = new Float64Array(size);
  }

  update(truth: number, predicted: number): void {
    if (this.filled === this.size) {
      const oldE = this.errors[this.next];
      const oldY = this.truths[this.next];
      this.absSum -= Math.abs(oldE);
      this.sqSum -= oldE * oldE;
      this.ySum -= oldY;
      this.ySqSum -= oldY * oldY;
    } else this.filled++;
    const e = truth - predicted;
    this.errors[this.next] = e;
    this.truths[this.next] = truth;
    this.absSum += Math.abs(e);
    this.sqSum += e * e;
    this.ySum += truth;
    this.ySqSum += truth * truth;
    this.next = (this.next + 1) % this.size;
    if (++this.sinceRefresh === this.size) this.refresh();
  }

  private refresh(): void {
    this.sinceRefresh = 0;
    let a = 0;
    let s = 0;
    let y = 0;
    let y2 = 0;
    for (let i = 0; i < this.filled; i++) {
      const e = this.errors[i];
      a += Math.abs(e);
      s += e * e;
      y += this.truths[i];
      y2 += this.truths[i] * this.truths[i];
    }
    this.absSum = a;
    this.sqSum = s;
    this.ySum = y;
    this.ySqSum = y2;
  }

  /** Rows now in the window. */
  get count(): number {
    return this.filled;
  }

  get mae(): number {
    return this.filled === 0 ? NaN : this.absSum / this.filled;
  }

  get rmse(): number {
    return this.filled === 0 ? NaN : Math.sqrt(Math.max(0, this.sqSum) / this.filled);
  }

  get r2(): number {
    if (this.filled < 2) return NaN;
    let sst = this.ySqSum - (this.ySum * this.ySum) / this.filled;
    // Cancellation can leave a tiny or negative SST for near-constant targets: recompute it exactly then.
    if (!(sst > 1e-9 * this.ySqSum)) {
      const m = this.ySum / this.filled;
      sst = 0;
      for (let i = 0; i < this.filled; i++) sst += (this.truths[i] - m) ** 2;
    }
    return sst === 0 ? NaN : 1 - Math.max(0, this.sqSum) / sst;
  }
}
