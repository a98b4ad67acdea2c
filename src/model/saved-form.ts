import * as v from 'valibot';
import { fail, StreamlearnError } from '../core/errors.js';
import { resolveParams, type Params } from '../core/params.js';
import { sha256 } from '../core/sha256.js';
import type { Schema } from '../core/types.js';
import { VERSION } from '../core/version.js';
import { mlpStateFiles } from '../learners/mlp-slot.js';
import { learnerContext, Model, type TrainingSummary } from '../learners/model.js';
import { learnerDefinition, learnerNames } from '../learners/registry.js';
import { RegressionModel, regressorContext, type RegressionTrainingSummary } from '../learners/regression-model.js';
import { isRegressorName, regressorDefinition, regressorNames } from '../learners/regressor-registry.js';
import { schemaColumns, type Transformer } from '../preprocess/contract.js';
import { restoreSteps } from '../preprocess/registry.js';
import { anything, checkWith, count, finiteNumber, integer, object, record, type Json } from '../core/state.js';

/**
 * A model's saved form, whatever holds it (a directory in Node, one file
 * of bytes anywhere): the manifest and the learner's state files, how they
 * are made from a model, checked, and turned back into one.
 */

/** The most bytes a manifest.json may have: it holds the schema and the preprocessing steps' state. */
export const MAX_MANIFEST_BYTES = 64 * 2 ** 20;
/**
 * The most bytes a JSON state file may have: V8's longest string (just
 * under 512 MiB), so every file within the bound can be decoded, and no
 * state that JSON.stringify could write is refused.
 */
export const MAX_JSON_STATE_BYTES = 0x1fffffe8;
/** The most bytes a binary state file (a network's weights) may have. */
export const MAX_BINARY_STATE_BYTES = 2 * 2 ** 30;

/** A size in words: "64 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GiB`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MiB`;
  return `${bytes} bytes`;
}

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FORMAT = 'streamlearn-model';
export const FORMAT_VERSION = 1;
export const STATE_FILE = 'state.json';

/**
 * The files a model directory of this learner may hold besides manifest.json,
 * and the most bytes each may have: nothing else is ever read from it.
 */
export function stateFileLimits(learner: string): ReadonlyMap<string, number> {
  const limits = new Map([[STATE_FILE, MAX_JSON_STATE_BYTES]]);
  if (learner === 'mlp') for (const name of mlpStateFiles) limits.set(name, name.endsWith('.json') ? MAX_JSON_STATE_BYTES : MAX_BINARY_STATE_BYTES);
  return limits;
}

/** How deep a manifest's JSON may nest: what streamlearn writes is a handful of levels. */
const MAX_MANIFEST_DEPTH = 64;

/**
 * The manifest's JSON in one canonical form: keys sorted, no white space,
 * numbers as JavaScript writes them. Its SHA-256 is the manifest's checksum,
 * so reformatting the file keeps it, and any change of content does not.
 */
/** Fails with a RangeError when `value` nests deeper than the manifest may; iterative, so any depth is safe to measure. */
function checkDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_MANIFEST_DEPTH) throw new RangeError(`nested more than ${MAX_MANIFEST_DEPTH} deep`);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
}

function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_MANIFEST_DEPTH) throw new RangeError(`nested more than ${MAX_MANIFEST_DEPTH} deep`);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The checksum a manifest carries in its `checksum` field: the SHA-256 of
 * its canonical JSON without that field. The manifest lists every state
 * file's SHA-256, so this identifies the whole model. Exported for tools
 * (and tests) that edit a manifest on purpose and must sign it again.
 */
export function manifestChecksum(manifest: object): string {
  const { checksum: _, ...content } = manifest as { checksum?: unknown };
  checkDepth(content);
  // Through JSON text, as the loader sees it: undefined fields vanish, -0 is 0.
  return sha256(new TextEncoder().encode(canonicalJson(JSON.parse(JSON.stringify(content)))));
}

const paramValue = v.union([finiteNumber, v.string()]);
const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 as 64 lowercase hex digits'));

