import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import * as v from 'valibot';
import { fail } from '../../core/errors.js';
import type { Model } from '../../learners/model.js';
import { RegressionModel } from '../../learners/regression-model.js';
import { assertModelDirWritable, loadAnyModel, MANIFEST_FILE, saveModel, type AnyModel } from '../persist/model-dir.js';
import { writeFileSynced } from '../persist/atomic.js';
import { backoffMs, brokerFailure, connectBroker, isTransient, retrying, sleep, type Broker, type Reporter } from './connection.js';
import { isNatsUrl, parseModelRef, type ModelRef } from './url.js';

/**
 * The model registry: saved models in JetStream's object store, and in its
 * key-value store the "current version" pointer. A reference
 * `nats://HOST:PORT/BUCKET/NAME` names object store BUCKET (stream
 * OBJ_BUCKET) and key NAME of key-value bucket BUCKET (stream KV_BUCKET).
 *
 * Saving uploads the model as one object under a name of its own
 * (`NAME/vN.<random>`), then moves the pointer to it with a compare-and-set
 * on the key's revision, so concurrent savers each get a version of their
 * own and no reader ever sees a pointer to a missing or partial object.
 * Older versions beyond `keep` are deleted after the pointer moved.
 *
 * A model of either task is stored alike (its manifest says which). The
 * loaders come in two kinds: loadModelFrom, loadModelVersion and
 * loadReplicas give a classifier's Model and refuse a regressor in one line;
 * loadAnyModelFrom, loadAnyModelVersion and loadAnyReplicas give either
 * (a Model or a RegressionModel, told apart by `task`).
 */

const BUNDLE_FORMAT = 'streamlearn-model-bundle';
const POINTER_FORMAT = 'streamlearn-registry-pointer';
/** Versions kept per model name unless told otherwise (the pointer's and the nine before it). */
export const DEFAULT_KEEP = 10;

const bundleSchema = v.object({
  format: v.literal(BUNDLE_FORMAT),
  formatVersion: v.literal(1),
  /** The model directory's files (manifest.json, state.json, ...), base64. */
  files: v.record(v.string(), v.string()),
});

const pointerSchema = v.object({
  format: v.literal(POINTER_FORMAT),
  version: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  object: v.string(),
  savedAt: v.string(),
  learner: v.string(),
  rows: v.nullable(v.number()),
  bytes: v.pipe(v.number(), v.safeInteger()),
  sha256: v.string(),
});

/** One version of a model in the registry, as the pointer records it. */
export interface RegistryVersion {
  /** The reference of this very version: `nats://HOST:PORT/BUCKET/NAME@N`. */
  readonly ref: string;
  readonly version: number;
  readonly savedAt: string;
  readonly learner: string;
  /** Rows the model learned (its training summary), if it says. */
  readonly rows: number | null;
  readonly bytes: number;
  readonly sha256: string;
  /** The object holding it. */
  readonly object: string;
}

/** How the registry functions connect; `broker` reuses an open connection to the same server. */
export interface RegistryOptions {
  readonly connectTimeout?: number;
  readonly report?: Reporter;
  readonly broker?: Broker;
  /** The flag messages name (default --out for saving, --model for loading). */
  readonly flag?: string;
}

