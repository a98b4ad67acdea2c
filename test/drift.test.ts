import { describe, expect, it } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import { Random } from '../src/core/random.js';
import type { Json } from '../src/core/state.js';
import { ADWIN } from '../src/drift/adwin.js';
import type { DriftDetector, DriftSignal } from '../src/drift/contract.js';
import { DDM } from '../src/drift/ddm.js';
import { HDDMA } from '../src/drift/hddm-a.js';
import { createDetector, detectorDefinition, detectorDefinitions, detectorNames } from '../src/drift/registry.js';
import type { ParamValue } from '../src/learners/contract.js';
import { resolveParams } from '../src/core/params.js';

type Segment = readonly [length: number, rate: number];

/** Seeded Bernoulli values (1 an error), segment by segment. */
function bernoulli(seed: number, segments: readonly Segment[]): number[] {
  const rng = new Random(seed);
  const out: number[] = [];
  for (const [length, rate] of segments) for (let i = 0; i < length; i++) out.push(rng.next() < rate ? 1 : 0);
  return out;
}

function signals(detector: DriftDetector, values: readonly number[]): DriftSignal[] {
  return values.map((v) => detector.update(v));
}

const SEEDS = [1, 2, 3, 4, 5];

/**
 * One scenario per detector: error rate 0.2 for `change` values, then 0.6.
 * The bars come from 2,000 seeds (1..2000) of the same scenario, measured
 * when the detectors were written:
 * - maxDelay is about 1.5 times the longest delay seen over those seeds;
 * - no seed alarmed before the change, except for hddm-a (6 of 2,000);
 * - noChange is the longest stationary stream (rate 0.2) on which at most
 *   0.5% of those seeds raise a false drift (the share is given).
 * Where the parameters are not the defaults, it is because the defaults
 * alarm falsely too often on a stationary stream for "no false alarm" to be
 * an honest bar (the share at the defaults is given).
 */
const scenarios: readonly {
  name: string;
  params: Record<string, ParamValue>;
  change: number;
  maxDelay: number;
  noChange: number;
}[] = [
  // Defaults. Delay p50 47, p99 111, max 111 (the cut is checked every 32 values).
  // No change: 6 of 2,000 seeds alarm within 20,000 values.
  { name: 'adwin', params: {}, change: 2000, maxDelay: 200, noChange: 20_000 },
  // At minInstances 30, 27% of seeds alarm within 2,000 stationary values, most in the first 500.
  // Delay p50 82, max 142. No change: 8 of 2,000 seeds alarm within 2,500 values.
  { name: 'ddm', params: { minInstances: 1500 }, change: 2000, maxDelay: 250, noChange: 2500 },
  // At the defaults, 85% of seeds alarm within 2,000 stationary values. Its statistics
  // are cumulative since the last restart, so after ~400 errors it reacts slowly:
  // delay p50 773, max 1,347. No change: 3 of 2,000 seeds alarm within 50,000 values.
  { name: 'eddm', params: { minErrors: 100, alpha: 0.8, beta: 0.7 }, change: 2000, maxDelay: 2000, noChange: 50_000 },
  // Defaults (MOA's rule: the faded sum itself against lambda). Delay p50 155, p99 274, max 344.
  // No change: no seed alarms within 2,500 values (1.2% within 10,000, 3.4% within 100,000).
  { name: 'page-hinkley', params: {}, change: 2000, maxDelay: 500, noChange: 2500 },
  // At the defaults, 3.8% of seeds alarm within 2,000 stationary values. Delay p50 45,
  // max 204. No change: 7 of 2,000 seeds alarm within 2,500 values.
  { name: 'hddm-a', params: { driftConfidence: 0.0001, warningConfidence: 0.0005 }, change: 2000, maxDelay: 300, noChange: 2500 },
];