const manifestSchema = object({
  format: v.literal(MODEL_FORMAT),
  formatVersion: v.literal(FORMAT_VERSION),
  createdBy: v.string(),
  savedAt: v.string(),
  learner: object({ name: v.string(), params: record(paramValue), seed: finiteNumber }),
  schema: object({
    features: v.pipe(v.array(v.string()), v.minLength(1)),
    label: v.string(),
    classes: v.array(v.string()),
    // Absent: classification (every manifest written before regression).
    task: v.optional(v.literal('regression')),
    nominal: v.optional(v.array(v.boolean())),
    categories: v.optional(v.array(v.nullable(v.array(v.string())))),
    missing: v.optional(v.boolean()),
  }),
  // In order. `params` is absent in manifests written before there were
  // pipelines (a lone standard-scaler), which load with the defaults.
  preprocessing: v.array(object({ name: v.string(), params: v.optional(record(paramValue)), state: anything })),
  summary: v.nullable(
    v.union([
      object({
        dataset: v.string(),
        protocol: v.picklist(['batch-split', 'prequential', 'holdout']),
        rows: finiteNumber,
        batches: finiteNumber,
        accuracy: finiteNumber,
        meanAccuracy: v.nullable(finiteNumber),
        stdAccuracy: v.nullable(finiteNumber),
        seed: finiteNumber,
        batchSize: finiteNumber,
        testSize: finiteNumber,
        trainedAt: v.string(),
        sequences: v.optional(v.array(v.strictTuple([count, count]))),
      }),
      object({
        task: v.literal('regression'),
        dataset: v.string(),
        protocol: v.picklist(['batch-split', 'prequential', 'holdout']),
        rows: finiteNumber,
        batches: finiteNumber,
        mae: finiteNumber,
        rmse: finiteNumber,
        r2: v.nullable(finiteNumber),
        seed: finiteNumber,
        batchSize: finiteNumber,
        testSize: finiteNumber,
        trainedAt: v.string(),
        sequences: v.optional(v.array(v.strictTuple([count, count]))),
      }),
    ]),
  ),
  backend: v.nullable(v.string()),
  files: record(object({ sha256: sha256Hex, bytes: integer })),
  // Absent in manifests saved before it existed (same format version); see manifestChecksum.
  checksum: v.optional(sha256Hex),
});

/** The manifest.json of a saved model: everything but the learned state itself. */
export type Manifest = v.InferOutput<typeof manifestSchema>;

/** A saved model of either task: a classifier's Model or a regressor's RegressionModel. */
export type AnyModel = Model | RegressionModel;

/**
 * The size in bytes of the model as saveModel writes it (state files and
 * manifest): the model's size as the reports give it over time.
 */
export async function savedModelBytes(model: AnyModel): Promise<number> {
  // Checksums have a fixed length, so the size needs no hashing.
  const { files, manifest } = await modelFiles(model, false);
  let bytes = new TextEncoder().encode(manifest).byteLength;
  for (const data of Object.values(files)) bytes += data.byteLength;
  return bytes;
}

/**
 * The path, from `root`, of the first number in `value` that JSON cannot
 * hold (NaN, Infinity, -Infinity; JSON.stringify would write null), with
 * the number; null when there is none. Iterative: tree states nest deep.
 */
export function findNonFinite(value: unknown, root: string): { path: string; value: number } | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) return { path, value: node };
    } else if (Array.isArray(node) || ArrayBuffer.isView(node)) {
      const items = node as ArrayLike<unknown>;
      for (let i = items.length - 1; i >= 0; i--) stack.push([items[i], `${path}[${i}]`]);
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) stack.push([(node as Record<string, unknown>)[keys[i]], `${path}.${keys[i]}`]);
    }
  }
  return null;
}

/** Fails, naming who and where, when `value` holds a number JSON cannot: such a model could never be loaded. */
function assertFinite(value: unknown, who: string, root: string): void {
  const bad = findNonFinite(value, root);
  if (bad) fail(`${who}: ${bad.path} is ${bad.value}; not saved (the previous model, if any, is left as it was)`);
}

/**
 * The same check for a TensorFlow.js network's weights.bin, weight by weight
 * as model.json lays them out: NaN weights load, but every prediction from
 * them is NaN.
 */
function assertFiniteWeights(learner: string, files: Readonly<Record<string, Uint8Array>>): void {
  const topology = files['model.json'];
  const weights = files['weights.bin'];
  if (!topology || !weights) return;
  const specs = (JSON.parse(new TextDecoder().decode(topology)) as { weightsManifest: { weights: { name: string; shape: number[]; dtype: string }[] }[] }).weightsManifest.flatMap(
    (group) => group.weights,
  );
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    // Only 4-byte types lie at offsets this can compute; a network of others is not checked past them.
    if ((spec.dtype !== 'float32' && spec.dtype !== 'int32') || offset + 4 * n > weights.byteLength) return;
    if (spec.dtype === 'float32') {
      for (let i = 0; i < n; i++) {
        const v = view.getFloat32(offset + 4 * i, true);
        if (!Number.isFinite(v)) fail(`${learner}: weights.bin ${spec.name}[${i}] is ${v}; not saved (the previous model, if any, is left as it was)`);
      }
    }
    offset += 4 * n;
  }
}

