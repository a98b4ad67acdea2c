import { describe, expect, it } from 'vitest';
import { Random } from '../src/core/random.js';
import { synthGenerator } from '../src/data/synth/registry.js';
import { AdaptiveRandomForest } from '../src/learners/forest.js';
import { train } from '../src/node/pipeline.js';
import { batchOf } from './helpers.js';

interface DetectorState {
  time: number;
  width: number;
  total: number;
}
interface SavedMember {
  drifts: number;
  correct: number;
  seen: number;
  warning: DetectorState;
  drift: DetectorState;
}

async function member(forest: AdaptiveRandomForest): Promise<SavedMember> {
  const { json } = await forest.saveState();
  return (json as unknown as { members: SavedMember[] }).members[0];
}

describe('adaptive-random-forest: the members\' drift detectors', () => {
  it('watch the tree\'s verdict once it has learned the row, while the vote weight counts the verdict before', async () => {
    // A new tree's leaf knows no class: before learning it gives the classes equal
    // probabilities (class 0 wins the tie), after learning one row of class 1 it predicts 1.
    const forest = new AdaptiveRandomForest({ nFeatures: 2, nClasses: 2, seed: 1 }, { ensembleSize: 1 });
    forest.learnScored(batchOf([[0.3, 0.7]], [1]));
    const m = await member(forest);
    expect({ correct: m.correct, seen: m.seen }).toEqual({ correct: 0, seen: 1 });
    // One row watched (its Poisson weight was not 0), and it was right.
    expect({ width: m.drift.width, total: m.drift.total }).toEqual({ width: 1, total: 0 });
    expect({ width: m.warning.width, total: m.warning.total }).toEqual({ width: 1, total: 0 });
  });

  it('leave a row the member did not learn (Poisson weight 0) unwatched', async () => {
    // lambda 1e-9: every Poisson draw is 0, so the member scores each row and learns none.
    const forest = new AdaptiveRandomForest({ nFeatures: 2, nClasses: 2, seed: 1 }, { ensembleSize: 1, lambda: 1e-9 });
    forest.learnScored(batchOf([[0.3, 0.7], [0.6, 0.1], [0.9, 0.4]], [1, 0, 1]));
    const m = await member(forest);
    expect(m.seen).toBe(3);
    expect({ drift: m.drift.width, warning: m.warning.width }).toEqual({ drift: 0, warning: 0 });
  });

  it('start afresh when they fire, and both when a background tree replaces the member', async () => {
    // x0 < 0.5 is class 0 for 3,000 rows, then class 1: an abrupt drift the members must see.
    const forest = new AdaptiveRandomForest({ nFeatures: 2, nClasses: 2, seed: 3 }, { ensembleSize: 1 });
    const rng = new Random(11);
    let warnings = 0;
    let drifts = 0;
    // A warning starts a background tree; a drift puts it in the member's place.
    let background = false;
    let checkedWarning = false;
    let checkedReplacement = false;
    for (let r = 0; r < 6_000; r++) {
      const x = [rng.next(), rng.next()];
      const y = (x[0] < 0.5) === r < 3_000 ? 0 : 1;
      forest.learnScored(batchOf([x], [y]));
      if (forest.warnings === warnings && forest.drifts === drifts) continue;
      const m = await member(forest);
      // The row that fired went to the detector that fired; the next row is the new one's first.
      if (forest.warnings > warnings) {
        expect(m.warning).toMatchObject({ time: 0, width: 0 });
        background = true;
        checkedWarning = true;
      }
      if (forest.drifts > drifts) {
        expect(m.drift).toMatchObject({ time: 0, width: 0 });
        expect({ correct: m.correct, seen: m.seen }).toEqual({ correct: 0, seen: 0 });
        if (background) {
          // The background tree's detectors watched nothing: its warning detector is fresh too.
          expect(m.warning).toMatchObject({ time: 0, width: 0 });
          checkedReplacement = true;
        }
        background = false;
      }
      warnings = forest.warnings;
      drifts = forest.drifts;
    }
    expect(checkedWarning && checkedReplacement).toBe(true);
  });
});

