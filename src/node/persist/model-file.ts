import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from '../../core/errors.js';
import { isErrno } from '../files/input.js';
import { formatBytes } from '../../model/saved-form.js';
export { formatBytes, MAX_BINARY_STATE_BYTES, MAX_JSON_STATE_BYTES, MAX_MANIFEST_BYTES } from '../../model/saved-form.js';

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads one file of a model directory, which may come from anyone: `name`
 * must be a plain name in `dir` (the caller checks it against the names the
 * format defines first), and the file must be a regular file of at most
 * `maxBytes`. It is opened without following a symbolic link and without
 * blocking (a FIFO would otherwise hang the open), then checked on the open
 * handle, so nothing can be swapped in between the check and the read.
 * Returns null when the file does not exist; fails with one line naming the
 * file otherwise.
 */
export async function readModelFile(dir: string, name: string, maxBytes: number): Promise<Buffer | null> {
  const path = join(dir, name);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    // ELOOP: the name is a symbolic link (O_NOFOLLOW); some systems say EMLINK.
    if (isErrno(err, 'ELOOP') || isErrno(err, 'EMLINK')) fail(`${path}: is a symbolic link; a model directory's files must be regular files`);
    // ENXIO: a socket, or a device with nothing behind it.
    if (isErrno(err, 'ENXIO') || isErrno(err, 'ENODEV')) fail(`${path}: is not a regular file`);
    if (isErrno(err, 'EACCES') || isErrno(err, 'EPERM')) fail(`${path}: cannot be read (permission denied)`);
    if (isErrno(err, 'ENOTDIR')) return null;
    if (isErrno(err, 'EISDIR')) fail(`${path}: is a directory, not a regular file`);
    throw err;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) fail(`${path}: is ${kindOf(stats)}, not a regular file`);
    if (stats.size > maxBytes) fail(`${path}: ${stats.size} bytes, more than the ${formatBytes(maxBytes)} a model file may have`);
    const data = Buffer.alloc(stats.size);
    let total = 0;
    while (total < data.length) {
      const { bytesRead } = await handle.read(data, total, data.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    // A file that shrank or grew while it was read is not the file that was checked.
    const { bytesRead: more } = await handle.read(Buffer.alloc(1), 0, 1, null);
    if (total !== stats.size || more !== 0) fail(`${path}: changed while it was read`);
    return data;
  } catch (err) {
    if (isErrno(err, 'EISDIR')) fail(`${path}: is a directory, not a regular file`);
    throw err;
  } finally {
    await handle.close();
  }
}
