import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { VERSION } from '../../core/version.js';
import type { ModelFleet } from './fleet.js';
import type { ModelHost } from './host.js';
import type { RegressionOnlineStats } from './monitor.js';

/** Request latency buckets, in seconds: a one-row prediction takes well under a millisecond, a checkpoint-delayed learn request seconds. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Classes past this many get no per-class recall series: a label per class, and a client with the token can add classes. */
export const MAX_RECALL_CLASSES = 50;

/** One series of the request histogram: its labels, counts per bucket (the last past every bound) and sum. */
interface RequestSeries {
  readonly labels: Readonly<Record<'route' | 'method' | 'status_code', string | number>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * The request latency histogram, kept in typed arrays and handed to
 * prom-client's registry as a metric of its own (it asks a metric for
 * name, help, type and get()). prom-client's Histogram validates and hashes
 * the labels of every observation, about 2 µs: a fifth of what a one-row
 * prediction costs the server. Here an observation is two Map lookups of
 * strings fastify keeps (the route pattern, the method), an array index
 * (the status) and a scan of the bounds. The text is prom-client's, as for
 * any other metric of the registry.
 */
class RequestHistogram {
  readonly name = 'streamlearn_http_request_duration_seconds';
  readonly help = 'HTTP requests answered, by route pattern, method and status code, and how long each took from its first byte to its answer (_count: requests)';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly byRoute = new Map<string, Map<string, RequestSeries[]>>();
  private readonly all: RequestSeries[] = [];

  constructor(private readonly bounds: readonly number[]) {}

  observe(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (byMethod === undefined) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = []));
    let series = byStatus[status];
    if (series === undefined) {
      series = { labels: { route, method, status_code: status }, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byStatus[status] = series;
      this.all.push(series);
    }
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]) i++;
    series.counts[i]++;
    series.sum += seconds;
    series.count++;
  }

  /** What prom-client's registry reads: cumulative buckets, sum and count per series, as its own Histogram gives them. */
  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.all) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** The server's Prometheus metrics (GET /metrics). */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Counts one answered request: its route pattern ("unmatched" for a 404), method, status and duration. */
  observe(route: string, method: string, status: number, seconds: number): void;
}

/**
 * The metrics of one server, in a registry of its own (two servers in one
 * process do not share or clash). Named by Prometheus' conventions: the
 * streamlearn_ prefix, _total counters, base units (_seconds, _bytes,
 * _ratio for 0..1). Only the request histogram is updated per request
 * (RequestHistogram, made for that);
 * everything else is read from the server when scraped, so an unscraped
 * server pays nothing for it. Counters per model follow the model's name
 * (champion or a challenger's): after a promotion they keep counting for
 * the name, while the gauges (accuracy, identity) show the model now
 * under it. Process metrics are prom-client's defaults (memory, CPU, event
 * loop lag, GC), unprefixed as every Node exporter has them.
 */
