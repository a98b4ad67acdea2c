/**
 * Wording and number formats shared by the report renderers (Markdown and
 * HTML), so that the two documents name and print every measure the same way.
 */
import type { RunReport, TrainReport } from './report.js';

/** A number with fixed decimals, or "-" for a missing or non-finite one (a report never prints NaN). */
export const fixed = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);

/** A whole number with thousands separators, e.g. 12,500. */
export const count = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

/** The learner's parameters as `name=value` pairs, or "-" when it has none. */
export function describeParams(r: RunReport): string {
  return Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(', ') || '-';
}

/** How the rows were shuffled before they were learned. */
export function describeShuffle(r: RunReport): string {
  return !r.shuffled ? 'none' : r.shuffleBuffer !== null ? `buffer of ${r.shuffleBuffer} rows (approximate)` : 'exact';
}

/** The held-out rows of a holdout run, in words; null for the other protocols. */
export function describeHoldout(r: RunReport): string | null {
  const h = r.holdout;
  if (r.protocol !== 'holdout' || !h) return null;
  const rows = h.mode === 'first' ? `the first ${count(h.rows)} rows` : `a seeded sample of ${count(h.rows)} rows from the first ${count(h.fromRows)}`;
  return `${rows}, scored every ${count(h.every)} rows learned`;
}

/** The evaluation protocol and its settings, in words. */
export function describeProtocol(r: RunReport): string {
  if (r.protocol === 'batch-split') return `batch-split, batch size ${r.batchSize}, test size ${r.testSize}`;
  if (r.protocol === 'holdout') {
    const held = describeHoldout(r);
    return held ? `holdout (periodic held-out test): ${held}` : 'holdout (periodic held-out test)';
  }
  return 'prequential (test-then-train)';
}

/**
 * One line of the metric table. `values` gives the numbers it shows (several
 * are joined by " / "); `better` says which way is better, for renderers
 * that mark the best of several models.
 */
export interface MetricLine {
  readonly label: string;
  readonly values: (r: TrainReport) => readonly (number | null)[];
  readonly better: 'higher' | 'lower';
}

/** The field's metrics over all scored rows, in the order both reports list them. */
export const metricLines: readonly MetricLine[] = [
  { label: 'kappa', values: (r) => [r.metrics.kappa], better: 'higher' },
  { label: 'kappa-M (against the majority class)', values: (r) => [r.metrics.kappaM], better: 'higher' },
  { label: 'kappa-T (against no-change)', values: (r) => [r.metrics.kappaT], better: 'higher' },
  { label: 'balanced accuracy', values: (r) => [r.metrics.balancedAccuracy], better: 'higher' },
  {
    label: 'macro precision / recall / F1',
    values: (r) => [r.metrics.macro.precision, r.metrics.macro.recall, r.metrics.macro.f1],
    better: 'higher',
  },
  {
    label: 'micro precision / recall / F1',
    values: (r) => [r.metrics.micro.precision, r.metrics.micro.recall, r.metrics.micro.f1],
    better: 'higher',
  },
  { label: 'log loss', values: (r) => [r.metrics.logLoss], better: 'lower' },
];

/** A metric line's value for one report, as printed. */
export function formatMetric(line: MetricLine, r: TrainReport): string {
  return line.values(r).map((v) => fixed(v)).join(' / ');
}
