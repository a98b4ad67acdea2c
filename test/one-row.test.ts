// One row at a time over plain objects: Model.learnOne / predictOne / predictProbaOne (and their
// async forms), a model with no class yet, and the names the types list. The bit-for-bit
// comparison with the batch path over every learner is in golden-predictions.test.ts.
import { describe, expect, it } from 'vitest';
import type { Schema } from '../src/core/types.js';
import { StreamlearnError } from '../src/core/errors.js';
import { Model } from '../src/learners/model.js';
import { isLearnerName, learnerNames, type LearnerName } from '../src/learners/registry.js';
import { datasetNames, listDatasets } from '../src/node/files/datasets.js';
import { everyLearner } from './types/names.js';

const numeric = (): Schema => ({ features: ['a', 'b'], label: 'y', classes: [] });

describe('a model with no class yet predicts without throwing', () => {
  for (const name of learnerNames as readonly LearnerName[]) {
    it(name, async () => {
      const model = await Model.create(name, numeric());
      const x = { data: new Float64Array([1, 2, 3, 4]), rows: 2, cols: 2 };
      expect(await model.predictProba(x)).toEqual(new Float64Array(0));
      expect(await model.predict(x)).toEqual(Int32Array.of(-1, -1));
      expect(await model.predictLabels(x)).toEqual([null, null]);
      expect(await model.predictRecords([{ a: 1, b: 2 }])).toEqual([{ label: null, probabilities: {} }]);
      expect(await model.learnScored({ x, y: new Int32Array(2) })).toBeInstanceOf(Float64Array);
      const fresh = await Model.create(name, numeric());
      expect(await fresh.predictOneAsync({ a: 1, b: 2 })).toBeNull();
      expect(await fresh.predictProbaOneAsync({ a: 1, b: 2 })).toEqual({});
      if (fresh.synchronous) {
        expect(fresh.predictOne({ a: 1, b: 2 })).toBeNull();
        expect(fresh.predictProbaOne({ a: 1, b: 2 })).toEqual({});
      }
      // Its first label makes its first class.
      await fresh.learnOneAsync({ a: 1, b: 2 }, 'up');
      expect(fresh.schema.classes).toEqual(['up']);
      expect(await fresh.predictOneAsync({ a: 1, b: 2 })).toBe('up');
      model.dispose();
      fresh.dispose();
    });
  }
});

