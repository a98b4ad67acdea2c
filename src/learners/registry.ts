import { fail } from '../core/errors.js';
import { onOffParam, probabilityParam, resolveParams, type ParamSpec, type Parameterised } from '../core/params.js';
import { baggingMerge, LeveragingBagging, leveragingBaggingDefaults, OnlineBagging, onlineBaggingDefaults } from './bagging.js';
import { majorityClassDefinition, noChangeDefinition } from './baseline.js';
import type { Classifier, LearnerContext, LearnerState, ParamValue, Params } from './contract.js';
import { ForestEnsemble, forestEnsembleDefaults, forestEnsembleMerge } from './ensemble.js';
import { AdaptiveRandomForest, adaptiveRandomForestDefaults, adaptiveRandomForestMerge } from './forest.js';
import { knnDefinition } from './neighbors.js';
import { streamingRandomPatchesDefinition, type StreamingRandomPatchesParams } from './streaming-random-patches.js';
import { HoeffdingAdaptiveTreeClassifier, hoeffdingAdaptiveTreeDefaults } from './tree/hoeffding-adaptive-tree.js';
import { efdtDefaults, ExtremelyFastDecisionTree, type EFDTParams } from './tree/efdt.js';
import { HoeffdingTreeClassifier, hoeffdingTreeDefaults, treeMergeRefusal } from './tree/hoeffding-tree-classifier.js';
import { splitParams } from './tree/split-params.js';
import { passiveAggressiveDefinition, perceptronDefinition, SoftmaxRegression, softmaxRegressionDefaults, softmaxRegressionMerge } from './linear.js';
import { GaussianNB, gaussianNBDefaults, gaussianNBMerge } from './naive-bayes.js';
import { mlpImplementation, mlpMerge, mlpParamSpecs, type MLPParams } from './mlp-slot.js';
import { optimizerNames, type OptimizerName } from './optimizers.js';
import type { LeveragingBaggingParams, OnlineBaggingParams } from './bagging.js';
import { boostingDriftDetectors, boostingMergeRefusal, OnlineBoosting, onlineBoostingDefaults, type OnlineBoostingParams } from './boosting.js';
import type { ForestEnsembleParams } from './ensemble.js';
import type { AdaptiveRandomForestParams } from './forest.js';
import type { PassiveAggressiveParams, PerceptronParams, SoftmaxRegressionParams } from './linear.js';
import type { GaussianNBParams } from './naive-bayes.js';
import type { KNNParams } from './neighbors.js';
import type { HoeffdingAdaptiveTreeParams } from './tree/hoeffding-adaptive-tree.js';
import type { HoeffdingTreeParams } from './tree/hoeffding-tree-classifier.js';
import type { LearnerMerge } from './merge-rule.js';
import type { RegressorDefinition } from './regressor.js';
import { isRegressorName, regressorDefinition, regressorNames } from './regressor-registry.js';

/** A learner as the CLI, the pipeline and the model loader know it. */
export interface LearnerDefinition {
  readonly name: string;
  /** A classifier (the regressors' definitions say 'regression'). */
  readonly task?: 'classification';
  readonly summary: string;
  readonly reference: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Whether an online standard scaler is put in front of the learner (for an ensemble: whether its base wants one). */
  readonly scaleInputs: boolean | ((params: Params) => boolean);
  /**
   * Whether the learner splits nominal features (category codes) itself, so
   * the default pipeline puts no one-hot encoder in front (for an ensemble:
   * whether its base does). Absent: false.
   */
  readonly nominalNative?: boolean | ((params: Params) => boolean);
  /**
   * Whether the learner takes missing values (NaN) as such, so that it may
   * learn rows with them without an imputer in front (for an ensemble:
   * whether its base does). Absent: false, and train() refuses missing
   * values allowed with no imputer among the steps.
   */
  readonly missingNative?: boolean | ((params: Params) => boolean);
  /**
   * Whether the learner's learn and predictProba return promises (TensorFlow.js,
   * worker threads, members made on demand), so that a model of it learns and
   * predicts one row only through learnOneAsync and its kin. Absent: false.
   */
  readonly asynchronous?: boolean | ((params: Params) => boolean);
  create(ctx: LearnerContext, params: Params): Promise<Classifier>;
  restore(ctx: LearnerContext, params: Params, state: LearnerState): Promise<Classifier>;
  /**
   * How replicas of the learner, learned apart on parts of a stream, merge
   * into one model (`streamlearn merge`, workers' --merge-into): a rule over
   * saved states, or a refusal with its reason. Absent: they cannot merge.
   */
  readonly merge?: LearnerMerge;
}

