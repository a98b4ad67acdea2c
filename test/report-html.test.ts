/// <reference lib="dom" />
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train, type TrainReport } from '../src/node/pipeline.js';
import { batchOfScoredRow, reportToHtml } from '../src/eval/report-html.js';
import { niceTicks } from '../src/eval/svg.js';
import { tempDir } from './helpers.js';

const CHROMIUM = process.env.STREAMLEARN_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const NO_CHROMIUM = `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set STREAMLEARN_CHROMIUM to a Chromium binary`;
if (!haveChromium && !inCi) console.warn(`report-html.test.ts: skipping the browser checks of the HTML report: ${NO_CHROMIUM}`);

// A concept drift at row 3,000 that ADWIN on the errors signals for both learners below (rows 3,136-3,360 for seed 1).
const DRIFTING = 'synth:sea(noise-percentage=0)>sea(function=4,noise-percentage=0)@3000/1';

interface Reports {
  iris: TrainReport;
  prequential: TrainReport;
  splitDrift: TrainReport;
  compare: TrainReport[];
  holdout: TrainReport;
  degenerate: TrainReport;
  onePoint: TrainReport;
}
let reports: Reports;

beforeAll(async () => {
  const iris = (await train({ source: { dataset: 'iris' }, seed: 42, output: { out: null } })).report;
  const prequentialOf = async (model: string, extra: { window?: number; fading?: number } = {}) =>
    (await train({ source: { synth: DRIFTING.slice('synth:'.length), rows: 6000 }, model, protocol: { name: 'prequential', drift: 'adwin', curveEvery: 500, ...extra }, seed: 1, output: { out: null } })).report;
  const prequential = await prequentialOf('hoeffding-tree', { window: 500, fading: 0.999 });
  const compare = [prequential, await prequentialOf('gaussian-nb')];
  const splitDrift = (
    await train({ source: { synth: 'agrawal(function=1)>agrawal(function=2)@3000/1', rows: 6000 }, stream: { batchSize: 100 }, protocol: { name: 'batch-split', drift: 'adwin' }, seed: 1, output: { out: null } })
  ).report;
  // The holdout protocol and the model-size series are not filled in by train() in this tree: built by hand from a real report.
  const holdout: TrainReport = {
    ...prequential,
    protocol: 'holdout',
    holdout: { mode: 'sample', rows: 500, fromRows: 2000, every: 1000 },
    curve: [1000, 2000, 3000, 4000, 5000].map((row, i) => ({ row, accuracy: 0.7 + i * 0.05 })),
    drifts: [],
    driftDetector: null,
    modelSize: [0, 1500, 3000, 4500, 6000].map((row, i) => ({ row, bytes: 900 + i * 2600 })),
  };
  // Everything that could divide by zero or print NaN: one class, one scored batch among unscored ones, equal y values.
  const degenerate: TrainReport = {
    ...iris,
    dataset: 'one-class',
    classes: ['only'],
    batches: [
      { index: 0, trainRows: 1, testRows: 0, accuracy: null, stratified: false },
      { index: 1, trainRows: 3, testRows: 1, accuracy: 1, stratified: false },
      { index: 2, trainRows: 1, testRows: 0, accuracy: NaN, stratified: false },
    ],
    drifts: [],
    meanAccuracy: 1,
    stdAccuracy: NaN,
    accuracyInterval: { mean: 1, std: NaN, low: NaN, high: NaN },
    metrics: {
      ...iris.metrics,
      kappa: 0,
      precision: [1],
      recall: [1],
      f1: [1],
      support: [1],
      logLoss: null,
      probabilityRows: 0,
      confusionMatrix: [[1]],
    },
    modelSize: [{ row: 6, bytes: 512 }],
  };
  const onePoint: TrainReport = { ...prequential, curve: [{ row: 10, accuracy: 0.5, windowAccuracy: NaN }], drifts: [], modelSize: [] };
  reports = { iris, prequential, splitDrift, compare, holdout, degenerate, onePoint };
});

