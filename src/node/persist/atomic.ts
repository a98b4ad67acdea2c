import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fail } from '../../core/errors.js';
import { isErrno } from '../files/input.js';

/** A sibling path for work in progress; the same file system, so rename is atomic. */
function temporarySibling(path: string): string {
  const full = resolve(path);
  return join(dirname(full), `.${basename(full)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Checks, before any work is done, that `dir` may be (re)placed by a
 * directory of the given kind: it is absent, empty, or holds `marker`.
 * Refuses to replace anything else, so a mistyped --out never deletes a user's folder.
 */
export async function assertReplaceableDir(dir: string, marker: string, flag: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) fail(`${flag} ${dir}: exists and is not a directory`);
    entries = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  if (entries.length > 0 && !entries.includes(marker)) {
    fail(`${flag} ${dir}: exists and is not a streamlearn model directory (no ${marker}); refusing to replace it`);
  }
}

/**
 * Fills a new directory through `fill` in a temporary sibling, then swaps it
 * in for `dir`. An interrupted save leaves the old directory (or nothing) at
 * `dir`, never a partial one; a leftover temporary directory is ignored by
 * loaders, and removed by the next save into `dir` once its process is gone.
 */
export async function replaceDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const target = resolve(dir);
  await mkdir(dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  await mkdir(tmp);
  try {
    await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  // What stood at `dir` before (restored if the swap fails), and anything another writer put there meanwhile.
  const aside: string[] = [];
  for (let attempt = 0; ; attempt++) {
    // The first keeps the name a crash recovery looks for (see serve's finishInterruptedSave).
    const old = attempt === 0 ? `${tmp}.old` : `${tmp}.old${attempt}`;
    try {
      await rename(target, old);
      aside.push(old);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
    }
    try {
      await rename(tmp, target);
      break;
    } catch (err) {
      // Another writer (a server's checkpoint, a second run) swapped its directory in between our two
      // renames. The last writer wins, as it would had it come a moment later: move that one aside too.
      if ((isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) && attempt < 3) continue;
      if (aside.length > 0) await rename(aside[0], target).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  for (const old of aside) await rm(old, { recursive: true, force: true });
  await removeDeadLeftovers(target);
}

/** Whether process `pid` is running on this machine (EPERM: it is, but not ours to signal). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes what saves into `target` that were killed left beside it: the
 * temporary directories of replaceDirAtomic (`.NAME.tmp-PID-HEX`, its
 * `.old` partners) and of serve's checkpoints (`.NAME.tmp-checkpoint-PID-HEX`,
 * with the save into it, `..NAME.tmp-checkpoint-PID-HEX.tmp-PID-HEX`), whose
 * process PID is no longer running. A live process's are its save in
 * progress and stay. Runs only after a save has put a whole model in place,
 * so a pair that serve's finishInterruptedSave would complete is no longer
 * needed: the new save supersedes it. Best effort: tidying up never fails
 * the save that did it.
 */
export async function removeDeadLeftovers(target: string): Promise<string[]> {
  const parent = dirname(target);
  const name = escapeRegExp(basename(target));
  const leftover = new RegExp(`^\\.\\.?${name}\\.tmp-(?:checkpoint-)?(\\d+)-[0-9a-f]+(?:\\.tmp-\\d+-[0-9a-f]+)?(?:\\.old\\d*)?$`);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const alive = new Map<number, boolean>();
  for (const entry of entries) {
    const match = leftover.exec(entry);
    if (!match) continue;
    const pid = Number(match[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    if (!alive.has(pid)) alive.set(pid, processAlive(pid));
    if (alive.get(pid)) continue;
    try {
      await rm(join(parent, entry), { recursive: true, force: true });
      removed.push(entry);
    } catch {
      // Another save is removing it too, or it is not ours to remove: leave it.
    }
  }
  return removed;
}

/** Writes a file and flushes it to disk. */
export async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file whole or not at all: into a temporary sibling, flushed, then
 * renamed over `path`. A reader never sees a half-written report.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = temporarySibling(path);
  try {
    await writeFileSynced(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
