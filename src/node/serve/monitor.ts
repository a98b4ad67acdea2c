import type { DriftDetector } from '../../drift/contract.js';
import { watchErrors, watchLoss } from '../../drift/error-rise.js';
import { ClassificationMetrics, WindowedAccuracy } from '../../eval/classification-metrics.js';
import { RegressionMetrics, WindowedRegressionMetrics } from '../../eval/regression-metrics.js';
import type { Prediction } from '../../learners/model.js';
import type { RegressionPrediction } from '../../learners/regression-model.js';

/** One point of a served model's online learning curve. */
export interface OnlinePoint {
  /** Rows scored so far (since the model was loaded). */
  readonly row: number;
  /** Accuracy over every row scored so far. */
  readonly accuracy: number;
  /** Accuracy over the last `window` rows scored. */
  readonly windowAccuracy: number;
}

/** One point of a served regressor's online learning curve; null where a metric is undefined (R² before two distinct targets). */
export interface RegressionOnlinePoint {
  /** Rows scored so far (since the model was loaded). */
  readonly row: number;
  /** Over every row scored so far. */
  readonly mae: number;
  readonly rmse: number;
  readonly r2: number | null;
  /** Over the last `window` rows scored. */
  readonly windowMae: number;
  readonly windowRmse: number;
  readonly windowR2: number | null;
}

/**
 * A learning curve of bounded size over an unbounded stream: a point every
 * `stride` rows; when `capacity` points are held, every other one is
 * dropped and the stride doubles. So the whole history is always there, at
 * a resolution that halves as it grows, in O(capacity) memory, and the
 * points kept are the same whatever the order of reads.
 */
export class CurveHistory<P extends { readonly row: number } = OnlinePoint> {
  private readonly points: P[] = [];
  private stride = 1;

  constructor(readonly capacity = 512) {
    if (!Number.isInteger(capacity) || capacity < 4 || capacity % 2 !== 0) throw new RangeError(`CurveHistory: capacity must be an even integer of at least 4, got ${capacity}`);
  }

  /** Whether the point for `row` would be kept: a curve whose points cost something to work out makes only those. */
  wants(row: number): boolean {
    return row % this.stride === 0;
  }

  /** Offers the point for row `point.row`; kept when the row falls on the stride. */
  add(point: P): void {
    if (point.row % this.stride !== 0) return;
    this.points.push(point);
    if (this.points.length < this.capacity) return;
    this.stride *= 2;
    let kept = 0;
    for (const p of this.points) if (p.row % this.stride === 0) this.points[kept++] = p;
    this.points.length = kept;
  }

  /** The points held, oldest first, and `latest` after them when it is newer than the last. */
  read(latest?: P): P[] {
    const out = this.points.slice();
    if (latest && (out.length === 0 || out[out.length - 1].row < latest.row)) out.push(latest);
    return out;
  }
}

/** What a monitor's score() saw in one request: what the fleet counts for Prometheus. */
export interface ScoreDelta {
  readonly scored: number;
  /** A classifier's rows predicted right (0 for a regressor). */
  readonly correct: number;
  /** A regressor's sums of |target − prediction| and of its square over the rows scored (0 for a classifier). */
  readonly absoluteError: number;
  readonly squaredError: number;
  readonly alarms: number;
}

/** A request that scored nothing. */
export const NOTHING_SCORED: ScoreDelta = { scored: 0, correct: 0, absoluteError: 0, squaredError: 0, alarms: 0 };

/** What a monitor's drift detector has said. */
export interface DriftStats {
  readonly detector: string | null;
  readonly alarms: number;
  /** The rows (counted as `scored`) of the latest alarms, at most 100. */
  readonly rows: readonly number[];
  /** Whether the detector is in its warning state now. */
  readonly warning: boolean;
}

