import { fail } from '../core/errors.js';
import { resolveParams, type ParamSpec, type Parameterised } from '../core/params.js';
import { LeveragingBagging, leveragingBaggingDefaults, OnlineBagging, onlineBaggingDefaults } from './bagging.js';
import { majorityClassDefinition, noChangeDefinition } from './baseline.js';
import type { Classifier, LearnerContext, LearnerState, ParamValue, Params } from './contract.js';
import { ForestEnsemble, forestEnsembleDefaults } from './ensemble.js';
import { AdaptiveRandomForest, adaptiveRandomForestDefaults } from './forest.js';
import { knnDefinition } from './neighbors.js';
import { HoeffdingAdaptiveTreeClassifier, hoeffdingAdaptiveTreeDefaults } from './tree/hoeffding-adaptive-tree.js';
import { HoeffdingTreeClassifier, hoeffdingTreeDefaults } from './tree/hoeffding-tree-classifier.js';
import { leafPredictions, type SplitSettings } from './tree/hoeffding-tree.js';
import { splitCriterionNames } from './tree/split-criterion.js';
import { passiveAggressiveDefinition, perceptronDefinition, SoftmaxRegression, softmaxRegressionDefaults } from './linear.js';
import { GaussianNB, gaussianNBDefaults } from './naive-bayes.js';
import { mlpActivations, mlpDefaults, type MLPParams } from './neural.js';
import { optimizerNames, type OptimizerName } from './optimizers.js';

