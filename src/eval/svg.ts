/**
 * A small SVG writer for the HTML report: line/point charts with axes, a
 * legend and vertical markers, and heat maps. It writes strings, needs no
 * DOM and no script, and tags what it draws with data- attributes
 * (data-series, data-point, data-drift, data-cell) so that a test in a
 * browser can count what was rendered.
 *
 * The SVG is meant to be inlined in HTML5, which needs no xmlns: the report
 * holds no URL of any kind.
 */

/** Escapes text for HTML and SVG alike, in element content and in quoted attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * A number for an attribute, at most two decimals. Callers drop non-finite
 * data before it gets here; a non-finite value still writes 0, because
 * "NaN" in an attribute makes the browser drop the element silently.
 */
export function num(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

/** Attributes from a record, escaped; undefined values are left out. */
function attrs(values: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(values)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`)
    .join('');
}

/** A native tooltip: browsers show an element's SVG <title> on hover, no script needed. */
const tooltip = (text: string | undefined): string => (text === undefined ? '' : `<title>${escapeXml(text)}</title>`);

/** An axis: its domain (after rounding out to ticks) and the ticks. */
export interface Ticks {
  readonly lo: number;
  readonly hi: number;
  readonly ticks: readonly number[];
}

/**
 * About `count` round ticks (steps of 1, 2 or 5 times a power of ten)
 * covering [lo, hi], the domain widened to the outer ticks. A degenerate
 * span (one value, or all values equal) is widened first, so that the scale
 * never divides by zero; `integer` keeps the steps whole (batch indices).
 */
export function niceTicks(lo: number, hi: number, count = 6, integer = false): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return niceTicks(0, 1, count, integer);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12) {
    const pad = integer ? 0.5 : Math.max(Math.abs(lo) * 0.05, 0.05);
    lo -= pad;
    hi += pad;
  }
  const rough = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  if (integer) step = Math.max(1, Math.round(step));
  // Decimals enough to tell the ticks apart, and toFixed to clear float noise (0.30000000000000004).
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const at = (k: number): number => Number((k * step).toFixed(digits));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(at(k));
  // An integer axis over a padded single value keeps only the whole ticks inside it.
  if (integer) return { lo, hi, ticks: ticks.filter((t) => t >= lo && t <= hi) };
  return { lo: at(first), hi: at(last), ticks };
}

/** Decimals that print every tick of a step distinctly, e.g. 2 for steps of 0.05. */
export function tickDecimals(ticks: readonly number[]): number {
  if (ticks.length < 2) return 2;
  const step = Math.abs(ticks[1] - ticks[0]);
  return step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
}

export interface Point {
  readonly x: number;
  readonly y: number;
  /** The point's tooltip. */
  readonly label?: string;
}

export type Stroke = 'solid' | 'dashed' | 'dotted' | 'none';

export interface Series {
  /** Shown in the legend, and the group's data-series attribute. */
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
  /** The line joining the points; 'none' draws the points alone. */
  readonly stroke: Stroke;
  /** The points' radius (default: 3 when alone, smaller on a line). */
  readonly radius?: number;
  /** Extra data- attributes of the series' group. */
  readonly data?: Readonly<Record<string, string>>;
}

/** A vertical line across the plot at x, e.g. a detected drift. */
export interface Marker {
  readonly x: number;
  readonly color: string;
  readonly label: string;
  /** Attributes identifying it, e.g. { 'data-drift': '3102', 'data-series': 'hoeffding-tree' }. */
  readonly data: Readonly<Record<string, string>>;
  /**
   * Markers of one lane also get a triangle in a strip of their own above the plot, one strip per
   * lane: lines of several models at nearly the same x overlap, their lanes' triangles never do.
   */
  readonly lane?: string;
}

/** A shaded stretch of the plot from x1 to x2, e.g. a detector's warning period. */
export interface Band {
  readonly x1: number;
  readonly x2: number;
  readonly color: string;
  readonly label: string;
  readonly data: Readonly<Record<string, string>>;
}

export interface Axis {
  readonly label: string;
  /** A tick's text; `decimals` is what the tick step needs, counted in `unit`. */
  readonly format: (v: number, decimals: number) => string;
  /** Whole ticks only (indices). */
  readonly integer?: boolean;
  /** Always show 0 (sizes); otherwise the axis fits the data. */
  readonly includeZero?: boolean;
  /** Never extend past these values (accuracy in [0, 1]). */
  readonly clamp?: readonly [number, number];
  /**
   * 'log' places values by their logarithm, ticks at powers of ten (and 2 and 5 times them when
   * the data span less than two decades), and leaves out values that are not positive.
   */
  readonly scale?: 'linear' | 'log';
  /** Ticks are chosen in this unit (e.g. 1024 for KiB) so that they are round numbers of it. */
  readonly unit?: number;
}

export interface LineChart {
  /** The svg's data-chart attribute. */
  readonly chart: string;
  /** The chart's accessible name. */
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
  readonly markers?: readonly Marker[];
  /** Shaded stretches behind the series and markers. */
  readonly bands?: readonly Band[];
  /** Extra legend entries for the markers, one per distinct label. */
  readonly markerLegend?: readonly { readonly name: string; readonly color: string }[];
  readonly width?: number;
  readonly height?: number;
  /** Extra attributes of the svg element. */
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * Series with more points than this are drawn as lines alone, their points kept as invisible
 * hover targets (shown on hover): markers on hundreds of points make a solid line look dotted.
 */
export const MAX_MARKED_POINTS = 40;

const DASH: Record<Stroke, string | undefined> = { solid: undefined, dashed: '6 4', dotted: '1.5 3', none: undefined };
const FONT = 12;
/** A rough width of one character at FONT size, for laying out the legend and labels without measuring text. */
const CHAR = 6.8;

/** Ticks of a log axis over positive values: powers of ten, with 2 and 5 times them over a short span. */
export function logTicks(lo: number, hi: number): Ticks {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 1, hi: 10, ticks: [1, 10] };
  const a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (b <= a) b = a + 1;
  const fine = Math.log10(hi / lo) < 2;
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) {
    for (const m of fine ? [1, 2, 5] : [1]) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (e < b || m === 1) ticks.push(t);
    }
  }
  // The domain hugs the data to the nearest tick outside it, so that a short span is not lost in a wide decade.
  const below = ticks.filter((t) => t <= lo * (1 + 1e-9));
  const above = ticks.filter((t) => t >= hi * (1 - 1e-9));
  const tlo = below.length ? below[below.length - 1] : ticks[0];
  const thi = above.length ? above[0] : ticks[ticks.length - 1];
  return { lo: tlo, hi: thi, ticks: ticks.filter((t) => t >= tlo && t <= thi) };
}

/** The domain of an axis over the values plotted on it, widened to round ticks. */
function axisTicks(axis: Axis, values: readonly number[]): Ticks {
  if (axis.scale === 'log') {
    const positive = values.filter((v) => v > 0);
    return positive.length ? logTicks(Math.min(...positive), Math.max(...positive)) : logTicks(1, 10);
  }
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (axis.includeZero) lo = Math.min(lo, 0);
  const unit = axis.unit ?? 1;
  const t = niceTicks(lo / unit, hi / unit, 6, axis.integer);
  let [tlo, thi, ticks] = [t.lo * unit, t.hi * unit, t.ticks.map((v) => v * unit)];
  if (axis.clamp) {
    const [cmin, cmax] = axis.clamp;
    // Clamping after rounding out keeps 1.0 the top of an accuracy axis and never shows 1.05.
    [tlo, thi] = [Math.max(tlo, cmin), Math.min(thi, cmax)];
    ticks = ticks.filter((v) => v >= tlo - 1e-9 && v <= thi + 1e-9);
    if (thi - tlo < 1e-12) [tlo, thi] = [cmin, cmax];
  }
  return { lo: tlo, hi: thi, ticks };
}

interface LegendEntry {
  readonly name: string;
  readonly color: string;
  readonly stroke: Stroke | 'marker';
}

/** Legend entries laid out in rows that fit `width`; returns the markup and its height. */
function legend(entries: readonly LegendEntry[], x0: number, y0: number, width: number): { svg: string; height: number } {
  if (entries.length === 0) return { svg: '', height: 0 };
  const rowHeight = 18;
  let x = x0;
  let y = y0 + rowHeight / 2;
  const parts: string[] = [];
  for (const e of entries) {
    const w = 34 + e.name.length * CHAR + 18;
    if (x > x0 && x + w > x0 + width) {
      x = x0;
      y += rowHeight;
    }
    const swatch =
      e.stroke === 'marker'
        ? `<path${attrs({ d: triangle(x + 14, y + 2), fill: e.color })}/>` +
          `<line${attrs({ x1: x + 14, x2: x + 14, y1: y + 2, y2: y + 8, stroke: e.color, 'stroke-dasharray': '3 2', 'stroke-width': 1.5 })}/>`
        : e.stroke === 'none'
          ? `<circle${attrs({ cx: x + 14, cy: y, r: 3, fill: e.color })}/>`
          : `<line${attrs({ x1: x, x2: x + 28, y1: y, y2: y, stroke: e.color, 'stroke-width': 2, 'stroke-dasharray': DASH[e.stroke] })}/>`;
    parts.push(`<g class="legend-entry">${swatch}<text${attrs({ x: x + 34, y: y + 4 })}>${escapeXml(e.name)}</text></g>`);
    x += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: y + rowHeight / 2 - y0 };
}

/** A downward triangle whose tip is at (x, y): a drift's mark in its lane. */
function triangle(x: number, y: number): string {
  return `M${num(x - 5)} ${num(y - 8)}L${num(x + 5)} ${num(y - 8)}L${num(x)} ${num(y)}Z`;
}

/** The height of one lane of markers above the plot. */
const LANE = 12;

/**
 * A chart of series against a common x axis: lines and/or points, vertical
 * markers and a legend below the plot. Points whose x or y is not finite
 * are not plotted (a missing score is no point, not a zero).
 */
export function lineChart(spec: LineChart): string {
  const width = spec.width ?? 760;
  const plotHeight = spec.height ?? 280;
  const markers = (spec.markers ?? []).filter((k) => Number.isFinite(k.x));
  const lanes = [...new Set(markers.flatMap((k) => (k.lane === undefined ? [] : [k.lane])))];
  const m = { left: 64, right: 20, top: 14 + lanes.length * LANE, bottom: 44 };
  const log = spec.y.scale === 'log';
  const series = spec.series.map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!log || p.y > 0)) }));
  const bands = (spec.bands ?? []).filter((b) => Number.isFinite(b.x1) && Number.isFinite(b.x2));
  const xs = [...series.flatMap((s) => s.points.map((p) => p.x)), ...markers.map((k) => k.x), ...bands.flatMap((b) => [b.x1, b.x2])];
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const tx = axisTicks(spec.x, xs);
  const ty = axisTicks(spec.y, ys);
  const pw = width - m.left - m.right;
  // Data stay this far inside the axes, so that a point at the domain's edge is not drawn over an axis line.
  const inset = 8;
  const sx = (v: number): number => m.left + inset + ((v - tx.lo) / (tx.hi - tx.lo)) * (pw - 2 * inset);
  const toY = log ? Math.log10 : (v: number): number => v;
  const [ylo, yhi] = [toY(ty.lo), toY(ty.hi)];
  const sy = (v: number): number => m.top + inset + (1 - (toY(v) - ylo) / (yhi - ylo)) * (plotHeight - 2 * inset);
  const bottom = m.top + plotHeight;
  const dx = tickDecimals(tx.ticks.map((t) => t / (spec.x.unit ?? 1)));
  const dy = log ? 0 : tickDecimals(ty.ticks.map((t) => t / (spec.y.unit ?? 1)));

  const grid = ty.ticks
    .map((t) => `<line class="grid"${attrs({ x1: m.left, x2: m.left + pw, y1: sy(t), y2: sy(t) })}/>` +
      `<text class="tick"${attrs({ x: m.left - 6, y: sy(t) + 4, 'text-anchor': 'end' })}>${escapeXml(spec.y.format(t, dy))}</text>`)
    .join('');
  const xTicks = tx.ticks
    .map((t) => `<line class="axis"${attrs({ x1: sx(t), x2: sx(t), y1: bottom, y2: bottom + 5 })}/>` +
      `<text class="tick"${attrs({ x: sx(t), y: bottom + 18, 'text-anchor': 'middle' })}>${escapeXml(spec.x.format(t, dx))}</text>`)
    .join('');
  const axes =
    `<line class="axis"${attrs({ x1: m.left, x2: m.left + pw, y1: bottom, y2: bottom })}/>` +
    `<line class="axis"${attrs({ x1: m.left, x2: m.left, y1: m.top, y2: bottom })}/>` +
    `<text class="axis-label"${attrs({ x: m.left + pw / 2, y: bottom + 36, 'text-anchor': 'middle' })}>${escapeXml(spec.x.label)}</text>` +
    `<text class="axis-label"${attrs({ transform: `translate(14 ${num(m.top + plotHeight / 2)}) rotate(-90)`, 'text-anchor': 'middle' })}>${escapeXml(spec.y.label)}</text>`;

  const drawn = series.map((s) => {
    const many = s.points.length;
    // Past MAX_MARKED_POINTS a line's points are hover targets only (class "hover": invisible until hovered).
    const hidden = s.stroke !== 'none' && many > MAX_MARKED_POINTS;
    const r = s.radius ?? (s.stroke === 'none' ? 3 : hidden ? 3.5 : 2.5);
    // Tooltips cost bytes; past a few thousand points nobody hovers each one.
    const titled = many <= 2000;
    const line =
      s.stroke !== 'none' && many > 1
        ? `<polyline${attrs({ points: s.points.map((p) => `${num(sx(p.x))},${num(sy(p.y))}`).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': DASH[s.stroke] })}/>`
        : '';
    const dots = s.points
      .map((p) => `<circle data-point${attrs({ class: hidden ? 'hover' : undefined, 'data-x': String(p.x), 'data-y': String(p.y), cx: sx(p.x), cy: sy(p.y), r })}>${titled ? tooltip(p.label) : ''}</circle>`)
      .join('');
    return `<g${attrs({ 'data-series': s.name, ...s.data, fill: s.color })}>${line}${dots}</g>`;
  });
  const lines = markers
    .map((k) => {
      const line = `<line${attrs({ ...k.data, x1: sx(k.x), x2: sx(k.x), y1: m.top, y2: bottom, stroke: k.color, 'stroke-width': 1.5, 'stroke-dasharray': '3 2' })}>${tooltip(k.label)}</line>`;
      if (k.lane === undefined) return line;
      const tip = 14 + (lanes.indexOf(k.lane) + 1) * LANE - 2;
      const data = Object.fromEntries(Object.entries(k.data).map(([name, value]) => [name === 'data-drift' ? 'data-drift-mark' : name, value]));
      return `${line}<path${attrs({ ...data, 'data-lane': k.lane, d: triangle(sx(k.x), tip), fill: k.color })}>${tooltip(k.label)}</path>`;
    })
    .join('');
  // At least a pixel wide, so that a one-row warning still shows.
  const shaded = bands
    .map((b) => `<rect${attrs({ ...b.data, x: sx(b.x1), y: m.top, width: Math.max(1, sx(b.x2) - sx(b.x1)), height: plotHeight, fill: b.color, 'fill-opacity': 0.15 })}>${tooltip(b.label)}</rect>`)
    .join('');
  const entries: LegendEntry[] = [
    ...series.map((s) => ({ name: s.name, color: s.color, stroke: s.stroke })),
    ...(spec.markerLegend ?? []).map((e) => ({ ...e, stroke: 'marker' as const })),
  ];
  const key = legend(entries, m.left, bottom + m.bottom, pw);
  const height = bottom + m.bottom + key.height + 6;
  const empty = ys.length === 0 ? `<text class="empty"${attrs({ x: m.left + pw / 2, y: m.top + plotHeight / 2, 'text-anchor': 'middle' })}>no points to plot</text>` : '';
  return (
    `<svg${attrs({ 'data-chart': spec.chart, ...spec.data, viewBox: `0 0 ${width} ${num(height)}`, width, height, role: 'img', 'aria-label': spec.title })}>` +
    `<title>${escapeXml(spec.title)}</title>${grid}${axes}${xTicks}${shaded ? `<g class="bands">${shaded}</g>` : ''}<g class="markers">${lines}</g>${drawn.join('')}${empty}${key.svg}</svg>`
  );
}

export interface HeatMap {
  readonly chart: string;
  readonly title: string;
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  /** The number printed in each cell, rows x columns. */
  readonly counts: readonly (readonly number[])[];
  /** The cell's colour, in [0, 1]. */
  readonly shares: readonly (readonly number[])[];
  readonly rowTitle: string;
  readonly colTitle: string;
  /** Each cell's tooltip. */
  readonly cellLabel: (row: number, col: number) => string;
  readonly data?: Readonly<Record<string, string>>;
}

/** A sequential blue scale (ColorBrewer Blues), light for 0 to dark for 1. */
const BLUES: readonly (readonly [number, number, number])[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

export function blue(share: number): string {
  const s = Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 0;
  const at = s * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(at));
  const f = at - i;
  const [a, b] = [BLUES[i], BLUES[i + 1]];
  const c = a.map((v, j) => Math.round(v + (b[j] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Long labels are cut to fit a margin; the full text stays in the tooltip. */
function clip(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, Math.max(1, max - 1))}…`;
}

/** A k x m grid of coloured cells with the count printed in each and labels on both axes. */
export function heatMap(spec: HeatMap): string {
  const rows = spec.rowLabels.length;
  const cols = spec.colLabels.length;
  const cell = Math.max(30, Math.min(64, Math.floor(520 / Math.max(1, cols))));
  const maxChars = 18;
  const longest = (labels: readonly string[]): number => Math.min(maxChars, Math.max(1, ...labels.map((l) => l.length)));
  const left = 30 + longest(spec.rowLabels) * CHAR + 8;
  // Column labels run horizontally when they fit over their cell, else at 45 degrees.
  const slanted = longest(spec.colLabels) * CHAR > cell - 4;
  const top = 22 + (slanted ? longest(spec.colLabels) * CHAR * 0.72 + 8 : 20);
  const width = left + cols * cell + 12;
  const height = top + rows * cell + 10;
  const parts: string[] = [];
  spec.colLabels.forEach((label, j) => {
    const x = left + j * cell + cell / 2;
    const y = top - 6;
    const text = escapeXml(clip(label, maxChars));
    parts.push(
      slanted
        ? `<text class="tick"${attrs({ transform: `translate(${num(x)} ${num(y)}) rotate(-45)` })}>${tooltip(label)}${text}</text>`
        : `<text class="tick"${attrs({ x, y, 'text-anchor': 'middle' })}>${tooltip(label)}${text}</text>`,
    );
  });
  spec.rowLabels.forEach((label, i) => {
    parts.push(`<text class="tick"${attrs({ x: left - 6, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end' })}>${tooltip(label)}${escapeXml(clip(label, maxChars))}</text>`);
  });
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const n = spec.counts[i]?.[j] ?? 0;
      const share = spec.shares[i]?.[j] ?? 0;
      const x = left + j * cell;
      const y = top + i * cell;
      // Counts too wide for the cell are abbreviated (12.3K); data-count keeps the exact one.
      const exact = n.toLocaleString('en-US');
      const fontSize = Math.min(FONT, cell / 3);
      const shown = exact.length * fontSize * 0.62 <= cell - 4 ? exact : new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
      parts.push(
        `<rect data-cell${attrs({ 'data-row': String(i), 'data-col': String(j), 'data-count': String(n), 'data-share': String(Math.round(share * 1e4) / 1e4), x, y, width: cell, height: cell, fill: blue(share), stroke: '#fff' })}>${tooltip(spec.cellLabel(i, j))}</rect>` +
          `<text class="${share > 0.55 ? 'count on-dark' : 'count'}"${attrs({ x: x + cell / 2, y: y + cell / 2 + fontSize / 3, 'text-anchor': 'middle', style: `font-size:${num(fontSize)}px` })}>${escapeXml(shown)}</text>`,
      );
    }
  }
  parts.push(`<text class="axis-label"${attrs({ x: left + (cols * cell) / 2, y: 14, 'text-anchor': 'middle' })}>${escapeXml(spec.colTitle)}</text>`);
  parts.push(`<text class="axis-label"${attrs({ transform: `translate(14 ${num(top + (rows * cell) / 2)}) rotate(-90)`, 'text-anchor': 'middle' })}>${escapeXml(spec.rowTitle)}</text>`);
  return (
    `<svg${attrs({ 'data-chart': spec.chart, ...spec.data, viewBox: `0 0 ${num(width)} ${num(height)}`, width, height, role: 'img', 'aria-label': spec.title })}>` +
    `<title>${escapeXml(spec.title)}</title>${parts.join('')}</svg>`
  );
}