// The registry checks every value against its ParamSpec before these casts.
const as = <T>(params: Params): Partial<T> => params as unknown as Partial<T>;

/** Learners an ensemble can be made of: incremental, with JSON state, not ensembles themselves. */
export const baggingBases = [
  'hoeffding-tree',
  'hoeffding-adaptive-tree',
  'gaussian-nb',
  'softmax-regression',
  'perceptron',
  'passive-aggressive',
  'knn',
  'majority-class',
  'no-change',
] as const;
export type BaggingBase = (typeof baggingBases)[number];


const memoryParams: Record<string, ParamSpec> = {
  maxByteSize: { type: 'integer', default: hoeffdingTreeDefaults.maxByteSize, min: 1024, doc: 'memory bound of the tree (estimated bytes)' },
  memoryEstimatePeriod: { type: 'integer', default: hoeffdingTreeDefaults.memoryEstimatePeriod, min: 1, doc: 'rows between memory checks' },
};

const baseParam: ParamSpec = { type: 'choice', default: onlineBaggingDefaults.base, choices: baggingBases, doc: 'the members\' learner' };
const baseWantsScaling = (p: Params): boolean => {
  const scale = learnerDefinition(String(p.base)).scaleInputs;
  return typeof scale === 'function' ? scale(p) : scale;
};
const baseTakesMissing = (p: Params): boolean => {
  const native = learnerDefinition(String(p.base)).missingNative ?? false;
  return typeof native === 'function' ? native(p) : native;
};
const baseIsNominalNative = (p: Params): boolean => {
  const native = learnerDefinition(String(p.base)).nominalNative ?? false;
  return typeof native === 'function' ? native(p) : native;
};