describe('adaptive-random-forest on Agrawal\'s stream (elevel, car and zipcode nominal)', () => {
  it('function 1: above 86.7% over 50,000 rows, prequential, averaged over seeds 1-5', async () => {
    // Measured, seeds 1-5: 85.26, 93.44, 85.36, 87.92, 85.84 (mean 87.57) with the detectors
    // watching each tree's verdict after learning, as MOA and the paper do: a tree whose nominal
    // multiway splits fit its leaves' few rows shows a rising error, and is replaced (3-9 times
    // per run, MOA 5-9 at 100,000 rows). Watching the verdict before learning, no tree was ever
    // replaced: 83.92, 93.13, 83.83, 83.81, 84.71 (mean 85.88).
    let sum = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const { report } = await train({
        source: { synth: 'agrawal(function=1)', rows: 50_000 },
        protocol: 'prequential',
        model: { learner: 'adaptive-random-forest' },
        seed,
        output: { out: null },
      });
      expect(report.rows).toBe(50_000);
      sum += report.accuracy;
    }
    expect(sum / 5).toBeGreaterThan(0.867);
  });
});

describe('adaptive-random-forest after an abrupt drift on Agrawal\'s stream', () => {
  it('replaces every member within 5,000 rows of a switch from function 1 to 2, then recovers', async () => {
    // Agrawal function 1 for 20,000 rows, then function 2 (agrawal(function=1)>agrawal(function=2)@20000/1,
    // seed 1, prequential, 1,000 rows a call). Measured, seed 1: every member replaced once or twice in
    // rows 20,001-25,000 (seeds 2-5 alike, but for one member of seed 4); accuracy 85.4% over rows
    // 15,001-20,000, 61.7% over 20,001-25,000 and 67.1% over 35,001-40,000 (seeds 2-5: 76.2, 67.9,
    // 66.2, 65.7). MOA's ARF with a seed per tree recovers as slowly on this stream (bench/arf-drift-vs-moa.mjs).
    const seed = 1;
    const stream = synthGenerator('agrawal(function=1)>agrawal(function=2)@20000/1', { seed });
    const d = stream.schema.features.length;
    const forest = new AdaptiveRandomForest({ nFeatures: d, nClasses: 2, seed, nominal: stream.schema.nominal }, {});
    const drifts = async (): Promise<number[]> => ((await forest.saveState()).json as unknown as { members: SavedMember[] }).members.map((m) => m.drifts);
    const accuracy: number[] = []; // per 5,000 rows
    let right = 0;
    let atSwitch: number[] = [];
    let replaced: number[] = [];
    for (let start = 0; start < 40_000; start += 1000) {
      const data = new Float64Array(1000 * d);
      const y = new Int32Array(1000);
      for (let r = 0; r < 1000; r++) y[r] = stream.nextInto!(data, r * d);
      const p = await forest.learnScored({ x: { data, rows: 1000, cols: d }, y });
      for (let r = 0; r < 1000; r++) if ((p[2 * r + 1] > p[2 * r] ? 1 : 0) === y[r]) right++;
      const end = start + 1000;
      if (end % 5000 === 0) {
        accuracy.push(right / 5000);
        right = 0;
      }
      if (end === 20_000) atSwitch = await drifts();
      if (end === 25_000) replaced = (await drifts()).map((n, i) => n - atSwitch[i]);
    }
    expect(replaced).toHaveLength(10);
    expect(Math.min(...replaced)).toBeGreaterThanOrEqual(1);
    expect(accuracy[3]).toBeGreaterThan(0.8);
    expect(accuracy[4]).toBeLessThan(0.7);
    expect(accuracy[7]).toBeGreaterThan(0.64);
    expect(accuracy[7] - accuracy[4]).toBeGreaterThan(0.03);
  });
});
