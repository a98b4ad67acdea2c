import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { fail } from '../../core/errors.js';
import { isErrno } from '../files/input.js';
import type { Prediction } from '../../learners/model.js';
import { CheckpointScheduler } from './checkpoints.js';
import { ModelHost, type LearnResult } from './host.js';
import { bearerGuard } from './auth.js';
import { clientErrorHandler, errorHandler, RequestError } from './http-errors.js';
import { acceptJsonOnly } from './json-body.js';
import type { RecordRow } from './learn-log.js';
import { checkPort, resolveServeOptions, SERVE_DEFAULTS, type ResolvedServeOptions, type ServeOptions } from './options.js';
import { ModelReloader } from './reload.js';
import { RowsBody, rowsValidatorCompiler } from './schemas.js';

/**
 * Fastify's and node's limits on a connection, so that a slow or silent
 * client cannot hold one for ever: headers and the whole request must
 * arrive in time (else 408 and the connection closed), an idle keep-alive
 * connection is closed. Node checks the first two every
 * connectionsCheckingInterval (30 s by default), which would make a 1 s
 * limit 30 s: it checks here a few times per limit.
 */
function connectionLimits(settings: ResolvedServeOptions) {
  const headersTimeout = settings.headersTimeoutSeconds * 1000;
  const requestTimeout = settings.requestTimeoutSeconds * 1000;
  const keepAliveTimeout = settings.keepAliveTimeoutSeconds * 1000;
  const connectionsCheckingInterval = Math.min(30_000, Math.max(10, Math.round(headersTimeout / 4)));
  return {
    requestTimeout,
    keepAliveTimeout,
    http: { headersTimeout, requestTimeout, keepAliveTimeout, connectionsCheckingInterval },
  };
}

/** What GET /health answers. */
export interface HealthBody {
  readonly status: 'ok';
  readonly learning: boolean;
  readonly uptimeSeconds: number;
  readonly rssBytes: number;
  /** The most memory the process has held (the kernel's high-water mark, VmHWM). */
  readonly peakRssBytes: number;
}

/** A model served over HTTP: the fastify app and the model behind it. */
export interface ModelServer {
  /** The fastify instance, for inject() in tests or further routes. */
  readonly app: FastifyInstance;
  /** The served model, its counters and its checkpoints. */
  readonly host: ModelHost;
  /** Listens (default 127.0.0.1:8080; port 0 takes a free port) and resolves with the URL. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Looks for a new save in the directory now, rather than at the next poll. */
  reload(): Promise<void>;
  /**
   * Stops: no new requests, those in flight answered, then (with learning
   * on) a final checkpoint and the learn log closed. What SIGTERM does.
   */
  close(): Promise<void>;
}

/**
 * Serves a saved model directory over HTTP (see the README, "Serving"):
 * POST /predict, POST /learn (with `learn`), GET /health, GET /model. Loads
 * the model, with the acknowledged learn requests since its last save
 * (recoverModel), before it resolves; fails with one line when the
 * directory or an option is bad. Not listening until listen().
 */
export async function createServer(options: ServeOptions): Promise<ModelServer> {
  const settings = resolveServeOptions(options);
  const host = await ModelHost.open(settings);
  const scheduler = new CheckpointScheduler(host, settings.checkpointEvery, settings.checkpointIntervalSeconds, settings.log);
  const reloader = new ModelReloader(host, settings.model, settings.reloadIntervalSeconds, settings.log);
  const started = Date.now();

  const app = Fastify({
    bodyLimit: settings.maxBodyBytes,
    logger: false,
    ...connectionLimits(settings),
    clientErrorHandler: clientErrorHandler(settings),
  });
  app.server.maxConnections = settings.maxConnections;
  acceptJsonOnly(app);
  app.setValidatorCompiler(rowsValidatorCompiler);
  app.setErrorHandler(errorHandler(settings, (err) => settings.log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)));
  const routes = 'POST /predict, POST /learn, GET /health, GET /model';
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: `no route ${request.method} ${request.url} (routes: ${routes})` }));

  const body = new RowsBody(settings.maxRows);
  app.post<{ Body: RecordRow[] }>('/predict', { schema: { body } }, async (request): Promise<{ predictions: Prediction[] }> => {
    return { predictions: await host.predict(request.body) };
  });
  if (settings.learn) {
    // Checked before the body is read: a client without the token costs no parsing.
    const onRequest = settings.learnToken === null ? [] : [bearerGuard(settings.learnToken, 'POST /learn')];
    app.post<{ Body: RecordRow[] }>('/learn', { schema: { body }, onRequest }, async (request): Promise<LearnResult> => {
      const result = await host.learn(request.body);
      scheduler.learned();
      return result;
    });
  } else {
    // Refused before the body is read: whatever is sent, learning is off.
    const off = async (): Promise<never> => {
      throw new RequestError(403, 'learning is off: start the server with --learn to accept POST /learn');
    };
    app.post('/learn', { onRequest: off }, off);
  }
  app.get('/health', async (): Promise<HealthBody> => ({
    status: 'ok',
    learning: settings.learn,
    uptimeSeconds: (Date.now() - started) / 1000,
    rssBytes: process.memoryUsage.rss(),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  }));
  app.get('/model', async () => host.describe());

  let closing: Promise<void> | null = null;
  return {
    app,
    host,
    async listen(where = {}) {
      const address = where.host ?? SERVE_DEFAULTS.host;
      const port = where.port ?? SERVE_DEFAULTS.port;
      checkPort(port);
      try {
        await app.listen({ host: address, port });
      } catch (err) {
        if (isErrno(err, 'EADDRINUSE')) fail(`port (--port) ${port}: address already in use on ${address}`);
        if (isErrno(err, 'EACCES')) fail(`port (--port) ${port}: permission denied`);
        if (isErrno(err, 'EADDRNOTAVAIL') || isErrno(err, 'ENOTFOUND') || isErrno(err, 'EAI_AGAIN')) fail(`host (--host) ${address}: not an address of this machine`);
        throw err;
      }
      scheduler.start();
      reloader.start();
      const bound = app.server.address() as AddressInfo;
      const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
      return `http://${shown}:${bound.port}`;
    },
    reload: () => reloader.poll(),
    close() {
      closing ??= (async () => {
        await reloader.stop();
        await app.close();
        await scheduler.stop();
        await host.close();
      })();
      return closing;
    },
  };
}
