import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { fail } from '../../core/errors.js';
import { isErrno } from '../files/input.js';
import { RequestError } from './http-errors.js';

export { LEARN_TOKEN_ENV } from './options.js';

/** A token file larger than this is not a token. */
const MAX_TOKEN_FILE_BYTES = 4_096;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * An onRequest hook that lets a request through only with
 * `Authorization: Bearer <token>`; others get 401 with a
 * `WWW-Authenticate: Bearer` challenge (RFC 6750), before their body is
 * read. `what` names the route in the message. Tokens are compared as
 * SHA-256 digests with timingSafeEqual: equal lengths, so neither the
 * token's content nor its length shows in the time taken.
 */
export function bearerGuard(token: string, what: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(token);
  return async (request) => {
    const header = request.headers.authorization;
    const given = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (given === undefined || given === null) {
      throw new RequestError(401, `${what} needs the server's token: send the header "Authorization: Bearer <token>"`, { 'www-authenticate': 'Bearer realm="streamlearn"' });
    }
    if (!timingSafeEqual(digest(given), expected)) {
      throw new RequestError(401, `${what}: the bearer token is not the server's token`, { 'www-authenticate': 'Bearer realm="streamlearn", error="invalid_token"' });
    }
  };
}

/**
 * Reads a token from a file (--learn-token-file): a regular file of at most
 * 4 KiB, surrounding whitespace (the trailing newline) dropped. Opened
 * without blocking, so a FIFO named by mistake is refused instead of
 * waiting for a writer.
 */
export async function readTokenFile(path: string, flag: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) fail(`${flag} ${path}: no such file`);
    if (isErrno(err, 'EACCES')) fail(`${flag} ${path}: permission denied`);
    throw err;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) fail(`${flag} ${path}: not a regular file`);
    if (info.size > MAX_TOKEN_FILE_BYTES) fail(`${flag} ${path}: ${info.size} bytes; a token file holds one token (at most ${MAX_TOKEN_FILE_BYTES} bytes)`);
    const token = (await handle.readFile('utf8')).trim();
    if (token === '') fail(`${flag} ${path}: empty; it must hold the token`);
    return token;
  } finally {
    await handle.close();
  }
}
