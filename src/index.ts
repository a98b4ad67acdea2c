/**
 * streamlearn: online machine learning for TypeScript on Node.js.
 *
 * The pipeline, stage by stage: data sources -> stream operators (shuffle,
 * batch, split) -> preprocessing -> learners -> evaluation -> persistence.
 */
export { StreamlearnError } from './core/errors.js';
export { Random, deriveSeed } from './core/random.js';
export type { Batch, Matrix, Row, Schema } from './core/types.js';
export type { Json } from './core/state.js';

export { csvSource, csvFeatureRows, type Source, type CsvSourceOptions, type FeatureRow } from './data/csv.js';
export { jsonlFeatureRows } from './data/jsonl.js';
export { listDatasets, datasetCard, datasetSource, type DatasetCard } from './data/datasets.js';

export { shuffle } from './stream/shuffle.js';
export { batches } from './stream/batch.js';
export { splitBatch, type BatchSplit } from './stream/split.js';

export { StandardScaler } from './preprocess/standard-scaler.js';

export type { Classifier, LearnerContext, LearnerState, Params, ParamValue } from './learners/contract.js';
export { GaussianNB, type GaussianNBParams } from './learners/naive-bayes.js';
export { SoftmaxRegression, type SoftmaxRegressionParams } from './learners/linear.js';
export { MLPClassifier, type MLPParams } from './learners/neural.js';
export { ForestEnsemble, type ForestEnsembleParams } from './learners/ensemble.js';
export { learnerDefinitions, learnerDefinition, learnerNames, resolveParams, type LearnerDefinition, type ParamSpec } from './learners/registry.js';
export { Model, type Prediction, type TrainingSummary } from './learners/model.js';

export { accuracy, mean, sampleStd } from './eval/metrics.js';
export { evaluateBatchSplit, type BatchResult, type BatchSplitResult, type BatchSplitOptions, type IncrementalModel } from './eval/batch-split.js';

export { saveModel, loadModel, readManifest, type Manifest } from './persist/model-dir.js';

export { train, checkSettings, DEFAULT_LEARNER, DEFAULT_DATASET, DEFAULTS, type TrainOptions, type TrainReport } from './pipeline.js';
