import type * as TfLayers from '@tensorflow/tfjs-layers';
import type { io } from '@tensorflow/tfjs-core';
import { deriveSeed } from '../core/random.js';
import type { Batch, Matrix } from '../core/types.js';
import { checkSavedClasses, checkSavedFeatures, classesNeeded, type Classifier, type LearnerContext, type LearnerState } from '../learners/contract.js';
import { parseState } from '../core/state.js';
import { mlpActivations, mlpDefaults, mlpStateFiles, mlpStateSchema, type MLPParams } from '../learners/mlp-slot.js';
import { loadTensorflow, type Tensorflow, type TfjsBackendName } from './tfjs-backend.js';

export type { MLPParams };
export { mlpDefaults, mlpActivations, mlpStateFiles };

/**
 * TensorFlow.js's Adam keeps beta1^t and beta2^t as running float32 products
 * but, on load, recomputes them as powers, which differ in the last bits; so
 * they are saved beside the network, and training resumes exactly.
 */
interface AdamInternals {
  accBeta1?: { dataSync(): ArrayLike<number>; assign(value: unknown): void };
  accBeta2?: { dataSync(): ArrayLike<number>; assign(value: unknown): void };
}

const [MODEL_FILE, WEIGHTS_FILE] = mlpStateFiles;

/**
 * A multilayer perceptron (Rumelhart, Hinton & Williams 1986) with one
 * hidden layer, built with TensorFlow.js layers and trained batch by batch:
 * each batch's training rows are fitted for `epochs` passes with Adam
 * (Kingma & Ba 2015) on the sparse categorical cross-entropy. Weights start
 * from Glorot-uniform initialisers seeded from the learner's seed, and rows
 * are not reshuffled inside fit, so a run is repeatable on one backend.
 * Defaults: hiddenUnits 32, activation relu, learningRate 0.01, epochs 10.
 * Saved in TensorFlow.js's own layers-model format (model.json + weights.bin),
 * optimizer state included. A new class mid-stream widens the output layer,
 * keeping the learned weights, and restarts the optimizer.
 */
export class MLPClassifier implements Classifier {
  readonly name = 'mlp';
  readonly params: MLPParams;
  private readonly d: number;
  private k: number;
  private classesGrown = 0;

  private constructor(
    private readonly tensorflow: Tensorflow,
    private model: TfLayers.LayersModel,
    ctx: LearnerContext,
    params: MLPParams,
    private readonly seed: number,
  ) {
    this.params = params;
    this.d = ctx.nFeatures;
    this.k = ctx.nClasses;
  }

  get nClasses(): number {
    return this.k;
  }

  /** Which TensorFlow.js backend runs this network. */
  get backend(): TfjsBackendName {
    return this.tensorflow.backend;
  }

  static async create(ctx: LearnerContext, params: Partial<MLPParams> = {}): Promise<MLPClassifier> {
    const tensorflow = await loadTensorflow();
    const full = { ...mlpDefaults, ...params };
    // Two output units at least: TensorFlow.js's sparse cross-entropy cannot one-hot a single class, and a
    // stream may start with one class known; the spare unit is kept out of the probabilities until used.
    const model = buildNetwork(tensorflow, ctx.nFeatures, Math.max(ctx.nClasses, 2), full, deriveSeed(ctx.seed, 'mlp'));
    return new MLPClassifier(tensorflow, model, ctx, full, ctx.seed);
  }

  async learn(batch: Batch): Promise<void> {
    const needed = classesNeeded(batch.y, this.k);
    if (needed > this.k) this.widen(needed);
    if (batch.x.rows === 0) return;
    const { tf } = this.tensorflow;
    const xs = tf.tensor2d(Float32Array.from(batch.x.data), [batch.x.rows, this.d]);
    const ys = tf.tensor1d(Float32Array.from(batch.y), 'float32');
    try {
      await this.model.fit(xs, ys, {
        epochs: this.params.epochs,
        batchSize: batch.x.rows,
        shuffle: false,
        verbose: 0,
      });
    } finally {
      xs.dispose();
      ys.dispose();
    }
  }

  async predictProba(x: Matrix): Promise<Float64Array> {
    if (x.rows === 0) return new Float64Array(0);
    const { tf } = this.tensorflow;
    const out = tf.tidy(() => {
      const xs = tf.tensor2d(Float32Array.from(x.data), [x.rows, this.d]);
      return this.model.predict(xs) as ReturnType<typeof tf.tensor2d>;
    });
    const values = Float64Array.from(await out.data());
    out.dispose();
    const units = this.outputUnits;
    return units === this.k ? values : knownClasses(values, x.rows, units, this.k);
  }

  /** The network's output units: the known classes, or two while fewer are known. */
  private get outputUnits(): number {
    return this.model.outputs[0].shape[1] as number;
  }

