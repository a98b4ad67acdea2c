/**
 * streamlearn: online machine learning for TypeScript.
 *
 * This is the platform-neutral core: it imports nothing from Node and no
 * heavy dependency, so it runs unchanged in Node, browsers, Deno, Bun and
 * web workers. The pipeline, stage by stage: streams (synthetic generators,
 * shuffle, batch, split) -> preprocessing -> learners -> evaluation (the
 * three protocols, metrics, reports) -> the model and its saved form as
 * bytes. What needs Node or a heavy dependency has an entry of its own:
 * `streamlearn/node` (files, data sets, model directories, train()),
 * `streamlearn/serve` (the HTTP server), `streamlearn/nats` (NATS
 * JetStream), `streamlearn/mlp` (TensorFlow.js) and `streamlearn/dataframe`
 * (danfo.js).
 *
 * @module
 */
export { StreamlearnError } from './core/errors.js';
export type { Batch, Matrix, RegressionBatch, Row, Schema, Task } from './core/types.js';
export { rowsToBatch } from './core/types.js';
export type { Json } from './core/state.js';
export { VERSION } from './core/version.js';

export type { Source } from './data/source.js';
export { synthSource, synthGenerator, parseSynthSpec, generatorDefinitions, generatorNames, type GeneratorDefinition } from './data/synth/registry.js';
export type { Generator } from './data/synth/generator.js';

export type { DriftDetector, DriftSignal } from './drift/contract.js';
export { ADWIN } from './drift/adwin.js';
export { DDM } from './drift/ddm.js';
export { EDDM } from './drift/eddm.js';
export { PageHinkley } from './drift/page-hinkley.js';
export { HDDMA } from './drift/hddm-a.js';
export { detectorDefinitions, detectorNames, createDetector, type DetectorDefinition } from './drift/registry.js';

export { shuffle, shuffleBuffer } from './stream/shuffle.js';
export { batches } from './stream/batch.js';
export { tee } from './stream/tee.js';
export { splitBatch, type BatchSplit } from './stream/split.js';

export type { Columns, Transformer } from './preprocess/contract.js';
export { StandardScaler } from './preprocess/standard-scaler.js';
export { MinMaxScaler, type MinMaxScalerParams } from './preprocess/min-max-scaler.js';
export { ImputeMean } from './preprocess/impute-mean.js';
export { ImputeMode, type ImputeModeParams } from './preprocess/impute-mode.js';
export { OneHotEncoder } from './preprocess/one-hot.js';
export { transformerDefinitions, transformerNames, type TransformerDefinition, type StepSpec } from './preprocess/registry.js';

export type { Classifier, LearnerContext, LearnerState, Params, ParamValue } from './learners/contract.js';
export { GaussianNB, type GaussianNBParams } from './learners/naive-bayes.js';
export { SoftmaxRegression, type SoftmaxRegressionParams, Perceptron, PassiveAggressive } from './learners/linear.js';
export { ForestEnsemble, type ForestEnsembleParams } from './learners/ensemble.js';
export { HoeffdingTreeClassifier, type HoeffdingTreeParams } from './learners/tree/hoeffding-tree-classifier.js';
export { HoeffdingAdaptiveTreeClassifier, type HoeffdingAdaptiveTreeParams } from './learners/tree/hoeffding-adaptive-tree.js';
export { ExtremelyFastDecisionTree, type EFDTParams } from './learners/tree/efdt.js';
export { AdaptiveRandomForest, type AdaptiveRandomForestParams } from './learners/forest.js';
export { StreamingRandomPatches, type StreamingRandomPatchesParams, type SrpSubspaceMode, type SrpTrainingMethod } from './learners/streaming-random-patches.js';
export { OnlineBagging, LeveragingBagging, type OnlineBaggingParams, type LeveragingBaggingParams } from './learners/bagging.js';
export { OnlineBoosting, type OnlineBoostingParams } from './learners/boosting.js';
export { KNNClassifier } from './learners/neighbors.js';
export { MajorityClass, NoChange } from './learners/baseline.js';
export type { MLPParams } from './learners/mlp-slot.js';
export { learnerDefinitions, learnerNames, isLearnerName, type LearnerDefinition, type LearnerName, type LearnerParams, type LearnerParamsInput } from './learners/registry.js';
export type { ParamSpec } from './core/params.js';
export { Model, type ModelOptions, type LearnerOptions, type FeatureValue, type FeatureRow, type Prediction, type TrainingSummary } from './learners/model.js';
export { mergeModels, mergeKinds, type MergeInput, type MergeOutcome, type MergeKind, type SequenceOverlap } from './learners/merge.js';