export const learnerDefinitions: readonly LearnerDefinition[] = [
  {
    name: 'gaussian-nb',
    summary: 'Gaussian naive Bayes with Welford running moments per class and feature',
    reference: 'Welford 1962; Chan, Golub & LeVeque 1983',
    params: {
      varSmoothing: { type: 'number', default: gaussianNBDefaults.varSmoothing, min: 0, doc: 'share of the largest variance added to all variances' },
    },
    scaleInputs: false,
    create: async (ctx, p) => new GaussianNB(ctx, as(p)),
    restore: async (ctx, p, s) => GaussianNB.restore(ctx, as(p), s),
    merge: gaussianNBMerge,
  },
  {
    name: 'softmax-regression',
    summary: 'multinomial logistic regression, mini-batch SGD / Adam / AdaGrad on standardised features',
    reference: 'Bishop 2006, section 4.3.4',
    params: {
      optimizer: { type: 'choice', default: softmaxRegressionDefaults.optimizer, choices: optimizerNames, doc: 'sgd, adam or adagrad' },
      learningRate: { type: 'number', default: softmaxRegressionDefaults.learningRate, min: 0, exclusiveMin: true, doc: 'step size' },
      l2: { type: 'number', default: softmaxRegressionDefaults.l2, min: 0, doc: 'L2 penalty on the weights' },
      epochs: { type: 'integer', default: softmaxRegressionDefaults.epochs, min: 1, doc: 'passes over each batch' },
      miniBatchSize: { type: 'integer', default: softmaxRegressionDefaults.miniBatchSize, min: 0, doc: 'rows per step (0: the whole batch)' },
    },
    scaleInputs: true,
    create: async (ctx, p) => new SoftmaxRegression(ctx, as(p)),
    restore: async (ctx, p, s) => SoftmaxRegression.restore(ctx, as(p), s),
    merge: softmaxRegressionMerge,
  },
  {
    name: 'mlp',
    summary: 'one-hidden-layer neural network in TensorFlow.js (wasm backend, or native when installed)',
    reference: 'Rumelhart, Hinton & Williams 1986; Adam: Kingma & Ba 2015; experience replay: Lin 1992',
    params: mlpParamSpecs,
    scaleInputs: true,
    // Made asynchronously (TensorFlow.js loads on demand), but it learns and predicts synchronously.
    // Provided by streamlearn/mlp: TensorFlow.js is heavy, and other learners need none of it.
    create: async (ctx, p) => (await mlpImplementation()).create(ctx, as<MLPParams>(p)),
    restore: async (ctx, p, s) => (await mlpImplementation()).restore(ctx, as<MLPParams>(p), s),
    // On the saved bytes, so a merge needs no TensorFlow.js.
    merge: mlpMerge,
  },
  {
    name: 'forest-ensemble',
    summary: 'accuracy-weighted ensemble of random forests, one per chunk of rows (ml-random-forest)',
    reference: 'Wang, Fan, Yu & Han 2003; Breiman 2001',
    params: {
      maxForests: { type: 'integer', default: forestEnsembleDefaults.maxForests, min: 1, max: 1_000, doc: 'most forests kept (at most 1,000)' },
      trees: { type: 'integer', default: forestEnsembleDefaults.trees, min: 1, max: 10_000, doc: 'trees in each forest (at most 10,000)' },
      maxFeatures: { type: 'integer', default: forestEnsembleDefaults.maxFeatures, min: 0, doc: 'features per tree (0: sqrt of the feature count)' },
      cvFolds: { type: 'integer', default: forestEnsembleDefaults.cvFolds, min: 2, doc: 'folds that weigh a new forest' },
      chunkSize: { type: 'integer', default: forestEnsembleDefaults.chunkSize, min: 0, max: 10_000_000, doc: 'rows buffered before a new forest is fitted (0: each learned batch is one chunk; at most 10,000,000)' },
    },
    scaleInputs: false,
    create: async (ctx, p) => (await ForestEnsemble.load(), new ForestEnsemble(ctx, as(p))),
    restore: async (ctx, p, s) => (await ForestEnsemble.load(), ForestEnsemble.restore(ctx, as(p), s)),
    merge: forestEnsembleMerge,
  },
  {
    name: 'hoeffding-tree',
    summary: 'Very Fast Decision Tree: splits by the Hoeffding bound, Gaussian numeric observers, NB-adaptive leaves',
    reference: 'Domingos & Hulten 2000',
    params: { ...splitParams(hoeffdingTreeDefaults), ...memoryParams },
    scaleInputs: false,
    nominalNative: true,
    // Observers skip NaN when learning; a NaN at a split follows the heaviest branch.
    missingNative: true,
    create: async (ctx, p) => new HoeffdingTreeClassifier(ctx, as(p)),
    restore: async (ctx, p, s) => HoeffdingTreeClassifier.restore(ctx, as(p), s),
    merge: treeMergeRefusal,
  },
  {
    name: 'hoeffding-adaptive-tree',
    summary: 'Hoeffding tree with an ADWIN per node and alternate subtrees swapped in on drift',
    reference: 'Bifet & Gavaldà 2009',
    params: {
      ...splitParams(hoeffdingAdaptiveTreeDefaults),
      ...memoryParams,
      adwinDelta: probabilityParam(hoeffdingAdaptiveTreeDefaults.adwinDelta, 'ADWIN confidence at each node'),
      switchSignificance: probabilityParam(hoeffdingAdaptiveTreeDefaults.switchSignificance, 'significance of the alternate-tree test'),
      minErrorWindow: { type: 'integer', default: hoeffdingAdaptiveTreeDefaults.minErrorWindow, min: 1, doc: 'errors seen before an alternate is judged' },
      bootstrapSampling: onOffParam(hoeffdingAdaptiveTreeDefaults.bootstrapSampling, 'Poisson(1) weights at the leaves'),
    },
    scaleInputs: false,
    nominalNative: true,
    // Observers skip NaN when learning; a NaN at a split follows the heaviest branch.
    missingNative: true,
    create: async (ctx, p) => new HoeffdingAdaptiveTreeClassifier(ctx, as(p)),
    restore: async (ctx, p, s) => HoeffdingAdaptiveTreeClassifier.restore(ctx, as(p), s),
    merge: treeMergeRefusal,
  },
  {
    name: 'extremely-fast-decision-tree',
    summary: 'Hoeffding Anytree: splits once a split beats none by the Hoeffding bound, re-evaluates splits and replaces them',
    reference: 'Manapragada, Webb & Salehi 2018',
    params: {
      ...splitParams(efdtDefaults),
      reevaluationPeriod: { type: 'integer', default: efdtDefaults.reevaluationPeriod, min: 1, doc: 'rows between re-evaluations of the splits' },
    },
    scaleInputs: false,
    nominalNative: true,
    // Observers skip NaN when learning; a NaN at a split follows the heaviest branch.
    missingNative: true,
    create: async (ctx, p) => new ExtremelyFastDecisionTree(ctx, as(p)),
    restore: async (ctx, p, s) => ExtremelyFastDecisionTree.restore(ctx, as(p), s),
    merge: treeMergeRefusal,
  },
  {
    name: 'adaptive-random-forest',
    summary: 'Hoeffding trees on random subspaces, Poisson(6) bagging, ADWIN warning/drift with background trees',
    reference: 'Gomes et al. 2017',
    params: {
      ensembleSize: { type: 'integer', default: adaptiveRandomForestDefaults.ensembleSize, min: 1, max: 1_000, doc: 'trees (at most 1,000)' },
      lambda: { type: 'number', default: adaptiveRandomForestDefaults.lambda, min: 0, exclusiveMin: true, doc: 'Poisson rate of online bagging' },
      subspaceSize: { type: 'integer', default: adaptiveRandomForestDefaults.subspaceSize, min: 0, doc: 'attributes per leaf (0: round(sqrt(d)) + 1)' },
      ...splitParams(adaptiveRandomForestDefaults),
      warningDelta: probabilityParam(adaptiveRandomForestDefaults.warningDelta, 'ADWIN confidence of the warning detector'),
      driftDelta: probabilityParam(adaptiveRandomForestDefaults.driftDelta, 'ADWIN confidence of the drift detector'),
      weightedVote: onOffParam(adaptiveRandomForestDefaults.weightedVote, 'votes weighted by member accuracy'),
      workers: { type: 'integer', default: adaptiveRandomForestDefaults.workers, min: 1, max: 64, doc: 'worker threads sharing the members (same results)' },
    },
    scaleInputs: false,
    nominalNative: true,
    // Observers skip NaN when learning; a NaN at a split follows the heaviest branch.
    missingNative: true,
    // Members in worker threads answer by message.
    asynchronous: (p) => Number(p.workers) > 1,
    create: async (ctx, p) => new AdaptiveRandomForest(ctx, as(p)),
    restore: async (ctx, p, s) => AdaptiveRandomForest.restore(ctx, as(p), s),
    merge: adaptiveRandomForestMerge,
  },
  streamingRandomPatchesDefinition,
  {
    name: 'online-bagging',
    summary: 'online bagging: each member learns each row Poisson(1) times',
    reference: 'Oza & Russell 2001',
    params: {
      base: baseParam,
      ensembleSize: { type: 'integer', default: onlineBaggingDefaults.ensembleSize, min: 1, max: 1_000, doc: 'members (at most 1,000)' },
    },
    scaleInputs: baseWantsScaling,
    nominalNative: baseIsNominalNative,
    missingNative: baseTakesMissing,
    // Members are made and awaited through the registry (a static import would be circular).
    asynchronous: true,
    create: async (ctx, p) => OnlineBagging.create(ctx, as(p)),
    restore: async (ctx, p, s) => OnlineBagging.restore(ctx, as(p), s),
    merge: baggingMerge,
  },
  {
    name: 'leveraging-bagging',
    summary: 'online bagging with Poisson(6) weights and ADWIN replacing the worst member on drift',
    reference: 'Bifet, Holmes & Pfahringer 2010',
    params: {
      base: baseParam,
      ensembleSize: { type: 'integer', default: leveragingBaggingDefaults.ensembleSize, min: 1, max: 1_000, doc: 'members (at most 1,000)' },
      lambda: { type: 'number', default: leveragingBaggingDefaults.lambda, min: 0, exclusiveMin: true, doc: 'Poisson rate' },
      adwinDelta: probabilityParam(leveragingBaggingDefaults.adwinDelta, 'ADWIN confidence per member'),
    },
    scaleInputs: baseWantsScaling,
    nominalNative: baseIsNominalNative,
    missingNative: baseTakesMissing,
    asynchronous: true,
    create: async (ctx, p) => LeveragingBagging.create(ctx, as(p)),
    restore: async (ctx, p, s) => LeveragingBagging.restore(ctx, as(p), s),
    merge: baggingMerge,
  },
  {
    name: 'online-boosting',
    summary: 'online boosting: each member learns each row Poisson(lambda) times, lambda raised where earlier members erred',
    reference: 'Oza & Russell 2001',
    params: {
      base: baseParam,
      ensembleSize: { type: 'integer', default: onlineBoostingDefaults.ensembleSize, min: 1, max: 1_000, doc: 'members (at most 1,000)' },
      driftDetector: {
        type: 'choice',
        default: onlineBoostingDefaults.driftDetector,
        choices: boostingDriftDetectors,
        doc: "adwin: an ADWIN per member, the worst member replaced when an error rises (ADWIN boosting, MOA's OzaBoostAdwin)",
      },
      adwinDelta: probabilityParam(onlineBoostingDefaults.adwinDelta, 'ADWIN confidence per member (with drift-detector adwin)'),
    },
    scaleInputs: baseWantsScaling,
    nominalNative: baseIsNominalNative,
    missingNative: baseTakesMissing,
    asynchronous: true,
    create: async (ctx, p) => OnlineBoosting.create(ctx, as(p)),
    restore: async (ctx, p, s) => OnlineBoosting.restore(ctx, as(p), s),
    merge: boostingMergeRefusal,
  },
  perceptronDefinition,
  passiveAggressiveDefinition,
  knnDefinition,
  majorityClassDefinition,
  noChangeDefinition,
];

