/**
 * A regressor's training report (or several regressors' comparison) as one
 * self-contained HTML page, as report-html.ts makes a classifier's: the
 * error curve, the errors side by side, the model's size, the settings.
 */
import { fail } from '../core/errors.js';
import type { RegressionReport } from './report.js';
import { count, describeParams, describeProtocol, describeShuffle, fixed } from './report-format.js';
import { CHART_WIDTH, colorOf, modelLabels, modelSizeChart, REPORT_CSS, type HtmlReportOptions } from './report-html.js';
import { escapeXml as esc, lineChart, type Series } from './svg.js';

/** RMSE as the model learned: the running curve (prequential), per evaluation (holdout) or per batch (batch-split); windowed dashed. */
function errorCurve(reports: readonly RegressionReport[], labels: readonly string[]): string {
  const series: Series[] = [];
  reports.forEach((r, i) => {
    const running =
      r.protocol === 'batch-split'
        ? r.batches.flatMap((b) => (b.rmse === null ? [] : [{ x: b.index, y: b.rmse }]))
        : r.curve.map((p) => ({ x: p.row, y: p.rmse }));
    series.push({
      name: labels[i],
      color: colorOf(i),
      stroke: 'solid',
      points: running.map((p) => ({ ...p, label: `${labels[i]}: RMSE ${fixed(p.y)} at ${r.protocol === 'batch-split' ? 'batch' : 'row'} ${count(p.x)}` })),
      data: { 'data-model': labels[i], 'data-kind': 'rmse' },
    });
    const windowed = r.curve.filter((p) => p.windowRmse !== undefined);
    if (windowed.length > 0) {
      series.push({
        name: `${labels[i]} (last ${count(r.window ?? 0)} rows)`,
        color: colorOf(i),
        stroke: 'dashed',
        points: windowed.map((p) => ({ x: p.row, y: p.windowRmse!, label: `${labels[i]}: RMSE over the last rows ${fixed(p.windowRmse)} at row ${count(p.row)}` })),
        data: { 'data-model': labels[i], 'data-kind': 'window-rmse' },
      });
    }
  });
  if (!series.some((s) => s.points.length > 0)) return '<p class="sub">No point to draw.</p>';
  const perBatch = reports[0].protocol === 'batch-split';
  const svg = lineChart({
    chart: 'error-curve',
    title: 'Root mean squared error',
    x: { label: perBatch ? 'batch' : reports[0].protocol === 'holdout' ? 'rows learned' : 'rows seen', format: (v, d) => v.toLocaleString('en-US', { maximumFractionDigits: d }) },
    y: { label: 'RMSE', format: (v, d) => v.toFixed(d) },
    series,
    width: CHART_WIDTH,
    height: 280,
  });
  const caption = perBatch
    ? "Each batch's RMSE on its test rows, after learning its train rows."
    : reports[0].protocol === 'holdout'
      ? 'RMSE on the held-out rows at each evaluation.'
      : 'RMSE over every row so far, each predicted before it was learned; dashed: over the last rows only.';
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function errorTable(reports: readonly RegressionReport[], labels: readonly string[]): string {
  const rows: [string, (r: RegressionReport) => string][] = [
    ['MAE', (r) => fixed(r.metrics.mae)],
    ['RMSE', (r) => fixed(r.metrics.rmse)],
    ['R²', (r) => fixed(r.metrics.r2)],
    ['mean of the target', (r) => fixed(r.metrics.targetMean)],
    ['scored rows', (r) => count(r.scoredRows)],
    ['mean per-batch RMSE ± std', (r) => (r.perBatch ? `${fixed(r.perBatch.rmse.mean)} ± ${fixed(r.perBatch.rmse.std)}` : '-')],
    ['rows/s (model only)', (r) => count(r.rows / Math.max(r.modelSeconds, 1e-9))],
    ['wall time', (r) => `${r.wallSeconds.toFixed(3)} s`],
  ];
  const head = `<tr><th>measure</th>${labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
  const body = rows.map(([name, value]) => `<tr><th scope="row">${esc(name)}</th>${reports.map((r) => `<td>${esc(value(r))}</td>`).join('')}</tr>`).join('');
  return `<table class="metrics"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function settingsTable(reports: readonly RegressionReport[], labels: readonly string[]): string {
  const lines: [string, (r: RegressionReport) => string][] = [
    ['dataset', (r) => `${r.dataset}: ${count(r.rows)} rows, ${r.features} features, label "${r.label}" (a number)`],
    ['model', (r) => r.model],
    ['parameters', describeParams],
    ['preprocessing', (r) => r.preprocessing.join(', ') || 'none'],
    ['protocol', describeProtocol],
    ['shuffle', describeShuffle],
    ['seed', (r) => String(r.seed)],
    ['drift detector', (r) => (r.driftDetector ? `${r.driftDetector} on the absolute error: ${r.drifts.length} drifts` : 'none')],
  ];
  const head = `<tr><th>setting</th>${labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
  const body = lines.map(([name, value]) => `<tr><th scope="row">${esc(name)}</th>${reports.map((r) => `<td>${esc(value(r))}</td>`).join('')}</tr>`).join('');
  return `<table class="kv"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** The regression report(s) as one self-contained HTML page; several must share their protocol. */
export function regressionReportToHtml(reports: readonly RegressionReport[], options: HtmlReportOptions = {}): string {
  if (reports.length === 0) fail('regressionReportToHtml: no report to render');
  const protocol = reports[0].protocol;
  const other = reports.find((r) => r.protocol !== protocol);
  if (other) fail(`regressionReportToHtml: the reports compared must share their protocol, got ${protocol} and ${other.protocol}`);
  const labels = modelLabels(reports);
  const datasets = [...new Set(reports.map((r) => r.dataset))].join(', ');
  const title = options.title ?? (reports.length === 1 ? `streamlearn regression report: ${reports[0].model} on ${datasets}` : `streamlearn comparison: ${labels.join(', ')} on ${datasets}`);
  const command = options.command === undefined ? '' : `<h3>Command</h3><pre class="command"><code>${esc(options.command)}</code></pre>`;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="sub">${esc(reports.length === 1 ? 'One regression run.' : `${reports.length} regressors on the identical stream.`)} Made by streamlearn; hover a point for its value.</p>`,
    `<h2>Error curve</h2>${errorCurve(reports, labels)}`,
    `<h2>Errors</h2>${errorTable(reports, labels)}`,
    modelSizeChart(reports, labels),
    `<h2>Settings</h2>${settingsTable(reports, labels)}${command}`,
  ];
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="generator" content="streamlearn"><title>${esc(title)}</title><style>${REPORT_CSS}</style></head>\n<body>\n${body.join('\n')}\n</body></html>\n`
  );
}
