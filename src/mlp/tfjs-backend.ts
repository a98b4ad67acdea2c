import { fail } from '../core/errors.js';
import { MLP_INSTALL } from '../learners/mlp-slot.js';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';

export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface Tensorflow {
  readonly tf: typeof TfCore;
  readonly tfl: typeof TfLayers;
  /** The backend that registered and now runs every tensor operation. */
  readonly backend: TfjsBackendName;
}

// A variable, not a literal, so that TypeScript does not need the package's types:
// @tensorflow/tfjs-node is optional and cannot be installed on every machine.
const NATIVE_PACKAGE = '@tensorflow/tfjs-node';

let loading: Promise<Tensorflow> | undefined;

/**
 * Loads TensorFlow.js once, on first use, so that learners that do not need
 * it never pay for its import. Backend order: the native `tensorflow`
 * backend when @tensorflow/tfjs-node is installed and registered it, then
 * `wasm` (shipped inside @tensorflow/tfjs-backend-wasm), then `cpu`.
 * STREAMLEARN_TFJS_BACKEND=tensorflow|wasm|cpu forces one.
 */
export function loadTensorflow(): Promise<Tensorflow> {
  loading ??= initialise();
  return loading;
}

/** Imports one of TensorFlow.js's packages, optional peers of streamlearn: missing is one line saying what to install. */
async function importTfjs<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
      fail(`mlp runs on TensorFlow.js, which is not installed: ${MLP_INSTALL}`);
    }
    throw err;
  }
}

async function initialise(): Promise<Tensorflow> {
  const forced = process.env.STREAMLEARN_TFJS_BACKEND as TfjsBackendName | undefined;
  if (forced !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(forced)) {
    throw new Error(`STREAMLEARN_TFJS_BACKEND must be tensorflow, wasm or cpu, got "${forced}"`);
  }
  const tf = await importTfjs(() => import('@tensorflow/tfjs-core'));
  if (forced === undefined || forced === 'tensorflow') {
    try {
      await import(NATIVE_PACKAGE);
    } catch {
      // Not installed (the usual case): wasm follows.
    }
  }
  await importTfjs(() => import('@tensorflow/tfjs-backend-wasm'));
  await importTfjs(() => import('@tensorflow/tfjs-backend-cpu'));
  const tfl = await importTfjs(() => import('@tensorflow/tfjs-layers'));
  const order: TfjsBackendName[] = forced ? [forced] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    // An import of tfjs-node may succeed yet register into another copy of
    // tfjs-core; what counts is whether this copy knows the backend.
    if (tf.findBackendFactory(name) === null) continue;
    if (await tf.setBackend(name)) {
      await tf.ready();
      return { tf, tfl, backend: name };
    }
  }
  throw new Error(`TensorFlow.js: no usable backend among ${order.join(', ')}`);
}