/** Where saveModelTo put the model. */
export interface SavedModel {
  /** The directory, or the registry reference of the version written (`...@N`). */
  readonly location: string;
  /** The registry version, or null for a directory. */
  readonly version: number | null;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A saved model as one blob: its directory's files in a JSON document. Saving through saveModel keeps one format and its checks. */
async function bundle(model: AnyModel): Promise<Uint8Array> {
  const tmp = await mkdtemp(join(tmpdir(), 'streamlearn-bundle-'));
  try {
    const dir = join(tmp, 'model');
    await saveModel(model, dir);
    const files: Record<string, string> = {};
    for (const name of await readdir(dir)) files[name] = (await readFile(join(dir, name))).toString('base64');
    return new TextEncoder().encode(JSON.stringify({ format: BUNDLE_FORMAT, formatVersion: 1, files }));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Loads a bundle through a temporary directory, so loadAnyModel's checks (format, checksums) all apply. */
async function unbundle(data: Uint8Array, where: string): Promise<AnyModel> {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(data));
  } catch {
    fail(`${where}: the stored model is not valid JSON`);
  }
  const parsed = v.safeParse(bundleSchema, raw);
  if (!parsed.success) fail(`${where}: the stored object is not a streamlearn model bundle`);
  if (!parsed.output.files[MANIFEST_FILE]) fail(`${where}: the stored model has no ${MANIFEST_FILE}`);
  const tmp = await mkdtemp(join(tmpdir(), 'streamlearn-bundle-'));
  try {
    for (const [name, text] of Object.entries(parsed.output.files)) {
      if (name.includes('/') || name.includes('\\') || name.startsWith('.')) fail(`${where}: the stored model has a file named "${name}"`);
      await writeFileSynced(join(tmp, name), Buffer.from(text, 'base64'));
    }
    try {
      return await loadAnyModel(tmp);
    } catch (err) {
      // loadAnyModel names the temporary directory; name the registry instead.
      if (err instanceof Error) fail(`${where}: ${err.message.split(tmp).join('(stored model)')}`);
      throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function withBroker<T>(ref: ModelRef, options: RegistryOptions, flag: string, use: (broker: Broker) => Promise<T>): Promise<T> {
  if (options.broker) return use(options.broker);
  const broker = await connectBroker(ref, { flag, display: ref.display, connectTimeout: options.connectTimeout, report: options.report, name: 'streamlearn registry' });
  try {
    return await use(broker);
  } finally {
    await broker.close();
  }
}

async function bucketExists(broker: Broker, stream: string): Promise<boolean> {
  try {
    await broker.jsm.streams.info(stream);
    return true;
  } catch (err) {
    if (err instanceof Error && err.name === 'StreamNotFoundError') return false;
    throw err;
  }
}

/** The registry's two stores, made when `create` (saving), else failing with one line when absent. */
async function stores(broker: Broker, ref: ModelRef, flag: string, create: boolean): Promise<{ kv: KV; os: ObjectStore }> {
  const kvm = new Kvm(broker.nc);
  const objm = new Objm(broker.nc);
  const kvThere = await bucketExists(broker, `KV_${ref.bucket}`);
  const osThere = await bucketExists(broker, `OBJ_${ref.bucket}`);
  if (!create && (!kvThere || !osThere)) {
    fail(`${flag} ${ref.display}: no model registry "${ref.bucket}" on the server (save a model there first: --out ${ref.servers}/${ref.bucket}/${ref.name})`);
  }
  const kv = kvThere ? await kvm.open(ref.bucket) : await kvm.create(ref.bucket, { history: 5 });
  const os = osThere ? await objm.open(ref.bucket) : await objm.create(ref.bucket);
  return { kv, os };
}

function parsePointer(entry: KvEntry | null, ref: ModelRef, flag: string): v.InferOutput<typeof pointerSchema> | null {
  if (!entry || entry.operation !== 'PUT' || entry.length === 0) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(entry.string());
  } catch {
    fail(`${flag} ${ref.display}: the registry's pointer for "${ref.name}" is not valid JSON`);
  }
  const parsed = v.safeParse(pointerSchema, raw);
  if (!parsed.success) fail(`${flag} ${ref.display}: the registry's pointer for "${ref.name}" is not a streamlearn pointer`);
  return parsed.output;
}

function versionOf(ref: ModelRef, p: v.InferOutput<typeof pointerSchema>): RegistryVersion {
  return { ref: `${ref.servers}/${ref.bucket}/${ref.name}@${p.version}`, version: p.version, savedAt: p.savedAt, learner: p.learner, rows: p.rows, bytes: p.bytes, sha256: p.sha256, object: p.object };
}

/** Objects of a model's versions: `NAME/vN.<random>`. */
function versionObject(name: string, object: string): number | null {
  const prefix = `${name}/v`;
  if (!object.startsWith(prefix)) return null;
  const m = /^(\d+)\.[0-9a-f]+$/.exec(object.slice(prefix.length));
  return m ? Number(m[1]) : null;
}

/**
 * Fails early, before any training, when `out` cannot take a model: a
 * directory that is not a model's, or a malformed registry reference.
 */
export async function assertModelOutWritable(out: string, flag = '--out'): Promise<void> {
  if (isNatsUrl(out)) {
    const ref = parseModelRef(out, flag);
    if (ref.version !== undefined) fail(`${flag} ${out}: a model is saved as the next version; leave out "@${ref.version}"`);
    return;
  }
  await assertModelDirWritable(out, flag);
}

/**
 * Saves a model to a directory (atomically, see saveModel) or, for a
 * `nats://HOST:PORT/BUCKET/NAME` reference, as the next version in the
 * registry (see the module comment), keeping the last `keep` versions.
 */
export async function saveModelTo(model: AnyModel, out: string, options: RegistryOptions & { keep?: number } = {}): Promise<SavedModel> {
  const flag = options.flag ?? '--out';
  if (!isNatsUrl(out)) {
    await saveModel(model, out);
    return { location: out, version: null };
  }
  const ref = parseModelRef(out, flag);
  if (ref.version !== undefined) fail(`${flag} ${out}: a model is saved as the next version; leave out "@${ref.version}"`);
  const keep = options.keep ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 1) fail(`--keep must be an integer of at least 1, got ${keep}`);
  const data = await bundle(model);
  const digest = sha256(data);
  return withBroker(ref, options, flag, async (broker) => {
    const { kv, os } = await retrying(`opening registry ${ref.display}`, () => stores(broker, ref, flag, true), { report: options.report });
    for (let attempt = 0; ; attempt++) {
      const entry = await retrying(`reading ${ref.display}`, () => kv.get(ref.name), { report: options.report });
      const current = parsePointer(entry, ref, flag);
      const version = (current?.version ?? 0) + 1;
      const object = `${ref.name}/v${version}.${randomBytes(4).toString('hex')}`;
      await retrying(`uploading to ${ref.display}`, () => os.putBlob({ name: object }, data), { report: options.report });
      const pointer = {
        format: POINTER_FORMAT,
        version,
        object,
        savedAt: new Date().toISOString(),
        learner: model.learnerName,
        rows: model.summary?.rows ?? null,
        bytes: data.byteLength,
        sha256: digest,
      };
      try {
        if (entry && entry.operation === 'PUT') await kv.update(ref.name, JSON.stringify(pointer), entry.revision);
        else await kv.create(ref.name, JSON.stringify(pointer));
      } catch (err) {
        // The answer may have been lost with the connection after the pointer moved: if it names this object, it did.
        if (isTransient(err)) {
          const now = parsePointer(await retrying(`reading ${ref.display}`, () => kv.get(ref.name), { report: options.report }), ref, flag);
          if (now?.object !== object) {
            await os.delete(object).catch(() => undefined);
            if (attempt >= 20) throw brokerFailure(`moving the pointer of ${ref.display}`, err);
            continue;
          }
        } else {
          // Another saver moved the pointer first (or the key was deleted meanwhile): take the next version.
          await os.delete(object).catch(() => undefined);
          if (attempt >= 20 || !(err instanceof Error) || !/wrong last sequence|key exists/i.test(err.message)) throw brokerFailure(`moving the pointer of ${ref.display}`, err);
          continue;
        }
      }
      // Old versions go once the pointer has moved on; a reader holding one of them has its bytes already.
      const stale = (await retrying(`listing ${ref.display}`, () => os.list(), { report: options.report })).filter((info) => {
        const v = versionObject(ref.name, info.name);
        return v !== null && v <= version - keep;
      });
      for (const info of stale) await os.delete(info.name).catch(() => undefined);
      return { location: `${ref.servers}/${ref.bucket}/${ref.name}@${version}`, version };
    }
  });
}

/** A model and the registry version it came from (null for a directory). */
export interface LoadedModel<M extends AnyModel = Model> {
  readonly model: M;
  readonly version: RegistryVersion | null;
}

/**
 * The classifier a classifier-typed loader returns, or one line naming the
 * regressor found and the loader that takes it. A regressor loaded so far
 * holds nothing outside the heap, so nothing needs freeing.
 */
function classifierOnly(model: AnyModel, where: string, anyLoader: string): Model {
  if (model instanceof RegressionModel) fail(`${where}: a regression model (${model.learnerName}), not a classifier; load it with ${anyLoader}`);
  return model;
}

async function loadObject(broker: Broker, ref: ModelRef, os: ObjectStore, object: string, expected: string | null, flag: string, report?: Reporter): Promise<AnyModel> {
  const data = await retrying(`downloading from ${ref.display}`, () => os.getBlob(object), { report });
  if (!data) fail(`${flag} ${ref.display}: the registry lost the stored model (object ${object} is missing)`);
  if (expected !== null && sha256(data) !== expected) fail(`${flag} ${ref.display}: checksum mismatch of the stored model (object ${object})`);
  return unbundle(data, `${flag} ${ref.display}`);
}

/**
 * Loads a classifier from a directory or from the registry: its current
 * version, or the one `@N` names. Returns the version too. A regressor
 * fails in one line naming loadAnyModelVersion.
 */
export async function loadModelVersion(from: string, options: RegistryOptions = {}): Promise<LoadedModel> {
  const loaded = await loadAnyModelVersion(from, options);
  return { model: classifierOnly(loaded.model, `${options.flag ?? '--model'} ${from}`, 'loadAnyModelVersion'), version: loaded.version };
}

/** loadModelVersion for a model of either task: a Model or a RegressionModel (told apart by `task`), with the same checks. */
export async function loadAnyModelVersion(from: string, options: RegistryOptions = {}): Promise<LoadedModel<AnyModel>> {
  const flag = options.flag ?? '--model';
  if (!isNatsUrl(from)) return { model: await loadAnyModel(from), version: null };
  const ref = parseModelRef(from, flag);
  return withBroker(ref, options, flag, async (broker) => {
    const { kv, os } = await retrying(`opening registry ${ref.display}`, () => stores(broker, ref, flag, false), { report: options.report });
    const current = parsePointer(await retrying(`reading ${ref.display}`, () => kv.get(ref.name), { report: options.report }), ref, flag);
    if (ref.version === undefined || current?.version === ref.version) {
      if (!current) fail(`${flag} ${ref.display}: no model "${ref.name}" in registry "${ref.bucket}"`);
      return { model: await loadObject(broker, ref, os, current.object, current.sha256, flag, options.report), version: versionOf(ref, current) };
    }
    // An older version: its object is found by name; the pointer that named it is gone.
    const listed = await retrying(`listing ${ref.display}`, () => os.list(), { report: options.report });
    const objects = listed.filter((info) => versionObject(ref.name, info.name) === ref.version);
    if (objects.length === 0) {
      const kept = listed.map((info) => versionObject(ref.name, info.name)).filter((v): v is number => v !== null).sort((a, b) => a - b);
      fail(`${flag} ${ref.display}: no version ${ref.version} of "${ref.name}" (kept: ${kept.join(', ') || 'none'})`);
    }
    const info = objects[0];
    const model = await loadObject(broker, ref, os, info.name, null, flag, options.report);
    return {
      model,
      version: { ref: ref.display, version: ref.version, savedAt: info.mtime, learner: model.learnerName, rows: model.summary?.rows ?? null, bytes: info.size, sha256: '', object: info.name },
    };
  });
}

/** Loads a classifier from a directory or a `nats://HOST:PORT/BUCKET/NAME[@N]` reference; a regressor fails naming loadAnyModelFrom. */
export async function loadModelFrom(from: string, options: RegistryOptions = {}): Promise<Model> {
  return classifierOnly(await loadAnyModelFrom(from, options), `${options.flag ?? '--model'} ${from}`, 'loadAnyModelFrom');
}

/** Loads a model of either task from a directory or a `nats://HOST:PORT/BUCKET/NAME[@N]` reference (what predict and serve take). */
export async function loadAnyModelFrom(from: string, options: RegistryOptions = {}): Promise<AnyModel> {
  return (await loadAnyModelVersion(from, options)).model;
}

/** A running watch of a model's pointer. */
export interface RegistryWatch {
  /** The newest version reported so far (0 before any). */
  readonly version: number;
  /** Ends the watch and its connection. */
  stop(): Promise<void>;
}

/**
 * Called for each new version; `load` fetches it over the watch's
 * connection as a classifier (a regressor fails naming `loadAny`), and
 * `loadAny` fetches a model of either task.
 */
export type NewVersionHandler = (version: RegistryVersion, load: () => Promise<Model>, loadAny: () => Promise<AnyModel>) => void | Promise<void>;

/**
 * Watches a model's "current version" pointer (a key-value watch) and calls
 * `onNewVersion` for each version newer than `after` (default 0, so the
 * current version is reported first), in order, one call at a time. A serve
 * instance loads what it is told about and swaps it in: every instance
 * watching the name hot-reloads the newest version. The connection
 * reconnects by itself and the watch resumes; a failing handler is reported
 * and the watch goes on.
 */
export async function watchRegistry(
  from: string,
  onNewVersion: NewVersionHandler,
  options: RegistryOptions & { after?: number } = {},
): Promise<RegistryWatch> {
  const flag = options.flag ?? '--model';
  const ref = parseModelRef(from, flag);
  if (ref.version !== undefined) fail(`${flag} ${from}: a watch follows the current version; leave out "@${ref.version}"`);
  const report = options.report;
  const own = !options.broker;
  const broker = options.broker ?? (await connectBroker(ref, { flag, display: ref.display, connectTimeout: options.connectTimeout, report, name: 'streamlearn registry watch' }));
  let kv: KV;
  let os: ObjectStore;
  let watch: Awaited<ReturnType<KV['watch']>>;
  try {
    ({ kv, os } = await retrying(`opening registry ${ref.display}`, () => stores(broker, ref, flag, false), { report }));
    watch = await retrying(`watching ${ref.display}`, () => kv.watch({ key: ref.name }), { report });
  } catch (err) {
    if (own) await broker.close();
    throw err;
  }
  let last = options.after ?? 0;
  let stopped = false;
  const say = report ?? (() => undefined);
  const follow = async (): Promise<void> => {
    for await (const entry of watch) {
      if (stopped) break;
      let pointer;
      try {
        pointer = parsePointer(entry, ref, flag);
      } catch (err) {
        say((err as Error).message);
        continue;
      }
      if (!pointer || pointer.version <= last) continue;
      last = pointer.version;
      const p = pointer;
      const loadAny = (): Promise<AnyModel> => loadObject(broker, ref, os, p.object, p.sha256, flag, report);
      try {
        await onNewVersion(versionOf(ref, p), async () => classifierOnly(await loadAny(), `${flag} ${ref.display}@${p.version}`, "the handler's loadAny"), loadAny);
      } catch (err) {
        say(`${ref.display}: handling version ${p.version} failed: ${(err as Error).message}`);
      }
    }
  };
  // A watch that ends on its own (the server restarted, the watch's consumer was lost) is made again, with
  // backoff; it replays the current pointer, and versions already reported are skipped.
  const done = (async () => {
    for (let attempt = 0; !stopped; ) {
      try {
        await follow();
        attempt = 0;
      } catch (err) {
        say(`${ref.display}: the registry watch failed (${(err as Error).message})`);
      }
      if (stopped) break;
      const wait = backoffMs(attempt++);
      say(`${ref.display}: watching again in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait);
      if (stopped) break;
      try {
        watch = await kv.watch({ key: ref.name });
      } catch (err) {
        say(`${ref.display}: cannot watch the registry yet (${(err as Error).message})`);
      }
    }
  })();
  return {
    get version() {
      return last;
    },
    async stop() {
      stopped = true;
      watch.stop();
      await done;
      if (own) await broker.close();
    },
  };
}

/** Objects of a model's replicas: `NAME/replicas/<worker>`. */
const replicaPrefix = (name: string): string => `${name}/replicas/`;

/**
 * Stores a worker's model as its replica of NAME (one object per worker,
 * replaced each time): what the periodic merge in the workers combines.
 */
export async function putReplica(to: string, replica: string, model: AnyModel, options: RegistryOptions = {}): Promise<void> {
  const flag = options.flag ?? '--merge-into';
  const ref = parseModelRef(to, flag);
  if (!/^[A-Za-z0-9_.-]+$/.test(replica)) fail(`--name ${replica}: a worker's name may hold letters, digits, ., - and _ only`);
  const data = await bundle(model);
  await withBroker(ref, options, flag, async (broker) => {
    const { os } = await retrying(`opening registry ${ref.display}`, () => stores(broker, ref, flag, true), { report: options.report });
    await retrying(`uploading to ${ref.display}`, () => os.putBlob({ name: `${replicaPrefix(ref.name)}${replica}` }, data), { report: options.report });
  });
}

/** Every replica stored for NAME, by worker name, as classifiers; a regressor's replicas fail naming loadAnyReplicas. */
export async function loadReplicas(from: string, options: RegistryOptions = {}): Promise<{ replica: string; model: Model }[]> {
  const all = await loadAnyReplicas(from, options);
  const regressor = all.find((r) => r.model instanceof RegressionModel);
  if (regressor) {
    // The classifiers among them may hold TensorFlow.js memory (mlp): freed before failing.
    for (const r of all) r.model.dispose();
    classifierOnly(regressor.model, `${options.flag ?? '--replicas'} ${from} (replica ${regressor.replica})`, 'loadAnyReplicas');
  }
  return all as { replica: string; model: Model }[];
}

/** Every replica stored for NAME, by worker name: models of either task. */
export async function loadAnyReplicas(from: string, options: RegistryOptions = {}): Promise<{ replica: string; model: AnyModel }[]> {
  const flag = options.flag ?? '--replicas';
  const ref = parseModelRef(from, flag);
  return withBroker(ref, options, flag, async (broker) => {
    const { os } = await retrying(`opening registry ${ref.display}`, () => stores(broker, ref, flag, false), { report: options.report });
    const prefix = replicaPrefix(ref.name);
    const names = (await retrying(`listing ${ref.display}`, () => os.list(), { report: options.report })).map((i) => i.name).filter((n) => n.startsWith(prefix)).sort();
    const out: { replica: string; model: AnyModel }[] = [];
    for (const name of names) out.push({ replica: name.slice(prefix.length), model: await loadObject(broker, ref, os, name, null, flag, options.report) });
    return out;
  });
}
