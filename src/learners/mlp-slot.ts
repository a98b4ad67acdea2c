import * as v from 'valibot';
import { fail } from '../core/errors.js';
import type { ParamSpec } from '../core/params.js';
import { count, finiteNumber, object, parseState, positiveInteger, refine, rngState, type Json } from '../core/state.js';
import type { Classifier, LearnerContext, LearnerState } from './contract.js';
import { checkSameShape, heaviest, SAME_CLASSES_HINT, type MergeRule } from './merge-rule.js';

/** The parameters of `mlp` (see streamlearn/mlp's MLPClassifier). */
export interface MLPParams {
  readonly hiddenUnits: number;
  readonly activation: 'relu' | 'tanh' | 'sigmoid';
  readonly learningRate: number;
  /** Passes over each batch of several rows learned at once (batch-split's training rows). */
  readonly epochs: number;
  /** Passes over each mini-batch gathered from rows learned one at a time (prequential, holdout, learnOne). */
  readonly streamPasses: number;
  /** New rows per Adam step: rows learned one at a time wait until this many are pending. */
  readonly miniBatchSize: number;
  /** Earlier rows drawn from the replay buffer into each step (0: none). */
  readonly replaySize: number;
  /** Most recent learned rows kept for replay (0: no replay). */
  readonly bufferSize: number;
}

export const mlpDefaults: MLPParams = {
  hiddenUnits: 32,
  activation: 'relu',
  learningRate: 0.01,
  epochs: 10,
  streamPasses: 4,
  miniBatchSize: 32,
  replaySize: 32,
  bufferSize: 1000,
};
export const mlpActivations: readonly MLPParams['activation'][] = ['relu', 'tanh', 'sigmoid'];

/** The registry's specs of mlp's parameters (bounded where a value sizes an allocation). */
export const mlpParamSpecs: Readonly<Record<keyof MLPParams, ParamSpec>> = {
  hiddenUnits: { type: 'integer', default: mlpDefaults.hiddenUnits, min: 1, max: 65_536, doc: 'units in the hidden layer (at most 65,536)' },
  activation: { type: 'choice', default: mlpDefaults.activation, choices: mlpActivations, doc: 'hidden activation' },
  learningRate: { type: 'number', default: mlpDefaults.learningRate, min: 0, exclusiveMin: true, doc: 'Adam step size' },
  epochs: { type: 'integer', default: mlpDefaults.epochs, min: 1, doc: 'passes over each batch of several rows learned at once' },
  streamPasses: {
    type: 'integer', default: mlpDefaults.streamPasses, min: 1,
    doc: 'passes over each mini-batch of rows learned one at a time (prequential, holdout): Adam steps on it, each with fresh replay rows',
  },
  miniBatchSize: {
    type: 'integer', default: mlpDefaults.miniBatchSize, min: 1, max: 65_536,
    doc: 'new rows per Adam step; rows learned one at a time wait until this many are pending (at most 65,536)',
  },
  replaySize: { type: 'integer', default: mlpDefaults.replaySize, min: 0, max: 65_536, doc: 'earlier rows drawn from the buffer into each step (at most 65,536)' },
  bufferSize: { type: 'integer', default: mlpDefaults.bufferSize, min: 0, max: 10_000_000, doc: 'most recent rows kept for replay (at most 10,000,000)' },
};

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

/** Rows as a saved state holds them: row-major features (float32 values) and their labels, oldest first. */
const savedRows = object({ x: v.array(finiteNumber), y: v.array(count) });

/** The JSON part of an mlp's saved state (the network is in its files), read by the learner and by the merge. */
export const mlpStateSchema = refine(
  object({
    nFeatures: positiveInteger,
    nClasses: positiveInteger,
    classesGrown: count,
    adamBetaPowers: v.nullable(v.pipe(v.array(finiteNumber), v.length(2))),
    // Absent from models saved before the learner had mini-batches and replay: nothing pending, nothing to replay.
    /** Rows learned but not yet stepped on (fewer than miniBatchSize, unless the parameters changed). */
    pending: v.optional(savedRows),
    /** The replay buffer: the most recent rows stepped on. */
    buffer: v.optional(savedRows),
    /** The replay sampler's xoshiro128** state. */
    replayRng: v.optional(rngState),
  }),
  (s, problem) => {
    for (const part of ['pending', 'buffer'] as const) {
      const rows = s[part];
      if (!rows) continue;
      if (rows.x.length !== rows.y.length * s.nFeatures) {
        problem([part, 'x'], `expected rows x features = ${rows.y.length * s.nFeatures} values, received ${rows.x.length}`);
        return;
      }
      const label = rows.y.findIndex((c) => c >= s.nClasses);
      if (label >= 0) {
        problem([part, 'y', label], `expected a class below nClasses ${s.nClasses}, received ${rows.y[label]}`);
        return;
      }
    }
  },
);

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
    // The heaviest replica's bookkeeping, replay buffer, pending rows and sampler come along unchanged: its
    // buffer is a sample of recent rows as good as a pooled one, and taking one replica's keeps a model
    // merged with itself the same model. The other replicas' pending rows (fewer than a mini-batch each)
    // are left out: what they learned is in the averaged network, those rows are not.
    return {
      json: parsed[top] as Json,
      files: { 'model.json': states[top].files!['model.json'], 'weights.bin': out },
    };
  },
};
