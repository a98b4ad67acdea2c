/**
 * Classification metrics for data streams, computed incrementally: one row
 * at a time, in constant memory per class, so that a prequential run can
 * report them at any point without keeping its predictions.
 *
 * Conventions, chosen to agree with scikit-learn where it has one:
 *
 * - Classes are indices 0, 1, 2, ...; the matrix grows when a larger index
 *   appears, in the truth or in a prediction.
 * - A ratio whose denominator is 0 is 0 (scikit-learn's `zero_division=0`):
 *   a class never predicted has precision 0, a class absent from the truth
 *   has recall 0, a class in neither has F1 0. Kappa, kappa-M and kappa-T
 *   are 0 when their denominator (1 - chance agreement) is 0, where
 *   scikit-learn's `cohen_kappa_score` gives NaN: a report should hold a
 *   number, and a chance-level baseline that is always right leaves nothing
 *   for the classifier to beat.
 * - On zero rows every rate is NaN, as `accuracy` in metrics.ts is: there is
 *   nothing to measure, and 0 would read as a measurement.
 */
import { mean } from './metrics.js';

function checkClass(name: string, c: number): void {
  if (!Number.isInteger(c) || c < 0) throw new RangeError(`${name}: class index must be a non-negative integer, got ${c}`);
}

/** num / den, or 0 when den is 0 (scikit-learn's zero_division=0). */
function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/** (p0 - pe) / (1 - pe), or 0 when the baseline agrees perfectly (1 - pe = 0). */
function kappaOf(p0: number, pe: number): number {
  const den = 1 - pe;
  return den === 0 ? 0 : (p0 - pe) / den;
}

/**
 * Counts of (truth, predicted) pairs: rows are the truth, columns the
 * prediction, as in scikit-learn's `confusion_matrix`. Row and column totals
 * are kept as rows arrive so that every metric built on the matrix costs
 * O(k) or O(k²) to read, never O(rows).
 */
export class ConfusionMatrix {
  private cells: number[][] = [];
  private truthTotals: number[] = [];
  private predictedTotals: number[] = [];
  private rows = 0;
  private diagonal = 0;

  /**
   * Counts one row. `proba` is accepted and ignored, so that a ConfusionMatrix
   * and a ClassificationMetrics can be fed by the same loop.
   */
  update(truth: number, predicted: number, proba?: ArrayLike<number>): void {
    void proba;
    checkClass('ConfusionMatrix.update', truth);
    checkClass('ConfusionMatrix.update', predicted);
    this.grow(Math.max(truth, predicted) + 1);
    this.cells[truth][predicted]++;
    this.truthTotals[truth]++;
    this.predictedTotals[predicted]++;
    this.rows++;
    if (truth === predicted) this.diagonal++;
  }

  /** Number of classes: one more than the largest index seen. */
  get k(): number {
    return this.cells.length;
  }

  /** Rows counted. */
  get total(): number {
    return this.rows;
  }

  /** Rows predicted right (the trace). */
  get correct(): number {
    return this.diagonal;
  }

  /** Rows whose truth was `truth` and prediction `predicted`; 0 for classes not seen. */
  count(truth: number, predicted: number): number {
    return this.cells[truth]?.[predicted] ?? 0;
  }

  /** Rows whose truth was class `c` (its support). */
  truthCount(c: number): number {
    return this.truthTotals[c] ?? 0;
  }

  /** Rows predicted as class `c`. */
  predictedCount(c: number): number {
    return this.predictedTotals[c] ?? 0;
  }

  /** A copy, k x k: rows = truth, columns = predicted. */
  toArray(): number[][] {
    return this.cells.map((row) => row.slice());
  }

  private grow(k: number): void {
    const old = this.cells.length;
    if (k <= old) return;
    for (const row of this.cells) for (let c = old; c < k; c++) row.push(0);
    for (let r = old; r < k; r++) {
      this.cells.push(new Array<number>(k).fill(0));
      this.truthTotals.push(0);
      this.predictedTotals.push(0);
    }
  }
}