/** A learner as the CLI, the pipeline and the model loader know it. */
export interface LearnerDefinition {
  readonly name: string;
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
  create(ctx: LearnerContext, params: Params): Promise<Classifier>;
  restore(ctx: LearnerContext, params: Params, state: LearnerState): Promise<Classifier>;
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

const probability = (value: number, doc: string): ParamSpec => ({ type: 'number', default: value, min: 0, exclusiveMin: true, max: 1, doc });
const onOff = (value: string, doc: string): ParamSpec => ({ type: 'choice', default: value, choices: ['on', 'off'], doc });

/** The parameters every Hoeffding tree shares, with the defaults of the tree they belong to. */
function treeParams(d: SplitSettings): Record<string, ParamSpec> {
  return {
    gracePeriod: { type: 'integer', default: d.gracePeriod, min: 1, doc: 'weight a leaf sees between split attempts' },
    splitConfidence: probability(d.splitConfidence, 'delta of the Hoeffding bound'),
    tieThreshold: { type: 'number', default: d.tieThreshold, min: 0, doc: 'bound below which the best split is taken' },
    splitCriterion: { type: 'choice', default: d.splitCriterion, choices: splitCriterionNames, doc: 'info-gain or gini' },
    leafPrediction: { type: 'choice', default: d.leafPrediction, choices: leafPredictions, doc: 'mc, nb or nba (adaptive)' },
    numericBins: { type: 'integer', default: d.numericBins, min: 1, doc: 'candidate split points per numeric attribute' },
  };
}

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
  },
  {
    name: 'mlp',
    summary: 'one-hidden-layer neural network in TensorFlow.js (wasm backend, or native when installed)',
    reference: 'Rumelhart, Hinton & Williams 1986; Adam: Kingma & Ba 2015',
    params: {
      hiddenUnits: { type: 'integer', default: mlpDefaults.hiddenUnits, min: 1, max: 65_536, doc: 'units in the hidden layer (at most 65,536)' },
      activation: { type: 'choice', default: mlpDefaults.activation, choices: mlpActivations, doc: 'hidden activation' },
      learningRate: { type: 'number', default: mlpDefaults.learningRate, min: 0, exclusiveMin: true, doc: 'Adam step size' },
      epochs: { type: 'integer', default: mlpDefaults.epochs, min: 1, doc: 'passes over each batch' },
    },
    scaleInputs: true,
    // Imported on use: TensorFlow.js is heavy, and other learners need none of it.
    create: async (ctx, p) => (await import('./neural.js')).MLPClassifier.create(ctx, as<MLPParams>(p)),
    restore: async (ctx, p, s) => (await import('./neural.js')).MLPClassifier.restore(ctx, as<MLPParams>(p), s),
  },
  {
    name: 'forest-ensemble',
    summary: 'accuracy-weighted ensemble of per-batch random forests (ml-random-forest)',
    reference: 'Wang, Fan, Yu & Han 2003; Breiman 2001',
    params: {
      maxForests: { type: 'integer', default: forestEnsembleDefaults.maxForests, min: 1, doc: 'most forests kept' },
      trees: { type: 'integer', default: forestEnsembleDefaults.trees, min: 1, doc: 'trees in each forest' },
      maxFeatures: { type: 'integer', default: forestEnsembleDefaults.maxFeatures, min: 0, doc: 'features per tree (0: sqrt of the feature count)' },
      cvFolds: { type: 'integer', default: forestEnsembleDefaults.cvFolds, min: 2, doc: 'folds that weigh a new forest' },
    },
    scaleInputs: false,
    create: async (ctx, p) => new ForestEnsemble(ctx, as(p)),
    restore: async (ctx, p, s) => ForestEnsemble.restore(ctx, as(p), s),
  },
  {
    name: 'hoeffding-tree',
    summary: 'Very Fast Decision Tree: splits by the Hoeffding bound, Gaussian numeric observers, NB-adaptive leaves',
    reference: 'Domingos & Hulten 2000',
    params: { ...treeParams(hoeffdingTreeDefaults), ...memoryParams },
    scaleInputs: false,
    nominalNative: true,
    // Observers skip NaN when learning; a NaN at a split follows the heaviest branch.
    missingNative: true,
    create: async (ctx, p) => new HoeffdingTreeClassifier(ctx, as(p)),
    restore: async (ctx, p, s) => HoeffdingTreeClassifier.restore(ctx, as(p), s),
  },
  {
    name: 'hoeffding-adaptive-tree',
    summary: 'Hoeffding tree with an ADWIN per node and alternate subtrees swapped in on drift',
    reference: 'Bifet & Gavaldà 2009',
    params: {
      ...treeParams(hoeffdingAdaptiveTreeDefaults),
      ...memoryParams,
      adwinDelta: probability(hoeffdingAdaptiveTreeDefaults.adwinDelta, 'ADWIN confidence at each node'),
      switchSignificance: probability(hoeffdingAdaptiveTreeDefaults.switchSignificance, 'significance of the alternate-tree test'),
      minErrorWindow: { type: 'integer', default: hoeffdingAdaptiveTreeDefaults.minErrorWindow, min: 1, doc: 'errors seen before an alternate is judged' },
      bootstrapSampling: onOff(hoeffdingAdaptiveTreeDefaults.bootstrapSampling, 'Poisson(1) weights at the leaves'),
    },
    scaleInputs: false,
    nominalNative: true,
    // Observers skip NaN when learning; a NaN at a split follows the heaviest branch.
    missingNative: true,
    create: async (ctx, p) => new HoeffdingAdaptiveTreeClassifier(ctx, as(p)),
    restore: async (ctx, p, s) => HoeffdingAdaptiveTreeClassifier.restore(ctx, as(p), s),
  },
  {
    name: 'adaptive-random-forest',
    summary: 'Hoeffding trees on random subspaces, Poisson(6) bagging, ADWIN warning/drift with background trees',
    reference: 'Gomes et al. 2017',
    params: {
      ensembleSize: { type: 'integer', default: adaptiveRandomForestDefaults.ensembleSize, min: 1, doc: 'trees' },
      lambda: { type: 'number', default: adaptiveRandomForestDefaults.lambda, min: 0, exclusiveMin: true, doc: 'Poisson rate of online bagging' },
      subspaceSize: { type: 'integer', default: adaptiveRandomForestDefaults.subspaceSize, min: 0, doc: 'attributes per leaf (0: round(sqrt(d)) + 1)' },
      ...treeParams(adaptiveRandomForestDefaults),
      warningDelta: probability(adaptiveRandomForestDefaults.warningDelta, 'ADWIN confidence of the warning detector'),
      driftDelta: probability(adaptiveRandomForestDefaults.driftDelta, 'ADWIN confidence of the drift detector'),
      weightedVote: onOff(adaptiveRandomForestDefaults.weightedVote, 'votes weighted by member accuracy'),
      workers: { type: 'integer', default: adaptiveRandomForestDefaults.workers, min: 1, max: 64, doc: 'worker threads sharing the members (same results)' },
    },
    scaleInputs: false,
    nominalNative: true,
    // Observers skip NaN when learning; a NaN at a split follows the heaviest branch.
    missingNative: true,
    create: async (ctx, p) => new AdaptiveRandomForest(ctx, as(p)),
    restore: async (ctx, p, s) => AdaptiveRandomForest.restore(ctx, as(p), s),
  },
  {
    name: 'online-bagging',
    summary: 'online bagging: each member learns each row Poisson(1) times',
    reference: 'Oza & Russell 2001',
    params: {
      base: baseParam,
      ensembleSize: { type: 'integer', default: onlineBaggingDefaults.ensembleSize, min: 1, doc: 'members' },
    },
    scaleInputs: baseWantsScaling,
    nominalNative: baseIsNominalNative,
    missingNative: baseTakesMissing,
    create: async (ctx, p) => OnlineBagging.create(ctx, as(p)),
    restore: async (ctx, p, s) => OnlineBagging.restore(ctx, as(p), s),
  },
  {
    name: 'leveraging-bagging',
    summary: 'online bagging with Poisson(6) weights and ADWIN replacing the worst member on drift',
    reference: 'Bifet, Holmes & Pfahringer 2010',
    params: {
      base: baseParam,
      ensembleSize: { type: 'integer', default: leveragingBaggingDefaults.ensembleSize, min: 1, doc: 'members' },
      lambda: { type: 'number', default: leveragingBaggingDefaults.lambda, min: 0, exclusiveMin: true, doc: 'Poisson rate' },
      adwinDelta: probability(leveragingBaggingDefaults.adwinDelta, 'ADWIN confidence per member'),
    },
    scaleInputs: baseWantsScaling,
    nominalNative: baseIsNominalNative,
    missingNative: baseTakesMissing,
    create: async (ctx, p) => LeveragingBagging.create(ctx, as(p)),
    restore: async (ctx, p, s) => LeveragingBagging.restore(ctx, as(p), s),
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
  if (!def) fail(`unknown learner "${name}" (learners: ${learnerNames.join(', ')})`);
  return def;
}

/** Whether the named learner with these parameters takes missing values (NaN) itself (LearnerDefinition.missingNative). */
export function learnerTakesMissing(name: string, params: Params): boolean {
  const native = learnerDefinition(name).missingNative ?? false;
  return typeof native === 'function' ? native(params) : native;
}

export type { OptimizerName };
