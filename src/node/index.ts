/**
 * streamlearn/node: what needs Node.js. Data files (CSV and JSON lines,
 * gzip, stdin), the bundled data sets, model directories (saveModel,
 * loadModel), and train()/compare(), the whole pipeline from a source to a
 * report and a saved model. Importing it also gives adaptive-random-forest
 * worker threads (`workers` > 1), `mlp` on first use when TensorFlow.js is
 * installed, and node:crypto's SHA-256 for saved models.
 *
 * @module
 */
import './forest-threads.js';
import './mlp-loader.js';

export { csvSource, csvFeatureRows, type CsvSourceOptions, type CsvFeatureOptions, type FeatureRow, type CsvDialect } from './files/csv.js';
export { jsonlSource, jsonlFeatureRows, type JsonlSourceOptions } from './files/jsonl.js';
export { fileSource, inputFormats, type InputFormat, type FileSourceChoice } from './files/file-source.js';
export { badRowPolicies, type BadRowPolicy, type SkippedRow, type FileSourceOptions } from '../data/source.js';
export type { FeatureReadOptions } from '../data/cells.js';
export { listDatasets, datasetCard, datasetSource, datasetTask, type DatasetCard } from './files/datasets.js';
export { saveModel, loadModel, loadRegressionModel, loadAnyModel, readManifest, savedModelBytes } from './persist/model-dir.js';
export {
  trainRegressor,
  compareRegressors,
  type RegressionTrainOptions,
  type RegressionCompareOptions,
  type RegressionOutputOptions,
  type RegressorOption,
} from './regression-pipeline.js';
export { train, compare, DEFAULT_LEARNER, DEFAULT_DATASET, DEFAULTS, type TrainOptions, type CompareOptions, type LearnerSpec } from './pipeline.js';
export type {
  SourceOptions, DatasetSource, FileSource, SynthSource, DataFrameSource, NatsSource, StreamOptions, ProtocolOptions, BatchSplitProtocol, PrequentialProtocol,
  HoldoutProtocol, DriftOption, ModelOptions as TrainModelOptions, OutputOptions,
} from './train-options.js';
export type { LineLimit } from '../data/line-limit.js';
