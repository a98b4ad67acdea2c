import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fail } from '../core/errors.js';
import type { Json } from '../core/state.js';
import { VERSION } from '../core/version.js';
import { isErrno } from '../data/input.js';
import type { Schema } from '../core/types.js';
import { learnerContext, Model, type TrainingSummary } from '../learners/model.js';
import { learnerDefinition } from '../learners/registry.js';
import { resolveParams } from '../core/params.js';
import { schemaColumns, type Transformer } from '../preprocess/contract.js';
import { restoreSteps } from '../preprocess/registry.js';
import { assertReplaceableDir, replaceDirAtomic, writeFileSynced } from './atomic.js';

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FORMAT = 'streamlearn-model';
export const FORMAT_VERSION = 1;
const STATE_FILE = 'state.json';

const paramValue = z.union([z.number(), z.string()]);

const manifestSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  createdBy: z.string(),
  savedAt: z.string(),
  learner: z.object({ name: z.string(), params: z.record(z.string(), paramValue), seed: z.number() }),
  schema: z.object({
    features: z.array(z.string()).min(1),
    label: z.string(),
    classes: z.array(z.string()),
    nominal: z.array(z.boolean()).optional(),
    categories: z.array(z.array(z.string()).nullable()).optional(),
    missing: z.boolean().optional(),
  }),
  // In order. `params` is absent in manifests written before there were
  // pipelines (a lone standard-scaler), which load with the defaults.
  preprocessing: z.array(z.object({ name: z.string(), params: z.record(z.string(), paramValue).optional(), state: z.unknown() })),
  summary: z
    .object({
      dataset: z.string(),
      protocol: z.enum(['batch-split', 'prequential', 'holdout']),
      rows: z.number(),
      batches: z.number(),
      accuracy: z.number(),
      meanAccuracy: z.number().nullable(),
      stdAccuracy: z.number().nullable(),
      seed: z.number(),
      batchSize: z.number(),
      testSize: z.number(),
      trainedAt: z.string(),
    })
    .nullable(),
  backend: z.string().nullable(),
  files: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int() })),
});

/** The manifest.json of a saved model: everything but the learned state itself. */
export type Manifest = z.infer<typeof manifestSchema>;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Fails early, before any training, when `dir` exists and is not a model directory. */
export function assertModelDirWritable(dir: string, flag = '--out'): Promise<void> {
  return assertReplaceableDir(dir, MANIFEST_FILE, flag);
}

/**
 * Saves a model as a directory: manifest.json plus the learner's state files,
 * each listed in the manifest with its SHA-256. The directory is built under
 * a temporary name and renamed into place, manifest written last.
 */
export async function saveModel(model: Model, dir: string): Promise<void> {
  await assertModelDirWritable(dir);
  const { files, manifest } = await modelFiles(model);
  await replaceDirAtomic(dir, async (tmp) => {
    for (const [name, data] of Object.entries(files)) await writeFileSynced(join(tmp, name), data);
    await writeFileSynced(join(tmp, MANIFEST_FILE), manifest);
  });
}

/**
 * The size in bytes of the model as saveModel writes it (state files and
 * manifest): the model's size as the reports give it over time.
 */
export async function savedModelBytes(model: Model): Promise<number> {
  // Checksums have a fixed length, so the size needs no hashing.
  const { files, manifest } = await modelFiles(model, false);
  let bytes = Buffer.byteLength(manifest);
  for (const data of Object.values(files)) bytes += data.byteLength;
  return bytes;
}