/** Precision, recall and F1 averaged one way. */
export interface AveragedScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Everything ClassificationMetrics measures, at one point of the stream. */
export interface MetricsSummary {
  readonly rows: number;
  readonly accuracy: number;
  /** Mean recall over the classes present in the truth (scikit-learn's balanced_accuracy_score). */
  readonly balancedAccuracy: number;
  /** Cohen's kappa. */
  readonly kappa: number;
  /** Kappa against the prequential majority-class classifier. */
  readonly kappaM: number;
  /** Kappa against the no-change classifier (temporal kappa). */
  readonly kappaT: number;
  /** Per class, indexed by class, length k. */
  readonly precision: number[];
  readonly recall: number[];
  readonly f1: number[];
  /** Rows of each class in the truth. */
  readonly support: number[];
  /** Unweighted means over the classes seen in the truth or the predictions. */
  readonly macro: AveragedScores;
  /** From the pooled counts; for single-label data all three equal the accuracy. */
  readonly micro: AveragedScores;
  /** Mean of -ln p(truth) over the rows that gave probabilities; null when none did. */
  readonly logLoss: number | null;
  /** Rows that gave probabilities, i.e. the rows the log loss is the mean over. */
  readonly probabilityRows: number;
  /** Rows = truth, columns = predicted. */
  readonly confusionMatrix: number[][];
}

/** scikit-learn's historical `log_loss` clipping (eps=1e-15): a sure mistake costs about 34.5, not Infinity. */
export const LOG_LOSS_EPS = 1e-15;

/**
 * The classification metrics of the stream-learning literature, fed row by
 * row in stream order (test-then-train: each row is scored before the model
 * learns it).
 *
 * - Kappa: Cohen (1960), "A coefficient of agreement for nominal scales",
 *   Educational and Psychological Measurement 20(1). Corrects accuracy for
 *   the agreement expected by chance from the class marginals.
 * - Kappa-M: Bifet, Read, Žliobaitė, Pfahringer & Holmes (2013), "Pitfalls
 *   in benchmarking data stream classification and how to avoid them",
 *   ECML PKDD.
 *   On imbalanced streams kappa can look good while the classifier does no
 *   better than predicting the majority class; kappa-M measures against that.
 *   The majority class is the one seen most often *before* each row (ties to
 *   the lowest index), so the baseline is itself a legitimate online
 *   classifier and not one that knows the future.
 * - Kappa-T: Žliobaitė, Bifet, Read, Pfahringer & Holmes (2015), "Evaluation
 *   methods and decision theory for classification of streaming data with
 *   temporal dependence", Machine Learning 98(3) (their kappa-plus; MOA's
 *   "Kappa Temporal"). With temporal dependence (e.g. electricity prices)
 *   predicting the previous label is hard to beat, and kappa-T is negative
 *   when the classifier does worse than that.
 *
 * Both baselines have nothing to predict on the first row (no class seen, no
 * previous label); it counts as a miss for them, so their accuracies pm and
 * pe are over the same rows as the classifier's p0.
 */
export class ClassificationMetrics {
  private readonly matrix = new ConfusionMatrix();
  private majority = -1;
  private majorityRight = 0;
  private previousTruth = -1;
  private noChangeRight = 0;
  private logLossSum = 0;
  private logLossRows = 0;

  /**
   * Scores one row. `proba`, when given, is the model's probability for each
   * class index; a truth beyond its length had probability 0. Probabilities
   * are not renormalised (scikit-learn does, for rows not summing to 1).
   */
  update(truth: number, predicted: number, proba?: ArrayLike<number>): void {
    this.count(truth, predicted, proba === undefined ? undefined : truth < proba.length ? proba[truth] : 0);
  }

  /**
   * update(truth, predicted, row) for the row of k probabilities at
   * proba[offset..offset + k), without a view of it: prequential() scores a
   * million rows, and a subarray per row is an object per row.
   */
  updateRow(truth: number, predicted: number, proba: Float64Array, offset: number, k: number): void {
    this.count(truth, predicted, truth < k ? proba[offset + truth] : 0);
  }

  /** Scores one row given the probability of its truth (undefined: none given). */
  private count(truth: number, predicted: number, p: number | undefined): void {
    // Checked before anything is counted, so that a refused row leaves no trace.
    if (p !== undefined && !Number.isFinite(p)) throw new RangeError(`ClassificationMetrics.update: probability of the truth is ${p}`);
    this.matrix.update(truth, predicted);
    // Baselines first, with what was known before this row.
    if (this.majority === truth) this.majorityRight++;
    if (this.previousTruth === truth) this.noChangeRight++;
    this.previousTruth = truth;
    const seen = this.matrix.truthCount(truth);
    if (this.majority < 0) this.majority = truth;
    else {
      // Only `truth`'s count rose, so it alone can overtake the majority.
      const best = this.matrix.truthCount(this.majority);
      if (seen > best || (seen === best && truth < this.majority)) this.majority = truth;
    }
    if (p !== undefined) {
      this.logLossSum -= Math.log(Math.min(Math.max(p, LOG_LOSS_EPS), 1));
      this.logLossRows++;
    }
  }