describe('learnOne, predictOne, predictProbaOne', () => {
  it('learn and predict as learnRecords and predictRecords do, to the bit', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ a: Math.sin(i), b: Math.cos(i * 1.3), y: Math.sin(i) + Math.cos(i * 1.3) > 0 ? 'pos' : 'neg' }));
    for (const name of ['gaussian-nb', 'hoeffding-tree', 'perceptron', 'knn'] as const) {
      const one = await Model.create(name, numeric(), { params: name === 'hoeffding-tree' ? { gracePeriod: 20 } : {} });
      const records = await Model.create(name, numeric(), { params: name === 'hoeffding-tree' ? { gracePeriod: 20 } : {} });
      for (const { y, ...x } of rows) {
        const [expected] = await records.predictRecords([x]);
        expect(one.predictProbaOne(x)).toEqual(expected.probabilities);
        expect(one.predictOne(x)).toBe(expected.label);
        one.learnOne(x, y);
        await records.learnRecords([{ ...x, y }]);
      }
      expect(one.schema.classes).toEqual(records.schema.classes);
      expect(await one.learner.saveState()).toEqual(await records.learner.saveState());
    }
  });

  it('a new label is a new class; a new category joins its feature; an unseen category predicts as "other"', async () => {
    const schema: Schema = { features: ['colour', 'size'], label: 'y', classes: ['a'], nominal: [true, false], categories: [['red'], null] };
    const model = await Model.create('gaussian-nb', schema);
    expect(model.preprocessing).toEqual(['one-hot']);
    model.learnOne({ colour: 'red', size: 1 }, 'a');
    model.learnOne({ colour: 'blue', size: 5 }, 'b');
    expect(schema.classes).toEqual(['a', 'b']);
    expect(schema.categories?.[0]).toEqual(['red', 'blue']);
    expect(model.predictOne({ colour: 'blue', size: 5 })).toBe('b');
    const p = model.predictProbaOne({ colour: 'green', size: 5 });
    expect(Object.keys(p)).toEqual(['a', 'b']);
    // Not learned, so not added.
    expect(schema.categories?.[0]).toEqual(['red', 'blue']);
    const [viaRecords] = await model.predictRecords([{ colour: 'green', size: 5 }]);
    expect(p).toEqual(viaRecords.probabilities);
  });

  it('a bad row fails in one line naming the feature, and changes nothing', async () => {
    const schema: Schema = { features: ['colour', 'size'], label: 'y', classes: ['a'], nominal: [true, false], categories: [['red'], null] };
    const model = await Model.create('hoeffding-tree', schema);
    const before = JSON.stringify(await model.learner.saveState());
    expect(() => model.learnOne({ colour: 'blue', size: 'big' } as never, 'b')).toThrow(new StreamlearnError('feature "size" must be a finite number, not "big"'));
    expect(() => model.learnOne({ colour: 'blue' } as never, 'b')).toThrow(/^feature "size" is missing$/);
    expect(() => model.learnOne({ colour: 'blue', size: null }, 'b')).toThrow(/feature "size" is missing a value, and the model does not accept missing values/);
    expect(() => model.learnOne({ colour: 'blue', size: 1 }, '  ')).toThrow(/^the label is empty$/);
    expect(() => model.learnOne({ colour: 'blue', size: 1 }, {} as never)).toThrow(/^the label must be a class name \(a string\), not an object$/);
    expect(() => model.predictOne(null as never)).toThrow(/^a row must be an object/);
    // Inherited properties are not features.
    const inherited = Object.create({ size: 3 }) as { colour: string };
    inherited.colour = 'red';
    expect(() => model.predictOne(inherited)).toThrow(/^feature "size" is missing$/);
    expect(schema.classes).toEqual(['a']);
    expect(schema.categories?.[0]).toEqual(['red']);
    expect(JSON.stringify(await model.learner.saveState())).toBe(before);
  });

  it('missing values (null, NaN, a blank category) where the model accepts them', async () => {
    const schema: Schema = { features: ['colour', 'size'], label: 'y', classes: [], nominal: [true, false], categories: [['red'], null], missing: true };
    const model = await Model.create('hoeffding-tree', schema, { steps: [] });
    model.learnOne({ colour: null, size: 2 }, 'a');
    model.learnOne({ colour: '', size: NaN }, 'b');
    model.learnOne({ colour: 'red', size: null }, 'a');
    expect(schema.categories?.[0]).toEqual(['red']);
    expect(Object.keys(model.predictProbaOne({ colour: null, size: null }))).toEqual(['a', 'b']);
  });

  it('an asynchronous learner points at the async forms; they give what the sync ones give', async () => {
    const bag = await Model.create('online-bagging', numeric(), { params: { ensembleSize: 2 } });
    expect(bag.synchronous).toBe(false);
    expect(() => bag.learnOne({ a: 1, b: 2 }, 'x')).toThrow(new StreamlearnError('online-bagging learns and predicts asynchronously: use learnOneAsync (await model.learnOneAsync(...))'));
    expect(() => bag.predictOne({ a: 1, b: 2 })).toThrow(/use predictOneAsync/);
    expect(() => bag.predictProbaOne({ a: 1, b: 2 })).toThrow(/use predictProbaOneAsync/);
    expect(bag.schema.classes).toEqual([]);
    const forest = await Model.create('adaptive-random-forest', numeric(), { params: { workers: 1, ensembleSize: 3 } });
    expect(forest.synchronous).toBe(true);
    const tree = await Model.create('hoeffding-tree', numeric());
    const treeAsync = await Model.create('hoeffding-tree', numeric());
    for (let i = 0; i < 50; i++) {
      const x = { a: i % 7, b: i % 3 };
      const y = i % 2 === 0 ? 'even' : 'odd';
      expect(await treeAsync.predictProbaOneAsync(x)).toEqual(tree.predictProbaOne(x));
      tree.learnOne(x, y);
      await treeAsync.learnOneAsync(x, y);
    }
    bag.dispose();
    forest.dispose();
  });
});

describe('the names the types list are the registry\'s', () => {
  it('LearnerName: every registered learner, no other', () => {
    expect(Object.keys(everyLearner).sort()).toEqual([...learnerNames].sort());
    expect(learnerNames.every(isLearnerName)).toBe(true);
    expect(isLearnerName('hoefding-tree')).toBe(false);
  });
  it('DatasetName: every bundled data set in data/, no other', () => {
    expect([...datasetNames]).toEqual(listDatasets().map((c) => c.name));
  });
});
