import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { fail } from '../../core/errors.js';
import { isErrno } from '../files/input.js';
import { comparisonToMarkdown, regressionComparisonToMarkdown, regressionReportToMarkdown, reportToMarkdown } from '../../eval/report-markdown.js';
import type { RegressionReport } from '../../eval/report.js';
import { writeFileAtomic } from '../persist/atomic.js';
import type { TrainReport } from '../pipeline.js';

export type ReportFileFormat = 'html' | 'markdown' | 'json';

const byExtension: Record<string, ReportFileFormat> = { '.html': 'html', '.htm': 'html', '.md': 'markdown', '.markdown': 'markdown', '.json': 'json' };

/**
 * The format of `--report FILE`, from its extension, checked with its folder
 * before any training, so a typo fails at once rather than after an hour.
 */
export async function checkReportFile(path: string): Promise<ReportFileFormat> {
  const format = byExtension[extname(path).toLowerCase()];
  if (!format) fail(`--report ${path}: unknown report type "${extname(path) || '(no extension)'}"; use .html, .md or .json`);
  const dir = dirname(resolve(path));
  try {
    if (!(await stat(dir)).isDirectory()) fail(`--report ${path}: ${dir} is not a directory`);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) fail(`--report ${path}: the folder ${dir} does not exist`);
    throw err;
  }
  try {
    if ((await stat(path)).isDirectory()) fail(`--report ${path}: is a directory`);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  return format;
}

/**
 * The report document of one run (train) or of a comparison (compare, even
 * of one learner: its documents keep their shape), in the given format.
 */
export async function renderReport(reports: readonly TrainReport[], format: ReportFileFormat, command: string, comparison: boolean): Promise<string> {
  if (format === 'json') return `${JSON.stringify(comparison ? { models: reports.map((r) => r.model), reports } : reports[0], null, 2)}\n`;
  if (format === 'markdown') return comparison ? comparisonToMarkdown(reports) : reportToMarkdown(reports[0]);
  const { reportToHtml } = await import('../../eval/report-html.js');
  return reportToHtml(reports, { command });
}

/** Writes the report file whole or not at all (temporary file, then rename). */
export async function writeReportFile(path: string, reports: readonly TrainReport[], format: ReportFileFormat, command: string, comparison: boolean): Promise<void> {
  await writeFileAtomic(path, await renderReport(reports, format, command, comparison));
}

/** renderReport for regressors' reports. */
export async function renderRegressionReport(reports: readonly RegressionReport[], format: ReportFileFormat, command: string, comparison: boolean): Promise<string> {
  if (format === 'json') return `${JSON.stringify(comparison ? { task: 'regression', models: reports.map((r) => r.model), reports } : reports[0], null, 2)}\n`;
  if (format === 'markdown') return comparison ? regressionComparisonToMarkdown(reports) : regressionReportToMarkdown(reports[0]);
  const { regressionReportToHtml } = await import('../../eval/regression-report-html.js');
  return regressionReportToHtml(reports, { command });
}

/** writeReportFile for regressors' reports: whole or not at all. */
export async function writeRegressionReportFile(path: string, reports: readonly RegressionReport[], format: ReportFileFormat, command: string, comparison: boolean): Promise<void> {
  await writeFileAtomic(path, await renderRegressionReport(reports, format, command, comparison));
}