  /** The confusion matrix kept so far (live, not a copy). */
  get confusion(): ConfusionMatrix {
    return this.matrix;
  }

  get rows(): number {
    return this.matrix.total;
  }

  summary(): MetricsSummary {
    const m = this.matrix;
    const n = m.total;
    const k = m.k;
    const precision: number[] = [];
    const recall: number[] = [];
    const f1: number[] = [];
    const support: number[] = [];
    let chance = 0;
    let recallSum = 0;
    let truthClasses = 0;
    let macroP = 0;
    let macroR = 0;
    let macroF = 0;
    let seenClasses = 0;
    let fp = 0;
    let fn = 0;
    for (let c = 0; c < k; c++) {
      const tp = m.count(c, c);
      const inTruth = m.truthCount(c);
      const inPredicted = m.predictedCount(c);
      const p = ratio(tp, inPredicted);
      const r = ratio(tp, inTruth);
      // 2tp / (2tp + fp + fn): the harmonic mean of p and r, 0 when both are 0.
      const f = ratio(2 * tp, inTruth + inPredicted);
      precision.push(p);
      recall.push(r);
      f1.push(f);
      support.push(inTruth);
      chance += inTruth * inPredicted;
      fp += inPredicted - tp;
      fn += inTruth - tp;
      if (inTruth > 0) {
        recallSum += r;
        truthClasses++;
      }
      if (inTruth > 0 || inPredicted > 0) {
        macroP += p;
        macroR += r;
        macroF += f;
        seenClasses++;
      }
    }
    const empty = n === 0;
    const p0 = empty ? NaN : m.correct / n;
    const pe = empty ? NaN : chance / (n * n);
    const tp = m.correct;
    const micro: AveragedScores = empty
      ? { precision: NaN, recall: NaN, f1: NaN }
      : { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn) };
    return {
      rows: n,
      accuracy: p0,
      balancedAccuracy: empty ? NaN : recallSum / truthClasses,
      kappa: empty ? NaN : kappaOf(p0, pe),
      kappaM: empty ? NaN : kappaOf(p0, this.majorityRight / n),
      kappaT: empty ? NaN : kappaOf(p0, this.noChangeRight / n),
      precision,
      recall,
      f1,
      support,
      macro: empty
        ? { precision: NaN, recall: NaN, f1: NaN }
        : { precision: macroP / seenClasses, recall: macroR / seenClasses, f1: macroF / seenClasses },
      micro,
      logLoss: this.logLossRows === 0 ? null : this.logLossSum / this.logLossRows,
      probabilityRows: this.logLossRows,
      confusionMatrix: m.toArray(),
    };
  }
}

/**
 * Accuracy over the last `size` scored rows: a sliding window, as MOA's
 * WindowClassificationPerformanceEvaluator, for learning curves that show
 * recovery after a drift instead of averaging it away. A ring buffer of
 * outcomes with a running count keeps each update O(1).
 */
export class WindowedAccuracy {
  private readonly outcomes: Uint8Array;
  private next = 0;
  private filled = 0;
  private right = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`WindowedAccuracy: size must be a positive integer, got ${size}`);
    this.outcomes = new Uint8Array(size);
  }

  update(correct: boolean): void {
    if (this.filled === this.size) this.right -= this.outcomes[this.next];
    else this.filled++;
    const v = correct ? 1 : 0;
    this.outcomes[this.next] = v;
    this.right += v;
    this.next = (this.next + 1) % this.size;
  }

  /** Rows now in the window (fewer than `size` until it fills). */
  get count(): number {
    return this.filled;
  }

  /** NaN before the first row. */
  get value(): number {
    return this.filled === 0 ? NaN : this.right / this.filled;
  }
}

/**
 * Accuracy with a fading factor, as MOA's
 * FadingFactorClassificationPerformanceEvaluator (Gama, Sebastião &
 * Rodrigues 2013, "On evaluating stream learning algorithms", Machine
 * Learning 90(3)): sum_i alpha^(n-i) correct_i / sum_i alpha^(n-i). Forgets
 * old rows smoothly with no buffer at all; alpha = 1 is the plain
 * cumulative accuracy. Dividing by the faded count, not by 1/(1-alpha),
 * keeps the early values unbiased.
 */
export class FadingAccuracy {
  private numerator = 0;
  private denominator = 0;

  constructor(readonly alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`FadingAccuracy: alpha must be in (0, 1], got ${alpha}`);
  }

  update(correct: boolean): void {
    this.numerator = this.alpha * this.numerator + (correct ? 1 : 0);
    this.denominator = this.alpha * this.denominator + 1;
  }

  /** NaN before the first row. */
  get value(): number {
    return this.denominator === 0 ? NaN : this.numerator / this.denominator;
  }
}

