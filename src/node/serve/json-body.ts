import type { FastifyInstance } from 'fastify';
import { RequestError } from './http-errors.js';

/**
 * How deep a request body may nest. A body of rows nests three deep
 * (`{"rows": [{...}]}`); the bound only keeps a hostile body from costing
 * more than a scan, and from reaching code that recurses.
 */
export const MAX_BODY_DEPTH = 32;

/** Whether JSON text nests arrays and objects deeper than `max`: one pass, no parse. Brackets in strings do not count. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * A request body as JSON, or a 400 saying why not. Plain JSON.parse: a key
 * named `__proto__` becomes an own property like any other (rows are copied
 * onto objects without a prototype before anything reads them, see RowsBody),
 * so it is a feature name like any other rather than refused.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new RequestError(400, 'body: empty; expected a JSON object: one row, or {"rows": [...]}');
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) throw new RequestError(400, `body: nested deeper than ${MAX_BODY_DEPTH} levels; a row is an object of feature name to number, string or null`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RequestError(400, `body: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * Makes `app` take request bodies as JSON only: any other content type is
 * 415 (fastify's text/plain parser is removed), as is a charset other than
 * UTF-8 (JSON's own) or any Content-Encoding: compressed bodies are refused,
 * not decoded, so --max-body-bytes bounds what a request costs.
 */
export function acceptJsonOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addHook('preParsing', async (request) => {
    const { 'content-encoding': encoding, 'content-length': length, 'transfer-encoding': chunked } = request.headers;
    const hasBody = (length !== undefined && length !== '0') || chunked !== undefined;
    if (hasBody && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new RequestError(415, `body: unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 40))}; send the body uncompressed`, { 'accept-encoding': 'identity' });
    }
  });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new RequestError(415, `body: unsupported charset ${JSON.stringify(charset.slice(0, 40))}; send JSON in UTF-8`), undefined);
      return;
    }
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
