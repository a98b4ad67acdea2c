// Compiled by test/types.test.ts (tsc -p test/types/tsconfig.json): every @ts-expect-error line must
// be an error, and tsc fails on one that is not, so this file fails when the types stop catching
// the typos they are for. Nothing here runs.
import { Model, type LearnerName, type LearnerParams, type Schema } from '../../src/index.js';
import { datasetSource, type DatasetName } from '../../src/node/files/datasets.js';
import type { TrainOptions } from '../../src/node/pipeline.js';

declare const schema: Schema;
/** A name known only at run time. */
declare const fromFlag: string;

export async function learnerNames(): Promise<void> {
  await Model.create('hoeffding-tree', schema);
  await Model.create('hoeffding-tree', schema, { params: { gracePeriod: 100, leafPrediction: 'nb' }, seed: 7 });
  // Kebab-case names, as the command line spells them, are typed too.
  await Model.create('hoeffding-tree', schema, { params: { 'grace-period': 100, 'split-criterion': 'gini' } });
  await Model.create('online-bagging', schema, { params: { base: 'gaussian-nb', ensembleSize: 5 } });
  await Model.create('majority-class', schema, { params: {} });
  // @ts-expect-error unknown learner (a typo)
  await Model.create('hoefding-tree', schema);
  // @ts-expect-error a parameter of the wrong type
  await Model.create('hoeffding-tree', schema, { params: { gracePeriod: 'abc' } });
  // @ts-expect-error a parameter the learner does not have
  await Model.create('hoeffding-tree', schema, { params: { gracePerod: 100 } });
  // @ts-expect-error another learner's parameter
  await Model.create('gaussian-nb', schema, { params: { gracePeriod: 100 } });
  // @ts-expect-error a choice that is not one
  await Model.create('hoeffding-tree', schema, { params: { leafPrediction: 'majority' } });
  // @ts-expect-error a kebab-case parameter of the wrong type
  await Model.create('hoeffding-tree', schema, { params: { 'grace-period': '100' } });
  // @ts-expect-error an ensemble's base that is not a base
  await Model.create('online-bagging', schema, { params: { base: 'mlp' } });
  // @ts-expect-error no parameters to give
  await Model.create('no-change', schema, { params: { window: 3 } });
  // @ts-expect-error a name known only at run time goes through createByName
  await Model.create(fromFlag, schema);
  // Names known only at run time: checked when called, not compiled.
  await Model.createByName(fromFlag, schema, { params: { 'grace-period': '100' } });
}

// Every learner the registry lists, and no other: adding a learner without its types fails here
// (test/one-row.test.ts compares these keys with the registry's names at run time).
export const everyLearner: Record<LearnerName, true> = {
  'gaussian-nb': true,
  'softmax-regression': true,
  mlp: true,
  'forest-ensemble': true,
  'hoeffding-tree': true,
  'hoeffding-adaptive-tree': true,
  'extremely-fast-decision-tree': true,
  'adaptive-random-forest': true,
  'streaming-random-patches': true,
  'online-bagging': true,
  'leveraging-bagging': true,
  'online-boosting': true,
  perceptron: true,
  'passive-aggressive': true,
  knn: true,
  'majority-class': true,
  'no-change': true,
};
export type TreeParams = LearnerParams['hoeffding-tree'];

export async function datasetNames(): Promise<void> {
  await datasetSource('iris');
  const names: DatasetName[] = ['iris', 'wine', 'breast-cancer', 'digits'];
  // @ts-expect-error not a bundled data set
  await datasetSource('irsi');
  // @ts-expect-error not a bundled data set
  const wrong: DatasetName = 'mnist';
  const good: TrainOptions = { source: { dataset: 'wine' } };
  // @ts-expect-error train's data set is typed too
  const typo: TrainOptions = { source: { dataset: 'irsi' } };
  void [names, wrong, good, typo];
}

export function oneRow(model: Model): void {
  model.learnOne({ x1: 1.5, colour: 'red', age: null }, 'yes');
  const label: string | null = model.predictOne({ x1: 1.5 });
  const proba: Record<string, number> = model.predictProbaOne({ x1: 1.5 });
  // An interface of feature values fits as well as a Record.
  interface Reading {
    temperature: number;
    place: string;
  }
  const reading: Reading = { temperature: 21, place: 'kitchen' };
  model.learnOne(reading, 'warm');
  // @ts-expect-error a label is a class name
  model.learnOne({ x1: 1 }, 1);
  // @ts-expect-error a feature value is a number, a category name or null
  model.predictOne({ x1: [1, 2] });
  // @ts-expect-error a feature value is a number, a category name or null
  model.predictOne({ x1: true });
  // @ts-expect-error predictOne's label may be null (a model with no class yet)
  const surely: string = model.predictOne({ x1: 1 });
  void [label, proba, surely];
}
