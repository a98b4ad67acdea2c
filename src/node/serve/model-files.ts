import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isErrno } from '../files/input.js';
import { MANIFEST_FILE, readManifest, saveModel, type AnyModel, type Manifest } from '../persist/model-dir.js';
import { MAX_MANIFEST_BYTES, readModelFile } from '../persist/model-file.js';
import { removeDeadLeftovers } from '../persist/atomic.js';

/**
 * Which saved model a directory holds: the SHA-256 of its manifest.json. The
 * manifest lists every state file's checksum and the time of the save, so two
 * saves never share it; the server tells its own checkpoints from a training
 * run's save by it, and the learn log names the save it follows by it.
 * Null while there is no manifest (no model, or a save between its renames).
 */
export async function modelIdentity(dir: string): Promise<string | null> {
  // Read as the loader reads it: a regular file, not through a link, bounded.
  const manifest = await readModelFile(dir, MANIFEST_FILE, MAX_MANIFEST_BYTES);
  return manifest === null ? null : createHash('sha256').update(manifest).digest('hex');
}

/** Flushes a directory's entries (a rename or a new file in it) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Finishes a save that was cut off between its two renames. saveModel
 * (replaceDirAtomic) fills `.<name>.tmp-<pid>-<hex>` completely, renames the
 * old `<name>` to that name plus `.old`, then the new one to `<name>`; a
 * crash between the two leaves no `<name>` at all, with the complete new
 * model and the old one beside it. When `dir` is missing and such a pair is
 * there, the new one is renamed into place and the old one removed: what the
 * save would have done. Returns whether it did so. A temporary directory
 * without its `.old` partner is a save still filling (or one that failed
 * before any rename) and is left alone.
 */
export async function finishInterruptedSave(dir: string): Promise<boolean> {
  const target = resolve(dir);
  try {
    await stat(target);
    return false;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const parent = dirname(target);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  const prefix = `.${basename(target)}.tmp-`;
  const pairs = entries.filter((e) => e.startsWith(prefix) && !e.endsWith('.old') && entries.includes(`${e}.old`));
  if (pairs.length === 0) return false;
  // Two cut-off saves of one directory would need two crashes in the same instant; take the newest.
  const newest = (await Promise.all(pairs.map(async (e) => ({ e, t: (await stat(join(parent, e))).mtimeMs })))).sort((a, b) => b.t - a.t)[0].e;
  const complete = await modelIdentity(join(parent, newest));
  if (complete === null) return false;
  await rename(join(parent, newest), target);
  await syncDir(parent);
  await rm(join(parent, `${newest}.old`), { recursive: true, force: true });
  return true;
}

/** A checkpoint in place: which save it is, and its manifest. */
export interface SavedCheckpoint {
  readonly identity: string;
  readonly manifest: Manifest;
}

/**
 * Saves a checkpoint of `model` into `dir` unless another process has
 * saved a model there since this server's save `ours`: a training run's
 * save must never be overwritten by a checkpoint of the model it replaces.
 * saveModel's own replace cannot check that (it renames whatever is there
 * aside), so the model is saved complete under a temporary sibling name
 * first, then swapped in by two renames with checks between: the directory
 * moved aside must be `ours`, else it is put back; and a save that lands
 * between the two renames makes the second fail, and stays. Every step is a
 * rename, so `dir` always holds a whole model, or for an instant nothing
 * (finishInterruptedSave completes that after a crash, with the same names
 * as saveModel's). Returns the checkpoint's identity, read before it is
 * renamed in (afterwards `dir` may already hold another save), or null when
 * another save was found; then nothing of this server's is left in its
 * place. When it throws, `dir` is as it was.
 */
export async function saveCheckpoint(model: AnyModel, dir: string, ours: string): Promise<SavedCheckpoint | null> {
  const target = resolve(dir);
  const parent = dirname(target);
  const tmp = join(parent, `.${basename(target)}.tmp-checkpoint-${process.pid}-${randomBytes(4).toString('hex')}`);
  const aside = `${tmp}.old`;
  try {
    await saveModel(model, tmp);
    const identity = await modelIdentity(tmp);
    if (identity === null) throw new Error(`${tmp}: no manifest after saving`);
    const manifest = await readManifest(tmp);
    if ((await modelIdentity(target)) !== ours) return null;
    try {
      await rename(target, aside);
    } catch (err) {
      // Another save is between its own renames.
      if (isErrno(err, 'ENOENT')) return null;
      throw err;
    }
    if ((await modelIdentity(aside)) !== ours) {
      // A save landed between the check and the rename: it goes back (unless yet another is in place).
      await rename(aside, target).catch(() => undefined);
      return null;
    }
    try {
      await rename(tmp, target);
    } catch (err) {
      if (isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) {
        // A save landed between the two renames; it stays, and this server's previous save is not wanted.
        await rm(aside, { recursive: true, force: true });
        return null;
      }
      await rename(aside, target);
      throw err;
    }
    // In place: what follows only tidies up, and its failure must not make the caller think the save undone.
    await syncDir(parent).catch(() => undefined);
    await rm(aside, { recursive: true, force: true }).catch(() => undefined);
    await removeDeadLeftovers(target);
    return { identity, manifest };
  } finally {
    // Gone once renamed into place; otherwise the unused checkpoint.
    await rm(tmp, { recursive: true, force: true });
  }
}