/** How a classifier has done on the live stream since it was loaded (GET /stats, /metrics, the dashboard). */
export interface OnlineStats {
  /** Rows predicted before they were learned. */
  readonly scored: number;
  readonly correct: number;
  /** Learned without a prediction first (the model could not predict them; rare). */
  readonly unscored: number;
  /** Null before the first row. */
  readonly accuracy: number | null;
  /** Over the last `window` rows scored. */
  readonly windowAccuracy: number | null;
  readonly window: number;
  /** Cohen's kappa over every row scored. */
  readonly kappa: number | null;
  /** Kappa against the majority class seen so far (Bifet et al. 2013). */
  readonly kappaM: number | null;
  /** Mean -ln p(true class), p clipped at 1e-15. */
  readonly logLoss: number | null;
  /** Recall of each true class seen, by class name. */
  readonly recall: Readonly<Record<string, number>>;
  /** Rows of each class in the truth. */
  readonly support: Readonly<Record<string, number>>;
  readonly drift: DriftStats;
}

/**
 * How a regressor has done on the live stream since it was loaded (GET
 * /stats, /metrics, the dashboard): MOA's and River's regression metrics,
 * null where undefined (no row yet; R² before two distinct targets).
 */
export interface RegressionOnlineStats {
  /** Tells these from a classifier's stats, which have no `task` (as a saved schema has none). */
  readonly task: 'regression';
  /** Rows predicted before they were learned. */
  readonly scored: number;
  /** Learned without a prediction first (the model could not predict them, or predicted a value that is not finite). */
  readonly unscored: number;
  /** Mean absolute error over every row scored. */
  readonly mae: number | null;
  /** Root mean squared error over every row scored. */
  readonly rmse: number | null;
  /** 1 − SSE / SST, SST about the running mean of the targets: 0 is as good as that mean, below 0 worse. */
  readonly r2: number | null;
  /** The mean of the targets scored. */
  readonly targetMean: number | null;
  readonly window: number;
  /** MAE, RMSE and R² over the last `window` rows scored (R² about their own mean). */
  readonly windowMae: number | null;
  readonly windowRmse: number | null;
  readonly windowR2: number | null;
  /** The detector watches each row's absolute error. */
  readonly drift: DriftStats;
}

const MAX_ALARM_ROWS = 100;
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** A detector's alarms and warning state, as both monitors keep them. */
class DriftWatch {
  alarms = 0;
  readonly rows: number[] = [];
  warning = false;

  constructor(readonly detector: DriftDetector | null) {}

  /** Records what the detector said of the error of scored row `row`; true on a drift. */
  signal(signal: 'drift' | 'warning' | 'stable', row: number): boolean {
    this.warning = signal === 'warning';
    if (signal !== 'drift') return false;
    this.alarms++;
    this.rows.push(row);
    if (this.rows.length > MAX_ALARM_ROWS) this.rows.shift();
    return true;
  }

  stats(): DriftStats {
    return { detector: this.detector?.name ?? null, alarms: this.alarms, rows: this.rows.slice(), warning: this.warning };
  }
}

/**
 * Prequential (test-then-train) evaluation of a served classifier on the rows
 * sent to POST /learn: each labelled row is predicted by the model as it
 * stood before the request, scored, then learned. The field's metrics come
 * from src/eval (ClassificationMetrics for accuracy, kappa, recall and log
 * loss; WindowedAccuracy as MOA's windowed evaluator), and the errors feed a
 * drift detector as in `train --drift` (rises only, see watchErrors).
 * Classes are numbered in the order this monitor first meets them, in a
 * truth or a prediction, so that a class the model learns online needs no
 * renumbering. Constant memory per class besides the window and the curve.
 */
export class ClassificationMonitor {
  readonly task = 'classification' as const;
  private readonly metrics = new ClassificationMetrics();
  private readonly windowed: WindowedAccuracy;
  private readonly classIndex = new Map<string, number>();
  private readonly classNames: string[] = [];
  /** The truth's probability at the truth's index: ClassificationMetrics reads no other entry. */
  private proba = new Float64Array(8);
  private correct = 0;
  private unscored = 0;
  private readonly drift: DriftWatch;
  readonly curve = new CurveHistory();

  constructor(
    readonly window: number,
    detector: DriftDetector | null,
  ) {
    this.windowed = new WindowedAccuracy(window);
    this.drift = new DriftWatch(detector);
  }

  private indexOf(name: string): number {
    let i = this.classIndex.get(name);
    if (i === undefined) {
      i = this.classNames.length;
      this.classIndex.set(name, i);
      this.classNames.push(name);
    }
    return i;
  }

  /** Rows scored so far. */
  get scored(): number {
    return this.metrics.rows;
  }

