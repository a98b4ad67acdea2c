import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { periodicHoldout } from '../src/eval/holdout.js';
import { ModelSizeTracker } from '../src/eval/model-size.js';
import { tee } from '../src/stream/tee.js';
import { compare, train, type TrainReport } from '../src/node/pipeline.js';
import { Model } from '../src/learners/model.js';
import { savedModelBytes } from '../src/node/persist/model-dir.js';
import type { Batch } from '../src/core/types.js';
import type { Schema } from '../src/core/types.js';
import { batchOf, ROOT, runCli, tempDir } from './helpers.js';

const schema2: Schema = { features: ['x'], label: 'y', classes: ['a', 'b'] };

async function* stream(...parts: Batch[]): AsyncGenerator<Batch> {
  for (const b of parts) yield b;
}

/** A one-feature batch of the given labels (the feature is the row's position, for checks). */
function labels(y: number[], from = 0): Batch {
  return batchOf(y.map((_, i) => [from + i]), y);
}

const withoutTimings = ({ wallSeconds, rowsPerSecond, modelSeconds, ...rest }: TrainReport) => rest;

describe('periodic holdout (MOA EvaluatePeriodicHeldOutTest)', () => {
  it('scores the first rows, never learned, every k training rows: hand-computed with majority-class', async () => {
    const model = await Model.create('majority-class', schema2);
    // Held out: a, b, b, b. Learned: a, a, b, then b x 6, then one more b (an end that is not a multiple of 3).
    const held = [0, 1, 1, 1];
    const learned = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
    const r = await periodicHoldout(stream(labels(held), labels(learned.slice(0, 5), 4), labels(learned.slice(5), 9)), model, { rows: 4, every: 3, seed: 1 });
    // After 3 rows (a a b) the majority is a: 1 of 4 right. After 6 (a a b b b b) and 9 it is b: 3 of 4. The end (10) is scored too.
    expect(r.curve).toEqual([
      { row: 3, accuracy: 0.25 },
      { row: 6, accuracy: 0.75 },
      { row: 9, accuracy: 0.75 },
      { row: 10, accuracy: 0.75 },
    ]);
    expect(r).toMatchObject({ rows: 14, trainRows: 10, testRows: 4, correct: 3 });
    // The final model predicts b for all four: truth a -> b once, truth b -> b three times.
    expect(r.metrics.confusionMatrix).toEqual([
      [0, 1],
      [0, 3],
    ]);
    expect(r.metrics.kappa).toBe(0);
    expect(r.metrics.accuracy).toBe(0.75);
  });

  it('never learns a held-out row, first or sampled: a 1-nearest-neighbour scores chance on labels that are noise', async () => {
    // Labels are a fixed pseudo-random function of the row: learnable only by memorising the row itself.
    const n = 3000;
    const y = Array.from({ length: n }, (_, i) => ((i * 2654435761) >>> 7) & 1);
    const x = Array.from({ length: n }, (_, i) => [i * 1.5]);
    const batches = () => stream(...Array.from({ length: n / 500 }, (_, b) => batchOf(x.slice(b * 500, b * 500 + 500), y.slice(b * 500, b * 500 + 500))));
    for (const sampleFrom of [undefined, 2000]) {
      const knn = await Model.create('knn', schema2, { params: { k: 1, windowSize: 5000 }, steps: [] });
      const r = await periodicHoldout(batches(), knn, { rows: 400, every: 1000, sampleFrom, seed: 7 });
      expect(r.testRows).toBe(400);
      expect(r.trainRows).toBe(n - 400);
      // Had the held-out rows been learned, 1-NN would get them all right.
      expect(r.curve.at(-1)!.accuracy).toBeLessThan(0.65);
    }
    // The control: a learned row is recalled by 1-NN.
    const knn = await Model.create('knn', schema2, { params: { k: 1, windowSize: 5000 }, steps: [] });
    await knn.learn(batchOf(x.slice(0, 400), y.slice(0, 400)));
    const recalled = await knn.predict({ data: Float64Array.from(x.slice(0, 400).flat()), rows: 400, cols: 1 });
    expect(Array.from(recalled)).toEqual(y.slice(0, 400));
  });

  it('draws a seeded sample of exactly the asked size from the prefix, the same for the same seed', async () => {
    const positions = async (seed: number): Promise<number[]> => {
      const seen: number[] = [];
      const probe = {
        learn: (b: Batch) => void seen.push(...Array.from(b.x.data)),
        predict: (x: Batch['x']) => new Int32Array(x.rows),
      };
      await periodicHoldout(stream(labels(new Array(100).fill(0)), labels(new Array(100).fill(1), 100)), probe, { rows: 30, every: 50, sampleFrom: 120, seed });
      const learned = new Set(seen);
      return Array.from({ length: 200 }, (_, i) => i).filter((i) => !learned.has(i));
    };
    const a = await positions(3);
    expect(a).toHaveLength(30);
    expect(a.every((i) => i < 120)).toBe(true);
    expect(await positions(3)).toEqual(a);
    expect(await positions(4)).not.toEqual(a);
  });

  it('fails clearly when the stream is shorter than the held-out rows, or leaves nothing to learn', async () => {
    const m = await Model.create('majority-class', schema2);
    await expect(periodicHoldout(stream(labels([0, 1, 0])), m, { rows: 5, every: 2, seed: 1, names: { rows: '--holdout-rows', every: '--holdout-every', sampleFrom: '--holdout-sample-from' } })).rejects.toThrow(
      '--holdout-rows 5: the stream ended after 3 rows, before the held-out rows were complete; hold out fewer rows',
    );
    await expect(periodicHoldout(stream(labels([0, 1, 0])), m, { rows: 3, every: 2, seed: 1 })).rejects.toThrow('every row of the stream (3) was held out');
    await expect(periodicHoldout(stream(labels([0, 1, 0])), m, { rows: 2, every: 0, seed: 1 })).rejects.toThrow('every must be an integer of at least 1, got 0');
  });

  it('runs from train() with its settings in the report', async () => {
    const { report } = await train({ source: { synth: 'sea(function=1)', rows: 6000 }, protocol: { name: 'holdout', rows: 500, every: 1000 }, seed: 3, output: { out: null } });
    expect(report.holdout).toEqual({ mode: 'first', rows: 500, fromRows: 500, every: 1000 });
    expect(report.curve.map((p) => p.row)).toEqual([1000, 2000, 3000, 4000, 5000, 5500]);
    expect(report).toMatchObject({ rows: 6000, trainRows: 5500, testRows: 500, scoredRows: 500 });
    expect(report.accuracy).toBe(report.curve.at(-1)!.accuracy);
    expect(report.accuracy).toBeGreaterThan(0.85);
    await expect(train({ protocol: { name: 'holdout', drift: 'adwin' }, output: { out: null } })).rejects.toThrow("protocol.drift is not an option of protocol 'holdout' (name, rows, every, sampleFrom)");
    await expect(train({ protocol: { name: 'batch-split', rows: 10 }, output: { out: null } })).rejects.toThrow("protocol.rows is not an option of protocol 'batch-split' (name, testSize, drift)");
  });
});

