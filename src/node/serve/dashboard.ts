import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { escapeXml, lineChart, type Marker, type Series } from '../../eval/svg.js';
import { CHAMPION, type ModelFleet } from './fleet.js';
import type { ModelHost } from './host.js';
import { RequestError } from './http-errors.js';
import type { ClassificationMonitor, DriftStats, PulseReading, RegressionMonitor } from './monitor.js';

/** A route whose rate and latency the dashboard shows. */
export type WatchedRoute = '/predict' | '/learn';
export const WATCHED_ROUTES: readonly WatchedRoute[] = ['/predict', '/learn'];

/** Dashboards connected at once; more get 503. Each costs an open connection and a render's bytes per update. */
export const MAX_DASHBOARDS = 32;
/** A dashboard that has not read this much of what was sent is dropped: it costs memory, not the server's attention. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** Okabe & Ito's colour-blind-safe palette, as the HTML report's (yellow left out: too light on white). */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
/** The report's chart width, so that the dashboard's chart reads like the report's. */
const CHART_WIDTH = 1052;

const count = (n: number): string => n.toLocaleString('en');
const percent = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);
const ms = (v: number | null): string => (v === null ? '–' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`);
const short = (identity: string): string => identity.slice(0, 12);
/** An error in the target's own units, whatever their scale: four significant digits. */
const FIGURE = new Intl.NumberFormat('en', { maximumSignificantDigits: 4 });
const figure = (v: number | null): string => (v === null ? '–' : Math.abs(v) >= 1e9 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(3) : FIGURE.format(v));
const r2Text = (v: number | null): string => (v === null ? '–' : v.toFixed(3));

/** The hosts whose monitor is a classifier's, with it. */
const classifiers = (hosts: readonly ModelHost[]): [ModelHost, ClassificationMonitor][] =>
  hosts.flatMap((h) => (h.monitor?.task === 'classification' ? [[h, h.monitor] as [ModelHost, ClassificationMonitor]] : []));
/** The hosts whose monitor is a regressor's, with it. */
const regressors = (hosts: readonly ModelHost[]): [ModelHost, RegressionMonitor][] =>
  hosts.flatMap((h) => (h.monitor?.task === 'regression' ? [[h, h.monitor] as [ModelHost, RegressionMonitor]] : []));

/** What the dashboard shows, besides the chart: text by element id. */
type Texts = Record<string, string>;

/** One update of the dashboard (an SSE event's data): texts by element id, the models' table, and the chart when it changed. */
export interface DashboardUpdate {
  readonly at: string;
  readonly texts: Texts;
  readonly table: string;
  /** The online accuracy chart, or a regressor's error chart (SVG from the report's lineChart); absent when unchanged since the last update. */
  readonly chart?: string;
  /** Rows scored by the champion: what the chart's curve has reached. */
  readonly rows: number;
}

/**
 * The online accuracy chart, drawn by the HTML report's lineChart so both
 * read alike: per model, its accuracy since it was loaded (solid) and over
 * its last N rows (dashed), in one colour per model, and its drift alarms
 * as markers of that colour, in a lane of the model's own above the plot.
 */
export function accuracyChart(hosts: readonly ModelHost[]): string {
  const series: Series[] = [];
  const markers: Marker[] = [];
  const markerLegend: { name: string; color: string }[] = [];
  classifiers(hosts).forEach(([h, m], i) => {
    const color = PALETTE[i % PALETTE.length];
    const label = `${h.name} (${h.model.learnerName})`;
    const points = m.points();
    const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
    series.push({
      name: `${label}: accuracy`,
      color,
      stroke: 'solid',
      points: points.map((p) => ({ x: p.row, y: p.accuracy, label: `${h.name}, row ${count(p.row)}: ${pct(p.accuracy)}` })),
      data: { 'data-model': h.name, 'data-metric': 'accuracy' },
    });
    series.push({
      name: `${label}: last ${count(m.window)} rows`,
      color,
      stroke: 'dashed',
      points: points.map((p) => ({ x: p.row, y: p.windowAccuracy, label: `${h.name}, row ${count(p.row)}: ${pct(p.windowAccuracy)} over the last ${count(m.window)}` })),
      data: { 'data-model': h.name, 'data-metric': 'window-accuracy' },
    });
    driftMarkers(h, m.stats().drift, color, markers, markerLegend);
  });
  return lineChart({
    chart: 'online-accuracy',
    title: 'Online accuracy: each labelled row of POST /learn predicted, then learned',
    x: { label: 'rows learned since the model was loaded', format: (v) => count(v), integer: true },
    y: { label: 'accuracy', format: (v, d) => `${(v * 100).toFixed(Math.max(0, d - 2))}%`, clamp: [0, 1] },
    series,
    markers,
    markerLegend,
    width: CHART_WIDTH,
    height: 300,
  });
}

/** A model's drift alarms as markers of its colour, in a lane of its own: the alarms of several models near one row would otherwise hide each other. */
function driftMarkers(h: ModelHost, drift: DriftStats, color: string, markers: Marker[], legend: { name: string; color: string }[]): void {
  for (const row of drift.rows) markers.push({ x: row, color, lane: h.name, label: `${h.name}: drift at row ${count(row)}`, data: { 'data-drift': String(row), 'data-model': h.name } });
  if (drift.rows.length > 0) legend.push({ name: `${h.name}: drift (${drift.detector})`, color });
}

/**
 * A regressor's online error chart, as accuracyChart is a classifier's and
 * drawn alike: per model, its RMSE since it was loaded (solid) and over its
 * last N rows (dashed), the error the HTML report charts, with its drift
 * alarms (rises of the absolute error) in its lane.
 */
export function errorChart(hosts: readonly ModelHost[]): string {
  const series: Series[] = [];
  const markers: Marker[] = [];
  const markerLegend: { name: string; color: string }[] = [];
  regressors(hosts).forEach(([h, m], i) => {
    const color = PALETTE[i % PALETTE.length];
    const label = `${h.name} (${h.model.learnerName})`;
    const points = m.points();
    series.push({
      name: `${label}: RMSE`,
      color,
      stroke: 'solid',
      points: points.map((p) => ({ x: p.row, y: p.rmse, label: `${h.name}, row ${count(p.row)}: RMSE ${figure(p.rmse)}` })),
      data: { 'data-model': h.name, 'data-metric': 'rmse' },
    });
    series.push({
      name: `${label}: last ${count(m.window)} rows`,
      color,
      stroke: 'dashed',
      points: points.map((p) => ({ x: p.row, y: p.windowRmse, label: `${h.name}, row ${count(p.row)}: RMSE ${figure(p.windowRmse)} over the last ${count(m.window)}` })),
      data: { 'data-model': h.name, 'data-metric': 'window-rmse' },
    });
    driftMarkers(h, m.stats().drift, color, markers, markerLegend);
  });
  return lineChart({
    chart: 'online-error',
    title: 'Online RMSE: each labelled row of POST /learn predicted, then learned',
    x: { label: 'rows learned since the model was loaded', format: (v) => count(v), integer: true },
    y: { label: 'RMSE', format: (v, d) => v.toFixed(d), includeZero: true },
    series,
    markers,
    markerLegend,
    width: CHART_WIDTH,
    height: 300,
  });
}

/** A table's row of cells for a model, the champion's marked. */
function tableRow(h: ModelHost, cells: readonly string[]): string {
  return `<tr data-model="${escapeXml(h.name)}"${h.name === CHAMPION ? ' class="champion"' : ''}>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
}

