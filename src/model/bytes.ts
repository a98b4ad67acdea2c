import { fail } from '../core/errors.js';
import type { Model } from '../learners/model.js';
import { RegressionModel } from '../learners/regression-model.js';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, modelFiles, parseManifest, restoreAnySavedModel, restoreSavedModel, stateFileLimits, type AnyModel, type Manifest, type SavedModelPlace } from './saved-form.js';

/**
 * A model as one run of bytes, for where there is no directory: a browser,
 * a web worker, an object store, a database field. It holds exactly what a
 * model directory holds (manifest.json and the state files, checksums
 * included) after a one-line header:
 *
 *     streamlearn-model-bytes 1\n
 *     {"files":[["manifest.json",N],["state.json",M],...]}\n
 *     <manifest.json's N bytes><state.json's M bytes>...
 */
const MAGIC = 'streamlearn-model-bytes 1\n';
/** The most bytes the file list may take: a few names and sizes. */
const MAX_INDEX_BYTES = 4096;

/** Saves a model as one run of bytes (see modelFromBytes); refuses, as saveModel does, a state that could not be loaded. */
export async function modelToBytes(model: AnyModel): Promise<Uint8Array> {
  const { files, manifest } = await modelFiles(model);
  const encoder = new TextEncoder();
  const parts: [string, Uint8Array][] = [[MANIFEST_FILE, encoder.encode(manifest)], ...Object.entries(files)];
  const head = encoder.encode(MAGIC + JSON.stringify({ files: parts.map(([name, data]) => [name, data.byteLength]) }) + '\n');
  const out = new Uint8Array(head.byteLength + parts.reduce((n, [, data]) => n + data.byteLength, 0));
  out.set(head, 0);
  let at = head.byteLength;
  for (const [, data] of parts) {
    out.set(data, at);
    at += data.byteLength;
  }
  return out;
}

/**
 * Loads a model from the bytes modelToBytes made, checked as a model
 * directory is (see loadModel): only the parts the format defines, each
 * within its size bound and matching its checksum, the schema against the
 * state. Bad bytes fail in one line naming `name` (how messages call the bytes).
 */
export async function modelFromBytes(bytes: Uint8Array, name = '<model bytes>'): Promise<Model> {
  const { manifest, files, place } = readBytes(bytes, name);
  return restoreSavedModel(manifest, files, place);
}

/** modelFromBytes for a regressor's model; a classifier's fails naming modelFromBytes. */
export async function regressionModelFromBytes(bytes: Uint8Array, name = '<model bytes>'): Promise<RegressionModel> {
  const model = await anyModelFromBytes(bytes, name);
  if (!(model instanceof RegressionModel)) fail(`${name}: a classifier's model (${model.learnerName}), not a regressor's; load it with modelFromBytes`);
  return model;
}

/** modelFromBytes for a model of either task (a Model or a RegressionModel). */
export async function anyModelFromBytes(bytes: Uint8Array, name = '<model bytes>'): Promise<AnyModel> {
  const { manifest, files, place } = readBytes(bytes, name);
  return restoreAnySavedModel(manifest, files, place);
}

/** The checked manifest and parts of a model's bytes. */
function readBytes(bytes: Uint8Array, name: string): { manifest: Manifest; files: Record<string, Uint8Array>; place: SavedModelPlace } {
  const magic = new TextEncoder().encode(MAGIC);
  if (bytes.byteLength < magic.byteLength || magic.some((b, i) => bytes[i] !== b)) fail(`${name}: not a streamlearn model (its bytes do not start with "${MAGIC.trim()}")`);
  const end = bytes.indexOf(0x0a, magic.byteLength);
  if (end < 0 || end - magic.byteLength > MAX_INDEX_BYTES) fail(`${name}: the model's file list is missing or longer than ${MAX_INDEX_BYTES} bytes`);
  let index: unknown;
  try {
    index = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(magic.byteLength, end)));
  } catch {
    fail(`${name}: the model's file list is not valid JSON`);
  }
  const list = (index as { files?: unknown }).files;
  if (!Array.isArray(list) || !list.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && Number.isSafeInteger(e[1]) && e[1] >= 0)) {
    fail(`${name}: the model's file list is not a list of [name, bytes] pairs`);
  }
  const parts = new Map<string, Uint8Array>();
  let at = end + 1;
  for (const [part, size] of list as [string, number][]) {
    if (parts.has(part)) fail(`${name}: lists ${JSON.stringify(part)} twice`);
    if (at + size > bytes.byteLength) fail(`${name}: ends before ${JSON.stringify(part)} does (truncated)`);
    parts.set(part, bytes.subarray(at, at + size));
    at += size;
  }
  if (at !== bytes.byteLength) fail(`${name}: ${bytes.byteLength - at} bytes after the last part`);
  const place = { model: name, part: (p: string) => `${name}: ${p}` };
  const manifestBytes = parts.get(MANIFEST_FILE);
  if (!manifestBytes) fail(`${name}: holds no ${MANIFEST_FILE}`);
  if (manifestBytes.byteLength > MAX_MANIFEST_BYTES) fail(`${place.part(MANIFEST_FILE)}: larger than the bound of ${MAX_MANIFEST_BYTES} bytes`);
  const manifest = parseManifest(manifestBytes, place.part(MANIFEST_FILE));
  const limits = stateFileLimits(manifest.learner.name);
  const files: Record<string, Uint8Array> = {};
  for (const [part, data] of parts) {
    if (part === MANIFEST_FILE) continue;
    // The manifest lists only the learner's own files (parseManifest checked); anything else is refused by name.
    if (!Object.hasOwn(manifest.files, part)) fail(`${place.part(part)}: not a part the manifest lists; refusing it`);
    if (data.byteLength > limits.get(part)!) fail(`${place.part(part)}: larger than its bound of ${limits.get(part)} bytes`);
    files[part] = data;
  }
  return { manifest, files, place };
}
