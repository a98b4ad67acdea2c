/**
 * A training report as one self-contained HTML page: inline CSS and inline
 * SVG charts, no script and no URL, so that it opens offline from a file or
 * an e-mail attachment and shows the same thing years later.
 *
 * One report is a single run. Several are a comparison (`streamlearn
 * compare`: several learners on the identical stream): their curves share
 * one chart, the tables get a column per model, and each model gets its own
 * per-class table and confusion matrix.
 */
import { fail } from '../core/errors.js';
import { describeWarnings, type RunReport, type TrainReport } from './report.js';
import {
  count,
  describeHoldout,
  describeParams,
  describeProtocol,
  describeShuffle,
  fixed,
  formatMetric,
  metricLines,
  type MetricLine,
} from './report-format.js';
import { escapeXml as esc, heatMap, lineChart, type Band, type Marker, type Point, type Series } from './svg.js';

export interface HtmlReportOptions {
  /** The page's title and heading (default: what was trained on what). */
  readonly title?: string;
  /** The command line that made the report, shown verbatim. */
  readonly command?: string;
}

/** Okabe & Ito's colour-blind-safe palette (yellow left out: too light on white). */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length];

/** The page's content width (1,100 px less its padding): charts use all of it, and shrink with a narrower window. */
export const CHART_WIDTH = 1052;

/** How each report is named in legends and column headers: its learner, numbered when a learner appears twice. */
export function modelLabels(reports: readonly RunReport[]): string[] {
  return reports.map((r, i) => (reports.filter((o) => o.model === r.model).length > 1 ? `${r.model} #${i + 1}` : r.model));
}

/** Long lists (class labels, drift rows) are cut so that a settings cell stays readable. */
function list(items: readonly (string | number)[], max = 20): string {
  const shown = items.slice(0, max).map((v) => (typeof v === 'number' ? count(v) : v)).join(', ');
  return items.length > max ? `${shown}, … and ${count(items.length - max)} more` : shown;
}

/** The settings, one line each, as functions of a report; the order follows the Markdown report's. */
const settingLines: readonly (readonly [string, (r: TrainReport) => string])[] = [
  ['dataset', (r) => r.dataset],
  ['model', (r) => `${r.model}${r.backend ? ` (TensorFlow.js ${r.backend})` : ''}`],
  ['parameters', describeParams],
  ['protocol', describeProtocol],
  ['seed', (r) => String(r.seed)],
  ['shuffle', describeShuffle],
  ['batch size', (r) => (r.protocol === 'batch-split' ? String(r.batchSize) : `${r.batchSize} (not used: ${r.protocol} scores every row, whatever the batch)`)],
  ['test size', (r) => (r.protocol === 'batch-split' ? String(r.testSize) : `${r.testSize} (not used: batch-split only)`)],
  ['features', (r) => count(r.features)],
  ['classes', (r) => `${r.classes.length}: ${list(r.classes)}`],
  ['rows', (r) => count(r.rows)],
  ['train rows', (r) => count(r.trainRows)],
  ['test rows', (r) => count(r.testRows)],
  ['scored rows', (r) => count(r.scoredRows)],
  ['bad rows skipped', (r) => count(r.skippedRows)],
  ['preprocessing', (r) => r.preprocessing.join(', ') || 'none'],
  [
    'drift detector',
    (r) =>
      r.driftDetector === null
        ? 'none'
        : `${r.driftDetector}: ${r.drifts.length} drift${r.drifts.length === 1 ? '' : 's'}${r.drifts.length ? ` at scored rows ${list(r.drifts)}` : ''}; ${describeWarnings(r.warnings, 20, count)}`,
  ],
  ['wall time', (r) => `${fixed(r.wallSeconds, 3)} s`],
  ['rows per second', (r) => count(r.rowsPerSecond)],
  ['model saved', (r) => r.modelPath ?? 'no'],
];

/** A table line: its name, a value per model and, optionally, which models hold the best value. */
type TableLine = readonly [name: string, values: readonly string[], best?: readonly boolean[]];