const tableHead = (head: readonly string[]): string => `<thead><tr>${head.map((t) => `<th>${escapeXml(t)}</th>`).join('')}</tr></thead>`;

/** The regressors' table: one row each, the champion first: their errors since they were loaded and over the last N rows. */
function regressionTable(hosts: readonly ModelHost[], fleet: ModelFleet): string {
  const head = ['model', 'learner', 'identity', 'rows scored', 'MAE', 'RMSE', 'R²', 'last N rows: MAE, RMSE, R²', 'drift alarms', 'rows learned'];
  const rows = hosts.map((h) => {
    const s = h.monitor?.task === 'regression' ? h.monitor.stats() : undefined;
    return tableRow(h, [
      h.name,
      h.model.learnerName,
      short(h.identity),
      s ? count(s.scored) : '–',
      s ? figure(s.mae) : '–',
      s ? figure(s.rmse) : '–',
      s ? r2Text(s.r2) : '–',
      s ? `${figure(s.windowMae)}, ${figure(s.windowRmse)}, ${r2Text(s.windowR2)} (N = ${count(s.window)})` : '–',
      s ? `${count(fleet.countsOf(h.name).driftAlarms)}${s.drift.warning ? ' (warning)' : ''}` : '–',
      count(h.totals.learned),
    ]);
  });
  return `<table class="models">${tableHead(head)}<tbody>${rows.join('')}</tbody></table>`;
}

