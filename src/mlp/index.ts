/**
 * streamlearn/mlp: the `mlp` learner, a multilayer perceptron on
 * TensorFlow.js. Importing this entry makes `mlp` available to
 * Model.create and to loading saved models (streamlearn/node imports it on
 * first use by itself). It needs TensorFlow.js, an optional peer dependency:
 *
 *     npm install @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-layers@4.22.0 \
 *       @tensorflow/tfjs-backend-cpu@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0
 *
 * @module
 */
import { provideMlp } from '../learners/mlp-slot.js';
import { MLPClassifier } from './neural.js';

provideMlp({
  create: (ctx, params) => MLPClassifier.create(ctx, params),
  restore: (ctx, params, state) => MLPClassifier.restore(ctx, params, state),
});

export { MLPClassifier, mlpDefaults, mlpActivations, type MLPParams } from './neural.js';
export type { TfjsBackendName } from './tfjs-backend.js';