/**
 * What saveModel writes: the state files and the manifest's text. With
 * `hash`, as for a save, every number is checked to be finite and the
 * manifest signed; without, only the sizes are right.
 */
export async function modelFiles(model: AnyModel, hash = true): Promise<{ files: Record<string, Uint8Array>; manifest: string }> {
  const state = await model.learner.saveState();
  if (hash) {
    assertFinite(state.json, model.learnerName, 'state');
    if (state.files) assertFiniteWeights(model.learnerName, state.files);
    model.steps.forEach((step, i) => assertFinite(step.getState(), `${step.name} (preprocessing step ${i + 1})`, 'state'));
  }
  const files: Record<string, Uint8Array> = {
    [STATE_FILE]: new TextEncoder().encode(JSON.stringify(state.json)),
    ...(state.files ?? {}),
  };
  const manifest: Manifest = {
    format: MODEL_FORMAT,
    formatVersion: FORMAT_VERSION,
    createdBy: `streamlearn ${VERSION}`,
    savedAt: new Date().toISOString(),
    learner: { name: model.learnerName, params: { ...model.params }, seed: model.seed },
    schema: {
      features: [...model.schema.features],
      label: model.schema.label,
      classes: [...model.schema.classes],
      ...(model.schema.task === 'regression' ? { task: 'regression' as const } : {}),
      ...(model.schema.nominal ? { nominal: [...model.schema.nominal] } : {}),
      ...(model.schema.categories ? { categories: model.schema.categories.map((c) => (c ? [...c] : null)) } : {}),
      ...(model.schema.missing ? { missing: true } : {}),
    },
    preprocessing: model.steps.map((step) => ({ name: step.name, params: { ...step.params }, state: step.getState() })),
    summary: model.summary,
    backend: model.backend,
    files: Object.fromEntries(Object.entries(files).map(([name, data]) => [name, { sha256: hash ? sha256(data) : '0'.repeat(64), bytes: data.byteLength }])),
  };
  if (hash) {
    assertFinite(manifest.learner.params, model.learnerName, 'params');
    assertFinite(manifest.summary, 'the training summary', 'summary');
  }
  manifest.checksum = hash ? manifestChecksum(manifest) : '0'.repeat(64);
  const text = JSON.stringify(manifest, null, 2) + '\n';
  // Only a real save is refused: the size reports (hash off) measure a model however large it is.
  const textBytes = new TextEncoder().encode(text).byteLength;
  if (hash && textBytes > MAX_MANIFEST_BYTES) {
    fail(`${MANIFEST_FILE} would have ${textBytes} bytes, more than the ${formatBytes(MAX_MANIFEST_BYTES)} a loader reads; not saved`);
  }
  return { files, manifest: text };
}

/** The first value that appears twice in `values`, or undefined. */
function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}

/**
 * Why `name`, a key of the manifest's `files`, may not be read, or null when
 * it is one of the learner's own files. Decided by the name alone, before
 * the file system is touched, so the answer never tells whether some path
 * outside the directory exists.
 */
function refusedFileName(name: string, allowed: ReadonlyMap<string, number>, learner: string): string | null {
  if (allowed.has(name)) return null;
  if (name === '' || name === '.' || name === '..' || /[\\/]/.test(name) || name.includes('\0')) {
    return 'not a file name inside the model directory';
  }
  return `not a file the ${learner} format defines (${[...allowed.keys()].join(', ')})`;
}

/** Checks what the manifest's schema cannot: names unique, nominal flags and category lists one per feature and agreeing. */
function checkSchema(schema: Manifest['schema'], path: string): void {
  const d = schema.features.length;
  const feature = firstDuplicate(schema.features);
  if (feature !== undefined) fail(`${path}: schema.features lists "${feature}" twice`);
  const cls = firstDuplicate(schema.classes);
  if (cls !== undefined) fail(`${path}: schema.classes lists "${cls}" twice`);
  if (schema.nominal && schema.nominal.length !== d) fail(`${path}: schema has ${schema.nominal.length} nominal flags for ${d} features`);
  if (schema.categories) {
    if (schema.categories.length !== d) fail(`${path}: schema has ${schema.categories.length} category lists for ${d} features`);
    schema.categories.forEach((c, j) => {
      if ((c !== null) !== (schema.nominal?.[j] === true)) fail(`${path}: schema's categories and nominal flags disagree on "${schema.features[j]}"`);
      const twice = c ? firstDuplicate(c) : undefined;
      if (twice !== undefined) fail(`${path}: schema.categories of "${schema.features[j]}" lists "${twice}" twice`);
    });
  }
}