export function serverMetrics(fleet: ModelFleet, extra: { readonly dashboardClients: () => number }): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const hosts = () => fleet.all;
  const each: EachModel = (set) => {
    for (const h of hosts()) set(h.name, h);
  };
  const perModel: PerModel = { registers, each };

  const requests = new RequestHistogram(LATENCY_BUCKETS);
  // The registry reads a metric through name, type and get() alone.
  registry.registerMetric(requests as unknown as Metric);

  new Counter({
    name: 'streamlearn_rows_predicted_total',
    help: 'Rows answered by POST /predict (the champion alone answers)',
    registers,
    collect() {
      this.reset();
      this.inc(fleet.predicted);
    },
  });
  modelCounter(perModel, 'streamlearn_rows_learned_total', 'Rows learned from POST /learn, by model (champion, or a challenger by name)', (_, h) => h.totals.learned);
  modelCounter(perModel, 'streamlearn_rows_scored_total', 'Rows of POST /learn predicted before they were learned (test-then-train), by model', (model) => fleet.countsOf(model).scored);
  // Every model of a server is of the champion's task (a reload or challenger of the other is refused): its figures only.
  if (fleet.champion.model.task === 'regression') regressorMetrics(fleet, perModel);
  else classifierMetrics(fleet, perModel);
  modelCounter(perModel, 'streamlearn_drift_alarms_total', 'Drifts (rises of the online error) signalled by the --drift detector, by model', (model) => fleet.countsOf(model).driftAlarms);
  modelGauge(perModel, 'streamlearn_drift_warning', "1 while the model's --drift detector is in its warning state, else 0", (_, h) => (h.monitor ? (h.monitor.inWarning ? 1 : 0) : null));
  new Gauge({
    name: 'streamlearn_model_info',
    help: 'The model under each name: its directory, learner, identity (SHA-256 of its save\'s manifest.json, as GET /model gives it) and when that save was written; always 1',
    labelNames: ['model', 'dir', 'learner', 'identity', 'saved_at'] as const,
    registers,
    collect() {
      this.reset();
      each((model, h) => this.set({ model, dir: h.dir, learner: h.model.learnerName, identity: h.identity, saved_at: h.savedAt }, 1));
    },
  });
  new Gauge({
    name: 'streamlearn_checkpoint_age_seconds',
    help: 'Seconds since the save in the model directory was written (the last checkpoint, or the training run): how old a restart\'s starting point is',
    labelNames: ['model'] as const,
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      each((model, h) => this.set({ model }, Math.max(0, (now - Date.parse(h.savedAt)) / 1000)));
    },
  });
  modelGauge(perModel, 'streamlearn_rows_since_checkpoint', 'Rows learned since the last checkpoint, kept on disk in the learn log only', (_, h) => h.updates.sinceCheckpoint);
  modelGauge(perModel, 'streamlearn_learn_log_bytes', "Size of the model directory's learn log (the write-ahead log replayed at a restart)", (_, h) => h.learnLogBytes);
  modelCounter(perModel, 'streamlearn_checkpoints_total', 'Checkpoints saved into the model directory, by model name', (_, h) => h.totals.checkpoints);
  modelCounter(perModel, 'streamlearn_reloads_total', 'New saves found in the model directory and served in place of the model, by model name', (_, h) => h.totals.reloads);
  new Counter({
    name: 'streamlearn_challenger_skipped_requests_total',
    help: 'Learn requests the champion learned but a challenger refused (and skipped), by challenger',
    labelNames: ['model'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of fleet.challengers) this.inc({ model: c.name }, fleet.countsOf(c.name).skippedRequests);
    },
  });
  new Counter({
    name: 'streamlearn_promotions_total',
    help: 'Challengers promoted to champion (POST /promote)',
    registers,
    collect() {
      this.reset();
      this.inc(fleet.promotions);
    },
  });
  new Gauge({
    name: 'streamlearn_dashboard_clients',
    help: 'Dashboards connected to GET /events',
    registers,
    collect() {
      this.set(extra.dashboardClients());
    },
  });
  new Gauge({
    name: 'streamlearn_build_info',
    help: 'The streamlearn and Node.js versions serving; always 1',
    labelNames: ['version', 'nodejs_version'] as const,
    registers,
  }).set({ version: VERSION, nodejs_version: process.version }, 1);
  collectDefaultMetrics({ register: registry });

  return {
    registry,
    observe: (route, method, status, seconds) => requests.observe(route, method, status, seconds),
  };
}

/** Calls `set` with each model's name and host. */
type EachModel = (set: (name: string, host: ModelHost) => void) => void;

/** Where per-model metrics register and how they visit the models. */
interface PerModel {
  readonly registers: Registry[];
  readonly each: EachModel;
}

/** A counter labelled by model, its value read from the server when scraped. */
function modelCounter({ registers, each }: PerModel, name: string, help: string, value: (model: string, host: ModelHost) => number): void {
  new Counter({
    name,
    help,
    labelNames: ['model'] as const,
    registers,
    collect() {
      this.reset();
      each((model, h) => this.inc({ model }, value(model, h)));
    },
  });
}

/** A gauge labelled by model, read when scraped; a model whose value is null is left out. */
function modelGauge({ registers, each }: PerModel, name: string, help: string, value: (model: string, host: ModelHost) => number | null): void {
  new Gauge({
    name,
    help,
    labelNames: ['model'] as const,
    registers,
    collect() {
      this.reset();
      each((model, h) => {
        const v = value(model, h);
        if (v !== null) this.set({ model }, v);
      });
    },
  });
}

