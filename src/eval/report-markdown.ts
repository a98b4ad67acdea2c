import type { TrainReport } from '../pipeline.js';

const fixed = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

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
    ['parameters', Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
    ['preprocessing', r.preprocessing.join(', ') || 'none'],
    ['protocol', r.protocol === 'batch-split' ? `batch-split, batch size ${r.batchSize}, test size ${r.testSize}` : 'prequential (test-then-train)'],
    ['shuffle', !r.shuffled ? 'none' : r.shuffleBuffer !== null ? `buffer of ${r.shuffleBuffer} rows (approximate)` : 'exact'],
    ['seed', String(r.seed)],
  ];
  const results: string[][] = [
    ['accuracy (scored rows pooled)', fixed(r.accuracy)],
    ['scored rows', String(r.scoredRows)],
  ];
  if (r.meanAccuracy !== null) results.push(['mean per-batch accuracy ± sample std', `${fixed(r.meanAccuracy)} ± ${fixed(r.stdAccuracy)}`]);
  if (r.accuracyInterval) results.push(['95% interval of the mean (Student t)', `${fixed(r.accuracyInterval.low)} to ${fixed(r.accuracyInterval.high)}`]);
  if (r.skippedRows > 0) results.push(['bad rows skipped', String(r.skippedRows)]);
  results.push(['wall time', `${r.wallSeconds.toFixed(3)} s (${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s)`]);
  results.push(['model saved', r.modelPath ?? 'no']);
  const metrics: string[][] = [
    ['kappa', fixed(m.kappa)],
    ['kappa-M (against the majority class)', fixed(m.kappaM)],
    ['kappa-T (against no-change)', fixed(m.kappaT)],
    ['balanced accuracy', fixed(m.balancedAccuracy)],
    ['macro precision / recall / F1', `${fixed(m.macro.precision)} / ${fixed(m.macro.recall)} / ${fixed(m.macro.f1)}`],
    ['micro precision / recall / F1', `${fixed(m.micro.precision)} / ${fixed(m.micro.recall)} / ${fixed(m.micro.f1)}`],
    ['log loss', fixed(m.logLoss)],
  ];
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
  } else if (r.curve.length > 0) {
    parts.push('## Learning curve');
    const hasWindow = r.curve[0].windowAccuracy !== undefined;
    const hasFading = r.curve[0].fadingAccuracy !== undefined;
    const header = ['rows', 'accuracy', ...(hasWindow ? ['windowed'] : []), ...(hasFading ? ['faded'] : [])];
    parts.push(table(header, r.curve.map((p) => [String(p.row), fixed(p.accuracy), ...(hasWindow ? [fixed(p.windowAccuracy)] : []), ...(hasFading ? [fixed(p.fadingAccuracy)] : [])])));
  }
  if (r.driftDetector) {
    parts.push('## Drift');
    parts.push(`${r.drifts.length} drift${r.drifts.length === 1 ? '' : 's'} detected by ${r.driftDetector}${r.drifts.length ? ` at scored rows ${r.drifts.join(', ')}` : ''}.`);
  }
  return `${parts.join('\n\n')}\n`;
}
