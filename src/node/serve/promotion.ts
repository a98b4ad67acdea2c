import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fail } from '../../core/errors.js';
import { isErrno } from '../files/input.js';
import { readManifest, saveModel, type AnyModel } from '../persist/model-dir.js';
import { RequestError } from './http-errors.js';
import { modelIdentity, syncDir, type SavedCheckpoint } from './model-files.js';

const FORMAT = 'streamlearn-promotion';
const VERSION = 1;

/**
 * The write-ahead record of a promotion in progress: beside the champion's
 * directory, `.<name>.promotion.json`. Its presence means both new
 * directories are complete on disk and the swap must be finished.
 */
export function promotionRecordPath(championDir: string): string {
  const target = resolve(championDir);
  return join(dirname(target), `.${basename(target)}.promotion.json`);
}

/** One directory of a promotion: `from` (complete, beside `to`) replaces `to`. */
interface Move {
  readonly from: string;
  readonly to: string;
}

const exists = async (path: string): Promise<boolean> => {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
};

/**
 * Puts `from` in place of `to`; safe to run again after a crash at any
 * point: `to` goes aside to `from.old` first, and what is aside is removed
 * only once `from` is in place (the same names as saveModel's two renames,
 * so finishInterruptedSave would complete a move cut off between them too).
 */
async function finishMove(move: Move): Promise<void> {
  const aside = `${move.from}.old`;
  if (await exists(move.from)) {
    if (await exists(move.to)) await rename(move.to, aside);
    await rename(move.from, move.to);
    await syncDir(dirname(move.to));
  }
  await rm(aside, { recursive: true, force: true });
}

/** A temporary sibling of `dir` for a model being saved, named as serve's checkpoints name theirs (removeDeadLeftovers knows it). */
const sibling = (dir: string): string => join(dirname(dir), `.${basename(dir)}.tmp-checkpoint-${process.pid}-${randomBytes(4).toString('hex')}`);

/** Saves `model` into a new sibling of `dir`; its path and what the save is. */
async function saveBeside(dir: string, model: AnyModel): Promise<{ path: string; saved: SavedCheckpoint }> {
  const path = sibling(dir);
  await saveModel(model, path);
  const identity = await modelIdentity(path);
  if (identity === null) throw new Error(`${path}: no manifest after saving`);
  return { path, saved: { identity, manifest: await readManifest(path) } };
}

async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** A directory of a promotion: which it is, the save this server last wrote or loaded there, and the model that will replace it. */
export interface PromotionSide {
  readonly dir: string;
  readonly ours: string;
  readonly incoming: AnyModel;
}

/**
 * Swaps two served models on disk: `a.dir` ends up holding `a.incoming`
 * and `b.dir` holding `b.incoming`, each as a fresh save (so the learn log
 * each directory had is superseded: the models hold every row learned).
 * Both saves are made complete beside their directories first; then the
 * promotion record (beside `a.dir`) is written and flushed: the commit
 * point. Only then are the directories renamed, and the record removed. A
 * crash before the record leaves both directories as they were (the
 * temporary saves are tidied by the next save); a crash after it is
 * finished by finishPromotion at the next start, so the promotion is never
 * half done. Refuses with 409 when a directory no longer holds `ours`
 * (another save replaced it: the reloader will serve that one).
 */
export async function exchangeModelDirs(a: PromotionSide, b: PromotionSide): Promise<{ readonly a: SavedCheckpoint; readonly b: SavedCheckpoint }> {
  const dirA = resolve(a.dir);
  const dirB = resolve(b.dir);
  const made: string[] = [];
  const record = promotionRecordPath(dirA);
  try {
    const intoA = await saveBeside(dirA, a.incoming);
    made.push(intoA.path);
    const intoB = await saveBeside(dirB, b.incoming);
    made.push(intoB.path);
    for (const side of [a, b]) {
      if ((await modelIdentity(side.dir)) !== side.ours) {
        throw new RequestError(409, `${side.dir}: another save has replaced this model directory; not promoting (the server reloads that save)`);
      }
    }
    const moves: Move[] = [
      { from: intoA.path, to: dirA },
      { from: intoB.path, to: dirB },
    ];
    const tmp = `${record}.tmp-${process.pid}`;
    await writeSynced(tmp, JSON.stringify({ format: FORMAT, version: VERSION, moves }) + '\n');
    await rename(tmp, record);
    await syncDir(dirname(record));
    made.length = 0;
    for (const move of moves) await finishMove(move);
    await rm(record, { force: true });
    await syncDir(dirname(record));
    return { a: intoA.saved, b: intoB.saved };
  } finally {
    // Before the commit point: the temporary saves are not wanted.
    for (const path of made) await rm(path, { recursive: true, force: true });
  }
}

/** Whether `from` is what exchangeModelDirs would have put beside `to` (so a record cannot move anything else). */
function isMove(value: unknown): value is Move {
  if (typeof value !== 'object' || value === null) return false;
  const { from, to } = value as Record<string, unknown>;
  if (typeof from !== 'string' || typeof to !== 'string' || resolve(to) !== to || resolve(from) !== from) return false;
  return dirname(from) === dirname(to) && new RegExp(`^\\.${basename(to).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-checkpoint-\\d+-[0-9a-f]+$`).test(basename(from));
}

/**
 * Finishes a promotion cut off by a crash after its commit point (see
 * exchangeModelDirs): the directories recorded beside `championDir` are
 * moved into place and the record removed. Returns whether there was one.
 * Run before either directory is loaded. A record that is not one (torn,
 * or naming other paths) fails the start with one line naming it.
 */
export async function finishPromotion(championDir: string): Promise<boolean> {
  const record = promotionRecordPath(championDir);
  let text: string;
  try {
    text = await readFile(record, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const moves = (parsed as { format?: unknown; moves?: unknown } | undefined)?.moves;
  if ((parsed as { format?: unknown } | undefined)?.format !== FORMAT || !Array.isArray(moves) || moves.length !== 2 || !moves.every(isMove)) {
    fail(`${record}: not a streamlearn promotion record; move it away to start (the model directories are as it found them)`);
  }
  for (const move of moves) await finishMove(move);
  await rm(record, { force: true });
  await syncDir(dirname(record));
  return true;
}
