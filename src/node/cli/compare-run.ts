import { fail } from '../../core/errors.js';
import { describeProtocol } from '../../eval/report-format.js';
import { comparisonRows, regressionComparisonRows } from '../../eval/report-markdown.js';
import { isRegressorName } from '../../learners/regressor-registry.js';
import { compareRegressorsWithSettings } from '../regression-pipeline.js';
import type { RunReport } from '../../eval/report.js';
import { compareWithSettings, checkSettings, DEFAULT_DATASET } from '../pipeline.js';
import type { CompareFlags } from './compare.js';
import { formatCount, formatRow } from './format.js';
import { Progress } from './progress.js';
import { checkReportFile, renderRegressionReport, renderReport, writeRegressionReportFile, writeReportFile, type ReportFileFormat } from './report-file.js';
import { runOptions } from './run-options.js';
import { commandLine, expectedRows } from './train-run.js';

/** `streamlearn compare`: every learner on the one stream, then the table side by side. */
export async function runCompare(flags: CompareFlags): Promise<void> {
  checkSettings(flags, { seed: '--seed', batchSize: '--batch-size', testSize: '--test-size' });
  for (const name of Object.keys(flags.param ?? {})) {
    if (!flags.models.includes(name)) fail(`--param ${name}.…: "${name}" is not among --models (${flags.models.join(', ')})`);
  }
  const reportFormat = flags.report !== undefined ? await checkReportFile(flags.report) : null;
  const regressors = flags.models.filter((name) => isRegressorName(name));
  if (regressors.length > 0) {
    if (regressors.length < flags.models.length) fail(`--models: ${regressors.join(', ')} ${regressors.length === 1 ? 'is a regressor' : 'are regressors'} and the others classifiers; compare regressors with each other, classifiers with each other`);
    return compareRegression(flags, reportFormat);
  }
  // On stderr whatever the format, as train's; the accuracy shown is every learner's.
  const progress = new Progress({ label: 'comparing', total: expectedRows(flags), enabled: flags.progress, training: true });
  const scores: (number | null)[] = flags.models.map(() => null);
  let result: Awaited<ReturnType<typeof compareWithSettings>>;
  try {
    result = await compareWithSettings({
      ...runOptions(flags),
      models: flags.models.map((name) => ({ name, params: flags.param?.[name] })),
      onRows: (rows) => progress.update(rows),
      progressEvery: 1000,
      onScore: (learner, accuracy) => {
        scores[learner] = accuracy;
        progress.scored(flags.models.map((name, i) => `${name} ${scores[i] === null ? '-' : (scores[i] as number).toFixed(4)}`).join(', '));
      },
    });
  } finally {
    progress.stop();
  }
  const { reports, models } = result;
  for (const model of models) model.dispose();
  if (flags.report !== undefined && reportFormat) await writeReportFile(flags.report, reports, reportFormat, commandLine(), true);
  if (flags.format !== 'table') {
    // JSON and Markdown on stdout are the documents --report writes.
    process.stdout.write(await renderReport(reports, flags.format, commandLine(), true));
    return;
  }
  process.stdout.write(sideBySide(flags, reports, comparisonRows(reports)));
}

/** `streamlearn compare --models` of regressors: the same run, with errors where classifiers have accuracy. */
async function compareRegression(flags: CompareFlags, reportFormat: ReportFileFormat | null): Promise<void> {
  const progress = new Progress({ label: 'comparing', total: expectedRows(flags), enabled: flags.progress, training: true });
  const scores: (number | null)[] = flags.models.map(() => null);
  let result: Awaited<ReturnType<typeof compareRegressorsWithSettings>>;
  try {
    result = await compareRegressorsWithSettings(
      {
        ...runOptions(flags),
        onRows: (rows) => progress.update(rows),
        progressEvery: 1000,
        onScore: (learner, rmse) => {
          scores[learner] = rmse;
          progress.scored(flags.models.map((name, i) => `${name} RMSE ${scores[i] === null ? '-' : (scores[i] as number).toFixed(4)}`).join(', '));
        },
      },
      flags.models.map((name) => ({ name, params: flags.param?.[name] })),
    );
  } finally {
    progress.stop();
  }
  const { reports } = result;
  if (flags.report !== undefined && reportFormat) await writeRegressionReportFile(flags.report, reports, reportFormat, commandLine(), true);
  if (flags.format !== 'table') {
    process.stdout.write(await renderRegressionReport(reports, flags.format, commandLine(), true));
    return;
  }
  process.stdout.write(sideBySide(flags, reports, regressionComparisonRows(reports)));
}

/** The comparison's table: a column per learner, a row per measure. */
function sideBySide(flags: CompareFlags, reports: readonly RunReport[], rows: { measure: string; values: string[] }[]): string {
  const first = reports[0];
  const widths = [Math.max(...rows.map((r) => r.measure.length)), ...reports.map((r, i) => Math.max(r.model.length, ...rows.map((row) => row.values[i].length)))];
  // Values right-aligned as numbers are; the measure names left-aligned.
  const line = (cells: string[]): string => formatRow(cells.map((c, i) => (i === 0 ? c : c.padStart(widths[i]))), widths);
  const out = [
    `streamlearn compare: ${flags.data ?? flags.dataset ?? DEFAULT_DATASET}, ${describeProtocol(first)}, seed ${first.seed}`,
    `${formatCount(first.rows)} rows, the same for every learner, in ${first.wallSeconds.toFixed(3)} s`,
    '',
    line(['', ...reports.map((r) => r.model)]),
    ...rows.map((r) => line([r.measure, ...r.values])),
  ];
  if (flags.report !== undefined) out.push('', `report written to ${flags.report}`);
  return `${out.join('\n')}\n`;
}
