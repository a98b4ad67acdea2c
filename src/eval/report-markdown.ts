import { describeWarnings, type RegressionReport, type TrainReport } from './report.js';
import { describeParams, describeProtocol, describeShuffle, fixed, formatMetric, metricLines } from './report-format.js';

/** Escapes what would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * A training report as a Markdown document: the settings, the results and
 * the field's metrics, per-class scores, the confusion matrix (rows are the
 * truth), and the per-batch accuracies (batch-split) or the learning curve
 * (prequential). Everything in it is in the JSON report too.
 */
export function reportToMarkdown(r: TrainReport): string {
  const m = r.metrics;
  const settings: string[][] = [
    ['data', `${r.dataset}: ${r.rows} rows, ${r.features} features, ${r.classes.length} classes`],
    ['model', `${r.model}${r.backend ? ` (TensorFlow.js ${r.backend})` : ''}`],
    ['parameters', describeParams(r)],
    ['preprocessing', r.preprocessing.join(', ') || 'none'],
    ['protocol', describeProtocol(r)],
    ['shuffle', describeShuffle(r)],
    ['seed', String(r.seed)],
  ];
  const results: string[][] = [
    [r.protocol === 'holdout' ? 'accuracy (final model on the held-out rows)' : 'accuracy (scored rows pooled)', fixed(r.accuracy)],
    ['scored rows', String(r.scoredRows)],
  ];
  if (r.meanAccuracy !== null) results.push(['mean per-batch accuracy ± sample std', `${fixed(r.meanAccuracy)} ± ${fixed(r.stdAccuracy)}`]);
  if (r.accuracyInterval) results.push(['95% interval of the mean (Student t)', `${fixed(r.accuracyInterval.low)} to ${fixed(r.accuracyInterval.high)}`]);
  if (r.skippedRows > 0) results.push(['bad rows skipped', String(r.skippedRows)]);
  results.push(['wall time', `${r.wallSeconds.toFixed(3)} s (${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s)`]);
  results.push(['model saved', r.modelPath ?? 'no']);
  const metrics: string[][] = metricLines.map((line) => [line.label, formatMetric(line, r)]);
  const perClass = r.classes.map((c, i) => [c, fixed(m.precision[i]), fixed(m.recall[i]), fixed(m.f1[i]), String(m.support[i] ?? 0)]);
  const confusion = r.classes.map((c, i) => [c, ...r.classes.map((_, j) => String(m.confusionMatrix[i]?.[j] ?? 0))]);
  const parts = [
    `# streamlearn training report: ${r.model} on ${r.dataset}`,
    table(['setting', 'value'], settings),
    '## Results',
    table(['measure', 'value'], results),
    '## Metrics',
    table(['metric', 'value'], metrics),
    '### Per class',
    table(['class', 'precision', 'recall', 'F1', 'support'], perClass),
    '### Confusion matrix (rows: truth, columns: predicted)',
    table(['truth \\ predicted', ...r.classes], confusion),
  ];
  if (r.protocol === 'batch-split') {
    parts.push('## Per-batch accuracy');
    parts.push(table(['batch', 'train rows', 'test rows', 'accuracy'], r.batches.map((b) => [String(b.index), String(b.trainRows), String(b.testRows), b.accuracy === null ? '- (one row: learned, not scored)' : fixed(b.accuracy)])));
  } else if (r.protocol === 'holdout') {
    parts.push('## Learning curve (accuracy on the held-out rows)');
    parts.push(table(['rows learned', 'accuracy'], r.curve.map((p) => [String(p.row), fixed(p.accuracy)])));
  } else if (r.curve.length > 0) {
    parts.push('## Learning curve');
    const hasWindow = r.curve[0].windowAccuracy !== undefined;
    const hasFading = r.curve[0].fadingAccuracy !== undefined;
    const header = ['rows', 'accuracy', ...(hasWindow ? ['windowed'] : []), ...(hasFading ? ['faded'] : [])];
    parts.push(table(header, r.curve.map((p) => [String(p.row), fixed(p.accuracy), ...(hasWindow ? [fixed(p.windowAccuracy)] : []), ...(hasFading ? [fixed(p.fadingAccuracy)] : [])])));
  }
  if (r.modelSize.length > 0) {
    parts.push('## Model size');
    parts.push(table(['rows', 'bytes'], r.modelSize.map((p) => [String(p.row), String(p.bytes)])));
  }
  if (r.driftDetector) {
    parts.push('## Drift');
    parts.push(`${r.drifts.length} drift${r.drifts.length === 1 ? '' : 's'} detected by ${r.driftDetector}${r.drifts.length ? ` at scored rows ${r.drifts.join(', ')}` : ''}.`);
    parts.push(`${describeWarnings(r.warnings)}.`);
  }
  return `${parts.join('\n\n')}\n`;
}

