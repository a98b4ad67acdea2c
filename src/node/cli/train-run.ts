import type { BatchResult } from '../../eval/batch-split.js';
import { describeWarnings } from '../../eval/report.js';
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
  const reportFormat = flags.report !== undefined ? await checkReportFile(flags.report) : null;
  const table = flags.format === 'table';
  const source = flags.source ?? flags.data ?? flags.dataset ?? DEFAULT_DATASET;
  const progress = new Progress({ label: 'training', total: expectedRows(flags), stream: process.stdout, enabled: table && flags.progress, training: true });
  let headerShown = false;
  let scoredRows = 0;
  let correctRows = 0;
  const onBatch = (b: BatchResult): void => {
    if (b.accuracy !== null) {
      scoredRows += b.testRows;
      correctRows += Math.round(b.accuracy * b.testRows);
      progress.scored(correctRows / scoredRows);
    }
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
  const lineEvery = progressInterval(flags.rows ?? DEFAULTS.synthRows);
  // The bar wants fresher accuracy than the printed lines; lines stay on round numbers.
  const progressEvery = progress.active ? Math.min(1000, lineEvery) : lineEvery;
  let progressShown = false;
  const onProgress = (rows: number, correct: number): void => {
    progress.scored(correct / rows);
    if (!table || rows % lineEvery !== 0) return;
    // The title waits for the first rows, so input that fails at once prints nothing on stdout.
    if (!progressShown) {
      progress.print(`streamlearn train: ${source}, model ${flags.model}, prequential, seed ${flags.seed}\n\n`);
      progress.print(`${formatRow(['rows', 'accuracy'], [12, 8])}\n`);
      progressShown = true;
    }
    progress.print(`${formatRow([formatCount(rows), (correct / rows).toFixed(4)], [12, 8])}\n`);
  };
  let holdoutShown = false;
  const onEvaluation = (point: { row: number; accuracy: number }): void => {
    progress.scored(point.accuracy);
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
      onProgress,
      progressEvery,
      onEvaluation,
      onRows: (rows) => progress.update(rows),
    });
  } finally {
    progress.stop();
  }
  const { report, model } = result;
  model.dispose();
  if (flags.report !== undefined && reportFormat) await writeReportFile(flags.report, [report], reportFormat, commandLine(), false);
  // JSON and Markdown on stdout are the documents --report writes.
  process.stdout.write(flags.format === 'table' ? summaryText(report, firstSkipped, flags.report) : await renderReport([report], flags.format, commandLine(), false));
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

/** About ten progress lines for a prequential run, on round numbers. */
function progressInterval(rows: number): number {
  const step = Math.max(1000, rows / 10);
  const magnitude = 10 ** Math.floor(Math.log10(step));
  return Math.ceil(step / magnitude) * magnitude;
}

function summaryText(r: TrainReport, firstSkipped?: string, reportFile?: string): string {
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
    lines.push(`skipped        ${r.skippedRows} bad row${r.skippedRows === 1 ? '' : 's'} (--on-bad-row skip), not learned; the first: ${firstSkipped ?? '?'}`);
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
