import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type onResponseHookHandler } from 'fastify';
import { pino } from 'pino';
import { fail } from '../../core/errors.js';
import { isErrno } from '../files/input.js';
import { CheckpointScheduler } from './checkpoints.js';
import { DASHBOARD_CSP, dashboardPage, EventHub, WATCHED_ROUTES, type WatchedRoute } from './dashboard.js';
import { CHAMPION, ModelFleet, type PromotionResult } from './fleet.js';
import type { LearnResult, ModelHost } from './host.js';
import { bearerGuard } from './auth.js';
import { clientErrorHandler, errorHandler, RequestError } from './http-errors.js';
import { acceptJsonOnly } from './json-body.js';
import type { RecordRow } from './learn-log.js';
import { lazyChildLoggers, requestIds, ServeLogController } from './logging.js';
import { serverMetrics } from './metrics.js';
import { Pulse, type OnlinePoint, type OnlineStats, type PulseReading, type RegressionOnlinePoint, type RegressionOnlineStats } from './monitor.js';
import { checkPort, resolveServeOptions, SERVE_DEFAULTS, type EventLevel, type ResolvedServeOptions, type ServeOptions } from './options.js';
import { ModelReloader } from './reload.js';
import { RowsBody, rowsValidatorCompiler } from './schemas.js';
import type { ServedPrediction } from './served-model.js';

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

/**
 * One model in GET /stats: a classifier's online figures (OnlineStats,
 * OnlinePoint: accuracy and the like), or a regressor's
 * (RegressionOnlineStats, RegressionOnlinePoint: MAE, RMSE, R²). Every model
 * of a server is of one task.
 */
export interface ModelStats<Online = OnlineStats, Point = OnlinePoint> {
  /** "champion", or the challenger's name (its directory's last component). */
  readonly name: string;
  readonly role: 'champion' | 'challenger';
  readonly dir: string;
  readonly learner: string;
  /** The SHA-256 of its save's manifest.json, as GET /model gives the champion's. */
  readonly identity: string;
  readonly savedAt: string;
  /** Rows learned since the server started (a promotion leaves the count with the name). */
  readonly learned: number;
  /** Learn requests the champion learned but this challenger refused. */
  readonly skippedRequests: number;
  /** Its online (test-then-train) evaluation since the model was loaded. */
  readonly online: Online;
  /** Its learning curve: at most 512 points over the whole stream, and the latest. */
  readonly curve: readonly Point[];
}

/** What GET /stats answers: the online evaluation of every model, and the request rates of the last interval (a classifier's by default; see RegressionStatsBody). */
export interface StatsBody<Online = OnlineStats, Point = OnlinePoint> {
  readonly learning: boolean;
  readonly window: number;
  readonly drift: { readonly detector: string; readonly params: Readonly<Record<string, unknown>> } | null;
  /** Rows answered by POST /predict since the start. */
  readonly rowsPredicted: number;
  readonly promotions: number;
  readonly requests: Readonly<Record<WatchedRoute, PulseReading>>;
  /** The champion first. */
  readonly models: readonly ModelStats<Online, Point>[];
}

/** GET /stats of a server serving a regressor. */
export type RegressionStatsBody = StatsBody<RegressionOnlineStats, RegressionOnlinePoint>;

/** GET /stats of a server of either task. */
type AnyStatsBody = StatsBody<OnlineStats | RegressionOnlineStats, OnlinePoint | RegressionOnlinePoint>;

/** A model served over HTTP: the fastify app and the model behind it. */
export interface ModelServer {
  /** The fastify instance, for inject() in tests or further routes. */
  readonly app: FastifyInstance;
  /** The served model (the champion), its counters and its checkpoints. */
  readonly host: ModelHost;
  /** The champion and its challengers. */
  readonly fleet: ModelFleet;
  /** Listens (default 127.0.0.1:8080; port 0 takes a free port) and resolves with the URL. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Logs a server event: to the logger (--log-level) and to the `log` option. */
  log(line: string, level?: EventLevel): void;
  /** Looks for a new save in the directory now, rather than at the next poll. */
  reload(): Promise<void>;
  /**
   * Stops: no new requests, those in flight answered, then (with learning
   * on) a final checkpoint and the learn log closed. What SIGTERM does.
   */
  close(): Promise<void>;
}

