import type { BatchResult } from '../../eval/batch-split.js';
import type { CurvePoint } from '../../eval/prequential.js';
import { describeWarnings } from '../../eval/report.js';
import { isRegressorName } from '../../learners/regressor-registry.js';
import { brokerTrainOptions } from '../broker/cli-options.js';
import { datasetCard } from '../files/datasets.js';
import { checkSettings, DEFAULT_DATASET, DEFAULTS, SYNTH_PREFIX, trainWithSettings, type TrainReport } from '../pipeline.js';
import { formatCount, formatRow } from './format.js';
import { Progress } from './progress.js';
import { checkReportFile, renderReport, writeReportFile } from './report-file.js';
import { runOptions, type RunFlags } from './run-options.js';
import type { TrainFlags } from './train.js';

const WIDTHS = [5, 5, 4, 8];

/** `streamlearn train`: runs train() with the flags, draws the progress, prints the report. */
export async function runTrain(flags: TrainFlags): Promise<void> {
  checkSettings(flags, { seed: '--seed', batchSize: '--batch-size', testSize: '--test-size' });
  if (isRegressorName(flags.model)) return (await import('./train-regression-run.js')).runTrainRegression(flags);
  const reportFormat = flags.report !== undefined ? await checkReportFile(flags.report) : null;
  const table = flags.format === 'table';
  const source = flags.source ?? flags.data ?? flags.dataset ?? DEFAULT_DATASET;
  // The bar goes to stderr whatever the format, so that stdout stays the command's result (`train > log` still shows it).
  const progress = new Progress({ label: 'training', total: expectedRows(flags), enabled: flags.progress, training: true });
  let headerShown = false;
  const onBatch = (b: BatchResult): void => {
    if (!table) return;
    if (!headerShown) {
      progress.print(
        `streamlearn train: ${source}, model ${flags.model}, seed ${flags.seed}, batch size ${flags.batchSize}, test size ${flags.testSize}\n\n` +
          `${formatRow(['batch', 'train', 'test', 'accuracy'], WIDTHS)}\n`,
      );
      headerShown = true;
    }
    const score = b.accuracy === null ? '-       (one row: learned, not scored)' : b.accuracy.toFixed(4);
    progress.print(`${formatRow([b.index, b.trainRows, b.testRows, score], WIDTHS)}\n`);
  };
  const totalRows = expectedRows(flags);
  // Every curve point when --curve-every is given; else about ten lines on round rows, and the last row.
  const lineEvery = flags.curveEvery ?? progressInterval(flags.rows ?? totalRows ?? DEFAULTS.synthRows);
  const columns = curveColumns(flags);
  let curveShown = false;
  let lastPrinted = 0;
  const printCurve = (point: CurvePoint): void => {
    // The title waits for the first rows, so input that fails at once prints nothing on stdout.
    if (!curveShown) {
      progress.print(`streamlearn train: ${source}, model ${flags.model}, prequential, seed ${flags.seed}\n\n`);
      progress.print(`${formatRow(columns.map((c) => c.title), columns.map((c) => c.width))}\n`);
      curveShown = true;
    }
    lastPrinted = point.row;
    progress.print(`${formatRow(columns.map((c) => c.value(point)), columns.map((c) => c.width))}\n`);
  };
  const onCurve = (point: CurvePoint): void => {
    if (table && point.row % lineEvery === 0) printCurve(point);
  };
  let holdoutShown = false;
  const onEvaluation = (point: { row: number; accuracy: number }): void => {
    if (!table) return;
    if (!holdoutShown) {
      progress.print(`streamlearn train: ${source}, model ${flags.model}, periodic holdout, seed ${flags.seed}\n\n`);
      progress.print(`${formatRow(['rows learned', 'held-out accuracy'], [12, 8])}\n`);
      holdoutShown = true;
    }
    progress.print(`${formatRow([formatCount(point.row), point.accuracy.toFixed(4)], [12, 8])}\n`);
  };
  let firstSkipped: string | undefined;
  let result: Awaited<ReturnType<typeof trainWithSettings>>;
  try {
    result = await trainWithSettings({
      ...runOptions(flags),
      ...brokerTrainOptions(flags),
      model: flags.model,
      params: flags.param,
      out: flags.save ? flags.out : null,
      onSkip: ({ message }) => (firstSkipped ??= message),
      onBatch,
      onCurve,
      // The bar wants fresher accuracy than the printed lines.
      progressEvery: 1000,
      onScore: (_, accuracy) => progress.scored(accuracy),
      onEvaluation,
      onRows: (rows) => progress.update(rows),
    });
  } finally {
    progress.stop();
  }
  const { report, model } = result;
  model.dispose();
  const end = report.curve[report.curve.length - 1];
  if (table && report.protocol === 'prequential' && end !== undefined && end.row !== lastPrinted) printCurve(end);
  if (flags.report !== undefined && reportFormat) await writeReportFile(flags.report, [report], reportFormat, commandLine(), false);
  // JSON and Markdown on stdout are the documents --report writes.
  process.stdout.write(flags.format === 'table' ? summaryText(report, firstSkipped, flags.report, flags.source !== undefined) : await renderReport([report], flags.format, commandLine(), false));
}

/** The command as typed, for the report's record of how it was made. */
export function commandLine(): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['streamlearn', ...process.argv.slice(2)].map(quote).join(' ');
}

