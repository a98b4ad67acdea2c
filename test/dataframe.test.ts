import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataFrame } from 'danfojs-node';
import { csvSource, type Source } from '../src/node/files/csv.js';
import { StreamlearnError } from '../src/core/errors.js';
import { DANFO_INSTALL, dataFrameSource, reportToDataFrame, type DataFrameLike } from '../src/dataframe/dataframe.js';
import { DATA_DIR } from '../src/node/files/datasets.js';
import type { Row } from '../src/core/types.js';
import { train, type TrainReport } from '../src/node/pipeline.js';
import { ROOT, tempDir } from './helpers.js';

// The test itself uses danfo to build frames (imported once: it takes over a second).
let danfo: typeof import('danfojs-node');
beforeAll(async () => {
  danfo = await import('danfojs-node');
});

const frame = (data: Record<string, unknown[]>, options?: { index?: (string | number)[] }): DataFrame =>
  new danfo.DataFrame(data as never, options);

async function allRows(source: Source): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of source.rows()) rows.push(row);
  return rows;
}

const plain = (rows: Row[]) => rows.map((r) => ({ x: [...r.x], y: r.y }));
const withoutTimingsAndName = ({ wallSeconds, rowsPerSecond, modelSeconds, dataset, ...rest }: TrainReport) => rest;
const IRIS = join(DATA_DIR, 'iris.csv');

