import type { DriftDetector } from '../../drift/contract.js';
import { watchErrors } from '../../drift/error-rise.js';
import { ClassificationMetrics, WindowedAccuracy } from '../../eval/classification-metrics.js';
import type { Prediction } from '../../learners/model.js';

/** One point of a served model's online learning curve. */
export interface OnlinePoint {
  /** Rows scored so far (since the model was loaded). */
  readonly row: number;
  /** Accuracy over every row scored so far. */
  readonly accuracy: number;
  /** Accuracy over the last `window` rows scored. */
  readonly windowAccuracy: number;
}

/**
 * A learning curve of bounded size over an unbounded stream: a point every
 * `stride` rows; when `capacity` points are held, every other one is
 * dropped and the stride doubles. So the whole history is always there, at
 * a resolution that halves as it grows, in O(capacity) memory, and the
 * points kept are the same whatever the order of reads.
 */
export class CurveHistory {
  private readonly points: OnlinePoint[] = [];
  private stride = 1;

  constructor(readonly capacity = 512) {
    if (!Number.isInteger(capacity) || capacity < 4 || capacity % 2 !== 0) throw new RangeError(`CurveHistory: capacity must be an even integer of at least 4, got ${capacity}`);
  }

  /** Offers the point for row `point.row`; kept when the row falls on the stride. */
  add(point: OnlinePoint): void {
    if (point.row % this.stride !== 0) return;
    this.points.push(point);
    if (this.points.length < this.capacity) return;
    this.stride *= 2;
    let kept = 0;
    for (const p of this.points) if (p.row % this.stride === 0) this.points[kept++] = p;
    this.points.length = kept;
  }

  /** The points held, oldest first, and `latest` after them when it is newer than the last. */
  read(latest?: OnlinePoint): OnlinePoint[] {
    const out = this.points.slice();
    if (latest && (out.length === 0 || out[out.length - 1].row < latest.row)) out.push(latest);
    return out;
  }
}

/** What OnlineMonitor.score saw in one request: what the fleet counts for Prometheus. */
export interface ScoreDelta {
  readonly scored: number;
  readonly correct: number;
  readonly alarms: number;
}

/** How a model has done on the live stream since it was loaded (GET /stats, /metrics, the dashboard). */
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
  readonly drift: {
    readonly detector: string | null;
    readonly alarms: number;
    /** The rows (counted as `scored`) of the latest alarms, at most 100. */
    readonly rows: readonly number[];
    /** Whether the detector is in its warning state now. */
    readonly warning: boolean;
  };
}

const MAX_ALARM_ROWS = 100;
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * Prequential (test-then-train) evaluation of a served model on the rows
 * sent to POST /learn: each labelled row is predicted by the model as it
 * stood before the request, scored, then learned. The field's metrics come
 * from src/eval (ClassificationMetrics for accuracy, kappa, recall and log
 * loss; WindowedAccuracy as MOA's windowed evaluator), and the errors feed a
 * drift detector as in `train --drift` (rises only, see watchErrors).
 * Classes are numbered in the order this monitor first meets them, in a
 * truth or a prediction, so that a class the model learns online needs no
 * renumbering. Constant memory per class besides the window and the curve.
 */
export class OnlineMonitor {
  private readonly metrics = new ClassificationMetrics();
  private readonly windowed: WindowedAccuracy;
  private readonly classIndex = new Map<string, number>();
  private readonly classNames: string[] = [];
  /** The truth's probability at the truth's index: ClassificationMetrics reads no other entry. */
  private proba = new Float64Array(8);
  private correct = 0;
  private unscored = 0;
  private alarms = 0;
  private readonly alarmRows: number[] = [];
  private warning = false;
  readonly curve = new CurveHistory();

  constructor(
    readonly window: number,
    private readonly detector: DriftDetector | null,
  ) {
    this.windowed = new WindowedAccuracy(window);
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
      return { scored: 0, correct: 0, alarms: 0 };
    }
    let correct = 0;
    let alarms = 0;
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
      if (this.detector) {
        const signal = watchErrors(this.detector, !right);
        if (signal === 'drift') {
          alarms++;
          this.alarmRows.push(row);
          if (this.alarmRows.length > MAX_ALARM_ROWS) this.alarmRows.shift();
        }
        this.warning = signal === 'warning';
      }
      this.correct += right ? 1 : 0;
      this.curve.add({ row, accuracy: this.correct / row, windowAccuracy: this.windowed.value });
    }
    this.alarms += alarms;
    return { scored: labels.length, correct, alarms };
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
    return this.alarms;
  }

  get inWarning(): boolean {
    return this.warning;
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
      drift: { detector: this.detector?.name ?? null, alarms: this.alarms, rows: this.alarmRows.slice(), warning: this.warning },
    };
  }
}

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