describe('tee', () => {
  it('gives every consumer every item in order, one consumer at a time', async () => {
    async function* numbers() {
      for (let i = 0; i < 4; i++) yield i;
    }
    const log: string[] = [];
    const [a, b] = tee(numbers(), 2);
    const consume = async (name: string, it: AsyncIterable<number>) => {
      for await (const v of it) {
        log.push(`${name}${v}+`);
        await new Promise((r) => setTimeout(r, 1)); // work that awaits must not let the other one in
        log.push(`${name}${v}-`);
      }
    };
    await Promise.all([consume('a', a), consume('b', b)]);
    expect(log.join(' ')).toBe('a0+ a0- b0+ b0- a1+ a1- b1+ b1- a2+ a2- b2+ b2- a3+ a3- b3+ b3-');
  });

  it('lets the others go on when one stops early', async () => {
    async function* numbers() {
      for (let i = 0; i < 5; i++) yield i;
    }
    const [a, b] = tee(numbers(), 2);
    const got: number[] = [];
    const first = (async () => {
      for await (const v of a) if (v === 1) break;
    })();
    const second = (async () => {
      for await (const v of b) got.push(v);
    })();
    await Promise.all([first, second]);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('compare', () => {
  it('gives each learner the report train() gives it alone on the same stream and seed, for every protocol', async () => {
    const base = { source: { synth: 'agrawal(function=1)>agrawal(function=2)@3000/1', rows: 6000 }, seed: 5 } as const;
    for (const name of ['batch-split', 'prequential', 'holdout'] as const) {
      const protocol = name === 'holdout' ? { name, rows: 400, every: 1000 } : { name, drift: 'adwin' };
      const models = ['gaussian-nb', 'hoeffding-tree'] as const;
      const { reports } = await compare({ ...base, protocol, models, output: { sizeEvery: 2000 } });
      for (const [i, learner] of models.entries()) {
        const alone = await train({ ...base, protocol, model: learner, output: { out: null, sizeEvery: 2000 } });
        expect(withoutTimings(reports[i])).toEqual(withoutTimings(alone.report));
      }
    }
  });

  it('refuses a learner listed twice, and no learner', async () => {
    await expect(compare({ models: ['gaussian-nb', 'gaussian-nb'] })).rejects.toThrow('models gaussian-nb: listed twice');
    await expect(compare({ models: [] })).rejects.toThrow('models needs at least one learner');
  });
});

describe("the model's size over time", () => {
  it('is measured every n rows at batch boundaries, and at the end, as the saved bytes', async () => {
    const model = await Model.create('hoeffding-tree', { features: ['a', 'b'], label: 'y', classes: ['0', '1'] });
    const tracker = new ModelSizeTracker(250, () => savedModelBytes(model));
    const rows = (from: number) => batchOf(Array.from({ length: 100 }, (_, i) => [(from + i) % 7, (from + i) % 3]), Array.from({ length: 100 }, (_, i) => ((from + i) % 7 > 3 ? 1 : 0)));
    for await (const b of tracker.watch(stream(rows(0), rows(100), rows(200), rows(300), rows(400), rows(500), rows(600)))) await model.learn(b);
    const points = await tracker.finish();
    // Batches of 100 rows: the 250-row mark is passed at 300, the 500-row mark at 500; the end is 700.
    expect(points.map((p) => p.row)).toEqual([300, 500, 700]);
    expect(points.at(-1)!.bytes).toBe(await savedModelBytes(model));
    const dir = tempDir();
    model.summary = null;
    const { saveModel } = await import('../src/node/persist/model-dir.js');
    await saveModel(model, join(dir, 'm'));
    const onDisk = readdirSync(join(dir, 'm')).reduce((s, f) => s + readFileSync(join(dir, 'm', f)).byteLength, 0);
    expect(points.at(-1)!.bytes).toBe(onDisk);
  });

  it('grows as a Hoeffding tree grows, in the report', async () => {
    const { report } = await train({ source: { synth: 'agrawal(function=3)', rows: 30_000 }, protocol: 'prequential', model: 'hoeffding-tree', output: { out: null, sizeEvery: 10_000 } });
    expect(report.modelSize.map((p) => p.row)).toEqual([10240, 20480, 30000]);
    expect(report.modelSize[2].bytes).toBeGreaterThan(report.modelSize[0].bytes);
  });
});

describe('the CLI: holdout, compare, report files, progress', () => {
  it('trains with --protocol holdout and prints the held-out accuracy per evaluation', () => {
    const r = runCli(['train', '--data', 'synth:sea(function=2)', '--rows', '5000', '--protocol', 'holdout', '--holdout-rows', '500', '--holdout-every', '1500', '--no-save']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('periodic holdout');
    expect(r.stdout).toMatch(/1,500\s+0\.\d{4}/);
    expect(r.stdout).toMatch(/4,500\s+0\.\d{4}/);
    expect(r.stdout).toMatch(/accuracy\s+0\.\d{4} \(the final model on the 500 held-out rows; 3 evaluations\)/);
  });

  it('compares learners side by side and writes the report file atomically, in the format of its extension', () => {
    const dir = tempDir();
    for (const ext of ['md', 'json', 'html']) {
      const file = join(dir, `cmp.${ext}`);
      const r = runCli(['compare', '--models', 'gaussian-nb,hoeffding-tree', '--data', 'synth:sea(function=1)', '--rows', '3000', '--protocol', 'prequential', '--report', file]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/accuracy\s+0\.\d{4}\s+0\.\d{4}/);
      expect(r.stdout).toContain(`report written to ${file}`);
      const text = readFileSync(file, 'utf8');
      if (ext === 'md') expect(text).toContain('| measure | gaussian-nb | hoeffding-tree |');
      if (ext === 'json') expect(JSON.parse(text).models).toEqual(['gaussian-nb', 'hoeffding-tree']);
      if (ext === 'html') expect(text).toMatch(/^<!DOCTYPE html>/i);
    }
    expect(readdirSync(dir).sort()).toEqual(['cmp.html', 'cmp.json', 'cmp.md']); // no temporary file left behind
  });

  it('refuses a bad --report before training, and writes nothing', () => {
    const dir = tempDir();
    let r = runCli(['train', '--no-save', '--report', join(dir, 'r.txt')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`streamlearn: --report ${join(dir, 'r.txt')}: unknown report type ".txt"; use .html, .md or .json\n`);
    expect(r.stdout).toBe('');
    r = runCli(['train', '--no-save', '--report', join(dir, 'missing', 'r.html')]);
    expect(r.stderr).toBe(`streamlearn: --report ${join(dir, 'missing', 'r.html')}: the folder ${join(dir, 'missing')} does not exist\n`);
    r = runCli(['compare', '--models', 'gaussian-nb', '--param', 'knn.k=3']);
    expect(r.stderr).toBe('streamlearn: --param knn.…: "knn" is not among --models (gaussian-nb)\n');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes the train report as Markdown with --report, the same document --format markdown prints', () => {
    const dir = tempDir();
    const file = join(dir, 'r.md');
    const a = runCli(['train', '--no-save', '--report', file]);
    const b = runCli(['train', '--no-save', '--format', 'markdown']);
    expect(a.status).toBe(0);
    const strip = (s: string) => s.replace(/\| wall time \|[^\n]*/, '');
    expect(strip(readFileSync(file, 'utf8'))).toBe(strip(b.stdout));
  });

  it('draws a progress bar only on a terminal, and prints the same table after it', () => {
    const plain = runCli(['train', '--no-save']);
    expect(plain.stdout).not.toMatch(/rows\/s \| accuracy/);
    const json = runCli(['train', '--no-save', '--format', 'json']);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    if (!existsSync('/usr/bin/script')) return;
    // util-linux's script gives the command a terminal.
    const tty = spawnSync('script', ['-qec', `${process.execPath} bin/streamlearn.js train --data synth:sea --rows 200000 --protocol prequential --no-save`, '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/training .*% \| [\d,]+ rows \| ([\d,]+|-) rows\/s \| accuracy (0\.\d{4}|-)/);
    expect(tty.stdout).toMatch(/200,000\s+0\.\d{4}/);
  });
});