  /**
   * Scores rows the model predicted (`predictions`, made before it learned
   * them) against their labels, in order. Null predictions: the model could
   * not predict them; they are counted as unscored.
   */
  score(labels: readonly string[], predictions: readonly Prediction[] | null): ScoreDelta {
    if (predictions === null) {
      this.unscored += labels.length;
      return NOTHING_SCORED;
    }
    let correct = 0;
    let alarms = 0;
    const detector = this.drift.detector;
    for (let r = 0; r < labels.length; r++) {
      const p = predictions[r];
      const truth = this.indexOf(labels[r]);
      // A model with no class predicts no label: a miss, under a name no label can have.
      const predicted = this.indexOf(p.label ?? '\u0000none');
      const pTruth = Object.hasOwn(p.probabilities, labels[r]) ? p.probabilities[labels[r]] : 0;
      if (Number.isFinite(pTruth)) {
        if (truth >= this.proba.length) this.proba = new Float64Array(Math.max(truth + 1, this.proba.length * 2));
        this.proba[truth] = pTruth;
        this.metrics.updateRow(truth, predicted, this.proba, 0, truth + 1);
      } else {
        // A model that gives no finite probability still has its label scored, without a log loss.
        this.metrics.update(truth, predicted);
      }
      const right = truth === predicted;
      if (right) correct++;
      this.windowed.update(right);
      const row = this.metrics.rows;
      if (detector && this.drift.signal(watchErrors(detector, !right), row)) alarms++;
      this.correct += right ? 1 : 0;
      this.curve.add({ row, accuracy: this.correct / row, windowAccuracy: this.windowed.value });
    }
    return { ...NOTHING_SCORED, scored: labels.length, correct, alarms };
  }

  /** The latest point of the curve, or null before the first row. */
  latest(): OnlinePoint | null {
    const row = this.metrics.rows;
    return row === 0 ? null : { row, accuracy: this.correct / row, windowAccuracy: this.windowed.value };
  }

  /** The curve: its kept points and the latest. */
  points(): OnlinePoint[] {
    return this.curve.read(this.latest() ?? undefined);
  }

  /** Accuracy and windowed accuracy alone: what a scrape reads, without the O(k²) summary. */
  get accuracy(): { readonly all: number | null; readonly windowed: number | null } {
    const n = this.metrics.rows;
    return { all: n === 0 ? null : this.correct / n, windowed: finite(this.windowed.value) };
  }

  get driftAlarms(): number {
    return this.drift.alarms;
  }

  get inWarning(): boolean {
    return this.drift.warning;
  }

  stats(): OnlineStats {
    const s = this.metrics.summary();
    const recall: Record<string, number> = {};
    const support: Record<string, number> = {};
    s.support.forEach((n, i) => {
      if (n === 0) return;
      recall[this.classNames[i]] = s.recall[i];
      support[this.classNames[i]] = n;
    });
    return {
      scored: s.rows,
      correct: this.correct,
      unscored: this.unscored,
      accuracy: finite(s.accuracy),
      windowAccuracy: finite(this.windowed.value),
      window: this.window,
      kappa: finite(s.kappa),
      kappaM: finite(s.kappaM),
      logLoss: s.logLoss === null ? null : finite(s.logLoss),
      recall,
      support,
      drift: this.drift.stats(),
    };
  }
}

/**
 * Prequential (test-then-train) evaluation of a served regressor on the
 * rows sent to POST /learn, as ClassificationMonitor is a classifier's: each
 * row's prediction, made before the request was learned, is scored against
 * its target by the field's regression metrics (src/eval's RegressionMetrics
 * for MAE, RMSE and R² over every row, WindowedRegressionMetrics as MOA's
 * windowed evaluator), and its absolute error feeds the drift detector
 * (rises only, see watchLoss), as `train --drift` watches a regressor.
 * Memory: the window (two numbers per row) and the curve.
 */
export class RegressionMonitor {
  readonly task = 'regression' as const;
  private readonly metrics = new RegressionMetrics();
  private readonly windowed: WindowedRegressionMetrics;
  private unscored = 0;
  private readonly drift: DriftWatch;
  readonly curve = new CurveHistory<RegressionOnlinePoint>();

  constructor(
    readonly window: number,
    detector: DriftDetector | null,
  ) {
    this.windowed = new WindowedRegressionMetrics(window);
    this.drift = new DriftWatch(detector);
  }