export const learnerNames: readonly string[] = learnerDefinitions.map((d) => d.name);

export function learnerDefinition(name: string): LearnerDefinition {
  const def = learnerDefinitions.find((d) => d.name === name);
  if (!def) {
    if (isRegressorName(name)) fail(`"${name}" is a regressor, not a classifier (classifiers: ${learnerNames.join(', ')})`);
    fail(`unknown learner "${name}" (classifiers: ${learnerNames.join(', ')}; regressors: ${regressorNames.join(', ')})`);
  }
  return def;
}

/** A classifier's or a regressor's definition by name: what the task-neutral parts (parameters, default steps) read. */
export function anyLearnerDefinition(name: string): LearnerDefinition | RegressorDefinition {
  return isRegressorName(name) ? regressorDefinition(name) : learnerDefinition(name);
}

/** Whether the named learner with these parameters takes missing values (NaN) itself (LearnerDefinition.missingNative). */
export function learnerTakesMissing(name: string, params: Params): boolean {
  const native = anyLearnerDefinition(name).missingNative ?? false;
  return typeof native === 'function' ? native(params) : native;
}

export type { OptimizerName };

/** A learner without parameters: any key given is a mistake. */
type NoParams = Readonly<Record<string, never>>;

/**
 * Every learner's parameters by its registry name: what `Model.create` checks
 * at compile time (the registry still checks every value at run time, for
 * names and values that come as strings from a command line or a file).
 * A learner added to learnerDefinitions is added here too
 * (test/types/names.ts fails until it is).
 */
