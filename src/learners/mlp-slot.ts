import * as v from 'valibot';
import { fail } from '../core/errors.js';
import { count, finiteNumber, object, parseState, positiveInteger } from '../core/state.js';
import type { Classifier, LearnerContext, LearnerState } from './contract.js';
import { checkSameShape, heaviest, SAME_CLASSES_HINT, type MergeRule } from './merge-rule.js';

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

/** The JSON part of an mlp's saved state (the network is in its files), read by the learner and by the merge. */
export const mlpStateSchema = object({
  nFeatures: positiveInteger,
  nClasses: positiveInteger,
  classesGrown: count,
  adamBetaPowers: v.nullable(v.pipe(v.array(finiteNumber), v.length(2))),
});

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
}

/** A TensorFlow.js layers model's files: the weight specs, in the order weights.bin holds them. */
function weightSpecs(files: Readonly<Record<string, Uint8Array>>): WeightSpec[] {
  const modelBytes = files['model.json'];
  if (!modelBytes || !files['weights.bin']) fail('merge: an mlp replica lacks model.json or weights.bin');
  const json = JSON.parse(new TextDecoder().decode(modelBytes)) as { weightsManifest: { weights: WeightSpec[] }[] };
  return json.weightsManifest.flatMap((g) => g.weights);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Replicas merge by federated averaging, on the saved bytes, so merging
 * needs no TensorFlow.js: every float32 tensor of the network and of Adam's
 * state averaged by position, weighted by rows learned; integer counters and
 * the JSON bookkeeping from the heaviest replica. Replicas start from the
 * same seed (workers do), so from the same weights, as averaging assumes.
 */
export const mlpMerge: MergeRule = {
  kind: 'weighted average',
  merge(states, { weights }) {
    const parsed = states.map((s) => parseState('mlp', mlpStateSchema, s.json));
    checkSameShape('mlp', parsed.map((p) => `${p.nFeatures}x${p.nClasses}`), SAME_CLASSES_HINT);
    const specs = states.map((s) => weightSpecs(s.files ?? {}));
    const layout = (list: WeightSpec[]): string => list.map((w) => `${w.shape.join('x')}:${w.dtype ?? 'float32'}`).join(',');
    if (new Set(specs.map(layout)).size > 1) fail('merge: the mlp replicas have different network shapes (hidden units or optimizer state)');
    const top = heaviest(weights);
    const bins = states.map((s) => {
      const b = s.files!['weights.bin'];
      return new DataView(b.buffer, b.byteOffset, b.byteLength);
    });
    const out = new Uint8Array(bins[top].byteLength);
    out.set(new Uint8Array(bins[top].buffer, bins[top].byteOffset, bins[top].byteLength));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const spec of specs[0]) {
      const dtype = spec.dtype ?? 'float32';
      const count = spec.shape.reduce((n, s) => n * s, 1);
      const size = DTYPE_BYTES[dtype];
      if (size === undefined) fail(`merge: the mlp replicas hold a ${dtype} tensor, which cannot be averaged`);
      // Weights, biases and Adam's moments are averaged; integer counters are kept from the heaviest replica.
      if (dtype === 'float32') {
        for (let i = 0; i < count; i++) {
          const at = offset + i * 4;
          let sum = 0;
          bins.forEach((b, r) => (sum += weights[r] * b.getFloat32(at, true)));
          view.setFloat32(at, sum, true);
        }
      }
      offset += count * size;
    }
    if (offset !== out.byteLength) fail("merge: an mlp replica's weights.bin does not match its weight specs");
    const json = parsed[top];
    return {
      json: { nFeatures: json.nFeatures, nClasses: json.nClasses, classesGrown: json.classesGrown, adamBetaPowers: json.adamBetaPowers },
      files: { 'model.json': states[top].files!['model.json'], 'weights.bin': out },
    };
  },
};
