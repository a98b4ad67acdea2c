/**
 * streamlearn: online machine learning for TypeScript on Node.js.
 *
 * The pipeline, stage by stage: data sources -> stream operators (shuffle,
 * batch, split) -> preprocessing -> learners -> evaluation -> persistence.
 */
export { StreamlearnError } from './core/errors.js';
export { Random, deriveSeed } from './core/random.js';
export type { Batch, Matrix, Row, Schema } from './core/types.js';
export { rowsToBatch, takeRows } from './core/types.js';
export type { Json } from './core/state.js';

export {
  csvSource,
  csvFeatureRows,
  AUTO_CATEGORICAL_ROWS,
  type Source,
  type CsvSourceOptions,
  type CsvFeatureOptions,
  type FeatureRow,
} from './data/csv.js';
export type { FeatureReadOptions } from './data/input.js';
export { type CsvDialect, baseName } from './data/csv.js';
export { jsonlSource, isJsonlPath, type JsonlSourceOptions } from './data/jsonl.js';
export { fileSource, inputFormatOf, inputFormats, type InputFormat, type FileSourceChoice } from './data/file-source.js';
export { badRowPolicies, type BadRowPolicy, type SkippedRow, type FileSourceOptions } from './data/source.js';
export { openInput, isGzipHead } from './data/input.js';
export { dataFrameSource, reportToDataFrame, type DataFrameLike, type DataFrameSourceOptions } from './data/dataframe.js';
export { jsonlFeatureRows } from './data/jsonl.js';
export { listDatasets, datasetCard, datasetSource, type DatasetCard } from './data/datasets.js';
export { synthSource, synthGenerator, parseSynthSpec, generatorDefinitions, generatorNames, type GeneratorDefinition } from './data/synth/registry.js';
export type { Generator } from './data/synth/generator.js';

export type { DriftDetector, DriftSignal } from './drift/contract.js';
export { ADWIN } from './drift/adwin.js';
export { DDM } from './drift/ddm.js';
export { EDDM } from './drift/eddm.js';
export { PageHinkley } from './drift/page-hinkley.js';
export { HDDMA } from './drift/hddm-a.js';
export { detectorDefinitions, detectorNames, createDetector, type DetectorDefinition } from './drift/registry.js';
export { errorRose, watchErrors } from './drift/error-rise.js';

export { shuffle, shuffleBuffer } from './stream/shuffle.js';
export { batches } from './stream/batch.js';
export { tee } from './stream/tee.js';
export { splitBatch, type BatchSplit } from './stream/split.js';

export { StandardScaler } from './preprocess/standard-scaler.js';
export type { Columns, Transformer } from './preprocess/contract.js';
export { MinMaxScaler, type MinMaxScalerParams } from './preprocess/min-max-scaler.js';
export { ImputeMean } from './preprocess/impute-mean.js';
export { ImputeMode, type ImputeModeParams } from './preprocess/impute-mode.js';
export { OneHotEncoder } from './preprocess/one-hot.js';
export {
  transformerDefinitions,
  transformerDefinition,
  transformerNames,
  createSteps,
  type TransformerDefinition,
  type StepSpec,
} from './preprocess/registry.js';

export type { Classifier, LearnerContext, LearnerState, Params, ParamValue } from './learners/contract.js';
export { GaussianNB, type GaussianNBParams } from './learners/naive-bayes.js';
export { SoftmaxRegression, type SoftmaxRegressionParams } from './learners/linear.js';
export { MLPClassifier, type MLPParams } from './learners/neural.js';
export { ForestEnsemble, type ForestEnsembleParams } from './learners/ensemble.js';
export { HoeffdingTreeClassifier, type HoeffdingTreeParams } from './learners/tree/hoeffding-tree-classifier.js';
export { HoeffdingAdaptiveTreeClassifier, type HoeffdingAdaptiveTreeParams } from './learners/tree/hoeffding-adaptive-tree.js';
export { AdaptiveRandomForest, type AdaptiveRandomForestParams } from './learners/forest.js';
export { OnlineBagging, LeveragingBagging, type OnlineBaggingParams, type LeveragingBaggingParams } from './learners/bagging.js';
export { Perceptron, PassiveAggressive } from './learners/linear.js';
export { KNNClassifier } from './learners/neighbors.js';
export { MajorityClass, NoChange } from './learners/baseline.js';
export { learnerDefinitions, learnerDefinition, learnerNames, type LearnerDefinition } from './learners/registry.js';
export { resolveParams, kebabCase, type ParamSpec, type Parameterised } from './core/params.js';
export { Model, defaultSteps, type ModelOptions, type Prediction, type TrainingSummary } from './learners/model.js';