  /** Rows scored so far. */
  get scored(): number {
    return this.metrics.rows;
  }

  /**
   * Scores rows the model predicted (`predictions`, made before it learned
   * them) against their targets, in order. Null predictions: the model could
   * not predict them; they are counted as unscored, as is a row whose
   * predicted value is not a finite number (it would leave every metric NaN for good).
   */
  score(targets: readonly number[], predictions: readonly RegressionPrediction[] | null): ScoreDelta {
    if (predictions === null) {
      this.unscored += targets.length;
      return NOTHING_SCORED;
    }
    let scored = 0;
    let absoluteError = 0;
    let squaredError = 0;
    let alarms = 0;
    const detector = this.drift.detector;
    for (let r = 0; r < targets.length; r++) {
      const truth = targets[r];
      const predicted = predictions[r].prediction;
      if (!Number.isFinite(predicted)) {
        this.unscored++;
        continue;
      }
      const error = Math.abs(truth - predicted);
      this.metrics.update(truth, predicted);
      this.windowed.update(truth, predicted);
      scored++;
      absoluteError += error;
      squaredError += error * error;
      const row = this.metrics.rows;
      if (detector && this.drift.signal(watchLoss(detector, error), row)) alarms++;
      if (this.curve.wants(row)) this.curve.add(this.pointAt(row));
    }
    return { scored, correct: 0, absoluteError, squaredError, alarms };
  }

  private pointAt(row: number): RegressionOnlinePoint {
    const w = this.windowed;
    return { row, mae: this.metrics.mae, rmse: this.metrics.rmse, r2: finite(this.metrics.r2), windowMae: w.mae, windowRmse: w.rmse, windowR2: finite(w.r2) };
  }

  /** The latest point of the curve, or null before the first row. */
  latest(): RegressionOnlinePoint | null {
    const row = this.metrics.rows;
    return row === 0 ? null : this.pointAt(row);
  }

  /** The curve: its kept points and the latest. */
  points(): RegressionOnlinePoint[] {
    return this.curve.read(this.latest() ?? undefined);
  }

  get driftAlarms(): number {
    return this.drift.alarms;
  }

  get inWarning(): boolean {
    return this.drift.warning;
  }

  stats(): RegressionOnlineStats {
    const s = this.metrics.summary();
    const w = this.windowed;
    return {
      task: 'regression',
      scored: s.rows,
      unscored: this.unscored,
      mae: finite(s.mae),
      rmse: finite(s.rmse),
      r2: finite(s.r2),
      targetMean: finite(s.targetMean),
      window: this.window,
      windowMae: finite(w.mae),
      windowRmse: finite(w.rmse),
      windowR2: finite(w.r2),
      drift: this.drift.stats(),
    };
  }
}

/** A served model's online monitor: a classifier's or a regressor's, told apart by `task`. */
export type OnlineMonitor = ClassificationMonitor | RegressionMonitor;

/** Requests per second and latency percentiles of one route over the last interval. */
export interface PulseReading {
  readonly perSecond: number;
  /** Null when no request came in the interval. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/**
 * Requests per second and latency percentiles for the dashboard, over
 * fixed intervals: record() costs a store into a ring of the latest 4,096
 * latencies, and tick() reads them (nearest-rank percentiles) and starts
 * the next interval. Prometheus gets the full histogram instead.
 */
export class Pulse {
  private readonly ring = new Float64Array(4096);
  private count = 0;
  private since = performance.now();
  private last: PulseReading = { perSecond: 0, p50Ms: null, p99Ms: null };

  record(ms: number): void {
    this.ring[this.count % this.ring.length] = ms;
    this.count++;
  }

  tick(now = performance.now()): PulseReading {
    const seconds = (now - this.since) / 1000;
    const n = Math.min(this.count, this.ring.length);
    const sorted = this.ring.slice(0, n).sort();
    const rank = (q: number): number | null => (n === 0 ? null : sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]);
    this.last = { perSecond: seconds > 0 ? this.count / seconds : 0, p50Ms: rank(0.5), p99Ms: rank(0.99) };
    this.count = 0;
    this.since = now;
    return this.last;
  }

  get reading(): PulseReading {
    return this.last;
  }
}