/** The rows the run will see when known in advance (a bundled data set, a generated stream), for the bar's percentage. */
export function expectedRows(flags: RunFlags): number | null {
  if (flags.data?.startsWith(SYNTH_PREFIX)) return flags.rows ?? DEFAULTS.synthRows;
  if (flags.data !== undefined) return null;
  try {
    return datasetCard(flags.dataset ?? DEFAULT_DATASET).rows;
  } catch {
    return null; // an unknown name fails properly in train(), with the list of data sets
  }
}

/** The table's columns for a prequential curve: rows and accuracy, and the windowed and faded accuracy when asked for. */
function curveColumns(flags: RunFlags): { title: string; width: number; value: (p: CurvePoint) => string }[] {
  const columns = [
    { title: 'rows', width: 12, value: (p: CurvePoint) => formatCount(p.row) },
    { title: 'accuracy', width: 8, value: (p: CurvePoint) => p.accuracy.toFixed(4) },
  ];
  if (flags.window !== undefined) {
    const title = `last ${formatCount(flags.window)} rows`;
    columns.push({ title, width: title.length, value: (p) => (p.windowAccuracy ?? NaN).toFixed(4).padStart(title.length) });
  }
  if (flags.fading !== undefined) {
    const title = `faded (${flags.fading})`;
    columns.push({ title, width: title.length, value: (p) => (p.fadingAccuracy ?? NaN).toFixed(4).padStart(title.length) });
  }
  return columns;
}

/** About ten progress lines for a prequential run, on round numbers. */
export function progressInterval(rows: number): number {
  const step = Math.max(1000, rows / 10);
  const magnitude = 10 ** Math.floor(Math.log10(step));
  return Math.ceil(step / magnitude) * magnitude;
}

function summaryText(r: TrainReport, firstSkipped?: string, reportFile?: string, stream = false): string {
  const scored = r.batches.length - r.unscoredBatches;
  const lines = [
    '',
    `data           ${r.dataset}: ${r.rows} rows (${r.trainRows} learned, ${r.testRows} scored), ${r.features} features, ${r.classes.length} classes`,
    `model          ${r.model}${r.backend ? ` (TensorFlow.js backend: ${r.backend})` : ''}`,
    `preprocessing  ${r.preprocessing.length > 0 ? r.preprocessing.join(' -> ') : 'none'}`,
  ];
  if (r.meanAccuracy !== null && r.stdAccuracy !== null) {
    lines.push(`mean accuracy  ${r.meanAccuracy.toFixed(4)} ± ${r.stdAccuracy.toFixed(4)} (sample std over ${scored} scored batch${scored === 1 ? '' : 'es'})`);
  } else if (r.protocol === 'holdout') {
    lines.push(`accuracy       ${r.accuracy.toFixed(4)} (the final model on the ${r.testRows} held-out rows; ${r.curve.length} evaluations)`);
  } else {
    lines.push(`accuracy       ${r.accuracy.toFixed(4)} (prequential: each row predicted before it was learned)`);
  }
  if (r.accuracyInterval && Number.isFinite(r.accuracyInterval.low)) {
    lines.push(`95% interval   ${r.accuracyInterval.low.toFixed(4)} to ${r.accuracyInterval.high.toFixed(4)} (Student t, per-batch accuracies)`);
  }
  const m = r.metrics;
  const logLoss = m.logLoss === null ? '' : `, log loss ${m.logLoss.toFixed(4)}`;
  lines.push(`metrics        kappa ${m.kappa.toFixed(4)}, kappa-M ${m.kappaM.toFixed(4)}, kappa-T ${m.kappaT.toFixed(4)}, balanced accuracy ${m.balancedAccuracy.toFixed(4)}, macro F1 ${m.macro.f1.toFixed(4)}${logLoss}`);
  if (r.driftDetector) {
    const at = r.drifts.length ? ` at scored rows ${r.drifts.slice(0, 10).join(', ')}${r.drifts.length > 10 ? ', ...' : ''}` : '';
    lines.push(`drift          ${r.drifts.length} detected by ${r.driftDetector}${at}`);
    if (r.warnings.length > 0) lines.push(`warnings       ${describeWarnings(r.warnings, 5, formatCount)}`);
  }
  if (r.skippedRows > 0) {
    // A stream's rows are also left out for a label outside the classes (--new-classes skip); the first says which.
    const why = stream ? 'row' : 'bad row';
    const flags = stream ? '--on-bad-row skip, --new-classes skip' : '--on-bad-row skip';
    lines.push(`skipped        ${r.skippedRows} ${why}${r.skippedRows === 1 ? '' : 's'} (${flags}), not learned; the first: ${firstSkipped ?? '?'}`);
  }
  lines.push(`speed          ${r.wallSeconds.toFixed(3)} s, ${formatCount(r.rowsPerSecond)} rows/s`);
  const size = r.modelSize[r.modelSize.length - 1];
  if (size) lines.push(`model size     ${formatCount(size.bytes)} bytes`);
  if (reportFile !== undefined) lines.push(`report         ${reportFile}`);
  if (r.modelPath) {
    lines.push(`model saved    ${r.modelPath}`);
    lines.push(`predict with   npx streamlearn predict --model ${r.modelPath} --input <file.csv>`);
  } else {
    lines.push('model saved    no (--no-save)');
  }
  return `${lines.join('\n')}\n`;
}
