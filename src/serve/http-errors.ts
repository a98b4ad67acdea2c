import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StreamlearnError } from '../core/errors.js';

/** A request the server refuses, with its HTTP status and a one-line reason naming the row and field. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** What every error response's body is. */
export interface ErrorBody {
  readonly error: string;
}

const oneLine = (message: string): string => message.replace(/\s*\n\s*/g, ' ').trim();

/**
 * The response for an error: the status and a one-line message. Fastify's own
 * errors (a body over the limit, not JSON, of another type) get messages that
 * say what to send instead; a StreamlearnError is the model refusing a row
 * (predictRecords, learnRecords) and is the client's fault; anything else is
 * a bug, answered 500 and reported through `report`.
 */
export function errorResponse(err: unknown, limits: { maxBodyBytes: number }, report: (err: unknown) => void): { status: number; body: ErrorBody } {
  if (err instanceof RequestError) return { status: err.statusCode, body: { error: oneLine(err.message) } };
  if (err instanceof StreamlearnError) return { status: 400, body: { error: oneLine(err.message) } };
  const fastifyError = err as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: `body: larger than the limit of ${limits.maxBodyBytes} bytes (--max-body-bytes)` } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: 'body: unsupported content type; send JSON with content-type: application/json' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { error: 'body: empty; expected a JSON object: one row, or {"rows": [...]}' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { error: 'body: not valid JSON' } };
    default:
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's JSON parser rejects bad JSON as a SyntaxError with status 400.
    const what = err instanceof SyntaxError ? `body: not valid JSON (${err.message})` : (fastifyError.message ?? 'bad request');
    return { status, body: { error: oneLine(what) } };
  }
  report(err);
  return { status: 500, body: { error: `internal error: ${oneLine(err instanceof Error ? err.message : String(err))}` } };
}

/** Fastify's error handler: every error answered as JSON `{ "error": "..." }`. */
export function errorHandler(limits: { maxBodyBytes: number }, report: (err: unknown) => void) {
  return (err: unknown, _request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { status, body } = errorResponse(err, limits, report);
    return reply.status(status).send(body);
  };
}
