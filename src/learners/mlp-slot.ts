import { fail } from '../core/errors.js';
import type { Classifier, LearnerContext, LearnerState } from './contract.js';

/** The parameters of `mlp` (see streamlearn/mlp's MLPClassifier). */
export interface MLPParams {
  readonly hiddenUnits: number;
  readonly activation: 'relu' | 'tanh' | 'sigmoid';
  readonly learningRate: number;
  /** Passes over each batch's training rows (TensorFlow.js fit epochs). */
  readonly epochs: number;
}

export const mlpDefaults: MLPParams = { hiddenUnits: 32, activation: 'relu', learningRate: 0.01, epochs: 10 };
export const mlpActivations: readonly MLPParams['activation'][] = ['relu', 'tanh', 'sigmoid'];
/** The files an mlp saves beside state.json: what a saved mlp model may hold. */
export const mlpStateFiles: readonly string[] = ['model.json', 'weights.bin'];

/** What streamlearn/mlp provides: the learner built on TensorFlow.js. */
export interface MlpImplementation {
  create(ctx: LearnerContext, params: Partial<MLPParams>): Promise<Classifier>;
  restore(ctx: LearnerContext, params: Partial<MLPParams>, state: LearnerState): Promise<Classifier>;
}

/** The TensorFlow.js packages mlp needs, at the versions it is built and tested with. */
export const MLP_PACKAGES = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-layers@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'] as const;
export const MLP_INSTALL = `npm install ${MLP_PACKAGES.join(' ')}`;

// The core carries no TensorFlow.js: streamlearn/mlp provides the learner when imported, and
// streamlearn/node sets a loader that imports it on first use.
let implementation: MlpImplementation | null = null;
let loader: (() => Promise<void>) | null = null;

/** Called by streamlearn/mlp as it is imported. */
export function provideMlp(impl: MlpImplementation): void {
  implementation = impl;
}

/** Called by streamlearn/node: how to import streamlearn/mlp on first use. */
export function setMlpLoader(load: () => Promise<void>): void {
  loader = load;
}

/** The mlp learner, or one line saying what to install and import. */
export async function mlpImplementation(): Promise<MlpImplementation> {
  if (!implementation && loader) await loader();
  if (!implementation) fail(`mlp runs on TensorFlow.js, which is not loaded: ${MLP_INSTALL}, then import "streamlearn/mlp"`);
  return implementation;
}