/** A table with a column per model (or one "value" column for a single model). */
function modelTable(first: string, labels: readonly string[], lines: readonly TableLine[]): string {
  const head = `<tr><th>${esc(first)}</th>${labels.length === 1 ? '<th>value</th>' : labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
  const body = lines.map(([name, values, best]) => {
    const cells = values.map((v, i) => `<td${best?.[i] ? ' class="best"' : ''}>${esc(v)}</td>`).join('');
    return `<tr><th scope="row">${esc(name)}</th>${cells}</tr>`;
  });
  return `<table class="kv"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

/**
 * The settings. A comparison lists what every model shares (the stream, the
 * protocol) once, and then, a column per model, only what differs, so that
 * the differences are what the eye lands on.
 */
function settingsSection(reports: readonly TrainReport[], labels: readonly string[]): string {
  const lines = settingLines.map(([name, value]): TableLine => [name, reports.map(value)]);
  if (reports.length === 1) return modelTable('setting', labels, lines);
  const same = (l: TableLine): boolean => l[1].every((v) => v === l[1][0]);
  const shared = lines.filter(same).map(([name, values]): TableLine => [name, [values[0]]]);
  const differing = lines.filter((l) => !same(l));
  return (
    (shared.length ? `<h3>Shared by every model</h3>${modelTable('setting', ['value'], shared)}` : '') +
    (differing.length ? `<h3>Per model</h3>${modelTable('setting', labels, differing)}` : '')
  );
}

/** Which models hold the best value of a one-number line; none when there is one model or nothing to compare. */
function bestOf(values: readonly (number | null)[], better: 'higher' | 'lower'): boolean[] {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length < 2 || finite.length < 2) return values.map(() => false);
  const best = better === 'higher' ? Math.max(...finite) : Math.min(...finite);
  return values.map((v) => v !== null && Math.abs(v - best) < 1e-12);
}

function metricTable(reports: readonly TrainReport[], labels: readonly string[]): string {
  const anyProba = reports.some((r) => r.metrics.probabilityRows > 0);
  const lines: MetricLine[] = [
    { label: 'accuracy (scored rows pooled)', values: (r) => [r.accuracy], better: 'higher' },
    // Log loss only means something where some model gave probabilities.
    ...metricLines.filter((l) => l.label !== 'log loss' || anyProba),
  ];
  const rows: TableLine[] = lines.map((line) => {
    const values = reports.map((r) => line.values(r));
    const single = values.every((v) => v.length === 1);
    return [line.label, reports.map((r) => formatMetric(line, r)), single ? bestOf(values.map((v) => v[0]), line.better) : []];
  });
  if (reports.some((r) => r.protocol === 'batch-split')) {
    rows.push(['mean per-batch accuracy ± sample std', reports.map((r) => (r.meanAccuracy === null ? '-' : `${fixed(r.meanAccuracy)} ± ${fixed(r.stdAccuracy)}`)), bestOf(reports.map((r) => r.meanAccuracy), 'higher')]);
    rows.push(['95% interval of the mean (Student t)', reports.map((r) => (r.accuracyInterval ? `${fixed(r.accuracyInterval.low)} to ${fixed(r.accuracyInterval.high)}` : '-')), []]);
  }
  const finalBytes = reports.map((r) => r.modelSize[r.modelSize.length - 1]?.bytes ?? null);
  const modelRate = reports.map((r) => (r.modelSeconds > 0 ? r.rows / r.modelSeconds : null));
  rows.push(
    ['rows per second (whole run)', reports.map((r) => count(r.rowsPerSecond)), bestOf(reports.map((r) => r.rowsPerSecond), 'higher')],
    ['model seconds (learning and predicting)', reports.map((r) => fixed(r.modelSeconds, 3)), bestOf(reports.map((r) => r.modelSeconds), 'lower')],
    ['rows per second (model only)', modelRate.map((v) => (v === null ? '-' : count(v))), bestOf(modelRate, 'higher')],
    ['final model size', finalBytes.map((b) => (b === null ? '-' : `${formatBytes(b)} (${count(b)} bytes)`)), bestOf(finalBytes, 'lower')],
  );
  return modelTable('metric', labels, rows);
}

/** The batch whose test rows hold each 1-based scored row (batch-split drifts are counted among test rows). */
export function batchOfScoredRow(report: TrainReport, scoredRow: number): number {
  let seen = 0;
  for (const b of report.batches) {
    seen += b.testRows;
    if (scoredRow <= seen) return b.index;
  }
  return report.batches.length > 0 ? report.batches[report.batches.length - 1].index : 0;
}

interface CurveParts {
  readonly series: Series[];
  readonly markers: Marker[];
  readonly bands: Band[];
}