/**
 * Predicts one row (every feature 0, category code 0) with a restored model:
 * a state whose parts passed their checks but do not fit together (a tree
 * node without its class counts, an array a step or learner indexes past)
 * fails here, at load, in one line, rather than at the first prediction.
 */
async function probe(model: AnyModel, dir: string): Promise<void> {
  const d = model.schema.features.length;
  if (model instanceof RegressionModel) {
    let predicted: Float64Array;
    try {
      predicted = model.predict({ data: new Float64Array(d), rows: 1, cols: d });
    } catch (err) {
      fail(`${dir}: the saved ${model.learnerName} state cannot predict: ${(err as Error).message.split('\n')[0]}`);
    }
    if (predicted.length !== 1) fail(`${dir}: the saved ${model.learnerName} state predicts ${predicted.length} values for one row`);
    return;
  }
  let proba: Float64Array;
  try {
    proba = await model.predictProba({ data: new Float64Array(d), rows: 1, cols: d });
  } catch (err) {
    model.dispose();
    fail(`${dir}: the saved ${model.learnerName} state cannot predict: ${(err as Error).message.split('\n')[0]}`);
  }
  // Not whether they are finite: a legit model may give NaN for some rows (zero variance without smoothing).
  const k = model.schema.classes.length;
  if (proba.length !== k) {
    model.dispose();
    fail(`${dir}: the saved ${model.learnerName} state predicts no probabilities over the ${k} classes`);
  }
}

/**
 * Checks a manifest's bytes, failing with one line naming `path` and the
 * fault: JSON of bounded depth, this format and version, its checksum
 * verified when it has one, its schema free of duplicates, and every file it
 * lists one the learner's format defines.
 */
export function parseManifest(bytes: Uint8Array, path: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail(`${path}: not valid JSON`);
  }
  try {
    checkDepth(raw);
  } catch (err) {
    if (err instanceof RangeError) fail(`${path}: invalid manifest: ${err.message}`);
    throw err;
  }
  const head = raw as { format?: unknown; formatVersion?: unknown; checksum?: unknown };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || head.format !== MODEL_FORMAT) {
    fail(`${path}: not a streamlearn model manifest (format is not "${MODEL_FORMAT}")`);
  }
  if (head.formatVersion !== FORMAT_VERSION) {
    fail(`${path}: model format version ${JSON.stringify(head.formatVersion)} is not supported (this streamlearn ${VERSION} reads version ${FORMAT_VERSION})`);
  }
  if (head.checksum !== undefined) {
    let expected: string;
    try {
      expected = manifestChecksum(raw);
    } catch (err) {
      if (err instanceof RangeError) fail(`${path}: invalid manifest: ${err.message}`);
      throw err;
    }
    if (head.checksum !== expected) fail(`${path}: manifest checksum mismatch (${MANIFEST_FILE} was changed after it was saved, or is corrupt)`);
  }
  const checked = checkWith(manifestSchema, raw);
  if (!checked.ok) fail(`${path}: invalid manifest at ${checked.problem}`);
  const manifest = checked.value;
  const regressor = isRegressorName(manifest.learner.name);
  if (!learnerNames.includes(manifest.learner.name) && !regressor) {
    fail(`${path}: learner.name ${JSON.stringify(manifest.learner.name)} is not a learner of this streamlearn (learners: ${learnerNames.join(', ')}; regressors: ${regressorNames.join(', ')})`);
  }
  if (regressor !== (manifest.schema.task === 'regression')) {
    fail(`${path}: learner.name ${JSON.stringify(manifest.learner.name)} is a ${regressor ? 'regressor' : 'classifier'}, but schema.task says ${manifest.schema.task ?? 'classification'}`);
  }
  if (regressor && manifest.schema.classes.length > 0) fail(`${path}: a regression model's schema.classes must be empty`);
  if (manifest.summary !== null && ('task' in manifest.summary) !== regressor) fail(`${path}: summary is not a ${regressor ? 'regression' : 'classification'} run's`);
  checkSchema(manifest.schema, path);
  const allowed = stateFileLimits(manifest.learner.name);
  for (const name of Object.keys(manifest.files)) {
    const why = refusedFileName(name, allowed, manifest.learner.name);
    if (why) fail(`${path}: files lists ${JSON.stringify(name)}, ${why}; refusing to read it`);
  }
  if (!Object.hasOwn(manifest.files, STATE_FILE)) fail(`${path}: lists no ${STATE_FILE}`);
  return manifest;
}

