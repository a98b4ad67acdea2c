import type { RegressionBatchResult, RegressionCurvePoint } from '../../eval/regression-evaluation.js';
import { describeWarnings, type RegressionReport } from '../../eval/report.js';
import { fixed } from '../../eval/report-format.js';
import { brokerTrainOptions } from '../broker/cli-options.js';
import { DEFAULT_DATASET, DEFAULTS } from '../pipeline.js';
import { trainRegressorWithSettings } from '../regression-pipeline.js';
import { formatCount, formatRow } from './format.js';
import { Progress } from './progress.js';
import { checkReportFile, renderRegressionReport, writeRegressionReportFile } from './report-file.js';
import { runOptions } from './run-options.js';
import type { TrainFlags } from './train.js';
import { commandLine, expectedRows, progressInterval } from './train-run.js';

const BATCH_WIDTHS = [5, 5, 4, 10, 10, 8];

/** `streamlearn train --model REGRESSOR`: the regression run, its table of errors as it goes, and its report. */
export async function runTrainRegression(flags: TrainFlags): Promise<void> {
  const reportFormat = flags.report !== undefined ? await checkReportFile(flags.report) : null;
  const table = flags.format === 'table';
  const source = flags.source ?? flags.data ?? flags.dataset ?? DEFAULT_DATASET;
  const progress = new Progress({ label: 'training', total: expectedRows(flags), enabled: flags.progress, training: true });
  const title = (protocol: string): string => `streamlearn train: ${source}, regressor ${flags.model}, ${protocol}, seed ${flags.seed}\n\n`;
  let batchHeader = false;
  const onBatch = (b: RegressionBatchResult): void => {
    if (!table) return;
    if (!batchHeader) {
      progress.print(`${title(`batch size ${flags.batchSize}, test size ${flags.testSize}`)}${formatRow(['batch', 'train', 'test', 'MAE', 'RMSE', 'R²'], BATCH_WIDTHS)}\n`);
      batchHeader = true;
    }
    const cells = b.mae === null ? ['-       (one row: learned, not scored)', '', ''] : [fixed(b.mae), fixed(b.rmse), fixed(b.r2)];
    progress.print(`${formatRow([b.index, b.trainRows, b.testRows, ...cells], BATCH_WIDTHS)}\n`);
  };
  const windowed = flags.window !== undefined;
  const curveTitles = ['rows', 'MAE', 'RMSE', 'R²', ...(windowed ? [`MAE last ${formatCount(flags.window!)}`, 'RMSE', 'R²'] : [])];
  const curveWidths = curveTitles.map((t, i) => (i === 0 ? 12 : Math.max(8, t.length)));
  const lineEvery = flags.curveEvery ?? progressInterval(flags.rows ?? expectedRows(flags) ?? DEFAULTS.synthRows);
  let curveHeader = false;
  let lastPrinted = 0;
  const printCurve = (p: RegressionCurvePoint, heading: string): void => {
    if (!curveHeader) {
      progress.print(`${title(heading)}${formatRow(curveTitles, curveWidths)}\n`);
      curveHeader = true;
    }
    lastPrinted = p.row;
    const cells = [formatCount(p.row), fixed(p.mae), fixed(p.rmse), fixed(p.r2), ...(windowed ? [fixed(p.windowMae), fixed(p.windowRmse), fixed(p.windowR2)] : [])];
    progress.print(`${formatRow(cells, curveWidths)}\n`);
  };
  let result: Awaited<ReturnType<typeof trainRegressorWithSettings>>;
  try {
    result = await trainRegressorWithSettings({
      ...runOptions(flags),
      ...brokerTrainOptions(flags),
      model: flags.model,
      params: flags.param,
      out: flags.save ? flags.out : null,
      onBatch,
      onCurve: (p) => {
        if (table && p.row % lineEvery === 0) printCurve(p, 'prequential');
      },
      onEvaluation: (p) => {
        if (table) printCurve(p, 'periodic holdout (errors on the held-out rows; rows: learned)');
      },
      progressEvery: 1000,
      onScore: (_, rmse) => progress.scored(rmse),
      onRows: (rows) => progress.update(rows),
    });
  } finally {
    progress.stop();
  }
  const { report } = result;
  const end = report.curve[report.curve.length - 1];
  if (table && report.protocol === 'prequential' && end !== undefined && end.row !== lastPrinted) printCurve(end, 'prequential');
  if (flags.report !== undefined && reportFormat) await writeRegressionReportFile(flags.report, [report], reportFormat, commandLine(), false);
  process.stdout.write(flags.format === 'table' ? regressionSummaryText(report, flags.report) : await renderRegressionReport([report], flags.format, commandLine(), false));
}

function regressionSummaryText(r: RegressionReport, reportFile?: string): string {
  const m = r.metrics;
  const pooled = r.protocol === 'holdout' ? `the final model on the ${r.testRows} held-out rows` : r.protocol === 'prequential' ? 'prequential: each row predicted before it was learned' : 'test rows pooled';
  const lines = [
    '',
    `task           regression: the label "${r.label}" is a number to predict`,
    `data           ${r.dataset}: ${r.rows} rows (${r.trainRows} learned, ${r.testRows} scored), ${r.features} features`,
    `model          ${r.model}`,
    `preprocessing  ${r.preprocessing.length > 0 ? r.preprocessing.join(' -> ') : 'none'}`,
    `errors         MAE ${fixed(m.mae)}, RMSE ${fixed(m.rmse)}, R² ${fixed(m.r2)} (${pooled}; mean of the target ${fixed(m.targetMean)})`,
  ];
  if (r.perBatch) {
    const b = r.perBatch;
    const scored = r.batches.length - r.unscoredBatches;
    lines.push(`per batch      MAE ${fixed(b.mae.mean)} ± ${fixed(b.mae.std)}, RMSE ${fixed(b.rmse.mean)} ± ${fixed(b.rmse.std)}, R² ${b.r2 ? `${fixed(b.r2.mean)} ± ${fixed(b.r2.std)}` : '-'} (mean ± sample std over ${scored} scored batch${scored === 1 ? '' : 'es'})`);
  }
  if (r.driftDetector) {
    const at = r.drifts.length ? ` at scored rows ${r.drifts.slice(0, 10).join(', ')}${r.drifts.length > 10 ? ', ...' : ''}` : '';
    lines.push(`drift          ${r.drifts.length} detected by ${r.driftDetector} on the absolute error${at}`);
    if (r.warnings.length > 0) lines.push(`warnings       ${describeWarnings(r.warnings, 5, formatCount)}`);
  }
  if (r.skippedRows > 0) lines.push(`skipped        ${r.skippedRows} bad row${r.skippedRows === 1 ? '' : 's'} (--on-bad-row skip), not learned`);
  lines.push(`speed          ${r.wallSeconds.toFixed(3)} s, ${formatCount(r.rowsPerSecond)} rows/s`);
  const size = r.modelSize[r.modelSize.length - 1];
  if (size) lines.push(`model size     ${formatCount(size.bytes)} bytes`);
  if (reportFile !== undefined) lines.push(`report         ${reportFile}`);
  if (r.modelPath) {
    lines.push(`model saved    ${r.modelPath}`);
    lines.push(`predict with   npx streamlearn predict --model ${r.modelPath} --input <file.csv>`);
  } else lines.push('model saved    no (--no-save)');
  return `${lines.join('\n')}\n`;
}