/** The models' table: one row each, the champion first. */
function modelsTable(hosts: readonly ModelHost[], fleet: ModelFleet): string {
  const head = ['model', 'learner', 'identity', 'rows scored', 'accuracy', 'last N rows', 'kappa', 'drift alarms', 'rows learned'];
  const rows = hosts.map((h) => {
    const s = h.monitor?.task === 'classification' ? h.monitor.stats() : undefined;
    return tableRow(h, [
      h.name,
      h.model.learnerName,
      short(h.identity),
      s ? count(s.scored) : '–',
      s ? percent(s.accuracy) : '–',
      s ? `${percent(s.windowAccuracy)} (N = ${count(s.window)})` : '–',
      s?.kappa === null || s === undefined ? '–' : s.kappa.toFixed(3),
      s ? `${count(fleet.countsOf(h.name).driftAlarms)}${s.drift.warning ? ' (warning)' : ''}` : '–',
      count(h.totals.learned),
    ]);
  });
  const champion = hosts[0].monitor?.task === 'classification' ? hosts[0].monitor.stats() : undefined;
  const recall = champion ? Object.entries(champion.recall) : [];
  const perClass =
    recall.length === 0
      ? ''
      : `<h3>Champion, per class</h3><table class="per-class"><thead><tr><th>class</th><th>recall</th><th>rows</th></tr></thead><tbody>` +
        recall
          .slice(0, 50)
          .map(([c, r]) => `<tr><td>${escapeXml(c)}</td><td>${percent(r)}</td><td>${count(champion!.support[c])}</td></tr>`)
          .join('') +
        `</tbody></table>`;
  return `<table class="models">${tableHead(head)}<tbody>${rows.join('')}</tbody></table>${perClass}`;
}

/** What the dashboard shows of the monitors of one task: the chart's heading, the chart and the models' table. */
export interface DashboardView {
  readonly heading: string;
  chart(hosts: readonly ModelHost[]): string;
  table(hosts: readonly ModelHost[], fleet: ModelFleet): string;
}

const CLASSIFIER_VIEW: DashboardView = { heading: 'Online accuracy', chart: accuracyChart, table: modelsTable };
const REGRESSOR_VIEW: DashboardView = { heading: 'Online error', chart: errorChart, table: regressionTable };

/** The view of a fleet's task: every model of a server is of the champion's task (see taskMismatch). */
export const viewOf = (fleet: ModelFleet): DashboardView => (fleet.champion.model.task === 'regression' ? REGRESSOR_VIEW : CLASSIFIER_VIEW);