  async saveState(): Promise<LearnerState> {
    const { tf } = this.tensorflow;
    let artifacts: io.ModelArtifacts | undefined;
    await this.model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    if (!artifacts || !artifacts.weightSpecs || !artifacts.weightData) {
      throw new Error('mlp: TensorFlow.js returned no weights to save');
    }
    const weightData = artifacts.weightData;
    const weights = Array.isArray(weightData) ? concatBuffers(weightData) : new Uint8Array(weightData);
    // The layout TensorFlow.js's own file handler writes, so tf.loadLayersModel reads it.
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      trainingConfig: artifacts.trainingConfig,
      weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
    };
    const adam = this.model.optimizer as unknown as AdamInternals;
    const adamBetaPowers = adam.accBeta1 && adam.accBeta2 ? [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]] : null;
    return {
      json: { nFeatures: this.d, nClasses: this.k, classesGrown: this.classesGrown, adamBetaPowers },
      files: {
        [MODEL_FILE]: new TextEncoder().encode(JSON.stringify(modelJson)),
        [WEIGHTS_FILE]: weights,
      },
    };
  }

  static async restore(ctx: LearnerContext, params: Partial<MLPParams>, state: LearnerState): Promise<MLPClassifier> {
    const s = parseState('mlp', mlpStateSchema, state.json);
    checkSavedFeatures('mlp', 'nFeatures', s.nFeatures, ctx);
    checkSavedClasses('mlp', 'nClasses', s.nClasses, ctx);
    const modelBytes = state.files?.[MODEL_FILE];
    const weightBytes = state.files?.[WEIGHTS_FILE];
    if (!modelBytes || !weightBytes) throw new Error(`mlp: saved state lacks ${MODEL_FILE} or ${WEIGHTS_FILE}`);
    const tensorflow = await loadTensorflow();
    const { tf, tfl } = tensorflow;
    const modelJson = JSON.parse(new TextDecoder().decode(modelBytes)) as {
      modelTopology: object;
      trainingConfig?: io.TrainingConfig;
      format?: string;
      weightsManifest: { weights: io.WeightsManifestEntry[] }[];
    };
    const weightData = weightBytes.buffer.slice(weightBytes.byteOffset, weightBytes.byteOffset + weightBytes.byteLength);
    const model = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        trainingConfig: modelJson.trainingConfig,
        format: modelJson.format,
        weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
        weightData: weightData as ArrayBuffer,
      }),
    );
    const inputs = model.inputs[0]?.shape[1];
    const outputs = model.outputs[0]?.shape[1];
    if (inputs !== s.nFeatures || typeof outputs !== 'number' || outputs < s.nClasses) {
      model.dispose();
      throw new Error(`mlp: ${MODEL_FILE} is a network of ${inputs} inputs and ${outputs} outputs, not one for ${s.nFeatures} features and ${s.nClasses} classes`);
    }
    const full = { ...mlpDefaults, ...params };
    // A new class rebuilds the network from the parameters and copies the weights over (widen): a network
    // of another shape failed there (HTTP 500 on /learn), one of another activation changed silently.
    const [hidden, output] = model.layers.map((layer) => layer.getConfig() as { units?: unknown; activation?: unknown }) as (
      | { units?: unknown; activation?: unknown }
      | undefined
    )[];
    if (model.layers.length !== 2 || hidden?.units !== full.hiddenUnits || hidden.activation !== full.activation || output?.activation !== 'softmax') {
      model.dispose();
      throw new Error(
        `mlp: ${MODEL_FILE} is not the network learner.params describe (a hidden layer of ${full.hiddenUnits} ${full.activation} units, then softmax): ` +
          `it has ${model.layers.length} layers, ${String(hidden?.units)} ${String(hidden?.activation)} units then ${String(output?.activation)}`,
      );
    }
    if (!model.optimizer) compile(tensorflow, model, full);
    const adam = model.optimizer as unknown as AdamInternals;
    if (s.adamBetaPowers && adam.accBeta1 && adam.accBeta2) {
      adam.accBeta1.assign(tf.scalar(s.adamBetaPowers[0]));
      adam.accBeta2.assign(tf.scalar(s.adamBetaPowers[1]));
    }
    const mlp = new MLPClassifier(tensorflow, model, { ...ctx, nClasses: s.nClasses }, full, ctx.seed);
    mlp.classesGrown = s.classesGrown;
    return mlp;
  }

  dispose(): void {
    this.model.dispose();
  }

  /** Rebuilds the network with more output units, keeping every learned weight. */
  private widen(k: number): void {
    const units = this.outputUnits;
    if (k <= units) {
      // The spare unit of a one-class start takes the second class: nothing to rebuild.
      this.k = k;
      return;
    }
    const { tf } = this.tensorflow;
    this.classesGrown++;
    const seed = deriveSeed(this.seed, `mlp-widen-${this.classesGrown}`);
    const wider = buildNetwork(this.tensorflow, this.d, k, this.params, seed);
    const old = this.model.getWeights(); // [hidden kernel, hidden bias, output kernel, output bias]
    const fresh = wider.getWeights();
    const kept = tf.tidy(() => [
      old[0].clone(),
      old[1].clone(),
      tf.concat([old[2], tf.slice(fresh[2], [0, units], [-1, k - units])], 1),
      tf.concat([old[3], tf.slice(fresh[3], [units], [k - units])], 0),
    ]);
    wider.setWeights(kept);
    kept.forEach((t) => t.dispose());
    this.model.dispose();
    this.model = wider;
    this.k = k;
  }
}

/** The first k of each row's `units` probabilities, renormalised: the classes known so far. */
function knownClasses(values: Float64Array, rows: number, units: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += values[r * units + c];
    for (let c = 0; c < k; c++) out[r * k + c] = sum > 0 ? values[r * units + c] / sum : 1 / k;
  }
  return out;
}

function buildNetwork(tensorflow: Tensorflow, d: number, k: number, params: MLPParams, seed: number): TfLayers.LayersModel {
  const { tfl } = tensorflow;
  const model = tfl.sequential();
  model.add(
    tfl.layers.dense({
      inputShape: [d],
      units: params.hiddenUnits,
      activation: params.activation,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(seed, 'hidden') }),
    }),
  );
  model.add(
    tfl.layers.dense({
      units: k,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(seed, 'output') }),
    }),
  );
  compile(tensorflow, model, params);
  return model;
}

function compile(tensorflow: Tensorflow, model: TfLayers.LayersModel, params: MLPParams): void {
  model.compile({ optimizer: tensorflow.tf.train.adam(params.learningRate), loss: 'sparseCategoricalCrossentropy' });
}

function concatBuffers(buffers: ArrayBuffer[]): Uint8Array {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out;
}