/** Where a saved model's parts are, for messages: a directory and its files, or one file of bytes and its parts. */
export interface SavedModelPlace {
  /** The model as a whole: its directory, or its file. */
  readonly model: string;
  /** One of its parts by name (manifest.json, state.json, ...). */
  part(name: string): string;
}

/**
 * Restores a model from its checked manifest and its state files (each read
 * by the caller within stateFileLimits). Every file is checked against the
 * manifest's checksum, the state against the schema, and one row is
 * predicted; any fault fails in one line naming `place`.
 */
export async function restoreSavedModel(manifest: Manifest, stateFiles: Readonly<Record<string, Uint8Array | undefined>>, place: SavedModelPlace): Promise<Model> {
  const model = await restoreAnySavedModel(manifest, stateFiles, place);
  if (model instanceof RegressionModel) {
    fail(`${place.model}: a regression model (${model.learnerName}), not a classifier; load it with loadRegressionModel or loadAnyModel (regressionModelFromBytes, anyModelFromBytes)`);
  }
  return model;
}

/** restoreSavedModel for a model of either task: a RegressionModel when the manifest is a regressor's. */
export async function restoreAnySavedModel(manifest: Manifest, stateFiles: Readonly<Record<string, Uint8Array | undefined>>, place: SavedModelPlace): Promise<AnyModel> {
  const dir = place.model;
  const manifestPath = place.part(MANIFEST_FILE);
  const files: Record<string, Uint8Array> = {};
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = place.part(name);
    const data = stateFiles[name];
    if (data === undefined) fail(`${path}: missing (the manifest lists it)`);
    if (data.byteLength !== expected.bytes || sha256(data) !== expected.sha256) {
      fail(`${path}: checksum mismatch (the file was changed or is corrupt)`);
    }
    files[name] = data;
  }
  let json: Json;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(files[STATE_FILE])) as Json;
  } catch {
    fail(`${place.part(STATE_FILE)}: not valid JSON`);
  }
  const def = isRegressorName(manifest.learner.name) ? regressorDefinition(manifest.learner.name) : learnerDefinition(manifest.learner.name);
  let params: Params;
  try {
    params = resolveParams(def, manifest.learner.params);
  } catch (err) {
    // resolveParams speaks of the --param flag; here the value came from the manifest.
    if (err instanceof StreamlearnError) fail(`${manifestPath}: learner.params: ${err.message.replace(/^--param /, '')}`);
    throw err;
  }
  const schema: Schema = { ...manifest.schema, classes: [...manifest.schema.classes] };
  let steps: Transformer[];
  try {
    steps = restoreSteps(
      manifest.preprocessing.map((p) => ({ name: p.name, params: p.params, state: p.state as Json })),
      schemaColumns(schema),
    );
  } catch (err) {
    fail(`${manifestPath}: cannot restore the preprocessing: ${(err as Error).message}`);
  }
  const { [STATE_FILE]: _, ...extra } = files;
  if (def.task === 'regression') {
    let regressor;
    try {
      regressor = def.restore(regressorContext(schema, steps, manifest.learner.seed), params, { json, files: extra });
    } catch (err) {
      fail(`${dir}: cannot restore the ${def.name} state: ${(err as Error).message}`);
    }
    const model = new RegressionModel(def.name, params, manifest.learner.seed, schema, steps, regressor);
    model.summary = manifest.summary as RegressionTrainingSummary | null;
    await probe(model, dir);
    return model;
  }
  const ctx = learnerContext(schema, steps, manifest.learner.seed);
  let learner;
  try {
    learner = await def.restore(ctx, params, { json, files: extra });
  } catch (err) {
    fail(`${dir}: cannot restore the ${def.name} state: ${(err as Error).message}`);
  }
  // A learner may know fewer classes than the schema (those it has not learned yet score 0), never more.
  if (learner.nClasses > schema.classes.length) {
    learner.dispose?.();
    fail(`${manifestPath}: schema.classes lists ${schema.classes.length} classes, but the saved ${def.name} state knows ${learner.nClasses}`);
  }
  const model = new Model(def.name, params, manifest.learner.seed, schema, steps, learner);
  model.summary = manifest.summary as TrainingSummary | null;
  await probe(model, dir);
  return model;
}