/** The request's body as an object, or null: /promote reads one key of it. */
const bodyObject = (body: unknown): Record<string, unknown> | null => (typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null);

/**
 * Serves a saved model directory over HTTP (see the README, "Serving"):
 * POST /predict, POST /learn (with `learn`), POST /promote (with
 * challengers), GET /health, GET /model, and with monitoring on (the
 * default) GET /stats, /metrics (Prometheus), /dashboard and /events. Loads
 * the model and its challengers, with the acknowledged learn requests since
 * their last saves (recoverModel), before it resolves; fails with one line
 * when a directory or an option is bad. Not listening until listen().
 */
export async function createServer(options: ServeOptions): Promise<ModelServer> {
  const resolved = resolveServeOptions(options);
  const started = Date.now();
  const logger = resolved.logLevel === 'silent' ? null : pino({ level: resolved.logLevel }, resolved.logStream);
  // Fastify's request logging (a line per request, at debug) costs every request a pair of listeners on its
  // response, written or not: about 7% of a one-row prediction. Below debug no request line is written, so the
  // logger is not handed to fastify; events and failures (with the request id) are logged through it directly.
  const requestLogging = logger !== null && logger.isLevelEnabled('debug');
  const app = Fastify({
    bodyLimit: resolved.maxBodyBytes,
    ...(requestLogging ? { loggerInstance: logger as FastifyBaseLogger, logController: new ServeLogController(), childLoggerFactory: lazyChildLoggers } : { logger: false }),
    genReqId: requestIds(),
    ...connectionLimits(resolved),
    clientErrorHandler: clientErrorHandler(resolved),
  });
  // Server events go to the logger and to the caller's `log`, if any.
  const log = (line: string, level: EventLevel = 'info'): void => {
    resolved.log(line, level);
    logger?.[level](line);
  };
  const settings: ResolvedServeOptions = { ...resolved, log };
  let fleet: ModelFleet;
  try {
    fleet = await ModelFleet.open(settings);
  } catch (err) {
    await app.close();
    throw err;
  }
  const host = fleet.champion;
  const schedulers = fleet.all.map((h) => new CheckpointScheduler(h, settings.checkpointEvery, settings.checkpointIntervalSeconds, (line) => log(line, 'warn')));
  const reloaders = fleet.all.map((h) => new ModelReloader(h, h.dir, settings.reloadIntervalSeconds, (line) => log(line, 'warn')));
  const learned = (): void => {
    for (const s of schedulers) s.learned();
  };

  app.server.maxConnections = settings.maxConnections;
  acceptJsonOnly(app);
  app.setValidatorCompiler(rowsValidatorCompiler);
  app.setErrorHandler(
    errorHandler(settings, (err, request) => {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      resolved.log(`internal error: ${text}`, 'error');
      logger?.error({ err, reqId: request.id, method: request.method, url: request.url }, 'internal error');
    }),
  );
  const monitored = settings.metrics ? ['GET /stats', 'GET /metrics', 'GET /dashboard', 'GET /events'] : [];
  const routes = ['POST /predict', 'POST /learn', ...(fleet.challengers.length > 0 ? ['POST /promote'] : []), 'GET /health', 'GET /model', ...monitored].join(', ');

  const pulses = Object.fromEntries(WATCHED_ROUTES.map((r) => [r, new Pulse()])) as Record<WatchedRoute, Pulse>;
  const readPulses = (): Record<WatchedRoute, PulseReading> => Object.fromEntries(WATCHED_ROUTES.map((r) => [r, pulses[r].reading])) as Record<WatchedRoute, PulseReading>;
  const hub = new EventHub(fleet, readPulses, () => WATCHED_ROUTES.forEach((r) => pulses[r].tick()), settings.eventsIntervalSeconds, settings.learn);
  const metrics = settings.metrics ? serverMetrics(fleet, { dashboardClients: () => hub.connected }) : null;
  if (metrics) {
    // Each route gets a hook of its own that knows its pattern: reading it from the request (routeOptions) builds an object per request.
    // A request pays one histogram observation and, for /predict and /learn, a store into the pulse's ring.
    app.addHook('onRoute', (route) => {
      const url = route.url;
      const pulse = url === '/predict' || url === '/learn' ? pulses[url] : null;
      const observe: onResponseHookHandler = (request, reply, done) => {
        metrics.observe(url, request.method, reply.statusCode, reply.elapsedTime / 1000);
        pulse?.record(reply.elapsedTime);
        done();
      };
      const given = route.onResponse;
      route.onResponse = given === undefined ? [observe] : [...(Array.isArray(given) ? given : [given]), observe];
    });
  }
  app.setNotFoundHandler((request, reply) => {
    // No route, so no route hook: counted here, under one label whatever the URL (its cardinality is the client's to choose).
    metrics?.observe('unmatched', request.method, 404, reply.elapsedTime / 1000);
    return reply.status(404).send({ error: `no route ${request.method} ${request.url} (routes: ${routes})` });
  });

  const body = new RowsBody(settings.maxRows);
  app.post<{ Body: RecordRow[] }>('/predict', { schema: { body } }, async (request): Promise<{ predictions: ServedPrediction[] }> => {
    return { predictions: await fleet.predict(request.body) };
  });
  if (settings.learn) {
    // Checked before the body is read: a client without the token costs no parsing.
    const guard = (what: string) => (settings.learnToken === null ? [] : [bearerGuard(settings.learnToken, what)]);
    app.post<{ Body: RecordRow[] }>('/learn', { schema: { body }, onRequest: guard('POST /learn') }, async (request): Promise<LearnResult> => {
      const result = await fleet.learn(request.body);
      learned();
      return result;
    });
    app.post('/promote', { onRequest: guard('POST /promote') }, async (request): Promise<PromotionResult> => fleet.promote(bodyObject(request.body)?.challenger));
  } else {
    // Refused before the body is read: whatever is sent, learning is off.
    const off = async (): Promise<never> => {
      throw new RequestError(403, 'learning is off: start the server with --learn to accept POST /learn');
    };
    app.post('/learn', { onRequest: off }, off);
    const none = async (): Promise<never> => {
      throw new RequestError(409, 'no challengers to promote: start the server with --challenger DIR (and --learn)');
    };
    app.post('/promote', { onRequest: none }, none);
  }
  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    });
    app.get('/stats', async (): Promise<AnyStatsBody> => stats(fleet, settings, readPulses()));
    app.get('/dashboard', async (_request, reply) =>
      reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', DASHBOARD_CSP).header('cache-control', 'no-store').send(dashboardPage(hub.update(true), hub.view)),
    );
    app.get('/events', async (request, reply) => hub.attach(request, reply));
  } else {
    const off = async (request: { method: string; url: string }): Promise<never> => {
      throw new RequestError(404, `${request.method} ${request.url}: monitoring is off (--no-metrics); start the server without it`);
    };
    for (const path of ['/metrics', '/stats', '/dashboard', '/events']) app.get(path, off);
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
    fleet,
    log,
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
      for (const s of schedulers) s.start();
      for (const r of reloaders) r.start();
      hub.start();
      const bound = app.server.address() as AddressInfo;
      const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
      const url = `http://${shown}:${bound.port}`;
      // Fastify says so itself when it has the logger.
      if (!requestLogging) logger?.info(`Server listening at ${url}`);
      return url;
    },
    reload: async () => {
      await Promise.all(reloaders.map((r) => r.poll()));
    },
    close() {
      closing ??= (async () => {
        await Promise.all(reloaders.map((r) => r.stop()));
        // Dashboards hold their streams open; the server would wait for them.
        hub.close();
        await app.close();
        await Promise.all(schedulers.map((s) => s.stop()));
        await fleet.close();
      })();
      return closing;
    },
  };
}

/** What GET /stats answers. */
function stats(fleet: ModelFleet, settings: ResolvedServeOptions, requests: Record<WatchedRoute, PulseReading>): AnyStatsBody {
  return {
    learning: settings.learn,
    window: settings.window,
    drift: settings.drift === null ? null : { detector: settings.drift, params: settings.driftParams },
    rowsPredicted: fleet.predicted,
    promotions: fleet.promotions,
    requests,
    models: fleet.all.map((h) => ({
      name: h.name,
      role: h.name === CHAMPION ? 'champion' : 'challenger',
      dir: h.dir,
      learner: h.model.learnerName,
      identity: h.identity,
      savedAt: h.savedAt,
      learned: h.totals.learned,
      skippedRequests: fleet.countsOf(h.name).skippedRequests,
      online: h.monitor!.stats(),
      curve: h.monitor!.points(),
    })),
  };
}