export { accuracy } from './eval/metrics.js';
export { evaluateBatchSplit, type BatchResult, type BatchSplitResult, type BatchSplitOptions, type IncrementalModel } from './eval/batch-split.js';
export { prequential, type PrequentialOptions, type PrequentialResult, type CurvePoint } from './eval/prequential.js';
export { periodicHoldout, type HoldoutOptions, type HoldoutResult } from './eval/holdout.js';
export { protocols, type Protocol, type TrainReport, type HoldoutSettings, type RowRange } from './eval/report.js';
export type { ModelSizePoint } from './eval/model-size.js';
export { reportToMarkdown, comparisonToMarkdown } from './eval/report-markdown.js';
export { reportToHtml, type HtmlReportOptions } from './eval/report-html.js';
export {
  ConfusionMatrix,
  ClassificationMetrics,
  WindowedAccuracy,
  FadingAccuracy,
  meanConfidenceInterval,
  type MetricsSummary,
  type AveragedScores,
  type ConfidenceInterval,
} from './eval/classification-metrics.js';

export { modelToBytes, modelFromBytes, regressionModelFromBytes, anyModelFromBytes } from './model/bytes.js';
export { manifestChecksum, type Manifest, type AnyModel } from './model/saved-form.js';

// Regression: the regressors, their model, metrics and protocols, and the regression streams.
export type { Regressor, RegressorDefinition } from './learners/regressor.js';
export type { FeatureContext } from './learners/contract.js';
export { regressorDefinitions, regressorNames, regressorDefinition, isRegressorName } from './learners/regressor-registry.js';
export { RegressionModel, type RegressionPrediction, type RegressionTrainingSummary } from './learners/regression-model.js';
export { LinearRegression, type LinearRegressionParams } from './learners/linear-regression.js';
export { PassiveAggressiveRegressor, type PassiveAggressiveRegressorParams } from './learners/passive-aggressive-regressor.js';
export { KNNRegressor, type KNNRegressorParams, type KNNAggregation } from './learners/knn-regressor.js';
export { HoeffdingTreeRegressor, type HoeffdingTreeRegressorParams, type LeafPredictionMode, type TreeRegressorOptions } from './learners/tree/hoeffding-tree-regressor.js';
export { HoeffdingAdaptiveTreeRegressor, type HoeffdingAdaptiveTreeRegressorParams } from './learners/tree/hoeffding-adaptive-tree-regressor.js';
export { AdaptiveRandomForestRegressor, type AdaptiveRandomForestRegressorParams, type ForestAggregation } from './learners/forest-regressor.js';
export { BaggingRegressor, type BaggingRegressorParams } from './learners/bagging-regressor.js';
export { MeanRegressor } from './learners/mean-regressor.js';
export { RegressionMetrics, WindowedRegressionMetrics, type RegressionSummary } from './eval/regression-metrics.js';
export {
  prequentialRegression,
  batchSplitRegression,
  holdoutRegression,
  type IncrementalRegressor,
  type RegressorArg,
  type RegressionOutcome,
  type RegressionCurvePoint,
  type RegressionBatchResult,
  type RegressionPrequentialOptions,
  type RegressionBatchSplitOptions,
  type RegressionHoldoutOptions,
  type MeanStd,
} from './eval/regression-evaluation.js';
export { isRegressionReport, type RegressionReport, type RunReport } from './eval/report.js';
export { regressionReportToMarkdown, regressionComparisonToMarkdown } from './eval/report-markdown.js';
export { regressionReportToHtml } from './eval/regression-report-html.js';
export { regressionBatches } from './stream/batch.js';
export { splitRegressionBatch } from './stream/split.js';
export { FriedmanGenerator, FriedmanDriftGenerator, type FriedmanParams, type FriedmanDriftParams, type FriedmanDriftType } from './data/synth/friedman.js';
export { MvGenerator } from './data/synth/mv.js';
export { Planes2DGenerator, type Planes2DParams } from './data/synth/planes2d.js';

// Types that the exports above name in their signatures, so that users can name them too.
export type { SynthOptions, SynthSourceOptions, ParsedSpec, SpecStage, SpecDrift } from './data/synth/registry.js';
export type { Sample } from './data/synth/generator.js';
export type { ADWINParams } from './drift/adwin.js';
export type { DDMParams } from './drift/ddm.js';
export type { EDDMParams } from './drift/eddm.js';
export type { HDDMAParams } from './drift/hddm-a.js';
export type { PageHinkleyParams } from './drift/page-hinkley.js';
export type { KNNParams } from './learners/neighbors.js';
export type { PerceptronParams, PassiveAggressiveParams, PassiveAggressiveVariant } from './learners/linear.js';
export type { LeafPrediction } from './learners/tree/hoeffding-tree.js';
export type { SplitCriterionName } from './learners/tree/split-criterion.js';
export type { OptimizerName } from './learners/optimizers.js';
export type { LearnerMerge, MergeRule, MergeRefusal, MergeContext } from './learners/merge-rule.js';
