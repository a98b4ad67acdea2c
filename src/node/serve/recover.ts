import { fail } from '../../core/errors.js';
import type { Model } from '../../learners/model.js';
import { loadAnyModel, MANIFEST_FILE, readManifest, type AnyModel, type Manifest } from '../persist/model-dir.js';
import { replayLearnLog, type LogReplay } from './learn-log.js';
import { finishInterruptedSave, modelIdentity } from './model-files.js';
import { join } from 'node:path';

/** A model as a served model directory holds it: its last save plus the acknowledged learn requests since. */
export interface RecoveredModel<M extends AnyModel = Model> {
  /** A classifier's Model (recoverModel), or either task's (recoverAnyModel: a RegressionModel for a regressor). */
  readonly model: M;
  /** The save it was loaded from (see modelIdentity). */
  readonly identity: string;
  readonly manifest: Manifest;
  /** The learn log's requests replayed on top of the save. */
  readonly replayed: LogReplay;
  /** Whether a save cut off between its renames was finished first. */
  readonly finishedSave: boolean;
}

export interface RecoverOptions {
  /**
   * Finish a save cut off between its renames (default true). A running
   * server reloading a new save turns it off: there a missing directory is
   * another process's save in progress, not a crash.
   */
  readonly finishInterruptedSave?: boolean;
  /**
   * A learn log record that cannot be replayed (see replayLearnLog):
   * 'refuse' (default) fails naming the log and line; 'keep-prefix' keeps
   * the requests before it and moves the rest of the log aside, as
   * `replayed.setAside` reports.
   */
  readonly learnLogRecovery?: 'refuse' | 'keep-prefix';
}

/** How often a load that raced a save into the same directory is tried again. */
const ATTEMPTS = 5;

/**
 * Loads a classifier's model directory the way `streamlearn serve` does:
 * finishes a save cut off by a crash (finishInterruptedSave), loads the
 * saved model and replays the learn log of a learning server (learnRecords,
 * request by request), so the model has every update the server
 * acknowledged. loadModel alone gives the last checkpoint. Reads only: the
 * directory is not changed unless a cut-off save is finished. A save that
 * replaces the directory while it is read is detected (the manifest
 * changed) and the load retried. A regressor's directory fails naming
 * recoverAnyModel, as loadModel names loadAnyModel.
 */
export async function recoverModel(dir: string, options: RecoverOptions = {}): Promise<RecoveredModel> {
  // recover() refuses a regressor's directory when asked for a classifier's, so the model is a Model.
  return (await recover(dir, options, true)) as RecoveredModel;
}

/** recoverModel for a model directory of either task: the model is a Model or a RegressionModel (told apart by `task`). */
export function recoverAnyModel(dir: string, options: RecoverOptions = {}): Promise<RecoveredModel<AnyModel>> {
  return recover(dir, options, false);
}

async function recover(dir: string, options: RecoverOptions, classifierOnly: boolean): Promise<RecoveredModel<AnyModel>> {
  const finishedSave = options.finishInterruptedSave === false ? false : await finishInterruptedSave(dir);
  for (let attempt = 1; ; attempt++) {
    const before = await modelIdentity(dir);
    if (before === null) fail(`${dir}: no ${MANIFEST_FILE}; not a streamlearn model directory`);
    let model: AnyModel;
    let manifest: Manifest;
    try {
      manifest = await readManifest(dir);
      if (classifierOnly && manifest.schema.task === 'regression') fail(`${dir}: a regression model (${manifest.learner.name}), not a classifier; recover it with recoverAnyModel`);
      model = await loadAnyModel(dir);
    } catch (err) {
      // A checksum mismatch or a vanished file while another save renames its directory in: read again.
      if (attempt < ATTEMPTS && (await modelIdentity(dir)) !== before) continue;
      throw err;
    }
    let replayed: LogReplay;
    try {
      replayed = await replayLearnLog(
        dir,
        before,
        async (rows) => {
          await model.learnRecords(rows);
        },
        { recovery: options.learnLogRecovery ?? 'refuse' },
      );
    } catch (err) {
      model.dispose();
      throw err;
    }
    if (replayed.setAside?.partial === true) {
      // The model threw part way through the record set aside and may hold some of it: load the save
      // again and replay the log, which now ends before that record, so the model is the prefix alone.
      model.dispose();
      const again = await recover(dir, { ...options, finishInterruptedSave: false }, classifierOnly);
      return { ...again, replayed: { ...again.replayed, setAside: replayed.setAside }, finishedSave };
    }
    if ((await modelIdentity(dir)) === before) return { model, identity: before, manifest, replayed, finishedSave };
    model.dispose();
    if (attempt === ATTEMPTS) fail(`${join(dir, MANIFEST_FILE)}: the model kept changing while it was loaded`);
  }
}