export interface LearnerParams {
  'gaussian-nb': GaussianNBParams;
  'softmax-regression': SoftmaxRegressionParams;
  mlp: MLPParams;
  'forest-ensemble': ForestEnsembleParams;
  'hoeffding-tree': HoeffdingTreeParams;
  'hoeffding-adaptive-tree': HoeffdingAdaptiveTreeParams;
  'extremely-fast-decision-tree': EFDTParams;
  'adaptive-random-forest': AdaptiveRandomForestParams;
  'streaming-random-patches': StreamingRandomPatchesParams;
  'online-bagging': OnlineBaggingParams;
  'leveraging-bagging': LeveragingBaggingParams;
  'online-boosting': OnlineBoostingParams;
  perceptron: PerceptronParams;
  'passive-aggressive': PassiveAggressiveParams;
  knn: KNNParams;
  'majority-class': NoParams;
  'no-change': NoParams;
}

/** A learner's registry name, e.g. 'hoeffding-tree'. */
export type LearnerName = keyof LearnerParams;

/** learningRate -> 'learning-rate', as the command line spells a parameter. */
export type KebabCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `-${Lowercase<Head>}`}${KebabCase<Tail>}`
  : S;

/**
 * The parameters one may give a learner: any of them, by their camelCase or
 * kebab-case names (as resolveParams reads them), each of its own type.
 */
export type LearnerParamsInput<N extends LearnerName> = {
  readonly [K in keyof LearnerParams[N]]?: LearnerParams[N][K];
} & {
  readonly [K in keyof LearnerParams[N] as K extends string ? KebabCase<K> : never]?: LearnerParams[N][K];
};

/** Whether a string is a learner's registry name. */
export function isLearnerName(name: string): name is LearnerName {
  return learnerDefinitions.some((d) => d.name === name);
}