describe('dataFrameSource', () => {
  it('reads Iris from danfo readCSV into the same schema and rows as the CSV reader', async () => {
    const df = await danfo.readCSV(IRIS);
    const fromFrame = await dataFrameSource(df, { label: 'species' });
    const fromCsv = await csvSource(IRIS, { label: 'species' });
    expect(fromFrame.name).toBe('dataframe');
    expect(fromFrame.schema).toEqual(fromCsv.schema);
    const a = await allRows(fromFrame);
    const b = await allRows(fromCsv);
    expect(a).toHaveLength(150);
    expect(plain(a)).toEqual(plain(b));
    expect(a[0].line).toBe(1);
    expect(fromFrame.schema.classes).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('is single use, like every source', async () => {
    const source = await dataFrameSource(frame({ a: [1, 2], y: ['p', 'q'] }), { label: 'y' });
    await allRows(source);
    await expect(allRows(source)).rejects.toThrow('dataframe: rows() may be iterated only once');
  });

  it('takes the feature columns given, in their order, and the classes in a given order', async () => {
    const df = frame({ a: [1, 2, 3], b: [4, 5, 6], c: [7, 8, 9], y: [1, 0, 1] });
    const source = await dataFrameSource(df, { label: 'y', features: ['c', 'a'], classes: ['0'], name: 'mine' });
    expect(source.name).toBe('mine');
    expect(source.schema.features).toEqual(['c', 'a']);
    expect(plain(await allRows(source))).toEqual([
      { x: [7, 1], y: 1 },
      { x: [8, 2], y: 0 },
      { x: [9, 3], y: 1 },
    ]);
    // Label values become class names as strings.
    expect(source.schema.classes).toEqual(['0', '1']);
  });

  it('codes categorical string columns as the CSV reader does, listed or auto', async () => {
    const data = {
      color: ['red', 'blue', 'red', 'green', 'blue', 'red'],
      size: [1.5, 2, 3, 4, 5, 6],
      code: ['1', '2', '3', '1', '2', '3'], // numeric strings: numeric under auto, as in a CSV file
      flag: [true, false, true, true, false, false],
      y: ['a', 'b', 'a', 'b', 'a', 'b'],
    };
    const csv = join(tempDir(), 'cat.csv');
    const names = Object.keys(data) as (keyof typeof data)[];
    writeFileSync(csv, [names.join(','), ...data.y.map((_, i) => names.map((n) => String(data[n][i])).join(','))].join('\n') + '\n');

    const listed = await dataFrameSource(frame(data), { label: 'y', categorical: ['color', 'flag'] });
    const fromCsv = await csvSource(csv, { label: 'y', categorical: ['color', 'flag'] });
    const listedRows = await allRows(listed);
    const csvRows = await allRows(fromCsv);
    expect(listed.schema).toEqual(fromCsv.schema);
    expect(plain(listedRows)).toEqual(plain(csvRows));
    expect(listed.schema.nominal).toEqual([true, false, false, true]);
    expect(listed.schema.categories).toEqual([['red', 'blue', 'green'], null, null, ['true', 'false']]);
    expect(listedRows.map((r) => r.x[0])).toEqual([0, 1, 0, 2, 1, 0]);

    const auto = await dataFrameSource(frame(data), { label: 'y', categorical: 'auto' });
    const autoRows = await allRows(auto);
    expect(auto.schema.nominal).toEqual([true, false, false, false]);
    expect(auto.schema.categories).toEqual([['red', 'blue', 'green'], null, null, null]);
    // Booleans in a numeric column are 1 and 0; numeric strings are parsed.
    expect([...autoRows[1].x]).toEqual([1, 2, 2, 0]);

    const plainNumeric = await dataFrameSource(frame({ size: data.size, y: data.y }), { label: 'y', categorical: 'auto' });
    expect(plainNumeric.schema.nominal).toBeUndefined();
  });

  it('trains on categorical columns through train()', async () => {
    const n = 200;
    const color = Array.from({ length: n }, (_, i) => ['red', 'green', 'blue'][i % 3]);
    const size = Array.from({ length: n }, (_, i) => (i * 7) % 11);
    const y = color.map((c) => (c === 'red' ? 'hot' : 'cold'));
    const { report, model } = await train({ source: { dataFrame: frame({ color, size, y }), label: 'y', categorical: 'auto' }, model: 'hoeffding-tree', output: { out: null } });
    expect(report.dataset).toBe('dataframe');
    expect(report.features).toBe(2);
    expect(report.rows).toBe(n);
    expect(report.classes).toEqual(['hot', 'cold']);
    expect(model.schema.categories).toEqual([['red', 'green', 'blue'], null]);
  });

  it('reads missing values as NaN when allowed, and fails on them otherwise', async () => {
    const df = frame({ a: [1, null, 3, NaN], b: ['x', 'y', '', 'x'], y: ['p', 'q', 'p', 'q'] });
    const source = await dataFrameSource(df, { label: 'y', categorical: ['b'], missing: 'allow' });
    expect(source.schema.missing).toBe(true);
    const rows = await allRows(source);
    expect(plain(rows).map((r) => r.x)).toEqual([[1, 0], [NaN, 1], [3, NaN], [NaN, 0]]);

    const strict = await dataFrameSource(df, { label: 'y', categorical: ['b'] });
    await expect(allRows(strict)).rejects.toThrow(
      new StreamlearnError(`dataframe: row 1, column "a": missing value (null) (read missing values as NaN with missing: 'allow')`),
    );
  });

  it('fails on a bad cell with one line naming the row and the column', async () => {
    const df = frame({ a: [1, 2, 3, 4], b: [0.5, 1.5, 'abc', 2.5], y: ['p', 'q', 'p', 'q'] });
    const source = await dataFrameSource(df, { label: 'y' });
    const error = await allRows(source).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('StreamlearnError');
    expect((error as Error).message).toBe('dataframe: row 2, column "b": "abc" is not a number');
    // The same through train(), before any model is written.
    await expect(train({ source: { dataFrame: df, label: 'y', name: 'mine' }, output: { out: null } })).rejects.toThrow(
      new StreamlearnError('mine: row 2, column "b": "abc" is not a number'),
    );
    // A row index that is not the position is named too.
    const labelled = frame({ a: [1, Infinity], y: ['p', 'q'] }, { index: ['first', 'second'] });
    await expect(allRows(await dataFrameSource(labelled, { label: 'y' }))).rejects.toThrow(
      new StreamlearnError('dataframe: row 1 (index "second"), column "a": Infinity is not a finite number'),
    );
    const noLabel = frame({ a: [1, 2], y: ['p', null] });
    await expect(allRows(await dataFrameSource(noLabel, { label: 'y' }))).rejects.toThrow(
      new StreamlearnError('dataframe: row 1, column "y": empty label (missing value (null))'),
    );
  });

  it('fails on bad options at once, with one line', async () => {
    const df = frame({ a: [1, 2], y: ['p', 'q'] });
    await expect(dataFrameSource(df, { label: 'species' })).rejects.toThrow(new StreamlearnError('dataframe: no label column "species" (columns: a, y)'));
    await expect(dataFrameSource(df, { label: 'y', features: ['z'] })).rejects.toThrow(new StreamlearnError('dataframe: no feature column "z" (columns: a, y)'));
    await expect(dataFrameSource(df, { label: 'y', categorical: ['y'] })).rejects.toThrow(
      new StreamlearnError('dataframe: no feature column "y" to read as categorical (features: a)'),
    );
    await expect(dataFrameSource({} as DataFrameLike, { label: 'y' })).rejects.toThrow(
      new StreamlearnError('dataframe: expected a danfo DataFrame (with columns and column()), got object'),
    );
    await expect(train({ source: { dataFrame: df }, output: { out: null } })).rejects.toThrow(new StreamlearnError('a dataFrame source needs source.label, its label column'));
    await expect(train({ source: { dataset: 'iris', dataFrame: df, label: 'y' }, output: { out: null } })).rejects.toThrow(
      new StreamlearnError('source takes one of dataset, file, synth, dataFrame, nats, got dataset and dataFrame'),
    );
    await expect(train({ source: { dataset: 'iris', name: 'x' }, output: { out: null } })).rejects.toThrow(
      new StreamlearnError('source.name is not an option of a dataset source (dataset)'),
    );
  });
});

describe('train() on a DataFrame', () => {
  it('gives the same report as the bundled Iris for the same seed, apart from timings and the name', async () => {
    const df = await danfo.readCSV(IRIS);
    for (const model of ['hoeffding-tree', 'gaussian-nb']) {
      const bundled = await train({ source: { dataset: 'iris' }, model, seed: 7, output: { out: null } });
      const fromFrame = await train({ source: { dataFrame: df, label: 'species' }, model, seed: 7, output: { out: null } });
      expect(fromFrame.report.dataset).toBe('dataframe');
      expect(bundled.report.dataset).toBe('iris');
      expect(withoutTimingsAndName(fromFrame.report)).toEqual(withoutTimingsAndName(bundled.report));
    }
    const named = await train({ source: { dataFrame: df, label: 'species', name: 'iris-frame' }, protocol: 'prequential', output: { out: null } });
    expect(named.report.dataset).toBe('iris-frame');
    expect(named.report.rows).toBe(150);
  });

  it('saves the model under models/<name>-<model> by default', async () => {
    const cwd = process.cwd();
    const dir = tempDir();
    process.chdir(dir);
    try {
      const { report } = await train({ source: { dataFrame: frame({ a: [1, 2, 3, 4, 5, 6], y: ['p', 'q', 'p', 'q', 'p', 'q'] }), label: 'y' }, stream: { batchSize: 3 } });
      expect(report.modelPath).toBe(join('models', 'dataframe-gaussian-nb'));
      expect(existsSync(join(dir, 'models', 'dataframe-gaussian-nb'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('reportToDataFrame', () => {
  const COLUMNS = ['batch', 'trainRows', 'testRows', 'accuracy', 'stratified'];
  const column = (df: DataFrameLike, name: string) => [...df.column(name).values];

  it('gives one row per batch with the report values', async () => {
    const { report } = await train({ source: { dataset: 'iris' }, output: { out: null } });
    const df = await reportToDataFrame(report);
    expect(df).toBeInstanceOf(danfo.DataFrame);
    expect(df.shape).toEqual([10, 5]);
    expect(df.columns).toEqual(COLUMNS);
    expect([...df.index]).toEqual(report.batches.map((b) => b.index));
    expect(column(df, 'batch')).toEqual(report.batches.map((b) => b.index));
    expect(column(df, 'trainRows')).toEqual(report.batches.map((b) => b.trainRows));
    expect(column(df, 'testRows')).toEqual(report.batches.map((b) => b.testRows));
    expect(column(df, 'accuracy')).toEqual(report.batches.map((b) => b.accuracy));
    expect(column(df, 'stratified')).toEqual(report.batches.map((b) => b.stratified));
    expect((df as DataFrame).dtypes).toEqual(['int32', 'int32', 'int32', 'float32', 'boolean']);
    // Danfo's own operations work on it.
    expect((df as DataFrame).column('accuracy').mean()).toBeCloseTo(report.meanAccuracy!, 12);
  });

  it('gives NaN for an unscored one-row batch', async () => {
    const { report } = await train({ source: { dataset: 'iris' }, stream: { batchSize: 149 }, output: { out: null } });
    expect(report.batches).toHaveLength(2);
    const df = await reportToDataFrame(report);
    expect(df.shape).toEqual([2, 5]);
    expect(column(df, 'testRows')[1]).toBe(0);
    expect(column(df, 'accuracy')[1]).toBeNaN();
    expect(column(df, 'accuracy')[0]).toBe(report.batches[0].accuracy);
  });

  it('gives the learning curve, one row per point, for a prequential report', async () => {
    const { report } = await train({ source: { dataset: 'iris' }, protocol: { name: 'prequential', curveEvery: 50, window: 20 }, output: { out: null } });
    expect(report.curve.length).toBeGreaterThan(1);
    const df = await reportToDataFrame(report);
    expect(df.columns).toEqual(['row', 'accuracy', 'windowAccuracy']);
    expect(df.shape).toEqual([report.curve.length, 3]);
    expect([...df.index]).toEqual(report.curve.map((p) => p.row));
    expect(column(df, 'row')).toEqual(report.curve.map((p) => p.row));
    expect(column(df, 'accuracy')).toEqual(report.curve.map((p) => p.accuracy));
    expect(column(df, 'windowAccuracy')).toEqual(report.curve.map((p) => p.windowAccuracy));
  });

  it('gives the held-out accuracy curve for a holdout report, and no rows with the same columns for a run too short for a point', async () => {
    const { report } = await train({ source: { dataset: 'iris' }, protocol: { name: 'holdout', rows: 30, every: 40 }, output: { out: null } });
    expect(report.curve.length).toBeGreaterThan(1);
    const df = await reportToDataFrame(report);
    expect(df.columns).toEqual(['row', 'accuracy']);
    expect(column(df, 'accuracy')).toEqual(report.curve.map((p) => p.accuracy));
    const empty = await reportToDataFrame({ protocol: 'prequential', batches: [], curve: [] });
    expect(empty.shape).toEqual([0, 2]);
    expect(empty.columns).toEqual(['row', 'accuracy']);
  });
});

describe('danfojs-node stays optional and lazy (fresh Node processes on the built dist/)', () => {
  const node = (script: string, cwd: string) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  beforeAll(() => {
    expect(existsSync(join(ROOT, 'dist', 'dataframe', 'index.js')), 'dist/ is not built (npm test builds it; or npm run build)').toBe(true);
  });

  it('importing dist/index.js does not load danfojs-node; reportToDataFrame does', () => {
    // Danfo is CommonJS: once loaded, even through import(), it is in the CommonJS module cache.
    // The second probe (after reportToDataFrame) shows the first one can see it.
    const out = node(
      `import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).some((k) => k.includes('/node_modules/danfojs-node/'));
      await import('./dist/index.js');
      await import('./dist/node/index.js');
      const afterIndex = loaded();
      const { reportToDataFrame } = await import('./dist/dataframe/index.js');
      const afterImport = loaded();
      const df = await reportToDataFrame({ batches: [] });
      console.log(JSON.stringify({ afterIndex, afterImport, afterCall: loaded(), shape: df.shape }));`,
      ROOT,
    );
    expect(out).toEqual({ afterIndex: false, afterImport: false, afterCall: true, shape: [0, 5] });
  });

  it('without danfojs-node installed, streamlearn imports, trains on a frame-like object, and reportToDataFrame fails with one line', () => {
    // A copy of the package whose node_modules has everything but danfojs-node.
    const dir = tempDir();
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (entry !== 'danfojs-node') symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
    }
    const out = node(
      `const { train } = await import('./dist/node/index.js');
      const { reportToDataFrame } = await import('./dist/dataframe/index.js');
      const cols = { a: [1, 2, 3, 4, 5, 6], y: ['p', 'q', 'p', 'q', 'p', 'q'] };
      const like = { columns: ['a', 'y'], shape: [6, 2], index: [0, 1, 2, 3, 4, 5], column: (c) => ({ values: cols[c] }) };
      const { report } = await train({ source: { dataFrame: like, label: 'y' }, stream: { batchSize: 3 }, output: { out: null } });
      const error = await reportToDataFrame(report).then(() => null, (e) => ({ name: e.name, message: e.message }));
      console.log(JSON.stringify({ rows: report.rows, error }));`,
      dir,
    );
    expect(out).toEqual({
      rows: 6,
      error: { name: 'StreamlearnError', message: `DataFrame support needs danfojs-node: ${DANFO_INSTALL}` },
    });
  });
});