/** What saveModel writes: the state files and the manifest's text. */
async function modelFiles(model: Model, hash = true): Promise<{ files: Record<string, Uint8Array>; manifest: string }> {
  const state = await model.learner.saveState();
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
      ...(model.schema.nominal ? { nominal: [...model.schema.nominal] } : {}),
      ...(model.schema.categories ? { categories: model.schema.categories.map((c) => (c ? [...c] : null)) } : {}),
      ...(model.schema.missing ? { missing: true } : {}),
    },
    preprocessing: model.steps.map((step) => ({ name: step.name, params: { ...step.params }, state: step.getState() })),
    summary: model.summary,
    backend: model.backend,
    files: Object.fromEntries(Object.entries(files).map(([name, data]) => [name, { sha256: hash ? sha256(data) : '0'.repeat(64), bytes: data.byteLength }])),
  };
  return { files, manifest: JSON.stringify(manifest, null, 2) + '\n' };
}

/** Reads and checks a model directory's manifest, failing with one line naming the fault. */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
      fail(`${dir}: no ${MANIFEST_FILE}; not a streamlearn model directory`);
    }
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(`${path}: not valid JSON`);
  }
  const head = raw as { format?: unknown; formatVersion?: unknown };
  if (typeof raw !== 'object' || raw === null || head.format !== MODEL_FORMAT) {
    fail(`${path}: not a streamlearn model manifest (format is not "${MODEL_FORMAT}")`);
  }
  if (head.formatVersion !== FORMAT_VERSION) {
    fail(`${path}: model format version ${JSON.stringify(head.formatVersion)} is not supported (this streamlearn ${VERSION} reads version ${FORMAT_VERSION})`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`${path}: invalid manifest at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Loads a saved model directory. Every state file is checked against the
 * manifest's checksum first, so a changed or truncated file fails loudly.
 */
export async function loadModel(dir: string): Promise<Model> {
  const manifest = await readManifest(dir);
  const files: Record<string, Uint8Array> = {};
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    let data: Uint8Array;
    try {
      data = await readFile(path);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) fail(`${path}: missing (the manifest lists it)`);
      throw err;
    }
    if (data.byteLength !== expected.bytes || sha256(data) !== expected.sha256) {
      fail(`${path}: checksum mismatch (the file was changed or is corrupt)`);
    }
    files[name] = data;
  }
  const stateBytes = files[STATE_FILE];
  if (!stateBytes) fail(`${join(dir, MANIFEST_FILE)}: lists no ${STATE_FILE}`);
  const json = JSON.parse(new TextDecoder().decode(stateBytes)) as Json;
  const def = learnerDefinition(manifest.learner.name);
  const params = resolveParams(def, manifest.learner.params);
  const manifestPath = join(dir, MANIFEST_FILE);
  const schema: Schema = { ...manifest.schema, classes: [...manifest.schema.classes] };
  const d = schema.features.length;
  if (schema.nominal && schema.nominal.length !== d) fail(`${manifestPath}: schema has ${schema.nominal.length} nominal flags for ${d} features`);
  if (schema.categories) {
    if (schema.categories.length !== d) fail(`${manifestPath}: schema has ${schema.categories.length} category lists for ${d} features`);
    schema.categories.forEach((c, j) => {
      if ((c !== null) !== (schema.nominal?.[j] === true)) fail(`${manifestPath}: schema's categories and nominal flags disagree on "${schema.features[j]}"`);
    });
  }
  let steps: Transformer[];
  try {
    steps = restoreSteps(
      manifest.preprocessing.map((p) => ({ name: p.name, params: p.params, state: p.state as Json })),
      schemaColumns(schema),
    );
  } catch (err) {
    fail(`${manifestPath}: cannot restore the preprocessing: ${(err as Error).message}`);
  }
  const ctx = learnerContext(schema, steps, manifest.learner.seed);
  const { [STATE_FILE]: _, ...extra } = files;
  let learner;
  try {
    learner = await def.restore(ctx, params, { json, files: extra });
  } catch (err) {
    fail(`${dir}: cannot restore the ${def.name} state: ${(err as Error).message}`);
  }
  const model = new Model(def.name, params, manifest.learner.seed, schema, steps, learner);
  model.summary = manifest.summary as TrainingSummary | null;
  return model;
}