/** The Stirling series' correction, lnΓ(x) - [(x - 1/2) ln x - x + ln(2π)/2], for x >= 15 (error below 1e-19). */
function stirlingCorrection(x: number): number {
  const r = 1 / (x * x);
  return (1 / 12 + r * (-1 / 360 + r * (1 / 1260 + r * (-1 / 1680 + r * (1 / 1188 + r * (-691 / 360360 + r / 156)))))) / x;
}

/** lnΓ(x) for x > 0: the Stirling series, after shifting x up to 15 or more by the recurrence. */
function logGamma(x: number): number {
  let shift = 0;
  let product = 1;
  while (x + shift < 15) {
    product *= x + shift;
    shift++;
  }
  const z = x + shift;
  return (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + stirlingCorrection(z) - Math.log(product);
}

/**
 * ln B(a, b) = lnΓ(a) + lnΓ(b) - lnΓ(a + b). When one argument is large the
 * two big log-gammas are subtracted analytically, not numerically, which
 * would lose about log10(a ln a) digits (the t quantile for large df).
 */
function logBeta(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 15) return logGamma(a) + logGamma(b) - logGamma(a + b);
  // lnΓ(big + small) - lnΓ(big), from the Stirling form of each.
  const gammaRatio =
    (big - 0.5) * Math.log1p(small / big) + small * Math.log(big + small) - small +
    stirlingCorrection(big + small) - stirlingCorrection(big);
  return logGamma(small) - gammaRatio;
}

/** Continued fraction for the incomplete beta function (modified Lentz; Numerical Recipes' betacf). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  // It takes O(sqrt(max(a, b))) terms: about 700 for df = 10⁶.
  for (let m = 1; m <= 1_000_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return h;
}

/**
 * The regularized incomplete beta function I_x(a, b), given x and y = 1 - x
 * (and, optionally, their logarithms) separately so that neither loses
 * digits to cancellation near 0 or 1.
 */
function regularizedBeta(x: number, y: number, a: number, b: number, logX = Math.log(x), logY = Math.log(y)): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const front = Math.exp(a * logX + b * logY - logBeta(a, b));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

/** P(T > t) for t >= 0, T Student-t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2) / 2. */
function studentTUpperTail(t: number, df: number): number {
  const t2 = t * t;
  const s = df + t2;
  // ln x = -log1p(t²/df) keeps the digits that ln(df / s) loses when df is large.
  return 0.5 * regularizedBeta(df / s, t2 / s, df / 2, 0.5, -Math.log1p(t2 / df), Math.log(t2 / s));
}

/**
 * The quantile of Student's t distribution: the t with P(T <= t) = p, for
 * 0 < p < 1 and df > 0 (not necessarily an integer). Found by bisection on
 * the exact tail, I_x(df/2, 1/2) / 2, to the last representable digit:
 * slower than a closed-form approximation (Hill 1970) but with no accuracy
 * to argue about, and it is called once per report, not per row.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const tail = 1 - p;
  let lo = 0;
  let hi = 1;
  while (studentTUpperTail(hi, df) > tail) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (studentTUpperTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A mean with its spread and a two-sided confidence interval. */
export interface ConfidenceInterval {
  readonly mean: number;
  /** Sample standard deviation (n - 1). */
  readonly std: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Mean, sample standard deviation and the Student-t interval
 * mean ± t((1 + level) / 2, n - 1) · std / √n, the interval for the mean of
 * few, roughly normal scores (per-batch or per-seed accuracies), where the
 * normal 1.96 would be too narrow. Assumes the values independent, which
 * per-batch scores of one model carrying over from batch to batch are only
 * approximately.
 *
 * With fewer than two values the spread cannot be estimated: std, low and
 * high are NaN (unlike `sampleStd`, which reports 0 for one value), and the
 * mean is NaN on none.
 */
export function meanConfidenceInterval(values: readonly number[], level = 0.95): ConfidenceInterval {
  if (!(level > 0 && level < 1)) throw new RangeError(`meanConfidenceInterval: level must be in (0, 1), got ${level}`);
  const n = values.length;
  const m = mean(values);
  if (n < 2) return { mean: m, std: NaN, low: NaN, high: NaN };
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  const std = Math.sqrt(ss / (n - 1));
  const half = (studentTQuantile((1 + level) / 2, n - 1) * std) / Math.sqrt(n);
  return { mean: m, std, low: m - half, high: m + half };
}