describe('drift detectors on a Bernoulli error stream', () => {
  for (const s of scenarios) {
    it(`${s.name} detects a rise from 0.2 to 0.6 within ${s.maxDelay} values, with no alarm before it`, () => {
      for (const seed of SEEDS) {
        const values = bernoulli(seed, [
          [s.change, 0.2],
          [s.maxDelay + 1000, 0.6],
        ]);
        const detector = createDetector(s.name, s.params);
        let first = -1;
        let before = 0;
        for (let i = 0; i < values.length && first < 0; i++) {
          before = detector.estimate;
          if (detector.update(values[i]) === 'drift') first = i;
        }
        expect(first, `${s.name} seed ${seed}: first drift`).toBeGreaterThanOrEqual(s.change);
        expect(first - s.change, `${s.name} seed ${seed}: delay`).toBeLessThanOrEqual(s.maxDelay);
        // After the restart the estimate covers the values since the change point the detector
        // found, so it shows the rise (so it did on all of 1,000 seeds): what a caller checks to
        // tell a rise of the error rate from a fall.
        expect(detector.estimate, `${s.name} seed ${seed}: estimate`).toBeGreaterThan(before);
      }
    });

    it(`${s.name} raises no drift on ${s.noChange} values at a steady rate of 0.2`, () => {
      for (const seed of SEEDS) {
        const out = signals(createDetector(s.name, s.params), bernoulli(seed, [[s.noChange, 0.2]]));
        expect(out.includes('drift'), `${s.name} seed ${seed}`).toBe(false);
      }
    });
  }

  // Over 2,000 seeds this held on all but the 6 where hddm-a alarmed before the change.
  it('ddm, eddm and hddm-a warn between the change and the drift', () => {
    for (const s of scenarios.filter((x) => ['ddm', 'eddm', 'hddm-a'].includes(x.name))) {
      for (const seed of SEEDS) {
        const out = signals(createDetector(s.name, s.params), bernoulli(seed, [[s.change, 0.2], [s.maxDelay + 1000, 0.6]]));
        const first = out.indexOf('drift');
        expect(out.slice(s.change, first).includes('warning'), `${s.name} seed ${seed}`).toBe(true);
      }
    }
  });

  it('adwin and page-hinkley never warn', () => {
    for (const name of ['adwin', 'page-hinkley']) {
      const out = signals(createDetector(name), bernoulli(9, [[3000, 0.2], [3000, 0.7], [3000, 0.1]]));
      expect(out.includes('warning')).toBe(false);
      expect(out.includes('drift')).toBe(true);
    }
  });
});

describe('ADWIN', () => {
  it('keeps the mean and variance of exactly its last `width` values, and drops old ones on drift', () => {
    const rng = new Random(11);
    const values: number[] = [];
    const adwin = new ADWIN();
    let drifts = 0;
    for (let i = 0; i < 6000; i++) {
      // Real values, not only 0/1: uniform on [0, 1), shifted up by 0.5 half-way.
      const v = rng.next() + (i >= 3000 ? 0.5 : 0);
      values.push(v);
      const before = adwin.width;
      if (adwin.update(v) === 'drift') {
        drifts++;
        expect(adwin.width).toBeLessThanOrEqual(before);
      }
      if (i % 97 === 0 || i === 5999) {
        const window = values.slice(values.length - adwin.width);
        const mean = window.reduce((a, b) => a + b, 0) / window.length;
        const variance = window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length;
        expect(adwin.estimate).toBeCloseTo(mean, 9);
        expect(adwin.variance).toBeCloseTo(variance, 9);
      }
    }
    expect(drifts).toBeGreaterThan(0);
    // After the shift the window holds (almost) only new values, whose mean is 1.
    expect(adwin.width).toBeLessThan(3000 + 64);
    expect(adwin.estimate).toBeGreaterThan(0.9);
  });

  it('detects sooner with a larger delta (0.1 against 0.002, rise 0.2 to 0.4 at 2,000)', () => {
    // Over 1,000 seeds delta 0.1 found the change later on 1 seed and earlier on 961; mean
    // delays 88 and 156. At 0.1 a false alarm before the change is no surprise (3.5% of
    // seeds), so its first drift from the change on is what counts.
    let sumLoose = 0;
    let sumStrict = 0;
    for (const seed of SEEDS) {
      const values = bernoulli(seed, [
        [2000, 0.2],
        [3000, 0.4],
      ]);
      const strict = signals(createDetector('adwin', { delta: 0.002 }), values).indexOf('drift');
      const loose = signals(createDetector('adwin', { delta: 0.1 }), values).indexOf('drift', 2000);
      expect(strict).toBeGreaterThanOrEqual(2000);
      expect(loose).toBeGreaterThanOrEqual(2000);
      expect(loose).toBeLessThanOrEqual(strict);
      sumLoose += loose;
      sumStrict += strict;
    }
    expect(sumLoose).toBeLessThan(sumStrict);
  });

  it('honours clock: no drift is reported between checks', () => {
    const out = signals(createDetector('adwin', { clock: 100 }), bernoulli(3, [[2000, 0.1], [2000, 0.9]]));
    const drifts = out.flatMap((s, i) => (s === 'drift' ? [i + 1] : []));
    expect(drifts.length).toBeGreaterThan(0);
    for (const t of drifts) expect(t % 100).toBe(0);
  });
});

