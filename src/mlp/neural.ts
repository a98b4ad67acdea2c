import type * as TfLayers from '@tensorflow/tfjs-layers';
import type { io, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { deriveSeed, Random } from '../core/random.js';
import type { Batch, Matrix } from '../core/types.js';
import { checkSavedClasses, checkSavedFeatures, classesNeeded, toNumbers, type Classifier, type LearnerContext, type LearnerState } from '../learners/contract.js';
import { parseState } from '../core/state.js';
import { mlpActivations, mlpDefaults, mlpStateFiles, mlpStateSchema, type MLPParams } from '../learners/mlp-slot.js';
import { loadTensorflow, type Tensorflow, type TfjsBackendName } from './tfjs-backend.js';
import { RowQueue, RowRing } from './rows.js';

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
 * hidden layer, built with TensorFlow.js layers and trained online by
 * mini-batch Adam (Kingma & Ba 2015) on the softmax cross-entropy, with
 * experience replay (Lin 1992; as Chaudhry et al. 2019, "On tiny episodic
 * memories in continual learning": each step's new rows joined by as many
 * drawn from a memory of earlier ones).
 *
 * Rows learned one at a time (the prequential and holdout protocols,
 * learnOneAsync, serving's /learn of one row) wait until `miniBatchSize` of
 * them are pending; that mini-batch is then learned in `streamPasses` Adam
 * steps. A learn call of several rows (batch-split's training rows) is
 * learned before it returns: its rows, with any pending, in `epochs` passes,
 * each over mini-batches of at most `miniBatchSize` rows (shuffled, seeded,
 * when there are several). Every step is on such a mini-batch joined by
 * `replaySize` rows drawn, seeded and with replacement, from the buffer of
 * the `bufferSize` rows learned most recently before it; then the new rows
 * enter the buffer, pushing out the oldest. A row is thus never learned
 * before it was predicted; the buffer keeps a step's gradient from resting
 * on a few rows alone, and forgets an old concept within `bufferSize` rows.
 *
 * Predictions run in plain JavaScript over a copy of the weights taken
 * after every Adam step: the network's own function (inputs rounded to
 * float32, as TensorFlow.js takes them; sums in float64), with no
 * TensorFlow.js call per row.
 *
 * Defaults: hiddenUnits 32, activation relu, learningRate 0.01 (Adam with
 * TensorFlow.js's and Keras's betas 0.9 / 0.999), epochs 10, streamPasses 4,
 * miniBatchSize 32 (Keras's batch size; Bengio 2012, "Practical
 * recommendations for gradient-based training of deep architectures"),
 * replaySize 32 (as many replayed rows as new ones, as Chaudhry et al.),
 * bufferSize 1000 (the window of MOA's and River's kNN). No paper gives
 * streamPasses: 4 is a measured trade-off. A step costs about a millisecond
 * on wasm whatever its size, so 4 steps per 32 rows keep prequential
 * learning near 6,000 rows per CPU-second; on short streams (a few thousand
 * rows), where one step per mini-batch leaves the network far behind, they
 * give most of what 10 would (prequential digits: 0.77 with 1, 0.88 with 4,
 * 0.91 with 10). Weights
 * start from Glorot-uniform initialisers seeded from the learner's seed, and
 * the replay draws come from the same seed, so a run is repeatable on one
 * backend. Saved in TensorFlow.js's own layers-model format (model.json +
 * weights.bin), optimizer state included; the pending rows, the replay
 * buffer and the sampler's state go into state.json, so a saved model
 * resumes exactly. A new class mid-stream widens the output layer, keeping
 * the learned weights, and restarts the optimizer.
 */
export class MLPClassifier implements Classifier {
  readonly name = 'mlp';
  readonly params: MLPParams;
  private readonly d: number;
  private k: number;
  private classesGrown = 0;
  private readonly pending: RowQueue;
  private readonly buffer: RowRing;
  private readonly replayRng: Random;
  /** The network's trainable variables in Adam's order: hidden kernel, hidden bias, output kernel, output bias. */
  private variables: Variable[] = [];
  // The weights' plain-JS copy (row-major [inputs, units] kernels, as TensorFlow.js holds them) and work arrays.
  private w1 = new Float32Array(0);
  private b1 = new Float32Array(0);
  private w2 = new Float32Array(0);
  private b2 = new Float32Array(0);
  private readonly hiddenWork: Float64Array;
  // One step's rows: new rows, then replayed rows; sized for the largest step.
  private stepX = new Float32Array(0);
  private stepY = new Int32Array(0);

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
    this.pending = new RowQueue(this.d);
    this.buffer = new RowRing(this.d, params.bufferSize);
    this.replayRng = Random.derive(ctx.seed, 'mlp-replay');
    this.hiddenWork = new Float64Array(params.hiddenUnits);
    this.networkChanged();
  }

  get nClasses(): number {
    return this.k;
  }

  /** Which TensorFlow.js backend runs this network. */
  get backend(): TfjsBackendName {
    return this.tensorflow.backend;
  }

  /** Rows learned but not yet in the network: they are stepped on when miniBatchSize are pending, or a learn call of several rows ends. */
  get pendingRows(): number {
    return this.pending.rows;
  }

  /** Rows held for replay. */
  get bufferedRows(): number {
    return this.buffer.rows;
  }

  static async create(ctx: LearnerContext, params: Partial<MLPParams> = {}): Promise<MLPClassifier> {
    const tensorflow = await loadTensorflow();
    const full = { ...mlpDefaults, ...params };
    // Two output units at least: a stream may start with one class known; the spare unit is kept
    // out of the probabilities until used.
    const model = buildNetwork(tensorflow, ctx.nFeatures, Math.max(ctx.nClasses, 2), full, deriveSeed(ctx.seed, 'mlp'));
    return new MLPClassifier(tensorflow, model, ctx, full, ctx.seed);
  }

  learn(batch: Batch): void {
    const needed = classesNeeded(batch.y, this.k);
    if (needed > this.k) this.widen(needed);
    const n = batch.x.rows;
    if (n === 0) return;
    this.pending.push(batch.x.data, batch.y, n);
    if (n > 1) this.train(this.params.epochs);
    else if (this.pending.rows >= this.params.miniBatchSize) this.train(this.params.streamPasses);
  }

  /** Learns every pending row in `passes` passes of mini-batch steps with replay; then the rows join the buffer. */
  private train(passes: number): void {
    const { miniBatchSize, replaySize } = this.params;
    const n = this.pending.rows;
    const d = this.d;
    const px = this.pending.x;
    const py = this.pending.y;
    const steps = Math.ceil(n / miniBatchSize);
    const largest = Math.min(n, miniBatchSize) + Math.min(replaySize, this.buffer.rows);
    if (this.stepY.length < largest) {
      this.stepX = new Float32Array(largest * d);
      this.stepY = new Int32Array(largest);
    }
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let e = 0; e < passes; e++) {
      // One mini-batch is one step whatever its order; several are shuffled, as Keras's fit does.
      if (steps > 1) shuffleInPlace(order, this.replayRng);
      for (let s = 0; s < steps; s++) {
        const from = s * miniBatchSize;
        const to = Math.min(n, from + miniBatchSize);
        let rows = 0;
        for (let i = from; i < to; i++, rows++) {
          const r = order[i];
          this.stepX.set(px.subarray(r * d, r * d + d), rows * d);
          this.stepY[rows] = py[r];
        }
        rows += this.buffer.sampleInto(this.stepX, this.stepY, rows, Math.min(replaySize, this.buffer.rows), this.replayRng);
        this.step(rows);
      }
    }
    for (let i = 0; i < n; i++) this.buffer.push(px, py, i);
    this.pending.clear();
    this.copyWeights();
  }

  /** One Adam step on the first `rows` rows of the step arrays. */
  private step(rows: number): void {
    const { tf } = this.tensorflow;
    const [w1, b1, w2, b2] = this.variables;
    const activate = ACTIVATIONS[this.params.activation](tf);
    const units = this.outputUnits;
    const optimizer = this.model.optimizer;
    tf.tidy(() => {
      const xs = tf.tensor2d(this.stepX.subarray(0, rows * this.d), [rows, this.d]);
      const ys = tf.oneHot(tf.tensor1d(this.stepY.subarray(0, rows), 'int32'), units);
      // The loss on the logits (the softmax layer's input): the cross-entropy of the network's softmax, computed stably.
      optimizer.minimize(() => {
        const hidden = activate(tf.add(tf.matMul(xs, w1), b1));
        return tf.losses.softmaxCrossEntropy(ys, tf.add(tf.matMul(hidden, w2), b2)) as Scalar;
      }, false, this.variables);
    });
  }

  predictProba(x: Matrix): Float64Array {
    const { d, k } = this;
    const h = this.params.hiddenUnits;
    const units = this.outputUnits;
    const { w1, b1, w2, b2 } = this;
    const hidden = this.hiddenWork;
    const activation = this.params.activation;
    const out = new Float64Array(x.rows * k);
    const data = x.data;
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < h; j++) hidden[j] = b1[j];
      for (let i = 0; i < d; i++) {
        // As the network takes it: a float32 input.
        const xi = Math.fround(data[r * d + i]);
        if (xi === 0) continue;
        const o = i * h;
        for (let j = 0; j < h; j++) hidden[j] += xi * w1[o + j];
      }
      if (activation === 'relu') for (let j = 0; j < h; j++) hidden[j] = hidden[j] > 0 ? hidden[j] : 0;
      else if (activation === 'tanh') for (let j = 0; j < h; j++) hidden[j] = Math.tanh(hidden[j]);
      else for (let j = 0; j < h; j++) hidden[j] = 1 / (1 + Math.exp(-hidden[j]));
      // Only the known classes' logits: the softmax over them is the network's probabilities renormalised
      // over the known classes (the spare unit of a one-class start left out).
      const o = r * k;
      for (let c = 0; c < k; c++) {
        let z = b2[c];
        for (let j = 0; j < h; j++) z += hidden[j] * w2[j * units + c];
        out[o + c] = z;
      }
      softmaxInPlace(out, o, k);
    }
    return out;
  }

  /**
   * The network's probabilities as TensorFlow.js computes them (its predict,
   * float32 throughout): what predictProba gives in plain JavaScript, to
   * float32 rounding. Slower; for checking.
   */
  async predictProbaTensorflow(x: Matrix): Promise<Float64Array> {
    if (x.rows === 0) return new Float64Array(0);
    const { tf } = this.tensorflow;
    const out = tf.tidy(() => this.model.predict(tf.tensor2d(Float32Array.from(x.data), [x.rows, this.d])) as Tensor);
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
    const buffered = this.buffer.oldestFirst();
    return {
      json: {
        nFeatures: this.d,
        nClasses: this.k,
        classesGrown: this.classesGrown,
        adamBetaPowers,
        pending: { x: toNumbers(this.pending.x.subarray(0, this.pending.rows * this.d)), y: toNumbers(this.pending.y.subarray(0, this.pending.rows)) },
        buffer: { x: toNumbers(buffered.x), y: toNumbers(buffered.y) },
        replayRng: this.replayRng.getState(),
      },
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
    if (s.pending) mlp.pending.push(s.pending.x, Int32Array.from(s.pending.y), s.pending.y.length);
    if (s.buffer) {
      // A buffer saved under a larger bufferSize keeps its newest rows.
      const keep = Math.min(s.buffer.y.length, full.bufferSize);
      const skip = s.buffer.y.length - keep;
      const x = Float32Array.from(s.buffer.x.slice(skip * s.nFeatures));
      const y = Int32Array.from(s.buffer.y.slice(skip));
      for (let i = 0; i < keep; i++) mlp.buffer.push(x, y, i);
    }
    if (s.replayRng) mlp.replayRng.setState(s.replayRng);
    return mlp;
  }

  dispose(): void {
    this.model.dispose();
  }

  /** After the network was built or rebuilt: its variables, and their plain-JS copy. */
  private networkChanged(): void {
    this.variables = this.model.trainableWeights.map((w) => w.read() as Variable);
    this.copyWeights();
  }

  private copyWeights(): void {
    const [w1, b1, w2, b2] = this.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    this.w1 = w1;
    this.b1 = b1;
    this.w2 = w2;
    this.b2 = b2;
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
    this.networkChanged();
  }
}

type Tf = Tensorflow['tf'];
const ACTIVATIONS: Record<MLPParams['activation'], (tf: Tf) => (x: Tensor) => Tensor> = {
  relu: (tf) => (x) => tf.relu(x),
  tanh: (tf) => (x) => tf.tanh(x),
  sigmoid: (tf) => (x) => tf.sigmoid(x),
};

/** Fisher-Yates over an index array, in place. */
function shuffleInPlace(order: Int32Array, rng: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/** The k logits at v[o..o+k) as probabilities, in place, stably. */
function softmaxInPlace(v: Float64Array, o: number, k: number): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (v[o + c] > max) max = v[o + c];
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(v[o + c] - max);
    v[o + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) v[o + c] /= sum;
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
  // Compiled for the saved format (model.json's training config, the optimizer's state in weights.bin);
  // the steps call the optimizer directly, without fit's per-call machinery.
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