/** One model's learning curve: its series and its drift markers, in its colour. */
function curveOf(r: TrainReport, label: string, color: string): CurveParts {
  const data = (kind: string): Record<string, string> => ({ 'data-model': label, 'data-kind': kind });
  const drift = (x: number, row: number, where: string): Marker => ({
    x,
    color,
    lane: label,
    label: `${label}: drift detected by ${r.driftDetector ?? 'the detector'} at scored row ${count(row)}${where}`,
    data: { 'data-drift': String(row), 'data-model': label },
  });
  // Batch-split places a scored row at the batch whose test rows hold it, as its drift markers.
  const place = (row: number): number => (r.protocol === 'batch-split' ? batchOfScoredRow(r, row) : row);
  const bands: Band[] = r.protocol === 'holdout' ? [] : r.warnings.map(([first, last]) => ({
    x1: place(first),
    x2: place(last),
    color,
    label: `${label}: warning from ${r.driftDetector ?? 'the detector'}, scored rows ${count(first)} to ${count(last)}`,
    data: { 'data-warning': `${first}-${last}`, 'data-model': label },
  }));
  if (r.protocol === 'batch-split') {
    const scored = r.batches.filter((b) => b.accuracy !== null && Number.isFinite(b.accuracy));
    let sum = 0;
    const running: Point[] = [];
    const points: Point[] = scored.map((b, i) => {
      const acc = b.accuracy as number;
      sum += acc;
      running.push({ x: b.index, y: sum / (i + 1), label: `${label}: mean of the first ${i + 1} batch accuracies ${fixed(sum / (i + 1))}` });
      return { x: b.index, y: acc, label: `${label}: batch ${b.index}, accuracy ${fixed(acc)} on ${b.testRows} test rows` };
    });
    return {
      series: [
        { name: label, color, points, stroke: 'none', data: data('batch-accuracy') },
        { name: `${label} running mean`, color, points: running, stroke: 'solid', data: data('running-mean') },
      ],
      markers: r.drifts.map((row) => {
        const b = batchOfScoredRow(r, row);
        return drift(b, row, ` (batch ${b})`);
      }),
      bands,
    };
  }
  const at = (p: { row: number }, y: number | undefined, what: string): Point => ({ x: p.row, y: y ?? NaN, label: `${label}: ${what} ${fixed(y)} at row ${count(p.row)}` });
  if (r.protocol === 'holdout') {
    const points = r.curve.map((p) => at(p, p.accuracy, 'held-out accuracy'));
    return { series: [{ name: label, color, points, stroke: 'solid', data: data('holdout-accuracy') }], markers: [], bands };
  }
  const series: Series[] = [{ name: label, color, points: r.curve.map((p) => at(p, p.accuracy, 'accuracy so far')), stroke: 'solid', data: data('accuracy') }];
  if (r.curve.some((p) => p.windowAccuracy !== undefined)) {
    series.push({ name: `${label} windowed (last ${count(r.window ?? 0)} rows)`, color, points: r.curve.map((p) => at(p, p.windowAccuracy, 'windowed accuracy')), stroke: 'dashed', data: data('window') });
  }
  if (r.curve.some((p) => p.fadingAccuracy !== undefined)) {
    series.push({ name: `${label} faded (α = ${r.fading ?? '?'})`, color, points: r.curve.map((p) => at(p, p.fadingAccuracy, 'faded accuracy')), stroke: 'dotted', data: data('fading') });
  }
  return { series, markers: r.drifts.map((row) => drift(row, row, '')), bands };
}

const CAPTIONS: Record<TrainReport['protocol'], string> = {
  'batch-split':
    'Points: the accuracy on each batch\'s test rows (batches too small to score are left out). Line: the running mean of those per-batch accuracies.',
  prequential:
    'The accuracy over every row so far, each row predicted before it was learned (test-then-train).',
  holdout: 'The accuracy on the held-out rows, which are never learned, as the model learns the rest of the stream.',
};