export { accuracy, mean, sampleStd } from './eval/metrics.js';
export { evaluateBatchSplit, type BatchResult, type BatchSplitResult, type BatchSplitOptions, type IncrementalModel } from './eval/batch-split.js';
export { prequential, type PrequentialOptions, type PrequentialResult, type CurvePoint } from './eval/prequential.js';
export { reportToMarkdown, comparisonToMarkdown } from './eval/report-markdown.js';
export { reportToHtml, type HtmlReportOptions } from './eval/report-html.js';
export { periodicHoldout, type HoldoutOptions, type HoldoutResult } from './eval/holdout.js';
export { ModelSizeTracker } from './eval/model-size.js';
export {
  ConfusionMatrix,
  ClassificationMetrics,
  WindowedAccuracy,
  FadingAccuracy,
  meanConfidenceInterval,
  studentTQuantile,
  LOG_LOSS_EPS,
  type MetricsSummary,
  type AveragedScores,
  type ConfidenceInterval,
} from './eval/classification-metrics.js';

export { saveModel, loadModel, readManifest, savedModelBytes, manifestChecksum, type Manifest } from './persist/model-dir.js';

export {
  train,
  compare,
  type CompareOptions,
  type LearnerSpec,
  checkSettings,
  DEFAULT_LEARNER,
  DEFAULT_DATASET,
  DEFAULTS,
  protocols,
  type Protocol,
  type TrainOptions,
  type TrainReport,
  type ModelSizePoint,
  type HoldoutSettings,
} from './pipeline.js';

// Serving: a saved model over HTTP, learning online with a write-ahead log.
export { createServer, type ModelServer, type HealthBody } from './serve/app.js';
export { SERVE_DEFAULTS, type ServeOptions } from './serve/options.js';
export { ModelHost, type LearnResult, type ModelInfo, type UpdateCounts } from './serve/host.js';
export { recoverModel, type RecoveredModel, type RecoverOptions } from './serve/recover.js';
export { LEARN_LOG_FILE, type LogReplay, type FeatureValue, type RecordRow } from './serve/learn-log.js';
// broker: NATS JetStream sources, publishing, workers, the model registry; merging replicas
export { isNatsUrl, parseStreamUrl, parseModelRef, DEFAULT_NATS_PORT, type NatsServer, type StreamUrl, type ModelRef } from './broker/url.js';
export {
  connectBroker,
  retrying,
  isTransient,
  backoffMs,
  stderrReporter,
  silentReporter,
  DEFAULT_CONNECT_TIMEOUT_S,
  type Broker,
  type BrokerConnectOptions,
  type Reporter,
  type RetryOptions,
} from './broker/connection.js';
export { publishRows, subjectMatches, DEFAULT_SYNTH_ROWS, type PublishOptions, type PublishResult } from './broker/publish.js';
export { AsyncPublisher, type AsyncPublisherOptions } from './broker/async-publish.js';
export {
  readStreamFormat,
  writeStreamFormat,
  deleteStreamFormat,
  STREAM_FORMATS_BUCKET,
  rowEncodings,
  type StreamFormat,
  type RowEncoding,
} from './broker/stream-format.js';
export { jetStreamSource, settleSource, TRAIN_ACK_WAIT_S, type JetStreamSource, type JetStreamSourceOptions } from './broker/source.js';
export { runWorker, toRanges, WORKER_DEFAULTS, type WorkerOptions, type WorkerSummary } from './broker/worker.js';
export {
  saveModelTo,
  loadModelFrom,
  loadModelVersion,
  watchRegistry,
  putReplica,
  loadReplicas,
  assertModelOutWritable,
  DEFAULT_KEEP,
  type RegistryVersion,
  type RegistryOptions,
  type RegistryWatch,
  type NewVersionHandler,
  type SavedModel,
  type LoadedModel,
} from './broker/registry.js';
export { createProgress, type Progress, type ProgressOptions } from './broker/progress.js';
export { mergeModels, mergeKinds, allocateSlots, type MergeInput, type MergeOutcome, type MergeKind } from './learners/merge.js';
export { mirrorRegistryModel, type RegistryMirror, type RegistryMirrorOptions } from './serve/registry-mirror.js';
