import { describe, expect, it } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import type { Schema } from '../src/core/types.js';
import { resolveParams } from '../src/core/params.js';
import { AgrawalGenerator } from '../src/data/synth/agrawal.js';
import { ConceptDriftStream } from '../src/data/synth/concept-drift.js';
import type { Generator, Sample } from '../src/data/synth/generator.js';
import { HyperplaneGenerator } from '../src/data/synth/hyperplane.js';
import { LEDGenerator, LEDGeneratorDrift } from '../src/data/synth/led.js';
import { RandomRBFGenerator, RandomRBFGeneratorDrift } from '../src/data/synth/random-rbf.js';
import {
  generatorDefinition,
  generatorDefinitions,
  generatorNames,
  parseSynthSpec,
  synthGenerator,
  synthSource,
} from '../src/data/synth/registry.js';
import { SEAGenerator } from '../src/data/synth/sea.js';
import { SineGenerator } from '../src/data/synth/sine.js';
import { STAGGERGenerator } from '../src/data/synth/stagger.js';

function take(g: Generator, n: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) out.push(g.next());
  return out;
}

/** Share of `n` rows for which `test` holds. */
function share(g: Generator, n: number, test: (s: Sample) => boolean): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (test(g.next())) hits++;
  return hits / n;
}

/**
 * The first of `n` rows that fails `ok`, described, or undefined when all
 * pass: one expect per test rather than per row keeps the file fast.
 */