function learningCurve(reports: readonly TrainReport[], labels: readonly string[]): string {
  const protocol = reports[0].protocol;
  const parts = reports.map((r, i) => curveOf(r, labels[i], colorOf(i)));
  const driftLegend = reports.flatMap((r, i) => (r.drifts.length > 0 ? [{ name: `${labels[i]} drift (${r.driftDetector ?? 'detector'})`, color: colorOf(i) }] : []));
  const held = describeHoldout(reports[0]);
  const svg = lineChart({
    chart: 'learning-curve',
    title: `Learning curve (${protocol})`,
    x:
      protocol === 'batch-split'
        ? { label: 'batch', format: (v) => count(v), integer: true }
        : { label: protocol === 'holdout' ? 'rows learned' : 'rows seen', format: (v, d) => v.toLocaleString('en-US', { maximumFractionDigits: d }) },
    y: {
      label: protocol === 'holdout' ? 'accuracy on the held-out rows' : 'accuracy',
      format: (v, d) => v.toFixed(d),
      clamp: [0, 1],
    },
    series: parts.flatMap((p) => p.series),
    markers: parts.flatMap((p) => p.markers),
    bands: parts.flatMap((p) => p.bands),
    markerLegend: driftLegend,
    width: CHART_WIDTH,
    data: { 'data-protocol': protocol },
  });
  const drifts =
    protocol === 'holdout' || reports.every((r) => r.driftDetector === null)
      ? ''
      : ` Drifts signalled by the detector on the errors: a triangle in the model's own lane above the plot and a thin dashed vertical line across it, in the model's colour${reports.some((r) => r.warnings.length > 0) ? '; shaded: its warning periods' : ''}${protocol === 'batch-split' ? '; placed at the batch whose test rows hold the scored row where it signalled' : ''}.`;
  const heldOut = held ? ` Held out: ${held}.` : '';
  const windowed = reports.some((r) => r.curve.some((p) => p.windowAccuracy !== undefined)) ? ' Dashed: over the last rows only (windowed; the window is in the legend).' : '';
  const faded = reports.some((r) => r.curve.some((p) => p.fadingAccuracy !== undefined)) ? ' Dotted: with a fading factor (in the legend).' : '';
  return `<figure>${svg}<figcaption>${esc(CAPTIONS[protocol] + windowed + faded + heldOut + drifts)}</figcaption></figure>`;
}

/** Bytes in decimal units with three significant digits (1.9 kB, 160 kB, 16.3 MB): the log axis's ticks are powers of ten. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let power = 0;
  while (power < units.length - 1 && Math.abs(bytes) >= 1000 ** (power + 1) * 0.9995) power++;
  const value = bytes / 1000 ** power;
  return `${power === 0 ? String(Math.round(value)) : Number(value.toPrecision(3)).toString()} ${units[power]}`;
}

/**
 * The models' sizes on a log scale: a 2 kB naive Bayes, a 160 kB tree and a 16 MB forest all
 * show their growth, where a linear axis sized for the forest lays the others flat on zero.
 */
export function modelSizeChart(reports: readonly RunReport[], labels: readonly string[]): string {
  const valid = reports.map((r) => r.modelSize.filter((p) => Number.isFinite(p.row) && Number.isFinite(p.bytes) && p.bytes > 0));
  if (!valid.some((points) => points.length >= 2)) return '';
  const svg = lineChart({
    chart: 'model-size',
    title: 'Model size over time',
    x: { label: 'rows seen', format: (v, d) => v.toLocaleString('en-US', { maximumFractionDigits: d }) },
    y: { label: 'model size (log scale)', format: (v) => formatBytes(v), scale: 'log' },
    series: valid.map((points, i) => ({
      name: labels[i],
      color: colorOf(i),
      stroke: 'solid' as const,
      points: points.map((p) => ({ x: p.row, y: p.bytes, label: `${labels[i]}: ${formatBytes(p.bytes)} (${count(p.bytes)} bytes) at row ${count(p.row)}` })),
      data: { 'data-model': labels[i], 'data-kind': 'model-size' },
    })),
    width: CHART_WIDTH,
    height: 200,
  });
  return `<h2>Model size</h2><figure>${svg}<figcaption>The size of the model's saved state as it learned, on a log scale so that models of very different sizes can be read side by side.</figcaption></figure>`;
}