/**
 * Several learners' reports on the same stream (compare) as one Markdown
 * document: the shared settings, then one table with a column per learner.
 */
export function comparisonToMarkdown(reports: readonly TrainReport[]): string {
  const first = reports[0];
  const settings: string[][] = [
    ['data', `${first.dataset}: ${first.rows} rows, ${first.features} features, ${first.classes.length} classes`],
    ['protocol', describeProtocol(first)],
    ['shuffle', describeShuffle(first)],
    ['seed', String(first.seed)],
  ];
  const rows = comparisonRows(reports).map((row) => [row.measure, ...row.values]);
  return `${[
    `# streamlearn comparison on ${first.dataset}: ${reports.map((r) => r.model).join(', ')}`,
    table(['setting', 'value'], settings),
    '## Side by side',
    table(['measure', ...reports.map((r) => r.model)], rows),
  ].join('\n\n')}\n`;
}

/** The measures compare puts side by side, one value per learner, formatted. */
export function comparisonRows(reports: readonly TrainReport[]): { measure: string; values: string[] }[] {
  const row = (measure: string, value: (r: TrainReport) => string) => ({ measure, values: reports.map(value) });
  const out = [row(first(reports).protocol === 'holdout' ? 'accuracy (held-out rows)' : 'accuracy', (r) => fixed(r.accuracy))];
  if (reports.some((r) => r.meanAccuracy !== null)) out.push(row('mean per-batch accuracy ± std', (r) => `${fixed(r.meanAccuracy)} ± ${fixed(r.stdAccuracy)}`));
  out.push(
    row('kappa', (r) => fixed(r.metrics.kappa)),
    row('kappa-M', (r) => fixed(r.metrics.kappaM)),
    row('kappa-T', (r) => fixed(r.metrics.kappaT)),
    row('balanced accuracy', (r) => fixed(r.metrics.balancedAccuracy)),
    row('macro F1', (r) => fixed(r.metrics.macro.f1)),
    row('log loss', (r) => fixed(r.metrics.logLoss)),
  );
  if (reports.some((r) => r.driftDetector)) out.push(row('drifts detected', (r) => String(r.drifts.length)));
  out.push(
    row('model seconds', (r) => r.modelSeconds.toFixed(3)),
    row('rows/s (model only)', (r) => Math.round(r.rows / Math.max(r.modelSeconds, 1e-9)).toLocaleString('en-US')),
    row('model size', (r) => {
      const bytes = r.modelSize[r.modelSize.length - 1]?.bytes;
      return bytes === undefined ? '-' : `${bytes.toLocaleString('en-US')} bytes`;
    }),
  );
  return out;
}

function first(reports: readonly TrainReport[]): TrainReport {
  if (reports.length === 0) throw new RangeError('a comparison needs at least one report');
  return reports[0];
}

/** The errors of a regression run, one row per measure: pooled, and per batch when there were batches. */
function regressionResults(r: RegressionReport): string[][] {
  const pooled = r.protocol === 'holdout' ? 'final model on the held-out rows' : 'scored rows pooled';
  const rows: string[][] = [
    [`MAE (${pooled})`, fixed(r.metrics.mae)],
    [`RMSE (${pooled})`, fixed(r.metrics.rmse)],
    [`R² (${pooled})`, fixed(r.metrics.r2)],
    ['mean of the target', fixed(r.metrics.targetMean)],
    ['scored rows', String(r.scoredRows)],
  ];
  const b = r.perBatch;
  if (b) {
    rows.push(['mean per-batch MAE ± sample std', `${fixed(b.mae.mean)} ± ${fixed(b.mae.std)}`]);
    rows.push(['mean per-batch RMSE ± sample std', `${fixed(b.rmse.mean)} ± ${fixed(b.rmse.std)}`]);
    rows.push(['mean per-batch R² ± sample std', b.r2 ? `${fixed(b.r2.mean)} ± ${fixed(b.r2.std)}` : '-']);
  }
  return rows;
}

/**
 * A regressor's training report as a Markdown document: the settings, MAE,
 * RMSE and R², and the per-batch errors (batch-split) or the learning curve.
 */
export function regressionReportToMarkdown(r: RegressionReport): string {
  const settings: string[][] = [
    ['task', 'regression'],
    ['data', `${r.dataset}: ${r.rows} rows, ${r.features} features, label "${r.label}" (a number)`],
    ['model', r.model],
    ['parameters', describeParams(r)],
    ['preprocessing', r.preprocessing.join(', ') || 'none'],
    ['protocol', describeProtocol(r)],
    ['shuffle', describeShuffle(r)],
    ['seed', String(r.seed)],
  ];
  const results = regressionResults(r);
  if (r.skippedRows > 0) results.push(['bad rows skipped', String(r.skippedRows)]);
  results.push(['wall time', `${r.wallSeconds.toFixed(3)} s (${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s)`]);
  results.push(['model saved', r.modelPath ?? 'no']);
  const parts = [`# streamlearn training report: ${r.model} on ${r.dataset}`, table(['setting', 'value'], settings), '## Results', table(['measure', 'value'], results)];
  if (r.protocol === 'batch-split') {
    parts.push('## Per-batch errors');
    parts.push(table(['batch', 'train rows', 'test rows', 'MAE', 'RMSE', 'R²'], r.batches.map((b) => [String(b.index), String(b.trainRows), String(b.testRows), fixed(b.mae), fixed(b.rmse), fixed(b.r2)])));
  } else if (r.curve.length > 0) {
    parts.push(r.protocol === 'holdout' ? '## Learning curve (errors on the held-out rows)' : '## Learning curve');
    const windowed = r.curve[0].windowMae !== undefined;
    const header = [r.protocol === 'holdout' ? 'rows learned' : 'rows', 'MAE', 'RMSE', 'R²', ...(windowed ? ['windowed MAE', 'windowed RMSE', 'windowed R²'] : [])];
    parts.push(table(header, r.curve.map((p) => [String(p.row), fixed(p.mae), fixed(p.rmse), fixed(p.r2), ...(windowed ? [fixed(p.windowMae), fixed(p.windowRmse), fixed(p.windowR2)] : [])])));
  }
  if (r.modelSize.length > 0) {
    parts.push('## Model size');
    parts.push(table(['rows', 'bytes'], r.modelSize.map((p) => [String(p.row), String(p.bytes)])));
  }
  if (r.driftDetector) {
    parts.push('## Drift');
    parts.push(`${r.drifts.length} drift${r.drifts.length === 1 ? '' : 's'} detected by ${r.driftDetector} (watching the absolute error)${r.drifts.length ? ` at scored rows ${r.drifts.join(', ')}` : ''}.`);
    parts.push(`${describeWarnings(r.warnings)}.`);
  }
  return `${parts.join('\n\n')}\n`;
}