describe('HDDM-A', () => {
  // Error rate 0.6, then a fall to 0.1, then a rise to 0.35.
  const segments: readonly Segment[] = [
    [1000, 0.6],
    [2000, 0.1],
    [3000, 0.35],
  ];

  it('two-sided (the default) re-anchors on a fall without reporting it, then sees the rise sooner', () => {
    // Over 1,000 seeds these per-seed checks failed on 5 (false drifts in the 500 values after
    // the fall); the two-sided estimate at 1,500 was below the one-sided one on all (median
    // 0.14 against 0.43); the two-sided test found the rise sooner on 981, mean delays 79 and 540.
    let delayTwo = 0;
    let delayOne = 0;
    for (const seed of SEEDS) {
      const values = bernoulli(seed, segments);
      const two = new HDDMA();
      const one = new HDDMA({ test: 'one-sided' });
      const twoOut = signals(two, values.slice(0, 1500));
      const oneOut = signals(one, values.slice(0, 1500));
      // The fall is no drift to either.
      expect(twoOut.slice(1000).includes('drift')).toBe(false);
      expect(oneOut.slice(1000).includes('drift')).toBe(false);
      // The two-sided test has forgotten the 0.6 stretch; the one-sided mean still holds it.
      expect(two.estimate).toBeLessThan(one.estimate);
      const twoRise = signals(two, values.slice(1500)).indexOf('drift', 1500) - 1500;
      const oneRise = signals(one, values.slice(1500)).indexOf('drift', 1500) - 1500;
      expect(twoRise).toBeGreaterThanOrEqual(0);
      expect(oneRise).toBeGreaterThanOrEqual(0);
      delayTwo += twoRise;
      delayOne += oneRise;
    }
    expect(delayTwo).toBeLessThan(delayOne);
  });
});

describe('parameters', () => {
  it('reach the detector in kebab-case, as the CLI spells them, and change what it does', () => {
    // 300 correct predictions, then only errors: at minInstances 30 the first error is a drift
    // (s_min is 0); at 500 nothing is decided before the 500th value.
    const values = [...new Array<number>(300).fill(0), ...new Array<number>(700).fill(1)];
    expect(signals(createDetector('ddm'), values).indexOf('drift')).toBe(300);
    const late = createDetector('ddm', { 'min-instances': '500' });
    expect(late).toBeInstanceOf(DDM);
    expect((late as DDM).params.minInstances).toBe(500);
    expect(signals(late, values).indexOf('drift')).toBeGreaterThanOrEqual(499);
  });

  it('a smaller page-hinkley lambda detects no later', () => {
    for (const seed of SEEDS) {
      const values = bernoulli(seed, [
        [2000, 0.2],
        [1000, 0.6],
      ]);
      const at50 = signals(createDetector('page-hinkley'), values).indexOf('drift');
      const at25 = signals(createDetector('page-hinkley', { lambda: 25 }), values).indexOf('drift');
      expect(at25).toBeGreaterThanOrEqual(0);
      expect(at25).toBeLessThanOrEqual(at50);
    }
  });

  it('are checked: range, name, choice, and the order of paired thresholds', () => {
    expect(() => createDetector('adwin', { delta: 0 })).toThrow(/--param delta=0: must be greater than 0/);
    expect(() => createDetector('adwin', { 'max-buckets': 2.5 })).toThrow(/expected an integer/);
    expect(() => createDetector('ddm', { nope: 1 })).toThrow(/ddm has no parameter "nope"/);
    expect(() => createDetector('hddm-a', { test: 'three-sided' })).toThrow(/expected one of two-sided, one-sided/);
    expect(() => createDetector('eddm', { alpha: 0.8, beta: 0.9 })).toThrow(StreamlearnError);
    expect(() => createDetector('ddm', { warningLevel: 3, driftLevel: 2 })).toThrow(StreamlearnError);
    expect(() => createDetector('hddm-a', { driftConfidence: 0.01, warningConfidence: 0.001 })).toThrow(StreamlearnError);
  });
});

