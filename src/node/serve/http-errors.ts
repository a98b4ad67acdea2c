import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StreamlearnError } from '../../core/errors.js';

/** A request the server refuses, with its HTTP status, a one-line reason naming the row and field, and any headers the status calls for. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** What every error response's body is. */
export interface ErrorBody {
  readonly error: string;
}

const oneLine = (message: string): string => message.replace(/\s*\n\s*/g, ' ').trim();

const SEND_JSON = 'send JSON with content-type: application/json';

/**
 * The response for an error: the status, a one-line message and any headers.
 * Fastify's own errors (a body over the limit, not JSON, of another type) get
 * messages that say what to send instead; a StreamlearnError is the model
 * refusing a row (predictRecords, learnRecords) and is the client's fault;
 * anything else is a bug, answered 500 and reported through `report`.
 * `contentType` is the request's, for the 415's message.
 */
export function errorResponse(
  err: unknown,
  limits: { maxBodyBytes: number },
  report: (err: unknown, request: FastifyRequest) => void,
  request: FastifyRequest,
  contentType?: string,
): { status: number; body: ErrorBody; headers?: Readonly<Record<string, string>> } {
  if (err instanceof RequestError) return { status: err.statusCode, body: { error: oneLine(err.message) }, headers: err.headers };
  if (err instanceof StreamlearnError) return { status: 400, body: { error: oneLine(err.message) } };
  const fastifyError = err as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: `body: larger than the limit of ${limits.maxBodyBytes} bytes (--max-body-bytes)` } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = contentType === undefined || contentType.trim() === '' ? 'no content-type' : `unsupported content type ${JSON.stringify(oneLine(contentType).slice(0, 80))}`;
      return { status: 415, body: { error: `body: ${type}; ${SEND_JSON}` } };
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { error: 'body: empty; expected a JSON object: one row, or {"rows": [...]}' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { error: 'body: not valid JSON' } };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { error: 'body: its length differs from its Content-Length header' } };
    default:
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const what = err instanceof SyntaxError ? `body: not valid JSON (${err.message})` : (fastifyError.message ?? 'bad request');
    return { status, body: { error: oneLine(what) } };
  }
  report(err, request);
  return { status: 500, body: { error: `internal error: ${oneLine(err instanceof Error ? err.message : String(err))}` } };
}

/** Fastify's error handler: every error answered as JSON `{ "error": "..." }`. */
export function errorHandler(limits: { maxBodyBytes: number }, report: (err: unknown, request: FastifyRequest) => void) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { status, body, headers } = errorResponse(err, limits, report, request, request.headers['content-type']);
    if (headers) reply.headers(headers);
    return reply.status(status).send(body);
  };
}

/**
 * Fastify's clientErrorHandler: what node's HTTP parser refuses before any
 * route sees it (headers or a whole request too slow, headers too large,
 * not HTTP) is answered in the same one-line JSON, then the connection is
 * closed, as node itself would.
 */
export function clientErrorHandler(timeouts: { headersTimeoutSeconds: number; requestTimeoutSeconds: number }) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let status: number;
    let reason: string;
    let error: string;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      [status, reason] = [408, 'Request Timeout'];
      error = `request: not received in time: headers within ${timeouts.headersTimeoutSeconds} s (--headers-timeout), the whole request within ${timeouts.requestTimeoutSeconds} s (--request-timeout)`;
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      [status, reason] = [431, 'Request Header Fields Too Large'];
      error = 'request: headers larger than 16 KiB';
    } else {
      [status, reason] = [400, 'Bad Request'];
      error = `request: not valid HTTP/1.1${err.code ? ` (${err.code})` : ''}`;
    }
    const body = JSON.stringify({ error });
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
