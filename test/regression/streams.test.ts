import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StreamlearnError } from '../../src/core/errors.js';
import { resolveParams } from '../../src/core/params.js';
import type { Row } from '../../src/core/types.js';
import { FriedmanDriftGenerator, FriedmanGenerator } from '../../src/data/synth/friedman.js';
import type { Generator, Sample } from '../../src/data/synth/generator.js';
import { MvGenerator, mvCategories } from '../../src/data/synth/mv.js';
import { Planes2DGenerator } from '../../src/data/synth/planes2d.js';
import { generatorDefinition, synthGenerator, synthSource } from '../../src/data/synth/registry.js';

const regressionSpecs = ['friedman', 'friedman-drift', 'mv', 'planes2d'] as const;

function take(g: Generator, n: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) out.push(g.next());
  return out;
}

/** The first of the rows that fails `ok`, described, or undefined: one expect per test keeps the file fast. */
function firstBad(rows: readonly Sample[], ok: (s: Sample, i: number) => boolean): string | undefined {
  for (let i = 0; i < rows.length; i++) {
    const s = rows[i];
    if (!ok(s, i)) return `row ${i + 1}: x = [${[...s.x].join(', ')}], y = ${s.y}`;
  }
  return undefined;
}

function failure(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(StreamlearnError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a failure');
}

function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

// The target functions, written out here from the papers and River's code
// rather than imported, so that a slip in the generator shows.
const friedman1 = (x: Float64Array): number =>
  10 * Math.sin(Math.PI * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4];
const graSwapped = (x: Float64Array): number =>
  10 * Math.sin(Math.PI * x[3] * x[5]) + 20 * (x[1] - 0.5) ** 2 + 10 * x[0] + 5 * x[2];
const gsgSecond = (x: Float64Array): number =>
  10 * Math.sin(Math.PI * x[3] * x[4]) + 20 * (x[1] - 0.5) ** 2 + 10 * x[0] + 5 * x[2];
const gsgThird = (x: Float64Array): number =>
  10 * Math.sin(Math.PI * x[1] * x[4]) + 20 * (x[3] - 0.5) ** 2 + 10 * x[2] + 5 * x[0];
const leaRegion1 = (x: Float64Array): number => 10 * x[0] * x[1] + 20 * (x[2] - 0.5) + 10 * x[3] + 5 * x[4];
const leaRegion2 = (x: Float64Array): number =>
  10 * Math.cos(x[0] * x[1]) + 20 * (x[2] - 0.5) + Math.exp(x[3]) + 5 * x[4] ** 2;

/** River's lea regions at stage 1, 2, 3 (after the first, second, third change). */
function leaTarget(x: Float64Array, stage: 0 | 1 | 2 | 3): number {
  if (stage === 0) return friedman1(x);
  const r1 = [x[1] < 0.3 && x[2] < 0.3 && x[3] > 0.7 && x[4] < 0.3, x[1] < 0.3 && x[2] < 0.3 && x[3] > 0.7, x[1] < 0.3 && x[2] < 0.3];
  const r2 = [x[1] > 0.7 && x[2] > 0.7 && x[3] < 0.3 && x[4] > 0.7, x[1] > 0.7 && x[2] > 0.7 && x[3] < 0.3, x[1] > 0.7 && x[2] > 0.7];
  if (r1[stage - 1]) return leaRegion1(x);
  if (r2[stage - 1]) return leaRegion2(x);
  return friedman1(x);
}

describe('regression streams', () => {
  it.each(regressionSpecs)('%s: the same seed gives the same rows, another seed other rows', (spec) => {
    const rows = (seed: number): number[][] => take(synthGenerator(spec, { seed }), 300).map((s) => [...s.x, s.y]);
    expect(rows(7)).toEqual(rows(7));
    expect(rows(8)).not.toEqual(rows(7));
  });

  it.each(regressionSpecs)('%s: nextInto writes the very rows next() gives, and the schema is a regression one', (spec) => {
    const a = synthGenerator(spec, { seed: 3 });
    const b = synthGenerator(spec, { seed: 3 });
    expect(a.schema).toMatchObject({ task: 'regression', classes: [], label: 'y' });
    expect(a.schema.features).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10']);
    const out = new Float64Array(10 * 200);
    const ys: number[] = [];
    for (let i = 0; i < 200; i++) ys.push(b.nextInto!(out, 10 * i));
    const rows = take(a, 200);
    expect(rows.map((r) => r.y)).toEqual(ys);
    expect(rows.flatMap((r) => [...r.x])).toEqual([...out]);
    expect(ys.every(Number.isFinite)).toBe(true);
  });

  it('are listed with their parameters, River\'s defaults and a reference', () => {
    expect(resolveParams(generatorDefinition('friedman'))).toEqual({ noise: 1 });
    expect(resolveParams(generatorDefinition('friedman-drift'))).toEqual({
      driftType: 'lea', position1: 50_000, position2: 100_000, position3: 150_000, transitionWindow: 10_000, noise: 1,
    });
    expect(resolveParams(generatorDefinition('mv'))).toEqual({});
    expect(resolveParams(generatorDefinition('planes2d'))).toEqual({ noise: 1 });
    for (const name of regressionSpecs) expect(generatorDefinition(name).reference).toMatch(/\d{4}/);
  });

  it('a source of a regression stream yields the real-valued targets', async () => {
    const source = synthSource('friedman', { seed: 5, rows: 50 });
    const rows: Row[] = [];
    for await (const row of source.rows()) rows.push(row);
    expect(rows.map((r) => r.y)).toEqual(take(new FriedmanGenerator(5), 50).map((s) => s.y));
    expect(rows.some((r) => !Number.isInteger(r.y))).toBe(true);
    expect(rows.map((r) => r.line)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('two regression streams chain through a concept drift: friedman then planes2d after row 100', () => {
    const g = synthGenerator('friedman(noise=0)>planes2d(noise=0)@100/1', { seed: 2 });
    const rows = take(g, 300);
    const planes = (x: Float64Array): number => (x[0] === 1 ? 3 + 3 * x[1] + 2 * x[2] + x[3] : -3 + 3 * x[4] + 2 * x[5] + x[6]);
    expect(firstBad(rows.slice(0, 100), ({ x, y }) => y === friedman1(x))).toBeUndefined();
    expect(firstBad(rows.slice(100), ({ x, y }) => y === planes(x))).toBeUndefined();
  });
});

describe('Friedman #1', () => {
  it('noise 0: the target is exactly the formula on ten features uniform in [0, 1) (20,000 rows, seed 1)', () => {
    const rows = take(new FriedmanGenerator(1, { noise: 0 }), 20_000);
    expect(firstBad(rows, ({ x, y }) => x.every((v) => v >= 0 && v < 1) && y === friedman1(x))).toBeUndefined();
    // The irrelevant features are uniform too: their means near 0.5.
    for (const j of [5, 9]) expect(Math.abs(meanAndSd(rows.map((r) => r.x[j])).mean - 0.5)).toBeLessThan(0.01);
  });

  it('noise 1: target minus formula is N(0, 1) (mean within 0.03, sd within 0.97..1.03, 20,000 rows, seed 1)', () => {
    const rows = take(new FriedmanGenerator(1), 20_000);
    const { mean, sd } = meanAndSd(rows.map(({ x, y }) => y - friedman1(x)));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(0.97);
    expect(sd).toBeLessThan(1.03);
    // About 99.7 % of N(0, 1) lies within 3: no wild residual.
    expect(rows.filter(({ x, y }) => Math.abs(y - friedman1(x)) > 3).length / rows.length).toBeLessThan(0.005);
  });

  it('the noise level scales the same deviates: same features, residuals at noise 2 twice those at noise 1', () => {
    const one = take(new FriedmanGenerator(4, { noise: 1 }), 1000);
    const two = take(new FriedmanGenerator(4, { noise: 2 }), 1000);
    expect(two.map((r) => [...r.x])).toEqual(one.map((r) => [...r.x]));
    const worst = Math.max(...one.map((r, i) => Math.abs(two[i].y - friedman1(r.x) - 2 * (r.y - friedman1(r.x)))));
    expect(worst).toBeLessThan(1e-12);
  });

  it('refuses a negative noise with one line', () => {
    expect(failure(() => new FriedmanGenerator(1, { noise: -1 }))).toBe('friedman: noise must be a number at least 0 (got -1)');
    expect(failure(() => synthGenerator('friedman(noise=-1)', { seed: 1 }))).toMatch(/^synth spec "friedman\(noise=-1\)": noise=-1: must be at least 0/);
  });
});

describe('Friedman with drift (Ikonomovska et al. 2011, as River)', () => {
  it('lea: rows follow Friedman #1 up to position1, then regions that expand at each change (noise 0, seed 1)', () => {
    const positions = [2000, 4000, 6000] as const;
    const g = new FriedmanDriftGenerator(1, { driftType: 'lea', position1: 2000, position2: 4000, position3: 6000, noise: 0 });
    const rows = take(g, 8000);
    const stageOf = (i: number): 0 | 1 | 2 | 3 => (i < positions[0] ? 0 : i < positions[1] ? 1 : i < positions[2] ? 2 : 3);
    expect(firstBad(rows, ({ x, y }, i) => y === leaTarget(x, stageOf(i)))).toBeUndefined();
    // The drift is real: the share of rows off Friedman #1 grows stage by stage
    // (regions of probability 2 x 0.3^4, 2 x 0.3^3, 2 x 0.3^2: 1.6 %, 5.4 %, 18 %).
    const offShare = (from: number, to: number): number =>
      rows.slice(from, to).filter(({ x, y }) => y !== friedman1(x)).length / (to - from);
    expect(offShare(0, 2000)).toBe(0);
    const shares = [offShare(2000, 4000), offShare(4000, 6000), offShare(6000, 8000)];
    expect(shares[0]).toBeGreaterThan(0.008);
    expect(shares[0]).toBeLessThan(0.03);
    expect(shares[1]).toBeGreaterThan(0.035);
    expect(shares[1]).toBeLessThan(0.075);
    expect(shares[2]).toBeGreaterThan(0.15);
    expect(shares[2]).toBeLessThan(0.21);
  });

  it('gra: the swapped concept holds exactly from row position1 + 1 to row position2, then Friedman #1 returns (noise 0, seed 2)', () => {
    const g = synthGenerator('friedman-drift(drift-type=gra, position1=1000, position2=2500, noise=0)', { seed: 2 });
    const rows = take(g, 4000);
    expect(firstBad(rows, ({ x, y }, i) => y === (i >= 1000 && i < 2500 ? graSwapped(x) : friedman1(x)))).toBeUndefined();
    // The two concepts really differ on these rows, so the test above tells them apart.
    expect(rows[1000].y).not.toBe(friedman1(rows[1000].x));
    expect(rows[2499].y).not.toBe(friedman1(rows[2499].x));
    expect(rows[999].y).not.toBe(graSwapped(rows[999].x));
  });

  it('gsg: half the rows keep the old concept inside each transition window, none outside (noise 0, seed 3)', () => {
    const g = new FriedmanDriftGenerator(3, { driftType: 'gsg', position1: 2000, position2: 6000, transitionWindow: 2000, noise: 0 });
    const rows = take(g, 10_000);
    const allowed = (i: number): ((x: Float64Array) => number)[] => {
      if (i < 2000) return [friedman1];
      if (i < 4000) return [friedman1, gsgSecond];
      if (i < 6000) return [gsgSecond];
      if (i < 8000) return [gsgSecond, gsgThird];
      return [gsgThird];
    };
    expect(firstBad(rows, ({ x, y }, i) => allowed(i).some((f) => f(x) === y))).toBeUndefined();
    const oldShare = (from: number, to: number, old: (x: Float64Array) => number): number =>
      rows.slice(from, to).filter(({ x, y }) => y === old(x)).length / (to - from);
    // Binomial(2000, 1/2): sd 1.1 %; 0.44..0.56 is over five sd either way.
    expect(oldShare(2000, 4000, friedman1)).toBeGreaterThan(0.44);
    expect(oldShare(2000, 4000, friedman1)).toBeLessThan(0.56);
    expect(oldShare(6000, 8000, gsgSecond)).toBeGreaterThan(0.44);
    expect(oldShare(6000, 8000, gsgSecond)).toBeLessThan(0.56);
  });

  it('gsg with a window of 0 changes abruptly at both positions', () => {
    const g = new FriedmanDriftGenerator(4, { driftType: 'gsg', position1: 500, position2: 1000, transitionWindow: 0, noise: 0 });
    const rows = take(g, 1500);
    expect(firstBad(rows, ({ x, y }, i) => y === (i < 500 ? friedman1(x) : i < 1000 ? gsgSecond(x) : gsgThird(x)))).toBeUndefined();
  });

  it('keeps the drift points with noise: residuals are N(0, 1) around the drifted concept (gra, 6,000 rows, seed 5)', () => {
    const g = new FriedmanDriftGenerator(5, { driftType: 'gra', position1: 2000, position2: 4000 });
    const rows = take(g, 6000);
    const residual = rows.map(({ x, y }, i) => y - (i >= 2000 && i < 4000 ? graSwapped(x) : friedman1(x)));
    const { mean, sd } = meanAndSd(residual);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeGreaterThan(0.95);
    expect(sd).toBeLessThan(1.05);
  });

  it('refuses positions out of order and a window wider than the gap, each with one line', () => {
    expect(failure(() => new FriedmanDriftGenerator(1, { position1: 10, position2: 10 }))).toBe(
      'friedman-drift: position2 (10) must be greater than position1 (10)',
    );
    expect(failure(() => new FriedmanDriftGenerator(1, { position1: 10, position2: 20, position3: 15 }))).toMatch(
      /^friedman-drift: position3 \(15\) must be greater than position2 \(20\)/,
    );
    expect(failure(() => new FriedmanDriftGenerator(1, { driftType: 'gsg', position1: 10, position2: 20, transitionWindow: 11 }))).toMatch(
      /^friedman-drift: transition-window \(11\) must not exceed position2 - position1 \(10\)/,
    );
    expect(failure(() => synthGenerator('friedman-drift(drift-type=abc)', { seed: 1 }))).toMatch(/expected one of lea, gra, gsg/);
    // gra and gsg have two changes: position3 is not theirs to check.
    expect(() => new FriedmanDriftGenerator(1, { driftType: 'gra', position1: 10, position2: 20, position3: 5 })).not.toThrow();
  });
});

describe('Mv (Torgo; River synth.Mv)', () => {
  const [GREEN, RED, BROWN] = [0, 1, 2];
  const [YES, NO] = [0, 1];
  const [NORMAL, LARGE] = [0, 1];
  const rows = take(new MvGenerator(1), 20_000);

  it('marks x3, x7 and x8 nominal, coded as mvCategories lists them', () => {
    expect(new MvGenerator(1).schema.nominal).toEqual([false, false, true, false, false, false, true, true, false, false]);
    expect(mvCategories).toEqual({ x3: ['green', 'red', 'brown'], x7: ['yes', 'no'], x8: ['normal', 'large'] });
  });

  it('draws each feature as defined, dependencies included (20,000 rows, seed 1)', () => {
    const ok = ({ x }: Sample): boolean => {
      const [x1, x2, x3, x4, x5, x6, x7, x8, x9, x10] = x;
      const x4ok = x3 === GREEN ? x4 === x1 + 2 * x2 : x4 === x1 / 2 || x4 === x2 / 2;
      // x6 = x4 * eps, eps in [0, 5): the ratio lies in [0, 5].
      const eps = x4 === 0 ? 0 : x6 / x4;
      return (
        x1 >= -5 && x1 < 5 && x2 >= -15 && x2 < -10 &&
        (x1 > 0 ? x3 === GREEN : x3 === RED || x3 === BROWN) && x4ok &&
        x5 >= -1 && x5 < 1 && eps >= 0 && eps <= 5 &&
        (x7 === YES || x7 === NO) && x8 === (x5 < 0.5 ? NORMAL : LARGE) &&
        x9 >= 100 && x9 < 500 && Number.isInteger(x10) && x10 >= 1000 && x10 <= 1200
      );
    };
    expect(firstBad(rows, ok)).toBeUndefined();
    const share = (of: (s: Sample) => boolean, among: (s: Sample) => boolean): number =>
      rows.filter((s) => among(s) && of(s)).length / rows.filter(among).length;
    const notGreen = (s: Sample): boolean => s.x[2] !== GREEN;
    // Shares of 10,000 or 20,000 draws: sd about 0.5 %; bars at 3 %.
    expect(Math.abs(share((s) => s.x[2] === RED, notGreen) - 0.4)).toBeLessThan(0.03);
    expect(Math.abs(share((s) => s.x[3] === s.x[0] / 2, notGreen) - 0.3)).toBeLessThan(0.03);
    expect(Math.abs(share((s) => s.x[6] === YES, () => true) - 0.3)).toBeLessThan(0.03);
    expect(Math.abs(share((s) => s.x[0] > 0, () => true) - 0.5)).toBeLessThan(0.03);
  });

  it('labels each row by Torgo\'s rules, every rule but the unreachable first one in use (20,000 rows, seed 1)', () => {
    const used = new Set<string>();
    const target = (x: Float64Array): number => {
      const [x1, x2, , x4, , x6, x7, x8] = x;
      const rule = x2 > 2 ? 'x2 > 2' : x4 >= -2 && x4 <= 2 ? 'x4 in [-2, 2]' : x7 === YES ? 'yes' : x8 === NORMAL ? 'normal' : 'else';
      used.add(rule);
      if (rule === 'x2 > 2') return 35 - 0.5 * x4;
      if (rule === 'x4 in [-2, 2]') return 10 - 2 * x1;
      if (rule === 'yes') return 3 - x1 / x4;
      if (rule === 'normal') return x6 + x1;
      return x1 / 2;
    };
    expect(firstBad(rows, ({ x, y }) => y === target(x))).toBeUndefined();
    expect([...used].sort()).toEqual(['else', 'normal', 'x4 in [-2, 2]', 'yes']);
  });

  it('matches River\'s example rows: its first five rows\' features give its targets', () => {
    // River's docstring rows (rounded to 2 places): [x1..x10] -> y.
    const river: [number[], number][] = [
      [[1.39, -14.87, GREEN, -28.35, -0.44, -31.64, NO, NORMAL, 370.67, 1178.43], -30.25],
      [[-4.13, -12.89, RED, -2.06, 0.01, -0.27, YES, NORMAL, 359.95, 1108.98], 1.0],
      [[-2.79, -12.05, BROWN, -1.39, 0.61, -4.87, NO, LARGE, 162.19, 1191.44], 15.59],
      [[-1.63, -14.53, RED, -7.26, 0.2, -29.33, NO, NORMAL, 314.49, 1194.62], -30.96],
      [[-1.21, -12.23, BROWN, -6.11, 0.72, -17.66, NO, LARGE, 118.32, 1045.57], -0.6],
    ];
    const rule = (x: number[]): number => {
      if (x[1] > 2) return 35 - 0.5 * x[3];
      if (x[3] >= -2 && x[3] <= 2) return 10 - 2 * x[0];
      if (x[6] === YES) return 3 - x[0] / x[3];
      if (x[7] === NORMAL) return x[5] + x[0];
      return x[0] / 2;
    };
    // Rounded inputs move the target by a few hundredths at most.
    for (const [x, y] of river) expect(Math.abs(rule(x) - y)).toBeLessThan(0.05);
  });
});

describe('2-D planes (Breiman et al. 1984; River synth.Planes2D)', () => {
  const plane = (x: Float64Array | number[]): number =>
    x[0] === 1 ? 3 + 3 * x[1] + 2 * x[2] + x[3] : -3 + 3 * x[4] + 2 * x[5] + x[6];

  it('noise 0: features in {-1, 0, 1} with the stated odds, target exactly on the plane x1 picks (30,000 rows, seed 1)', () => {
    const rows = take(new Planes2DGenerator(1, { noise: 0 }), 30_000);
    expect(firstBad(rows, ({ x, y }) => (x[0] === -1 || x[0] === 1) && x.every((v) => v === -1 || v === 0 || v === 1) && y === plane(x))).toBeUndefined();
    const share = (j: number, v: number): number => rows.filter((r) => r.x[j] === v).length / rows.length;
    expect(Math.abs(share(0, 1) - 0.5)).toBeLessThan(0.015);
    for (const j of [1, 4, 9]) for (const v of [-1, 0, 1]) expect(Math.abs(share(j, v) - 1 / 3)).toBeLessThan(0.015);
  });

  it('noise 1: residuals are N(0, 1) (mean within 0.03, sd within 0.97..1.03, 20,000 rows, seed 2)', () => {
    const rows = take(new Planes2DGenerator(2), 20_000);
    const { mean, sd } = meanAndSd(rows.map(({ x, y }) => y - plane(x)));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(0.97);
    expect(sd).toBeLessThan(1.03);
  });

  it('matches River\'s example rows: their features give their targets within the noise', () => {
    const river: [number[], number][] = [
      [[-1, -1, 1, 0, -1, -1, -1, 1, -1, 1], -9.07],
      [[1, -1, -1, -1, -1, -1, 1, 1, -1, 1], -4.25],
      [[-1, 1, 1, 1, 1, 0, -1, 0, 1, 0], -0.95],
      [[-1, 1, 0, 0, 0, -1, -1, 0, -1, -1], -6.1],
      [[1, -1, 0, 0, 1, 0, -1, 1, 0, 1], 1.6],
    ];
    // Planes give -9, -3, -1, -6, 0; River's residuals are N(0, 1) draws, all within 2 here.
    for (const [x, y] of river) expect(Math.abs(y - plane(x))).toBeLessThan(2);
    expect(river.map(([x]) => plane(x))).toEqual([-9, -3, -1, -6, 0]);
  });
});

describe('bundled regression data sets', () => {
  const dataDir = fileURLToPath(new URL('../../data/', import.meta.url));
  const expected = { diabetes: { rows: 442, features: 10, label: 'progression' }, 'auto-mpg': { rows: 392, features: 7, label: 'mpg' } };

  it.each(Object.entries(expected))('%s: the card agrees with its CSV, every cell a finite number', (name, want) => {
    const card = JSON.parse(readFileSync(`${dataDir}${name}.json`, 'utf8')) as Record<string, unknown>;
    expect(card).toMatchObject({ name, file: `${name}.csv`, task: 'regression', classes: [], ...want });
    expect(String(card.licence)).toMatch(/BSD-3-Clause|CC BY 4\.0/);
    expect(String(card.source).length).toBeGreaterThan(40);
    expect(statSync(`${dataDir}${card.file}`).size).toBeLessThan(200 * 1024);
    const lines = readFileSync(`${dataDir}${card.file}`, 'utf8').trimEnd().split('\n');
    const header = lines[0].split(',');
    expect(header.length).toBe(want.features + 1);
    expect(header[header.length - 1]).toBe(want.label);
    expect(new Set(header).size).toBe(header.length);
    expect(lines.length - 1).toBe(want.rows);
    const bad = lines.slice(1).findIndex((line) => {
      const cells = line.split(',');
      return cells.length !== header.length || cells.some((c) => c.trim() === '' || !Number.isFinite(Number(c)));
    });
    expect(bad).toBe(-1);
    // A regression label: many distinct values, not a handful of classes.
    const labels = new Set(lines.slice(1).map((line) => line.split(',').at(-1)));
    expect(labels.size).toBeGreaterThan(100);
  });

  it('auto-mpg keeps UCI\'s model years 70..82 (cars.json dates year 81 as 1982) and origin codes 1..3', () => {
    const lines = readFileSync(`${dataDir}auto-mpg.csv`, 'utf8').trimEnd().split('\n').slice(1);
    const count = (column: number): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const line of lines) {
        const v = line.split(',')[column];
        out[v] = (out[v] ?? 0) + 1;
      }
      return out;
    };
    // The counts of UCI's 392 complete rows.
    expect(count(5)).toEqual({ 70: 29, 71: 27, 72: 28, 73: 40, 74: 26, 75: 30, 76: 34, 77: 28, 78: 36, 79: 29, 80: 27, 81: 28, 82: 30 });
    expect(count(6)).toEqual({ 1: 245, 2: 68, 3: 79 });
  });
});
