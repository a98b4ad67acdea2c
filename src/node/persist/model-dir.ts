import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fail } from '../../core/errors.js';
import { useSha256 } from '../../core/sha256.js';
import '../mlp-loader.js';
import type { Model } from '../../learners/model.js';
import { RegressionModel } from '../../learners/regression-model.js';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, modelFiles, parseManifest, restoreAnySavedModel, restoreSavedModel, stateFileLimits, type AnyModel, type Manifest } from '../../model/saved-form.js';
import { assertReplaceableDir, replaceDirAtomic, writeFileSynced } from './atomic.js';
import { readModelFile } from './model-file.js';

export {
  MANIFEST_FILE,
  MODEL_FORMAT,
  FORMAT_VERSION,
  manifestChecksum,
  savedModelBytes,
  findNonFinite,
  type AnyModel,
  type Manifest,
} from '../../model/saved-form.js';

// Node's own SHA-256: the same digests as the core's pure-JavaScript one, several times faster.
useSha256((data) => createHash('sha256').update(data).digest('hex'));

/** Fails early, before any training, when `dir` exists and is not a model directory. */
export function assertModelDirWritable(dir: string, flag = '--out'): Promise<void> {
  return assertReplaceableDir(dir, MANIFEST_FILE, flag);
}

/**
 * Saves a model as a directory: manifest.json plus the learner's state files,
 * each listed in the manifest with its SHA-256. The directory is built under
 * a temporary name and renamed into place, manifest written last.
 */
export async function saveModel(model: AnyModel, dir: string): Promise<void> {
  await assertModelDirWritable(dir);
  const { files, manifest } = await modelFiles(model);
  await replaceDirAtomic(dir, async (tmp) => {
    for (const [name, data] of Object.entries(files)) await writeFileSynced(join(tmp, name), data);
    await writeFileSynced(join(tmp, MANIFEST_FILE), manifest);
  });
}

/**
 * Reads and checks a model directory's manifest, failing with one line
 * naming the fault: read as a bounded regular file (never through a
 * symbolic link), its checksum verified when it has one, its schema free of
 * duplicates, and every file it lists one the learner's format defines.
 */
export async function readManifest(dir: string): Promise<Manifest> {
  const bytes = await readModelFile(dir, MANIFEST_FILE, MAX_MANIFEST_BYTES);
  if (bytes === null) fail(`${dir}: no ${MANIFEST_FILE}; not a streamlearn model directory`);
  return parseManifest(bytes, join(dir, MANIFEST_FILE));
}

/** Reads a model directory's checked manifest and the state files it lists, each a bounded regular file. */
async function readSaved(dir: string): Promise<{ manifest: Manifest; files: Record<string, Uint8Array>; place: { model: string; part: (name: string) => string } }> {
  const manifest = await readManifest(dir);
  const limits = stateFileLimits(manifest.learner.name);
  const files: Record<string, Uint8Array> = {};
  for (const name of Object.keys(manifest.files)) {
    // readManifest admitted only the learner's own names, each with its bound.
    const data = await readModelFile(dir, name, limits.get(name)!);
    if (data !== null) files[name] = data;
  }
  return { manifest, files, place: { model: dir, part: (name) => join(dir, name) } };
}

/**
 * Loads a saved classifier's model directory. Only the files the manifest
 * lists and the format defines are read, each a bounded regular file; each
 * is checked against the manifest's checksum, so a changed or truncated file
 * fails loudly. A regressor's directory fails naming loadRegressionModel.
 */
export async function loadModel(dir: string): Promise<Model> {
  const { manifest, files, place } = await readSaved(dir);
  return restoreSavedModel(manifest, files, place);
}

/** loadModel for a regressor's model directory, with the same checks; a classifier's fails naming loadModel. */
export async function loadRegressionModel(dir: string): Promise<RegressionModel> {
  const model = await loadAnyModel(dir);
  if (!(model instanceof RegressionModel)) fail(`${dir}: a classifier's model (${model.learnerName}), not a regressor's; load it with loadModel`);
  return model;
}

/** Loads a model directory of either task (a Model or a RegressionModel, told apart by `task` or instanceof), with loadModel's checks. */
export async function loadAnyModel(dir: string): Promise<AnyModel> {
  const { manifest, files, place } = await readSaved(dir);
  return restoreAnySavedModel(manifest, files, place);
}