describe('registry', () => {
  it('lists the detectors by name', () => {
    expect(detectorNames).toEqual(['adwin', 'ddm', 'eddm', 'page-hinkley', 'hddm-a']);
    for (const def of detectorDefinitions) {
      expect(def.create(resolveParams(def)).name).toBe(def.name);
      expect(Object.keys(def.params).every((k) => /^[a-z][a-zA-Z]*$/.test(k))).toBe(true);
    }
  });

  it('fails on an unknown detector, naming the known ones', () => {
    expect(() => createDetector('nope')).toThrow(StreamlearnError);
    expect(() => createDetector('nope')).toThrow(
      'unknown drift detector "nope" (detectors: adwin, ddm, eddm, page-hinkley, hddm-a)',
    );
    expect(() => detectorDefinition('nope')).toThrow(StreamlearnError);
  });
});

describe('saved state', () => {
  // Rates 0.2, 0.6, 0.3: each detector (at its defaults) drifts at least once, so the
  // checkpoints fall before, between and after restarts.
  const values = bernoulli(21, [
    [1500, 0.2],
    [1500, 0.6],
    [1500, 0.3],
  ]);
  const configs: readonly [string, Record<string, ParamValue>][] = [
    ...detectorNames.map((n): [string, Record<string, ParamValue>] => [n, {}]),
    ['hddm-a', { test: 'one-sided' }],
    ['adwin', { maxBuckets: 2, clock: 7 }],
  ];

  for (const [name, given] of configs) {
    it(`${name} ${JSON.stringify(given)} continues identically after getState and restore`, () => {
      const def = detectorDefinition(name);
      const params = resolveParams(def, given);
      const reference = def.create(params);
      const all = signals(reference, values);
      expect(all.includes('drift')).toBe(true);
      for (const cut of [0, 1, 700, 1800, 2600, 3300]) {
        const original = def.create(params);
        signals(original, values.slice(0, cut));
        const state = JSON.parse(JSON.stringify(original.getState())) as Json;
        const restored = def.restore(params, state);
        expect(restored.getState()).toEqual(original.getState());
        const rest = values.slice(cut);
        const a = rest.map((v) => [original.update(v), original.estimate] as const);
        const b = rest.map((v) => [restored.update(v), restored.estimate] as const);
        expect(b).toEqual(a);
        expect(a.map(([s]) => s)).toEqual(all.slice(cut));
        if (original instanceof ADWIN && restored instanceof ADWIN) {
          expect([restored.width, restored.variance]).toEqual([original.width, original.variance]);
        }
      }
    });
  }

  it('reset() forgets everything', () => {
    for (const name of detectorNames) {
      const used = createDetector(name);
      signals(used, values);
      used.reset();
      const fresh = createDetector(name);
      expect(used.getState()).toEqual(fresh.getState());
      expect(signals(used, values)).toEqual(signals(fresh, values));
    }
  });

  it('rejects invalid state, naming the detector and the field', () => {
    const adwin = detectorDefinition('adwin');
    const params = resolveParams(adwin);
    expect(() => adwin.restore(params, { time: 1 })).toThrow(/^adwin: saved state is invalid at width/);
    const state = new ADWIN().getState() as { [key: string]: Json };
    expect(() => adwin.restore(params, { ...state, width: 3 })).toThrow(/adwin: saved state is invalid at width: the buckets hold 0 values/);
    expect(() => adwin.restore(params, { ...state, width: 6, totals: [[1, 1, 1, 1, 1, 1]], m2s: [[0, 0, 0, 0, 0, 0]] })).toThrow(/at totals\.0/);
    const hddm = detectorDefinition('hddm-a');
    const fed = hddm.create(resolveParams(hddm));
    signals(fed, [0, 1, 1]);
    const bad = { ...(fed.getState() as { [key: string]: Json }), low: { n: 9, sum: 0 } };
    expect(() => hddm.restore(resolveParams(hddm), bad)).toThrow(/hddm-a: saved state is invalid at low\.n/);
    for (const name of ['ddm', 'eddm', 'page-hinkley']) {
      const def = detectorDefinition(name);
      expect(() => def.restore(resolveParams(def), null)).toThrow(new RegExp(`^${name}: saved state is invalid`));
    }
  });
});
