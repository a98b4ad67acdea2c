import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import { compare, train, type CompareOptions, type TrainOptions, type TrainReport } from '../src/node/pipeline.js';
import { runCli, tempDir } from './helpers.js';

/** A report without what differs from run to run (timings), as JSON reads it back. */
function settled(report: TrainReport | Record<string, unknown>): Record<string, unknown> {
  const { wallSeconds, rowsPerSecond, modelSeconds, ...rest } = report as TrainReport;
  void wallSeconds, rowsPerSecond, modelSeconds;
  return JSON.parse(JSON.stringify(rest));
}

function cliReport(args: string[]): Record<string, unknown> {
  const r = runCli([...args, '--no-save', '--format', 'json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return settled(JSON.parse(r.stdout));
}

/** A small CSV with a categorical column, a missing cell and a drifting label. */
function csvFile(): string {
  const lines = ['colour,x,noise,kind'];
  for (let i = 0; i < 1200; i++) {
    const colour = ['red', 'green', 'blue'][i % 3];
    const x = i % 97 === 0 ? '' : ((i * 37) % 100) / 10;
    const kind = (i < 600 ? colour === 'red' : Number(x) > 5) ? 'a' : 'b';
    lines.push(`${colour},${x},${(i * 7919) % 13},${kind}`);
  }
  const file = join(tempDir(), 'rows.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('train() grouped by stage gives the report the CLI gives for the same settings', () => {
  it('batch-split: a bundled data set, a buffered shuffle, learner parameters, given preprocessing and a drift detector', async () => {
    const options: TrainOptions = {
      source: { dataset: 'wine' },
      stream: { shuffleBuffer: 40, batchSize: 20 },
      protocol: { name: 'batch-split', testSize: 0.25, drift: { name: 'adwin', params: { delta: 0.01 } } },
      model: { learner: 'softmax-regression', params: { learningRate: 0.05 }, preprocess: ['min-max-scaler'], preprocessParams: { 'min-max-scaler': { clip: 'off' } } },
      seed: 7,
      output: { out: null },
    };
    const { report } = await train(options);
    expect(report).toMatchObject({ protocol: 'batch-split', shuffleBuffer: 40, batchSize: 20, testSize: 0.25, seed: 7, driftDetector: 'adwin' });
    expect(report.params).toMatchObject({ learningRate: 0.05 });
    expect(report.preprocessing).toEqual(['min-max-scaler']);
    const cli = cliReport([
      'train', '--dataset', 'wine', '--shuffle-buffer', '40', '--batch-size', '20', '--test-size', '0.25', '--drift', 'adwin', '--drift-param', 'delta=0.01',
      '--model', 'softmax-regression', '--param', 'learning-rate=0.05', '--preprocess', 'min-max-scaler', '--preprocess-param', 'min-max-scaler.clip=off', '--seed', '7',
    ]);
    expect(settled(report)).toEqual(cli);
  });

  it('prequential: a generated stream, the learning curve with window and fading, a drift detector', async () => {
    const { report } = await train({
      source: { synth: 'sea(noise-percentage=10)>sea(function=3,noise-percentage=10)@2000/1', rows: 4000 },
      protocol: { name: 'prequential', curveEvery: 500, window: 200, fading: 0.99, drift: 'ddm' },
      model: { learner: 'hoeffding-tree', params: { gracePeriod: 100 } },
      seed: 3,
      output: { out: null, sizeEvery: 1000 },
    });
    expect(report.curve).toHaveLength(8);
    expect(report.modelSize.length).toBeGreaterThan(1);
    const cli = cliReport([
      'train', '--data', 'synth:sea(noise-percentage=10)>sea(function=3,noise-percentage=10)@2000/1', '--rows', '4000', '--protocol', 'prequential',
      '--curve-every', '500', '--window', '200', '--fading', '0.99', '--drift', 'ddm', '--model', 'hoeffding-tree', '--param', 'grace-period=100', '--seed', '3', '--size-every', '1000',
    ]);
    expect(settled(report)).toEqual(cli);
  });

  it('holdout: a CSV file with categorical and missing values, a sampled holdout', async () => {
    const file = csvFile();
    const { report } = await train({
      source: { file, label: 'kind', categorical: ['colour'], missing: 'allow', classes: ['b', 'a'] },
      stream: { shuffle: true },
      protocol: { name: 'holdout', rows: 200, every: 250, sampleFrom: 400 },
      model: 'gaussian-nb',
      seed: 11,
      output: { out: null },
    });
    expect(report.holdout).toEqual({ mode: 'sample', rows: 200, fromRows: 400, every: 250 });
    expect(report.classes).toEqual(['b', 'a']);
    expect(report.preprocessing).toEqual(['impute-mean', 'one-hot']);
    const cli = cliReport([
      'train', '--data', file, '--label', 'kind', '--categorical', 'colour', '--missing', 'allow', '--classes', 'b,a', '--shuffle',
      '--protocol', 'holdout', '--holdout-rows', '200', '--holdout-every', '250', '--holdout-sample-from', '400', '--model', 'gaussian-nb', '--seed', '11',
    ]);
    expect(settled(report)).toEqual(cli);
  });

  it('compare(): models by name or with their own parameters, as `streamlearn compare`', async () => {
    const options: CompareOptions = {
      source: { synth: 'agrawal(function=2)', rows: 3000 },
      protocol: 'prequential',
      models: ['gaussian-nb', { learner: 'knn', params: { k: 5 } }],
      seed: 2,
    };
    const { reports } = await compare(options);
    expect(reports.map((r) => r.model)).toEqual(['gaussian-nb', 'knn']);
    expect(reports[1].params).toMatchObject({ k: 5 });
    const r = runCli(['compare', '--data', 'synth:agrawal(function=2)', '--rows', '3000', '--protocol', 'prequential', '--models', 'gaussian-nb,knn', '--param', 'knn.k=5', '--seed', '2', '--format', 'json']);
    expect(r.stderr).toBe('');
    const cli = JSON.parse(r.stdout) as { reports: TrainReport[] };
    expect(cli.reports.map(settled)).toEqual(reports.map(settled));
  });
});

describe('a bad grouped option fails in one line naming it by its path', () => {
  const cases: [string, unknown, string | RegExp][] = [
    ['a misspelt stream option', { stream: { batchsize: 10 } }, 'stream.batchsize is not an option of stream (shuffle, shuffleBuffer, batchSize)'],
    ['a flat option of old', { dataset: 'iris' }, 'dataset is not an option of train() (source, stream, protocol, model, output, seed); it is now source: { dataset }'],
    ['an option of another protocol', { protocol: { name: 'prequential', testSize: 0.3 } }, "protocol.testSize is not an option of protocol 'prequential' (name, curveEvery, window, fading, drift)"],
    ['an unknown protocol', { protocol: 'progressive' }, 'protocol.name must be one of batch-split, prequential, holdout, got "progressive"'],
    ['two sources', { source: { dataset: 'iris', synth: 'sea' } }, 'source takes one of dataset, file, synth, dataFrame, nats, got dataset and synth'],
    ['a file without its label', { source: { file: 'rows.csv' } }, 'a file source needs source.label, its label column'],
    ['a file option on a generated stream', { source: { synth: 'sea', delimiter: ';' } }, 'source.delimiter is not an option of a synth source (synth, rows)'],
    ['a model option misspelt', { model: { learner: 'knn', param: { k: 3 } } }, 'model.param is not an option of a model (learner, params, preprocess, preprocessParams)'],
    ['a batch size out of range', { stream: { batchSize: 0 } }, 'stream.batchSize must be an integer of at least 1, got 0'],
    ['a test size out of range', { protocol: { name: 'batch-split', testSize: 1.5 } }, 'protocol.testSize must be strictly between 0 and 1, got 1.5'],
    ['a curve every 0 rows', { protocol: { name: 'prequential', curveEvery: 0 } }, 'protocol.curveEvery must be an integer of at least 1, got 0'],
    ['a sample smaller than the holdout', { protocol: { name: 'holdout', rows: 100, sampleFrom: 50 } }, 'protocol.sampleFrom 50 must be at least protocol.rows (100)'],
    ['a buffer with no shuffle', { stream: { shuffle: false, shuffleBuffer: 10 } }, 'stream.shuffleBuffer and stream.shuffle false contradict each other: give one'],
    ['an unknown preprocessing step', { model: { learner: 'knn', preprocess: ['scale'] } }, /^model\.preprocess scale: unknown step/],
    ['a misspelt output option', { output: { outDir: 'x' } }, /^output\.outDir is not an option of output \(out, /],
  ];
  it.each(cases)('%s', async (_, options, message) => {
    const error = await train({ ...(options as TrainOptions), output: { out: null, ...(options as TrainOptions).output } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamlearnError);
    const text = (error as Error).message;
    expect(text).not.toContain('\n');
    if (typeof message === 'string') expect(text).toBe(message);
    else expect(text).toMatch(message);
  });

  it('compare() names its models by position', async () => {
    await expect(compare({ models: ['gaussian-nb', { learner: 'knn', k: 3 } as never] })).rejects.toThrow(
      new StreamlearnError('models[1].k is not an option of a model (learner, params, preprocess, preprocessParams)'),
    );
    await expect(compare({ models: [] })).rejects.toThrow(new StreamlearnError('models needs at least one learner'));
  });
});