/** The texts of one update. */
function texts(fleet: ModelFleet, pulses: Readonly<Record<WatchedRoute, PulseReading>>, learning: boolean): Texts {
  const c = fleet.champion;
  const out: Texts = {
    'champion-learner': c.model.learnerName,
    'champion-identity': short(c.identity),
    'champion-saved': c.savedAt,
    'champion-dir': c.dir,
    learning: learning ? `on${fleet.challengers.length > 0 ? `, ${fleet.challengers.length} challenger${fleet.challengers.length === 1 ? '' : 's'}` : ''}` : 'off',
    updated: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
  };
  for (const route of WATCHED_ROUTES) {
    const p = pulses[route];
    const id = route.slice(1);
    out[`${id}-rate`] = p.perSecond >= 100 ? count(Math.round(p.perSecond)) : p.perSecond.toFixed(1);
    out[`${id}-p50`] = ms(p.p50Ms);
    out[`${id}-p99`] = ms(p.p99Ms);
  }
  return out;
}

/** The page's one script: applies each update from GET /events. */
const SCRIPT = `
const status = document.getElementById('status');
const events = new EventSource('events');
events.addEventListener('update', (e) => {
  const u = JSON.parse(e.data);
  for (const [id, text] of Object.entries(u.texts)) {
    const el = document.getElementById(id);
    if (el) el.textContent = text;
  }
  document.getElementById('models').innerHTML = u.table;
  if (u.chart !== undefined) {
    const chart = document.getElementById('chart');
    chart.innerHTML = u.chart;
    chart.dataset.rows = String(u.rows);
  }
  status.textContent = 'live';
  status.className = 'live';
});
events.onerror = () => {
  status.textContent = 'reconnecting…';
  status.className = 'down';
};
`;

const SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`;

/** No script but the page's own, no request but to this server, no framing: the page needs nothing else. */
export const DASHBOARD_CSP = `default-src 'none'; script-src '${SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d1f; margin: 0 auto; padding: 20px 24px; max-width: 1100px; background: #fff; }
h1 { font-size: 20px; margin: 0 0 2px; }
h2 { font-size: 16px; margin: 18px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
.sub { color: #555; margin: 0 0 10px; overflow-wrap: anywhere; }
.sub code { font-size: 12.5px; }
#status { font-weight: 600; }
#status.live { color: #007a4d; }
#status.down { color: #b00020; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
.tile { border: 1px solid #e2e2e6; border-radius: 8px; padding: 6px 12px; min-width: 128px; }
.tile .k { color: #666; font-size: 12px; }
.tile .v { font-size: 18px; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
thead th { border-bottom: 2px solid #ccc; }
td { font-variant-numeric: tabular-nums; }
tr.champion td { font-weight: 600; }
#chart { min-height: 120px; }
svg { max-width: 100%; height: auto; display: block; font-family: inherit; }
svg text { font-size: 12px; fill: #333; }
svg .tick { font-size: 11px; fill: #444; }
svg .axis { stroke: #888; }
svg .grid { stroke: #e6e6e6; }
svg .empty { fill: #999; }
svg circle[data-point] { stroke: #fff; stroke-width: 0.5; }
svg circle.hover { fill-opacity: 0; stroke: none; }
svg circle.hover:hover { fill-opacity: 1; }
`;

/** The dashboard page, with the state of the moment in it: it reads whole before the first event comes. */
export function dashboardPage(update: DashboardUpdate, view: DashboardView = CLASSIFIER_VIEW): string {
  const t = update.texts;
  const tile = (key: string, id: string): string => `<div class="tile"><div class="k">${escapeXml(key)}</div><div class="v" id="${id}">${escapeXml(t[id] ?? '')}</div></div>`;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">` +
    `<title>streamlearn serve: ${escapeXml(t['champion-learner'])}</title><style>${CSS}</style></head><body>\n` +
    `<h1>streamlearn serve: <span id="champion-learner">${escapeXml(t['champion-learner'])}</span></h1>` +
    `<p class="sub">model <code id="champion-identity">${escapeXml(t['champion-identity'])}</code> in <code id="champion-dir">${escapeXml(t['champion-dir'])}</code>, saved <span id="champion-saved">${escapeXml(t['champion-saved'])}</span>; learning <span id="learning">${escapeXml(t.learning)}</span>. ` +
    `<span id="status">connecting…</span>, updated <span id="updated">${escapeXml(t.updated)}</span></p>\n` +
    `<div class="tiles">${tile('/predict requests/s', 'predict-rate')}${tile('/predict p50', 'predict-p50')}${tile('/predict p99', 'predict-p99')}` +
    `${tile('/learn requests/s', 'learn-rate')}${tile('/learn p50', 'learn-p50')}${tile('/learn p99', 'learn-p99')}</div>\n` +
    `<h2>${escapeXml(view.heading)}</h2><div id="chart" data-rows="${update.rows}">${update.chart ?? ''}</div>\n` +
    `<h2>Models</h2><div id="models">${update.table}</div>\n` +
    `<p class="sub">Each labelled row sent to POST /learn is predicted by every model, then learned (test-then-train); only the champion answers POST /predict. ` +
    `Requests per second and latencies are over the last update interval. The same figures: GET /stats (JSON), GET /metrics (Prometheus).</p>\n` +
    `<script>${SCRIPT}</script></body></html>\n`
  );
}

/**
 * GET /events: server-sent events for the dashboards, one `update` event
 * per interval to every connected page. The chart is rendered once per
 * update, server side, and only when a curve moved; a page that falls far
 * behind (a stalled connection) is dropped. Also ticks the request pulses,
 * dashboards or not, so that /stats has them.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private chartKey = '';
  private chart = '';

  constructor(
    private readonly fleet: ModelFleet,
    private readonly readPulses: () => Readonly<Record<WatchedRoute, PulseReading>>,
    private readonly tick: () => void,
    private readonly intervalSeconds: number,
    private readonly learning: boolean,
  ) {}

  get connected(): number {
    return this.clients.size;
  }

  /** What the page shows for the task served. */
  get view(): DashboardView {
    return viewOf(this.fleet);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.tick();
      if (this.clients.size > 0) this.broadcast();
    }, this.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** The update of the moment; with the chart always (`full`), or only when it changed since the last. */
  update(full: boolean): DashboardUpdate {
    const hosts = this.fleet.all;
    const key = hosts.map((h) => `${h.name}:${h.identity}:${h.monitor?.scored ?? 0}:${h.monitor?.driftAlarms ?? 0}`).join('|');
    const changed = key !== this.chartKey;
    const view = this.view;
    if (changed) {
      this.chart = view.chart(hosts);
      this.chartKey = key;
    }
    return {
      at: new Date().toISOString(),
      texts: texts(this.fleet, this.readPulses(), this.learning),
      table: view.table(hosts, this.fleet),
      rows: hosts[0].monitor?.scored ?? 0,
      ...(full || changed ? { chart: this.chart } : {}),
    };
  }

  /** Takes over the reply of GET /events: a text/event-stream that stays open. */
  attach(request: FastifyRequest, reply: FastifyReply): void {
    if (this.clients.size >= MAX_DASHBOARDS) throw new RequestError(503, `too many dashboards connected (${MAX_DASHBOARDS}); close one and retry`, { 'retry-after': '5' });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write(`retry: 2000\n\n`);
    this.clients.add(res);
    const drop = (): void => void this.clients.delete(res);
    request.raw.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
    this.send(res, this.update(true));
  }

  private send(res: ServerResponse, update: DashboardUpdate): void {
    if (res.writableLength > MAX_BACKLOG_BYTES) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(`event: update\ndata: ${JSON.stringify(update)}\n\n`);
  }

  private broadcast(): void {
    const update = this.update(false);
    for (const res of this.clients) this.send(res, update);
  }

  /** Ends every stream and stops the timer: a server closing must not wait for dashboards. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