/** A model's per-class scores and its confusion matrix as a heat map (rows: truth, columns: predicted). */
function perModel(r: TrainReport, label: string): string {
  const m = r.metrics;
  const k = r.classes.length;
  const rows = r.classes.map((c, i) =>
    `<tr><th scope="row">${esc(c)}</th><td>${fixed(m.precision[i])}</td><td>${fixed(m.recall[i])}</td><td>${fixed(m.f1[i])}</td><td>${count(m.support[i] ?? 0)}</td></tr>`,
  );
  const table = `<table class="per-class"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const counts = r.classes.map((_, i) => r.classes.map((__, j) => m.confusionMatrix[i]?.[j] ?? 0));
  const totals = counts.map((row) => row.reduce((a, b) => a + b, 0));
  // Colour by the share of the true class's rows, so that a rare class's mistakes show as strongly as a common one's.
  const shares = counts.map((row, i) => row.map((n) => (totals[i] > 0 ? n / totals[i] : 0)));
  const matrix = heatMap({
    chart: 'confusion-matrix',
    title: `Confusion matrix of ${label}`,
    rowLabels: r.classes,
    colLabels: r.classes,
    counts,
    shares,
    rowTitle: 'true class',
    colTitle: 'predicted class',
    cellLabel: (i, j) =>
      `true ${r.classes[i]}, predicted ${r.classes[j]}: ${count(counts[i][j])}${totals[i] > 0 ? ` (${(shares[i][j] * 100).toFixed(1)}% of ${r.classes[i]})` : ''}`,
    data: { 'data-model': label },
  });
  const caption = `Rows: the true class; columns: the predicted class. Colour: the share of the true class's ${k > 1 ? 'rows' : 'rows (one class)'}; the number: rows.`;
  return (
    `<section class="model"><h3>${esc(label)}</h3><div class="pair">` +
    `<div><h4>Per class</h4>${table}</div>` +
    `<figure><h4>Confusion matrix</h4>${matrix}<figcaption>${esc(caption)}</figcaption></figure>` +
    `</div></section>`
  );
}

export const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d1f; margin: 0 auto; padding: 24px; max-width: 1100px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2:first-of-type { margin-top: 12px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
h4 { font-size: 13px; margin: 0 0 6px; color: #444; }
.sub { color: #666; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #ccc; }
td { font-variant-numeric: tabular-nums; }
.kv td { max-width: 480px; overflow-wrap: anywhere; }
.per-class td { text-align: right; }
td.best { font-weight: 700; }
pre.command { background: #f5f5f7; padding: 8px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: normal; word-break: normal; }
figure { margin: 8px 0 16px; }
figcaption { color: #555; font-size: 12.5px; }
svg { max-width: 100%; height: auto; display: block; font-family: inherit; }
svg text { font-size: 12px; fill: #333; }
svg .tick { font-size: 11px; fill: #444; }
svg .axis { stroke: #888; }
svg .grid { stroke: #e6e6e6; }
svg .empty { fill: #999; }
svg .count { pointer-events: none; }
svg .count.on-dark { fill: #fff; }
svg circle[data-point] { stroke: #fff; stroke-width: 0.5; }
svg circle.hover { fill-opacity: 0; stroke: none; }
svg circle.hover:hover { fill-opacity: 1; }
.pair { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
@media print { body { padding: 0; } }
`;

/**
 * The report(s) as one self-contained HTML page, in the order a reader
 * looks: learning curve (with drift markers), metrics (speed and size
 * included), model size over time, per-class scores and confusion matrices,
 * then the settings and the command. Several reports are a comparison and must share their protocol,
 * whose curves would otherwise not share an x axis.
 */
export function reportToHtml(reports: readonly TrainReport[], options: HtmlReportOptions = {}): string {
  if (reports.length === 0) fail('reportToHtml: no report to render');
  const protocol = reports[0].protocol;
  const other = reports.find((r) => r.protocol !== protocol);
  if (other) fail(`reportToHtml: the reports compared must share their protocol, got ${protocol} and ${other.protocol}`);
  const labels = modelLabels(reports);
  const datasets = [...new Set(reports.map((r) => r.dataset))].join(', ');
  const title =
    options.title ??
    (reports.length === 1 ? `streamlearn training report: ${reports[0].model} on ${datasets}` : `streamlearn comparison: ${labels.join(', ')} on ${datasets}`);
  const settings = settingsSection(reports, labels);
  const command = options.command === undefined ? '' : `<h3>Command</h3><pre class="command"><code>${esc(options.command)}</code></pre>`;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="sub">${esc(reports.length === 1 ? 'One training run.' : `${reports.length} learners on the identical stream.`)} Made by streamlearn; hover a point or a cell for its value.</p>`,
    // What a reader came for first: the curve and the numbers; then sizes, classes, and how it was run.
    `<h2>Learning curve</h2>${learningCurve(reports, labels)}`,
    `<h2>Metrics</h2>${metricTable(reports, labels)}${reports.length > 1 ? '<p class="sub">Bold: the best of the models.</p>' : ''}`,
    modelSizeChart(reports, labels),
    `<h2>Classes</h2>${reports.map((r, i) => perModel(r, labels[i])).join('')}`,
    `<h2>Settings</h2>${settings}${command}`,
  ];
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="generator" content="streamlearn"><title>${esc(title)}</title><style>${REPORT_CSS}</style></head>\n<body>\n${body.filter(Boolean).join('\n')}\n</body></html>\n`
  );
}