/** A classifier's online figures: rows scored right, accuracy (all and windowed), kappa, per-class recall. */
function classifierMetrics(fleet: ModelFleet, perModel: PerModel): void {
  const { registers, each } = perModel;
  modelCounter(perModel, 'streamlearn_rows_scored_correct_total', 'Rows of POST /learn whose prediction before learning was the label, by model; divided by streamlearn_rows_scored_total, the online accuracy over any range', (model) => fleet.countsOf(model).correct);
  new Gauge({
    name: 'streamlearn_online_accuracy_ratio',
    help: 'Online (test-then-train) accuracy of the model now under each name since it was loaded: window="all", or over its last N rows scored (window="N")',
    labelNames: ['model', 'window'] as const,
    registers,
    collect() {
      this.reset();
      each((model, h) => {
        const m = h.monitor;
        if (m?.task !== 'classification') return;
        const { all, windowed } = m.accuracy;
        if (all !== null) this.set({ model, window: 'all' }, all);
        if (windowed !== null) this.set({ model, window: String(m.window) }, windowed);
      });
    },
  });
  modelGauge(perModel, 'streamlearn_online_kappa', "Cohen's kappa of the online predictions since the model was loaded, by model", (_, h) => {
    const m = h.monitor;
    return m?.task === 'classification' && m.scored > 0 ? m.stats().kappa : null;
  });
  new Gauge({
    name: 'streamlearn_online_recall_ratio',
    help: `Online recall of each true class since the model was loaded, by model and class (the first ${MAX_RECALL_CLASSES} classes seen)`,
    labelNames: ['model', 'class'] as const,
    registers,
    collect() {
      this.reset();
      each((model, h) => {
        const m = h.monitor;
        if (m?.task !== 'classification' || m.scored === 0) return;
        const { recall } = m.stats();
        for (const label of Object.keys(recall).slice(0, MAX_RECALL_CLASSES)) this.set({ model, class: label }, recall[label]);
      });
    },
  });
}

/**
 * A regressor's online figures: the sums of absolute and squared errors as
 * counters (so that Prometheus has MAE and RMSE over any range, as the
 * correct-rows counter gives a classifier's accuracy), and MAE, RMSE and R²
 * since the model was loaded and over its last N rows as gauges.
 */
function regressorMetrics(fleet: ModelFleet, perModel: PerModel): void {
  const { registers, each } = perModel;
  modelCounter(perModel, 'streamlearn_rows_scored_absolute_error_total', 'Sum of |target - prediction| over the rows of POST /learn predicted before they were learned, by model; divided by streamlearn_rows_scored_total, the online MAE over any range', (model) => fleet.countsOf(model).absoluteError);
  modelCounter(perModel, 'streamlearn_rows_scored_squared_error_total', 'Sum of (target - prediction)^2 over the rows of POST /learn predicted before they were learned, by model; the root of it divided by streamlearn_rows_scored_total, the online RMSE over any range', (model) => fleet.countsOf(model).squaredError);
  const figures: [string, string, (s: RegressionOnlineStats) => [number | null, number | null]][] = [
    ['streamlearn_online_mae', 'Online (test-then-train) mean absolute error', (s) => [s.mae, s.windowMae]],
    ['streamlearn_online_rmse', 'Online (test-then-train) root mean squared error', (s) => [s.rmse, s.windowRmse]],
    ['streamlearn_online_r2', 'Online (test-then-train) R² (1 - SSE/SST, SST about the running mean of the targets; over a window, about its own mean)', (s) => [s.r2, s.windowR2]],
  ];
  for (const [name, what, read] of figures) {
    new Gauge({
      name,
      help: `${what} of the model now under each name since it was loaded: window="all", or over its last N rows scored (window="N")`,
      labelNames: ['model', 'window'] as const,
      registers,
      collect() {
        this.reset();
        each((model, h) => {
          const m = h.monitor;
          if (m?.task !== 'regression' || m.scored === 0) return;
          const [all, windowed] = read(m.stats());
          if (all !== null) this.set({ model, window: 'all' }, all);
          if (windowed !== null) this.set({ model, window: String(m.window) }, windowed);
        });
      },
    });
  }
}