const each = (): [string, TrainReport[]][] => [
  ['iris', [reports.iris]],
  ['prequential', [reports.prequential]],
  ['batch-split with drift', [reports.splitDrift]],
  ['compare', reports.compare],
  ['holdout', [reports.holdout]],
  ['degenerate', [reports.degenerate]],
  ['one point', [reports.onePoint]],
];

describe('reportToHtml (the document)', () => {
  it('holds no NaN, no URL, no script and no external resource', () => {
    for (const [name, rs] of each()) {
      const html = reportToHtml(rs, { command: 'streamlearn train --report r.html' });
      expect(html, name).toMatch(/^<!doctype html>/);
      expect(html, name).not.toContain('NaN');
      expect(html, name).not.toMatch(/https?:\/\//);
      expect(html, name).not.toMatch(/<script|<link|<img|<iframe|\b(?:src|href)=|url\(|@import/i);
      expect(html, name).toContain('data-chart="learning-curve"');
    }
  });

  it('escapes every piece of text that comes from the data', () => {
    const evil = '<img src=x onerror="alert(1)">';
    const r: TrainReport = { ...reports.iris, dataset: `a&b ${evil}`, classes: ['<b>bold</b>', `"quoted" & 'single'`, evil] };
    const html = reportToHtml([r], { title: `title ${evil}`, command: `streamlearn train --data '${evil}.csv'` });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('&quot;quoted&quot; &amp; &#39;single&#39;');
    expect(html).toContain('a&amp;b');
  });

  it('shows the command line, the settings and a column per model when comparing', () => {
    const one = reportToHtml([reports.iris], { command: 'streamlearn train --dataset iris' });
    expect(one).toContain('<pre class="command"><code>streamlearn train --dataset iris</code></pre>');
    expect(one).toContain('<h1>streamlearn training report: gaussian-nb on iris</h1>');
    expect(one).toContain('batch-split, batch size 16, test size 0.2');
    const two = reportToHtml(reports.compare);
    expect(two).toContain('<th>hoeffding-tree</th><th>gaussian-nb</th>');
    expect(two).not.toContain('class="command"');
    // The same learner twice is told apart by its position.
    expect(reportToHtml([reports.iris, reports.iris])).toContain('<th>gaussian-nb #1</th><th>gaussian-nb #2</th>');
    expect(reportToHtml([reports.holdout])).toContain('holdout (periodic held-out test): a seeded sample of 500 rows from the first 2,000, scored every 1,000 rows learned');
  });

  it('refuses nothing to render, and reports whose protocols differ', () => {
    expect(() => reportToHtml([])).toThrow('reportToHtml: no report to render');
    expect(() => reportToHtml([reports.iris, reports.prequential])).toThrow('must share their protocol, got batch-split and prequential');
  });

  it('places a batch-split drift in the batch whose test rows hold it', () => {
    const r: TrainReport = {
      ...reports.iris,
      batches: [
        { index: 0, trainRows: 12, testRows: 4, accuracy: 1, stratified: true },
        { index: 1, trainRows: 1, testRows: 0, accuracy: null, stratified: false },
        { index: 2, trainRows: 12, testRows: 4, accuracy: 1, stratified: true },
      ],
    };
    expect([1, 4, 5, 8].map((row) => batchOfScoredRow(r, row))).toEqual([0, 0, 2, 2]);
  });

  it('chooses round ticks that cover the data, and survives a single value', () => {
    expect(niceTicks(0.73, 0.96)).toEqual({ lo: 0.7, hi: 1, ticks: [0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1] });
    const one = niceTicks(0.5, 0.5);
    expect(one.hi).toBeGreaterThan(one.lo);
    expect(niceTicks(3, 3, 6, true).ticks).toEqual([3]);
    expect(niceTicks(0, 59, 6, true).ticks).toEqual([0, 10, 20, 30, 40, 50]);
  });
});

/** What the browser rendered, read back from the DOM. */
interface Rendered {
  charts: { chart: string; model: string | null; box: [number, number]; rect: [number, number] }[];
  series: { chart: string; name: string; kind: string | null; fill: string | null; xs: number[]; ys: number[]; cx: number[] }[];
  drifts: { model: string | null; row: number; x: number; stroke: string | null }[];
  cells: { model: string | null; row: number; col: number; count: number; text: string }[];
  yTicks: Record<string, string[]>;
  legend: string[];
  text: string;
}

/** Runs in the page: reads the charts, series, drift markers and heat-map cells back. */
function readBack(): Rendered {
  const num = (el: Element, name: string): number => Number(el.getAttribute(name));
  const charts = [...document.querySelectorAll<SVGSVGElement>('svg[data-chart]')];
  return {
    charts: charts.map((svg) => {
      const box = svg.getBBox();
      const rect = svg.getBoundingClientRect();
      return { chart: svg.dataset.chart ?? '', model: svg.getAttribute('data-model'), box: [box.width, box.height], rect: [rect.width, rect.height] };
    }),
    series: charts.flatMap((svg) =>
      [...svg.querySelectorAll('g[data-series]')].map((g) => {
        const points = [...g.querySelectorAll('[data-point]')];
        return {
          chart: svg.dataset.chart ?? '',
          name: g.getAttribute('data-series') ?? '',
          kind: g.getAttribute('data-kind'),
          fill: g.getAttribute('fill'),
          xs: points.map((p) => num(p, 'data-x')),
          ys: points.map((p) => num(p, 'data-y')),
          cx: points.map((p) => num(p, 'cx')),
        };
      }),
    ),
    drifts: [...document.querySelectorAll('[data-drift]')].map((d) => ({
      model: d.getAttribute('data-model'),
      row: num(d, 'data-drift'),
      x: num(d, 'x1'),
      stroke: d.getAttribute('stroke'),
    })),
    cells: [...document.querySelectorAll('[data-cell]')].map((c) => ({
      model: c.closest('svg')?.getAttribute('data-model') ?? null,
      row: num(c, 'data-row'),
      col: num(c, 'data-col'),
      count: num(c, 'data-count'),
      text: c.nextElementSibling?.textContent ?? '',
    })),
    yTicks: Object.fromEntries(charts.map((svg) => [svg.dataset.chart ?? '', [...svg.querySelectorAll('text.tick[text-anchor="end"]')].map((t) => t.textContent ?? '')])),
    legend: [...document.querySelectorAll('.legend-entry text')].map((t) => t.textContent ?? ''),
    text: document.body.innerText,
  };
}

describe.skipIf(!haveChromium && !inCi)('the HTML report in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    // In CI a missing browser fails every test below with this message instead of skipping them silently.
    if (!haveChromium) throw new Error(NO_CHROMIUM);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Writes the page, opens it from its file and reads it back, checking that it asked for nothing and logged no error. */
  async function open(rs: readonly TrainReport[], options?: { title?: string; command?: string }): Promise<Rendered> {
    const file = join(tempDir(), 'report.html');
    writeFileSync(file, reportToHtml(rs, options));
    const url = pathToFileURL(file).href;
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(url, { waitUntil: 'load' });
      const rendered = await page.evaluate(readBack);
      expect(requests).toEqual([url]);
      expect(errors).toEqual([]);
      for (const c of rendered.charts) {
        expect(Math.min(...c.box, ...c.rect), `${c.chart} ${c.model ?? ''} is drawn`).toBeGreaterThan(0);
      }
      return rendered;
    } finally {
      await page.close();
    }
  }

  const seriesOf = (r: Rendered, name: string, chart = 'learning-curve') => {
    const found = r.series.filter((s) => s.chart === chart && s.name === name);
    expect(found, `one series ${name} in ${chart}`).toHaveLength(1);
    return found[0];
  };

  /** The heat map of one model holds k x k cells with the counts of its confusion matrix. */
  function expectConfusion(r: Rendered, report: TrainReport, model: string): void {
    const cells = r.cells.filter((c) => c.model === model);
    const k = report.classes.length;
    expect(cells).toHaveLength(k * k);
    for (const c of cells) {
      expect(c.count).toBe(report.metrics.confusionMatrix[c.row]?.[c.col] ?? 0);
      expect(c.text).toBe(c.count.toLocaleString('en-US'));
    }
    expect(cells.reduce((s, c) => s + c.count, 0)).toBe(report.scoredRows);
  }

  it('batch-split on iris: a point per scored batch, their running mean, the confusion matrix', async () => {
    const report = reports.iris;
    const r = await open([report], { command: 'streamlearn train' });
    expect(r.charts.map((c) => c.chart)).toEqual(['learning-curve', 'confusion-matrix']);
    const scored = report.batches.filter((b) => b.accuracy !== null);
    const points = seriesOf(r, 'gaussian-nb');
    expect(points.xs).toEqual(scored.map((b) => b.index));
    expect(points.ys).toEqual(scored.map((b) => b.accuracy));
    const running = seriesOf(r, 'gaussian-nb running mean');
    expect(running.ys).toHaveLength(scored.length);
    expect(running.ys[running.ys.length - 1]).toBeCloseTo(report.meanAccuracy!, 12);
    expect(r.drifts).toEqual([]);
    expectConfusion(r, report, 'gaussian-nb');
    expect(r.text).toContain('kappa-M (against the majority class)');
    expect(r.text).toContain(report.metrics.kappa.toFixed(4));
  });

  it('prequential with a drift detector: curve, windowed and faded series, a marker per drift at its row', async () => {
    const report = reports.prequential;
    expect(report.drifts.length).toBeGreaterThan(0);
    const r = await open([report]);
    for (const [name, key] of [['hoeffding-tree', 'accuracy'], ['hoeffding-tree windowed (last 500 rows)', 'windowAccuracy'], ['hoeffding-tree faded (α = 0.999)', 'fadingAccuracy']] as const) {
      const s = seriesOf(r, name);
      expect(s.xs).toEqual(report.curve.map((p) => p.row));
      expect(s.ys).toEqual(report.curve.map((p) => p[key]));
    }
    expect(r.drifts.map((d) => d.row)).toEqual(report.drifts);
    // Each marker lies between the curve points around its row, on the same x scale.
    const curve = seriesOf(r, 'hoeffding-tree');
    for (const d of r.drifts) {
      const after = curve.xs.findIndex((x) => x >= d.row);
      expect(d.x).toBeGreaterThan(curve.cx[after - 1]);
      expect(d.x).toBeLessThanOrEqual(curve.cx[after]);
    }
    expect(r.legend).toContain('hoeffding-tree drift (adwin)');
    expectConfusion(r, report, 'hoeffding-tree');
  });

  it('batch-split with a drift detector: each marker at the batch whose test rows hold the drift', async () => {
    const report = reports.splitDrift;
    expect(report.drifts.length).toBeGreaterThan(0);
    const r = await open([report]);
    const points = seriesOf(r, 'gaussian-nb');
    expect(r.drifts.map((d) => d.row)).toEqual(report.drifts);
    for (const d of r.drifts) {
      // Counted here independently of batchOfScoredRow: the running total of test rows first reaching the drift's row.
      let total = 0;
      const batch = report.batches.find((b) => (total += b.testRows) >= d.row);
      expect(batch).toBeDefined();
      expect(d.x).toBe(points.cx[points.xs.indexOf(batch!.index)]);
    }
  });

  it('compare: one curve chart with a series and drift markers per model in its colour, a confusion matrix each', async () => {
    const [a, b] = reports.compare;
    const r = await open(reports.compare);
    expect(r.charts.map((c) => c.chart)).toEqual(['learning-curve', 'confusion-matrix', 'confusion-matrix']);
    const sa = seriesOf(r, 'hoeffding-tree');
    const sb = seriesOf(r, 'gaussian-nb');
    expect(sa.ys).toEqual(a.curve.map((p) => p.accuracy));
    expect(sb.ys).toEqual(b.curve.map((p) => p.accuracy));
    expect(sa.fill).not.toBe(sb.fill);
    for (const [report, s] of [[a, sa], [b, sb]] as const) {
      const markers = r.drifts.filter((d) => d.model === report.model);
      expect(markers.map((d) => d.row)).toEqual(report.drifts);
      expect(new Set(markers.map((d) => d.stroke))).toEqual(new Set([s.fill]));
    }
    expect(r.drifts).toHaveLength(a.drifts.length + b.drifts.length);
    expect(r.legend).toEqual(expect.arrayContaining(['hoeffding-tree', 'gaussian-nb']));
    expectConfusion(r, a, 'hoeffding-tree');
    expectConfusion(r, b, 'gaussian-nb');
  });

  it('holdout: the held-out accuracy per evaluation, no drift, and the model size in human units', async () => {
    const report = reports.holdout;
    const r = await open([report]);
    expect(r.charts.map((c) => c.chart)).toEqual(['learning-curve', 'model-size', 'confusion-matrix']);
    expect(seriesOf(r, 'hoeffding-tree').ys).toEqual(report.curve.map((p) => p.accuracy));
    expect(r.drifts).toEqual([]);
    const size = seriesOf(r, 'hoeffding-tree', 'model-size');
    expect(size.xs).toEqual(report.modelSize.map((p) => p.row));
    expect(size.ys).toEqual(report.modelSize.map((p) => p.bytes));
    expect(r.yTicks['model-size'].length).toBeGreaterThan(1);
    // A log scale in decimal units: 900 B to 11.3 kB gives ticks 500 B to 20 kB.
    expect(r.yTicks['model-size']).toEqual(['500 B', '1 kB', '2 kB', '5 kB', '10 kB', '20 kB']);
    expect(r.text).toContain('a seeded sample of 500 rows from the first 2,000');
  });

  it('degenerate reports still draw valid charts: one class, unscored batches, one point', async () => {
    const one = await open([reports.degenerate]);
    expect(seriesOf(one, 'gaussian-nb').xs).toEqual([1]);
    expect(one.cells).toEqual([{ model: 'gaussian-nb', row: 0, col: 0, count: 1, text: '1' }]);
    // A single model-size point is no chart.
    expect(one.charts.map((c) => c.chart)).toEqual(['learning-curve', 'confusion-matrix']);
    const point = await open([reports.onePoint]);
    expect(seriesOf(point, 'hoeffding-tree').ys).toEqual([0.5]);
    expect(seriesOf(point, 'hoeffding-tree windowed (last 500 rows)').ys).toEqual([]);
  });

  /** Layout facts read at a laptop's 1280 x 800, the first screen being what shows before any scrolling. */
  async function layout(rs: readonly TrainReport[], command?: string) {
    const file = join(tempDir(), 'report.html');
    writeFileSync(file, reportToHtml(rs, { command }));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      return await page.evaluate(() => {
        const box = (el: Element | null) => {
          const r = el?.getBoundingClientRect();
          return r ? { top: r.top, bottom: r.bottom, width: r.width, height: r.height } : null;
        };
        const curve = document.querySelector('svg[data-chart="learning-curve"]');
        // Each drift's triangle, and what the browser finds at its centre: another model's triangle would cover it.
        const marks = [...document.querySelectorAll('[data-drift-mark]')].map((m) => {
          const r = m.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return { model: m.getAttribute('data-model'), lane: m.getAttribute('data-lane'), hitModel: hit?.getAttribute('data-model') ?? null, top: r.top };
        });
        const opacity = (series: string) =>
          [...document.querySelectorAll(`g[data-series="${series}"] [data-point]`)].map((c) => getComputedStyle(c).fillOpacity);
        const sizeYs = (model: string) => [...document.querySelectorAll(`svg[data-chart="model-size"] g[data-model="${model}"] [data-point]`)].map((c) => Number(c.getAttribute('cy')));
        const headings = [...document.querySelectorAll('h2')].map((h) => h.textContent);
        const pre = document.querySelector('pre.command');
        return {
          curve: box(curve),
          metrics: box(document.querySelector('table.kv')),
          headings,
          marks,
          legend: [...(curve?.querySelectorAll('.legend-entry text') ?? [])].map((t) => t.textContent ?? ''),
          opacity: Object.fromEntries([...document.querySelectorAll('svg[data-chart="learning-curve"] g[data-series]')].map((g) => [g.getAttribute('data-series'), opacity(g.getAttribute('data-series') ?? '')])),
          sizeSpan: Object.fromEntries(['small', 'large'].map((m) => {
            const ys = sizeYs(m);
            return [m, ys.length ? Math.max(...ys) - Math.min(...ys) : 0];
          })),
          wordBreak: pre ? getComputedStyle(pre).wordBreak : null,
          text: document.body.innerText,
        };
      });
    } finally {
      await page.close();
    }
  }

  it('leads with the learning curve and the metrics, in the first screen at 1280 x 800, as wide as the page', async () => {
    for (const rs of [[reports.prequential], reports.compare]) {
      const l = await layout(rs, 'streamlearn compare --models hoeffding-tree,gaussian-nb');
      expect(l.headings.slice(0, 2)).toEqual(['Learning curve', 'Metrics']);
      expect(l.headings[l.headings.length - 1]).toBe('Settings');
      expect(l.curve!.top).toBeLessThan(200);
      expect(l.curve!.bottom).toBeLessThanOrEqual(800);
      // The page's content is 1,052 px wide at this window size; the chart takes all of it.
      expect(l.curve!.width).toBeGreaterThanOrEqual(1040);
      expect(l.metrics!.top).toBeLessThan(1000);
      expect(l.wordBreak).toBe('normal');
    }
  });

  it('compare: every model\'s drift alarms stay visible in a lane of their own, with a legend entry each', async () => {
    const models = ['hoeffding-tree', 'gaussian-nb', 'softmax-regression'];
    const rs = [];
    for (const model of models) {
      rs.push((await train({ source: { synth: DRIFTING.slice('synth:'.length), rows: 6000 }, model, protocol: { name: 'prequential', drift: 'adwin', curveEvery: 60 }, seed: 1, output: { out: null } })).report);
    }
    for (const r of rs) expect(r.drifts.length, r.model).toBeGreaterThan(0);
    const l = await layout(rs);
    for (const [i, model] of models.entries()) {
      const own = l.marks.filter((m) => m.model === model);
      expect(own).toHaveLength(rs[i].drifts.length);
      // Nothing of another model covers any of its triangles, and each model has a lane (a height) of its own.
      for (const m of own) expect(m.hitModel).toBe(model);
      expect(new Set(own.map((m) => m.top)).size).toBe(1);
      expect(l.legend).toContain(`${model} drift (adwin)`);
    }
    expect(new Set(l.marks.map((m) => m.top)).size).toBe(models.length);
    // 100 points a series: lines, their points invisible until hovered.
    for (const model of models) {
      expect(l.opacity[model]).toHaveLength(100);
      expect(new Set(l.opacity[model])).toEqual(new Set(['0']));
    }
    expect(l.text).toContain('a triangle in the model\'s own lane above the plot');
  });

  it('keeps markers where points are few, and shows speed and size in the metric table', async () => {
    const l = await layout([reports.prequential]);
    expect(l.opacity['hoeffding-tree']).toHaveLength(reports.prequential.curve.length);
    expect(new Set(l.opacity['hoeffding-tree'])).toEqual(new Set(['1']));
    for (const line of ['rows per second (whole run)', 'model seconds (learning and predicting)', 'rows per second (model only)', 'final model size']) expect(l.text).toContain(line);
  });

  it('draws model sizes on a log scale, so that a small model beside a large one is not flat on zero', async () => {
    const sized = (model: string, from: number, to: number): TrainReport => ({
      ...reports.holdout,
      model,
      modelSize: [0, 1500, 3000, 4500, 6000].map((row, i) => ({ row, bytes: Math.round(from + ((to - from) * i) / 4) })),
    });
    const l = await layout([sized('small', 1900, 19000), sized('large', 1.6e6, 16e6)]);
    // Both grow tenfold: on a log axis both rise by the same height.
    expect(l.sizeSpan.small).toBeGreaterThan(20);
    expect(l.sizeSpan.small).toBeCloseTo(l.sizeSpan.large, 0);
  });

  it('shows the data\'s text as it is, not its markup', async () => {
    const label = '<b>x</b> & "y"';
    const r = await open([{ ...reports.iris, dataset: label, classes: [label, 'versicolor', 'virginica'] }]);
    expect(r.text).toContain(`gaussian-nb on ${label}`);
    expect(r.charts.every((c) => c.box[0] > 0)).toBe(true);
  });
});