/** Several regressors' reports on the same stream (compare) as one Markdown document. */
export function regressionComparisonToMarkdown(reports: readonly RegressionReport[]): string {
  if (reports.length === 0) throw new RangeError('a comparison needs at least one report');
  const r0 = reports[0];
  const settings: string[][] = [
    ['task', 'regression'],
    ['data', `${r0.dataset}: ${r0.rows} rows, ${r0.features} features, label "${r0.label}"`],
    ['protocol', describeProtocol(r0)],
    ['shuffle', describeShuffle(r0)],
    ['seed', String(r0.seed)],
  ];
  const rows = regressionComparisonRows(reports).map((row) => [row.measure, ...row.values]);
  return `${[
    `# streamlearn comparison on ${r0.dataset}: ${reports.map((r) => r.model).join(', ')}`,
    table(['setting', 'value'], settings),
    '## Side by side',
    table(['measure', ...reports.map((r) => r.model)], rows),
  ].join('\n\n')}\n`;
}

/** The measures a regression comparison puts side by side, one value per regressor, formatted. */
export function regressionComparisonRows(reports: readonly RegressionReport[]): { measure: string; values: string[] }[] {
  const measures = regressionResults(reports[0]).map(([measure]) => measure);
  const values = reports.map((r) => regressionResults(r).map(([, v]) => v));
  const rows = measures.map((measure, i) => ({ measure, values: values.map((v) => v[i]) }));
  if (reports.some((r) => r.driftDetector)) rows.push({ measure: 'drifts detected', values: reports.map((r) => String(r.drifts.length)) });
  rows.push(
    { measure: 'model seconds', values: reports.map((r) => r.modelSeconds.toFixed(3)) },
    { measure: 'rows/s (model only)', values: reports.map((r) => Math.round(r.rows / Math.max(r.modelSeconds, 1e-9)).toLocaleString('en-US')) },
    {
      measure: 'model size',
      values: reports.map((r) => {
        const bytes = r.modelSize[r.modelSize.length - 1]?.bytes;
        return bytes === undefined ? '-' : `${bytes.toLocaleString('en-US')} bytes`;
      }),
    },
  );
  return rows;
}