function firstBad(g: Generator, n: number, ok: (s: Sample, i: number) => boolean): string | undefined {
  for (let i = 0; i < n; i++) {
    const s = g.next();
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

const isInt = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;

describe('every generator', () => {
  const specs = [...generatorNames, 'agrawal(function=1)>agrawal(function=2)@50/20'];

  it.each(specs)('%s: the same seed gives the same rows, another seed other rows', (spec) => {
    const a = take(synthGenerator(spec, { seed: 7 }), 200);
    const b = take(synthGenerator(spec, { seed: 7 }), 200);
    const c = take(synthGenerator(spec, { seed: 8 }), 200);
    expect(b.map((s) => [...s.x, s.y])).toEqual(a.map((s) => [...s.x, s.y]));
    expect(c.map((s) => [...s.x, s.y])).not.toEqual(a.map((s) => [...s.x, s.y]));
  });

  it.each(generatorDefinitions.map((d) => [d.name, d] as const))('%s: resolves its defaults and makes rows its schema describes', (_name, def) => {
    const g = def.create(3, resolveParams(def));
    const width = g.schema.features.length;
    if (g.schema.task === 'regression') {
      expect(g.schema.label).toBe('y');
      expect(g.schema.classes).toEqual([]);
      expect(firstBad(g, 500, ({ x, y }) => x instanceof Float64Array && x.length === width && Number.isFinite(y))).toBeUndefined();
      return;
    }
    expect(g.schema.label).toBe('class');
    const k = g.schema.classes.length;
    expect(firstBad(g, 500, ({ x, y }) => x instanceof Float64Array && x.length === width && isInt(y, 0, k - 1))).toBeUndefined();
  });

  it('rows are never reused, even when they share a chunk', () => {
    const g = synthGenerator('random-rbf', { seed: 1 });
    const rows = take(g, 2000);
    const copies = rows.map((r) => [...r.x]);
    take(g, 2000);
    expect(rows.map((r) => [...r.x])).toEqual(copies);
    expect(new Set(rows.map((r) => r.x)).size).toBe(rows.length);
  });

  it('are listed with their MOA names, parameters and defaults', () => {
    expect(generatorNames).toEqual([
      'sea', 'agrawal', 'random-rbf', 'random-rbf-drift', 'hyperplane', 'led', 'led-drift', 'stagger', 'sine',
      'friedman', 'friedman-drift', 'mv', 'planes2d',
    ]);
    expect(resolveParams(generatorDefinition('sea'))).toEqual({ function: 1, noisePercentage: 10, balanceClasses: 'off' });
    expect(resolveParams(generatorDefinition('agrawal'))).toEqual({ function: 1, perturbFraction: 0.05, balanceClasses: 'off' });
    expect(resolveParams(generatorDefinition('random-rbf'))).toEqual({ modelRandomSeed: 1, numClasses: 2, numAtts: 10, numCentroids: 50 });
    expect(resolveParams(generatorDefinition('random-rbf-drift'))).toMatchObject({ speedChange: 0, numDriftCentroids: 50 });
    expect(resolveParams(generatorDefinition('hyperplane'))).toEqual({
      numAtts: 10, numDriftAtts: 2, magChange: 0, noisePercentage: 5, sigmaPercentage: 10,
    });
    expect(resolveParams(generatorDefinition('led'))).toEqual({ noisePercentage: 10, suppressIrrelevantAttributes: 'off' });
    expect(resolveParams(generatorDefinition('led-drift'))).toMatchObject({ numberAttributesDrift: 1 });
    for (const def of generatorDefinitions) {
      expect(def.summary.length).toBeGreaterThan(0);
      expect(def.reference).toMatch(/\d{4}/);
    }
  });

  it('refuse bad parameters when made directly', () => {
    expect(failure(() => new SEAGenerator(1, { function: 5 }))).toBe('sea: function must be an integer at least 1 and at most 4 (got 5)');
    expect(failure(() => new AgrawalGenerator(1, { perturbFraction: 2 }))).toMatch(/^agrawal: perturb-fraction/);
    expect(failure(() => new HyperplaneGenerator(1, { numAtts: 3, numDriftAtts: 4 }))).toMatch(/num-drift-atts \(4\) must not exceed num-atts \(3\)/);
    expect(failure(() => new LEDGeneratorDrift(1, { numberAttributesDrift: 8 }))).toMatch(/^led-drift: number-attributes-drift/);
  });
});

describe('SEA', () => {
  const thetas = [8, 9, 7, 9.5];

  it('has three attributes in [0, 10) and MOA\'s class names', () => {
    const g = new SEAGenerator(1);
    expect(g.schema).toEqual({ features: ['attrib1', 'attrib2', 'attrib3'], label: 'class', classes: ['groupA', 'groupB'] });
    expect(firstBad(g, 20000, ({ x }) => x.every((v) => v >= 0 && v < 10))).toBeUndefined();
  });

  it.each([1, 2, 3, 4])('function %i without noise: every row follows attrib1 + attrib2 <= theta', (f) => {
    const theta = thetas[f - 1];
    const g = new SEAGenerator(2, { function: f, noisePercentage: 0 });
    expect(firstBad(g, 20000, ({ x, y }) => y === (x[0] + x[1] <= theta ? 0 : 1))).toBeUndefined();
  });

  it('with the default 10% noise, 10% ± 0.5% of 100,000 rows break the rule', () => {
    const broken = share(new SEAGenerator(3), 100000, ({ x, y }) => y !== (x[0] + x[1] <= 8 ? 0 : 1));
    expect(Math.abs(broken - 0.1)).toBeLessThan(0.005);
  });

  it('noise leaves the attributes alone: the same seed gives the same attributes at any noise level', () => {
    const quiet = take(new SEAGenerator(4, { noisePercentage: 0 }), 100).map((s) => [...s.x]);
    const noisy = take(new SEAGenerator(4, { noisePercentage: 30 }), 100).map((s) => [...s.x]);
    expect(noisy).toEqual(quiet);
  });

  it('balances the classes by alternating them, starting with groupB, as MOA does', () => {
    const g = new SEAGenerator(5, { noisePercentage: 0, balanceClasses: true });
    expect(firstBad(g, 1000, ({ y }, i) => y === (i % 2 === 0 ? 1 : 0))).toBeUndefined();
  });
});

describe('Agrawal', () => {
  // The ten functions written out afresh from Agrawal et al. 1993, to check the generator's.
  const bands = (age: number): [number, number] => (age < 40 ? [50000, 100000] : age < 60 ? [75000, 125000] : [25000, 75000]);
  const inBand = (v: number, [lo, hi]: [number, number]): boolean => v >= lo && v <= hi;
  const accept: ((x: Float64Array) => boolean)[] = [
    (x) => x[2] < 40 || x[2] >= 60,
    (x) => inBand(x[0], bands(x[2])),
    (x) => (x[2] < 40 ? [0, 1] : x[2] < 60 ? [1, 2, 3] : [2, 3, 4]).includes(x[3]),
    (x) => {
      const [age, e, s] = [x[2], x[3], x[0]];
      if (age < 40) return inBand(s, [0, 1].includes(e) ? [25000, 75000] : [50000, 100000]);
      if (age < 60) return inBand(s, [1, 2, 3].includes(e) ? [50000, 100000] : [75000, 125000]);
      return inBand(s, [2, 3, 4].includes(e) ? [50000, 100000] : [25000, 75000]);
    },
    (x) => {
      const [age, s, loan] = [x[2], x[0], x[8]];
      if (age < 40) return inBand(loan, inBand(s, [50000, 100000]) ? [100000, 300000] : [200000, 400000]);
      if (age < 60) return inBand(loan, inBand(s, [75000, 125000]) ? [200000, 400000] : [300000, 500000]);
      return inBand(loan, inBand(s, [25000, 75000]) ? [300000, 500000] : [100000, 300000]);
    },
    (x) => inBand(x[0] + x[1], bands(x[2])),
    (x) => (2 / 3) * (x[0] + x[1]) - x[8] / 5 - 20000 > 0,
    (x) => (2 / 3) * (x[0] + x[1]) - 5000 * x[3] - 20000 > 0,
    (x) => (2 / 3) * (x[0] + x[1]) - 5000 * x[3] - x[8] / 5 - 10000 > 0,
    (x) => {
      const equity = x[7] >= 20 ? (x[6] * (x[7] - 20)) / 10 : 0;
      return (2 / 3) * (x[0] + x[1]) - 5000 * x[3] + equity / 5 - 10000 > 0;
    },
  ];

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('function %i without perturbation matches its rule', (f) => {
    let groupA = 0;
    const g = new AgrawalGenerator(f, { function: f, perturbFraction: 0 });
    expect(firstBad(g, 10000, ({ x, y }) => {
      if (y === 0) groupA++;
      return y === (accept[f - 1](x) ? 0 : 1);
    })).toBeUndefined();
    // Every function gives both classes.
    expect(groupA).toBeGreaterThan(0);
    expect(groupA).toBeLessThan(10000);
  });

  it('keeps the attributes in MOA\'s ranges, unperturbed', () => {
    const g = new AgrawalGenerator(11, { perturbFraction: 0 });
    expect(g.schema.features).toEqual(['salary', 'commission', 'age', 'elevel', 'car', 'zipcode', 'hvalue', 'hyears', 'loan']);
    expect(g.schema.classes).toEqual(['groupA', 'groupB']);
    expect(g.schema.nominal).toEqual([false, false, false, true, true, true, false, false, false]);
    expect(firstBad(g, 20000, ({ x }) => {
      const [salary, commission, age, elevel, car, zipcode, hvalue, hyears, loan] = x;
      return (
        salary >= 20000 && salary < 150000 &&
        (salary >= 75000 ? commission === 0 : commission >= 10000 && commission < 75000) &&
        isInt(age, 20, 80) && isInt(elevel, 0, 4) && isInt(car, 0, 19) && isInt(zipcode, 0, 8) &&
        hvalue >= (9 - zipcode) * 50000 && hvalue < (9 - zipcode) * 150000 &&
        isInt(hyears, 1, 30) && loan >= 0 && loan < 500000
      );
    })).toBeUndefined();
  });

  it('perturbs within the ranges (hvalue capped at 135,000 as MOA does) and leaves the labels as drawn', () => {
    const g = new AgrawalGenerator(12);
    let ruleBroken = 0;
    expect(firstBad(g, 20000, ({ x, y }) => {
      const [salary, commission, age, , , , hvalue, hyears, loan] = x;
      if (y !== (accept[0](x) ? 0 : 1)) ruleBroken++;
      return (
        salary >= 20000 && salary <= 150000 &&
        (commission === 0 || (commission >= 10000 && commission <= 75000)) &&
        isInt(age, 20, 80) && isInt(hyears, 1, 30) &&
        hvalue >= 0 && hvalue <= 135000 && loan >= 0 && loan <= 500000
      );
    })).toBeUndefined();
    // Ages moved by up to ±3 years cross the 40 and 60 borders now and then.
    expect(ruleBroken / 20000).toBeGreaterThan(0.01);
    expect(ruleBroken / 20000).toBeLessThan(0.1);
  });

  it('balances the classes by alternating them, perturbation or not', () => {
    const g = new AgrawalGenerator(13, { balanceClasses: true });
    expect(firstBad(g, 500, ({ y }, i) => y === (i % 2 === 0 ? 1 : 0))).toBeUndefined();
  });
});

describe('Random RBF', () => {
  it('has MOA\'s names and scatters rows around centroids in the unit cube', () => {
    const g = new RandomRBFGenerator(1, { numClasses: 3, numAtts: 4 });
    expect(g.schema).toEqual({ features: ['att1', 'att2', 'att3', 'att4'], label: 'class', classes: ['class1', 'class2', 'class3'] });
    const counts = [0, 0, 0];
    const mean = new Float64Array(4);
    expect(firstBad(g, 20000, ({ x, y }) => {
      counts[y]++;
      x.forEach((v, j) => (mean[j] += v / 20000));
      return x.every((v) => Number.isFinite(v) && v > -6 && v < 7);
    })).toBeUndefined();
    for (const m of mean) expect(m > 0.1 && m < 0.9).toBe(true);
    expect(counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the concept under the model seed while the stream seed draws the rows', () => {
    // Rows drawn around the same centroids share their class means; other centroids give other means.
    const classMeans = (g: Generator): number[] => {
      const sums = [0, 0];
      const counts = [0, 0];
      for (let i = 0; i < 20000; i++) {
        const { x, y } = g.next();
        sums[y] += x[0];
        counts[y]++;
      }
      return sums.map((s, c) => s / counts[c]);
    };
    const a = classMeans(new RandomRBFGenerator(1));
    const b = classMeans(new RandomRBFGenerator(2));
    const c = classMeans(new RandomRBFGenerator(1, { modelRandomSeed: 99 }));
    expect(Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1])).toBeLessThan(0.03);
    expect(Math.abs(a[0] - c[0]) + Math.abs(a[1] - c[1])).toBeGreaterThan(0.03);
  });

  it('drift variant: speed 0 gives the plain rows; a speed moves the centroids', () => {
    const plain = take(new RandomRBFGenerator(5), 300);
    const still = take(new RandomRBFGeneratorDrift(5), 300);
    expect(still).toEqual(plain);
    const moving = take(new RandomRBFGeneratorDrift(5, { speedChange: 0.001 }), 300);
    expect(moving.map((s) => s.y)).toEqual(plain.map((s) => s.y));
    expect(moving[299].x).not.toEqual(plain[299].x);
    // Far into the stream the centroids stay in the unit cube, bouncing off its faces.
    const fast = new RandomRBFGeneratorDrift(6, { speedChange: 0.05, numAtts: 3 });
    expect(firstBad(fast, 20000, ({ x }) => x.every((v) => v > -6 && v < 7))).toBeUndefined();
  });
});

describe('Rotating hyperplane', () => {
  it('labels by the weights and drifts them by magChange', () => {
    const g = new HyperplaneGenerator(1, { noisePercentage: 0, magChange: 0.01, numAtts: 5, numDriftAtts: 2 });
    expect(g.schema).toEqual({ features: ['att1', 'att2', 'att3', 'att4', 'att5'], label: 'class', classes: ['class1', 'class2'] });
    const first = g.currentWeights();
    let w = first;
    expect(firstBad(g, 5000, ({ x, y }) => {
      let sum = 0;
      let total = 0;
      x.forEach((v, j) => {
        sum += w[j] * v;
        total += w[j];
      });
      w = g.currentWeights();
      return x.every((v) => v >= 0 && v < 1) && y === (sum >= total / 2 ? 1 : 0);
    })).toBeUndefined();
    const last = g.currentWeights();
    expect(last.slice(2)).toEqual(first.slice(2));
    expect(last[0]).not.toBe(first[0]);
    expect(last[1]).not.toBe(first[1]);
  });

  it('with the default 5% noise, 5% ± 0.5% of 100,000 rows break the rule; without drift the weights stay', () => {
    const g = new HyperplaneGenerator(2);
    const w = g.currentWeights();
    const total = w.reduce((a, b) => a + b, 0);
    const broken = share(g, 100000, ({ x, y }) => {
      let sum = 0;
      for (let j = 0; j < x.length; j++) sum += w[j] * x[j];
      return y !== (sum >= total / 2 ? 1 : 0);
    });
    expect(Math.abs(broken - 0.05)).toBeLessThan(0.005);
    expect(g.currentWeights()).toEqual(w);
  });
});

describe('LED', () => {
  // Segments top, upper left, upper right, middle, lower left, lower right, bottom, from the display itself.
  const lit: Record<number, string> = {
    0: '1110111', 1: '0010010', 2: '1011101', 3: '1011011', 4: '0111010',
    5: '1101011', 6: '1101111', 7: '1010010', 8: '1111111', 9: '1111011',
  };

  it('without noise shows each digit\'s segments; the other 17 attributes are fair coins', () => {
    const g = new LEDGenerator(1, { noisePercentage: 0 });
    expect(g.schema.features).toEqual(Array.from({ length: 24 }, (_, i) => `att${i + 1}`));
    expect(g.schema.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(g.schema.nominal).toEqual(new Array(24).fill(true));
    const ones = new Float64Array(24);
    const digits = new Set<number>();
    expect(firstBad(g, 20000, ({ x, y }) => {
      digits.add(y);
      x.forEach((v, j) => (ones[j] += v / 20000));
      return x.subarray(0, 7).join('') === lit[y] && x.every((v) => v === 0 || v === 1);
    })).toBeUndefined();
    expect(digits.size).toBe(10);
    for (let j = 7; j < 24; j++) expect(Math.abs(ones[j] - 0.5)).toBeLessThan(0.02);
  });

  it('with the default 10% noise inverts each segment about 10% of the time', () => {
    let flips = 0;
    const g = new LEDGenerator(2);
    for (let i = 0; i < 20000; i++) {
      const { x, y } = g.next();
      for (let j = 0; j < 7; j++) if (String(x[j]) !== lit[y][j]) flips++;
    }
    expect(Math.abs(flips / (7 * 20000) - 0.1)).toBeLessThan(0.006);
  });

  it('can drop the irrelevant attributes', () => {
    const g = new LEDGenerator(3, { suppressIrrelevantAttributes: true, noisePercentage: 0 });
    expect(g.schema.features.length).toBe(7);
    expect(firstBad(g, 1000, ({ x, y }) => x.join('') === lit[y])).toBeUndefined();
  });

  it.each([1, 3, 7])('drift variant with %i drifting attributes moves those segments to att8..', (d) => {
    const g = new LEDGeneratorDrift(4, { noisePercentage: 0, numberAttributesDrift: d });
    expect(g.schema.features.length).toBe(24);
    let agree = 0;
    expect(firstBad(g, 2000, ({ x, y }) => {
      // Where a segment was, an irrelevant coin now is.
      if (String(x[0]) === lit[y][0]) agree++;
      for (let j = 0; j < 7; j++) if (String(x[j < d ? 7 + j : j]) !== lit[y][j]) return false;
      return true;
    })).toBeUndefined();
    expect(agree / 2000).toBeLessThan(0.6);
  });
});

describe('STAGGER', () => {
  const rules = [
    (s: number, c: number) => s === 0 && c === 0,
    (_s: number, c: number, sh: number) => c === 2 || sh === 0,
    (s: number) => s === 1 || s === 2,
  ];

  it.each([1, 2, 3])('function %i follows its rule on codes 0..2', (f) => {
    const g = new STAGGERGenerator(f, { function: f });
    expect(g.schema).toEqual({ features: ['size', 'color', 'shape'], label: 'class', classes: ['false', 'true'], nominal: [true, true, true] });
    expect(firstBad(g, 5000, ({ x, y }) => x.every((v) => isInt(v, 0, 2)) && y === (rules[f - 1](x[0], x[1], x[2]) ? 1 : 0))).toBeUndefined();
  });

  it('balances the classes when asked', () => {
    const g = new STAGGERGenerator(1, { balanceClasses: true });
    expect(firstBad(g, 200, ({ y }, i) => y === (i % 2 === 0 ? 1 : 0))).toBeUndefined();
  });
});

describe('Sine', () => {
  const below = [
    (a: number, b: number) => b < Math.sin(a),
    (a: number, b: number) => !(b < Math.sin(a)),
    (a: number, b: number) => b < 0.5 + 0.3 * Math.sin(3 * Math.PI * a),
    (a: number, b: number) => !(b < 0.5 + 0.3 * Math.sin(3 * Math.PI * a)),
  ];

  it.each([1, 2, 3, 4])('function %i labels by its curve', (f) => {
    const g = new SineGenerator(f, { function: f });
    expect(g.schema).toEqual({ features: ['att1', 'att2', 'att3', 'att4'], label: 'class', classes: ['positive', 'negative'] });
    expect(firstBad(g, 5000, ({ x, y }) => x.every((v) => v >= 0 && v < 1) && y === (below[f - 1](x[0], x[1]) ? 0 : 1))).toBeUndefined();
  });

  it('can drop the irrelevant attributes', () => {
    const g = new SineGenerator(1, { suppressIrrelevantAttributes: true });
    expect(g.schema.features).toEqual(['att1', 'att2']);
    expect(g.next().x.length).toBe(2);
  });
});

describe('ConceptDriftStream', () => {
  /** A stream that always says the same class, to see which stream a row came from. */
  const constant = (y: number): Generator => {
    const schema: Schema = { features: ['a'], label: 'class', classes: ['old', 'new'] };
    return { schema, next: () => ({ x: new Float64Array(1), y }) };
  };

  it('width 1 switches exactly after `position` rows', () => {
    const g = new ConceptDriftStream(1, { stream: constant(0), driftStream: constant(1), position: 1000, width: 1 });
    const ys = take(g, 3000).map((s) => s.y);
    expect(ys.slice(0, 1000).every((y) => y === 0)).toBe(true);
    expect(ys.slice(1000).every((y) => y === 1)).toBe(true);
  });

  it('a width follows the sigmoid: about half of each at the centre, all old well before, all new well after', () => {
    const g = new ConceptDriftStream(2, { stream: constant(0), driftStream: constant(1), position: 20000, width: 10000 });
    const ys = take(g, 45000).map((s) => s.y);
    const mean = (from: number, to: number): number => ys.slice(from - 1, to).reduce((a, b) => a + b, 0) / (to - from + 1);
    expect(Math.abs(mean(19001, 21000) - 0.5)).toBeLessThan(0.05);
    // The sigmoid at a quarter width after the centre: 1 / (1 + e^-1) = 0.73.
    expect(Math.abs(mean(22001, 23000) - 1 / (1 + Math.exp(-1)))).toBeLessThan(0.05);
    expect(mean(1, 2000)).toBeLessThan(0.001);
    expect(mean(43001, 45000)).toBeGreaterThan(0.999);
  });

  it('through a spec: rows up to the position follow the first concept, the rest the second', () => {
    const g = synthGenerator('stagger(function=1)>stagger(function=3)@1000/1', { seed: 3 });
    const rows = take(g, 3000);
    const f1 = (x: Float64Array): number => (x[0] === 0 && x[1] === 0 ? 1 : 0);
    const f3 = (x: Float64Array): number => (x[0] >= 1 ? 1 : 0);
    expect(rows.slice(0, 1000).every(({ x, y }) => y === f1(x))).toBe(true);
    expect(rows.slice(1000).every(({ x, y }) => y === f3(x))).toBe(true);
    // The two concepts disagree often enough for that to mean something.
    expect(rows.filter(({ x }) => f1(x) !== f3(x)).length).toBeGreaterThan(1000);
    // Before the drift, the rows are those of the first generator on its own.
    const plain = take(synthGenerator('stagger(function=1)', { seed: 3 }), 1000);
    expect(rows.slice(0, 1000)).toEqual(plain);
  });

  it('chains several drifts left to right', () => {
    const g = synthGenerator('sea(function=1,noise-percentage=0)>sea(function=3,noise-percentage=0)@100/1>sea(function=4,noise-percentage=0)@200/1', { seed: 4 });
    expect(firstBad(g, 300, ({ x, y }, i) => y === (x[0] + x[1] <= (i < 100 ? 8 : i < 200 ? 7 : 9.5) ? 0 : 1))).toBeUndefined();
  });

  it('refuses streams of different shapes', () => {
    expect(failure(() => synthGenerator('sea>stagger@10/1', { seed: 1 }))).toMatch(
      /^synth spec "sea>stagger@10\/1": concept drift: the two streams have different features/,
    );
    expect(failure(() => synthGenerator('random-rbf>random-rbf(num-classes=3)@10/1', { seed: 1 }))).toMatch(/different classes/);
  });
});

describe('synth specs', () => {
  it('parse into generators, parameters and drifts', () => {
    expect(parseSynthSpec(' sea ( function = 2 , noise-percentage=0 ) ')).toEqual({
      first: { name: 'sea', params: { function: '2', 'noise-percentage': '0' } },
      drifts: [],
    });
    expect(parseSynthSpec('agrawal(function=1)>agrawal(function=2)@500000/50000')).toEqual({
      first: { name: 'agrawal', params: { function: '1' } },
      drifts: [{ to: { name: 'agrawal', params: { function: '2' } }, position: 500000, width: 50000 }],
    });
    expect(parseSynthSpec('led()').first).toEqual({ name: 'led', params: {} });
  });

  it('apply their parameters, over those given in the options', () => {
    const g = synthGenerator('sea(function=2,noise-percentage=0)', { seed: 1 });
    expect(firstBad(g, 2000, ({ x, y }) => y === (x[0] + x[1] <= 9 ? 0 : 1))).toBeUndefined();
    const h = synthGenerator('sea(function=3)', { seed: 1, params: { function: 2, noisePercentage: 0 } });
    expect(firstBad(h, 2000, ({ x, y }) => y === (x[0] + x[1] <= 7 ? 0 : 1))).toBeUndefined();
  });

  it('take MOA\'s flags as on/off, and drift between LED settings', () => {
    const g = synthGenerator('sea(balance-classes=on,noise-percentage=0)', { seed: 2 });
    expect(firstBad(g, 200, ({ y }, i) => y === (i % 2 === 0 ? 1 : 0))).toBeUndefined();
    const led = synthGenerator('led(noise-percentage=0)>led-drift(noise-percentage=0,number-attributes-drift=7)@100/1', { seed: 2 });
    expect(led.schema.features.length).toBe(24);
    const segments = ['1110111', '0010010', '1011101', '1011011', '0111010', '1101011', '1101111', '1010010', '1111111', '1111011'];
    expect(firstBad(led, 200, ({ x, y }, i) => (i < 100 ? x.subarray(0, 7) : x.subarray(7, 14)).join('') === segments[y])).toBeUndefined();
  });

  it('make a source of `rows` rows numbered from 1, iterable once', async () => {
    const source = synthSource('stagger', { seed: 1, rows: 5 });
    expect(source.name).toBe('stagger');
    expect(source.schema.features).toEqual(['size', 'color', 'shape']);
    const lines: number[] = [];
    for await (const row of source.rows()) lines.push(row.line);
    expect(lines).toEqual([1, 2, 3, 4, 5]);
    await expect(async () => {
      for await (const _ of source.rows()) break;
    }).rejects.toThrow(/only once/);
  });

  it('make an endless source when rows is left out', async () => {
    const source = synthSource('sea > sea(function=2) @ 10/1', { seed: 1 });
    expect(source.name).toBe('sea>sea(function=2)@10/1');
    let n = 0;
    let lines = true;
    for await (const row of source.rows()) {
      lines &&= row.line === ++n;
      if (n === 5000) break;
    }
    expect(lines).toBe(true);
    expect(n).toBe(5000);
  });

  it.each([
    ['', /^synth spec "": empty \(expected a generator, one of sea, agrawal, .*sine, friedman, friedman-drift, mv, planes2d\)$/],
    ['seaa', /^synth spec "seaa": unknown generator "seaa" \(generators: sea, agrawal, random-rbf, random-rbf-drift, hyperplane, led, led-drift, stagger, sine, friedman, friedman-drift, mv, planes2d\)$/],
    ['sea(function=2', /^synth spec "sea\(function=2": expected "," or "\)" after function=2 in sea\(\.\.\.\), found the end$/],
    ['sea(function)', /^synth spec "sea\(function\)": expected "=" after parameter "function" of sea/],
    ['sea(function=)', /parameter "function" of sea has no value$/],
    ['sea(function=1,function=2)', /parameter "function" of sea is given twice$/],
    ['sea(colour=red)', /^synth spec "sea\(colour=red\)": colour=red: sea has no parameter "colour" \(parameters: function, noise-percentage, balance-classes\)$/],
    ['sea(function=5)', /^synth spec "sea\(function=5\)": function=5: must be at most 4$/],
    ['sea(function=two)', /function=two: expected a number$/],
    ['sea(balance-classes=yes)', /balance-classes=yes: expected one of on, off$/],
    ['sea>sea(function=2)', /^synth spec "sea>sea\(function=2\)": expected "@position\/width" after the stream "sea" that the drift goes to, found the end$/],
    ['sea>sea@100', /expected "\/width" after the position 100, found the end$/],
    ['sea>sea@x/1', /expected the position as a whole number of rows, found "x\/1" at character 9$/],
    ['sea>sea@100/0', /the width must be at least 1 \(1 switches abruptly\)$/],
    ['sea>sea@-5/10', /expected the position as a whole number of rows/],
    ['sea@100/10', /a drift "@position\/width" needs ">" and the stream to drift to before it$/],
    ['sea sea', /^synth spec "sea sea": unexpected "sea" at character 5$/],
    ['sea>', /expected a drift generator name, found the end/],
    ['(function=1)', /expected a generator name, found "\(function=1\)" at character 1/],
    ['sea>nope@1/1', /unknown generator "nope"/],
  ])('%j fails with a one-line message', (spec, message) => {
    expect(failure(() => synthGenerator(spec, { seed: 1 }))).toMatch(message);
  });

  it('refuse a bad row count or seed', () => {
    expect(failure(() => synthSource('sea', { seed: 1, rows: -1 }))).toMatch(/the number of rows must be a whole number, at least 0/);
    expect(failure(() => synthSource('sea', { seed: 1, rows: 1.5 }))).toMatch(/the number of rows/);
    expect(failure(() => synthSource('sea', { seed: Number.NaN }))).toMatch(/the seed must be a number/);
  });
});

describe('SEA: the share of each class at noise 0', () => {
  // attrib1 and attrib2 are uniform on [0, 10), so P(attrib1 + attrib2 <= theta) = theta^2 / 200 for theta <= 10:
  // 0.32, 0.405, 0.245 and 0.45125 for functions 1 to 4. Over 100,000 rows the standard error is at most 0.0016.
  it.each([
    [1, 8],
    [2, 9],
    [3, 7],
    [4, 9.5],
  ])('function %i (theta %f) labels theta^2/200 of the rows groupA, within 0.005', (fn, theta) => {
    const g = synthGenerator(`sea(function=${fn},noise-percentage=0)`, { seed: 11 });
    const groupA = g.schema.classes.indexOf('groupA');
    let count = 0;
    for (let i = 0; i < 100_000; i++) if (g.next().y === groupA) count++;
    expect(Math.abs(count / 100_000 - (theta * theta) / 200)).toBeLessThan(0.005);
  });
});
