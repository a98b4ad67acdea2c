import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { fail, StreamlearnError } from '../../core/errors.js';
import type { NatsServer } from './url.js';

// The NATS client's declarations name the global WebSocket type (its WebSocket transport), which
// Node 20's types lack: without this a strict consumer on @types/node 20 fails to compile inside
// @nats-io unless it skips library checks. An empty interface merges with the DOM's or Node 22's.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WebSocket {}
}

/** Where broker events (reconnects, retries) are reported: one line each, without a trailing newline. */
export type Reporter = (line: string) => void;

/** Reports on stderr, prefixed as the CLI's other messages are. */
export const stderrReporter: Reporter = (line) => {
  process.stderr.write(`streamlearn: ${line}\n`);
};

/** Says nothing (library use, tests). */
export const silentReporter: Reporter = () => undefined;

import { DEFAULT_CONNECT_TIMEOUT_S } from './defaults.js';
export { DEFAULT_CONNECT_TIMEOUT_S };

/** How a command connects: where failures point, how long it tries, where it reports. */
export interface BrokerConnectOptions {
  /** The flag whose value named the server, for messages: `--source`, `--to`, `--out`, `--model`. */
  readonly flag: string;
  /** The URL as messages show it. */
  readonly display: string;
  /** Seconds to keep retrying the first connection (with backoff) before failing; 0 tries once. Default 5. */
  readonly connectTimeout?: number;
  /** The client's name, as the server's monitoring shows it. */
  readonly name?: string;
  readonly report?: Reporter;
}

/** A connection to a JetStream-enabled server and its two API handles. */
export interface Broker {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Connection losses and reconnections since connecting. */
  readonly stats: { disconnects: number; reconnects: number };
  /** Whether the client holds a connection now (false from a loss until the reconnection). */
  connected(): boolean;
  /** Calls `listener` after every reconnection; the returned function stops that. */
  onReconnect(listener: () => void): () => void;
  /** Flushes what was published (acknowledgements included), then closes. Safe to call twice. */
  close(): Promise<void>;
}

/** Backoff before the `attempt`-th retry (0-based): 250 ms doubling to 5 s, with up to 50% jitter so clients restarted together do not retry in step. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 5000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  return typeof e.cause?.code === 'string' ? e.cause.code : undefined;
}

function describe(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${message}, ${code}` : message;
}

/**
 * Connects to a NATS server with JetStream, retrying the first connection
 * with backoff for `connectTimeout` seconds (quietly: the failure, if it
 * comes, is one line naming the flag and the server). Once connected, the
 * client reconnects by itself, forever, with the same backoff, and every
 * loss and reconnection is reported. Publishes made while the connection is
 * down are NOT sent later: the client (nats.js 3) empties its outbound
 * buffer on every reconnection attempt, so what must arrive (a consumer's
 * acknowledgements) is confirmed with a round trip and sent again after
 * `onReconnect`.
 */
export async function connectBroker(server: NatsServer, options: BrokerConnectOptions): Promise<Broker> {
  const { flag, display } = options;
  const report = options.report ?? stderrReporter;
  const timeoutS = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S;
  if (!(timeoutS >= 0) || !Number.isFinite(timeoutS)) fail(`--connect-timeout must be a number of seconds of at least 0, got ${timeoutS}`);
  const deadline = Date.now() + timeoutS * 1000;
  let reconnectAttempt = 0;
  let attempts = 0;
  let nc: NatsConnection | undefined;
  for (;;) {
    attempts++;
    try {
      nc = await connect({
        servers: server.servers,
        ...(server.user !== undefined ? { user: server.user } : {}),
        ...(server.pass !== undefined ? { pass: server.pass } : {}),
        name: options.name ?? 'streamlearn',
        timeout: Math.max(500, Math.min(2000, deadline - Date.now())),
        maxReconnectAttempts: -1,
        // The client calls this before each reconnection attempt; the count restarts on success.
        reconnectDelayHandler: () => backoffMs(reconnectAttempt++),
      });
      break;
    } catch (err) {
      const code = errorCode(err);
      const name = err instanceof Error ? err.name : '';
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') fail(`${flag} ${display}: cannot resolve the host (${describe(err)})`);
      if (/auth/i.test(name) || /authoriz|authenticat/i.test(describe(err))) fail(`${flag} ${display}: the server refused the credentials (${describe(err)})`);
      const wait = backoffMs(attempts - 1);
      if (Date.now() + wait > deadline) {
        const spent = timeoutS > 0 ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${timeoutS} s` : '';
        fail(`${flag} ${display}: cannot reach a NATS server (${describe(err)})${spent}; is nats-server running with JetStream (nats-server -js)?`);
      }
      await sleep(wait);
    }
  }
  const stats = { disconnects: 0, reconnects: 0 };
  let lostAt = 0;
  let up = true;
  const reconnectListeners = new Set<() => void>();
  // Reported as they come; the loop ends when the connection closes.
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        stats.disconnects++;
        up = false;
        lostAt = Date.now();
        report(`${display}: lost the connection to the NATS server; reconnecting with backoff`);
      } else if (s.type === 'reconnect') {
        stats.reconnects++;
        up = true;
        reconnectAttempt = 0;
        report(`${display}: reconnected after ${((Date.now() - lostAt) / 1000).toFixed(1)} s`);
        for (const listener of reconnectListeners) listener();
      } else if (s.type === 'ldm') {
        report(`${display}: the server is shutting down (lame duck mode); will reconnect`);
      } else if (s.type === 'error') {
        report(`${display}: server error: ${s.error.message}`);
      }
    }
  })().catch(() => undefined);
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    await nc.close().catch(() => undefined);
    const message = describe(err);
    if (/not enabled|no responders|503/i.test(message) || (err instanceof Error && /NotEnabled|NoResponders/.test(err.name))) {
      fail(`${flag} ${display}: the server has no JetStream (start it with nats-server -js)`);
    }
    fail(`${flag} ${display}: JetStream is not available (${message})`);
  }
  const js = jetstream(nc);
  const conn = nc;
  let closing: Promise<void> | undefined;
  return {
    nc,
    js,
    jsm,
    stats,
    connected: () => up && !conn.isClosed(),
    onReconnect: (listener) => {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    close: () =>
      (closing ??= (async () => {
        if (conn.isClosed()) return;
        // Acknowledgements are plain publishes: flush so none is lost with the socket. While the connection is
        // down there is nothing to flush (the client drops what it buffered), and the flush would wait for it.
        if (up) await conn.flush().catch(() => undefined);
        await conn.close().catch(() => undefined);
      })()),
  };
}

/** Whether an error of a JetStream request is worth retrying: the server was away, slow or restarting. */
export function isTransient(err: unknown): boolean {
  if (err instanceof StreamlearnError) return false;
  if (!(err instanceof Error)) return false;
  if (/^(TimeoutError|NoRespondersError|RequestError|ConnectionError|JetStreamNotEnabled)$/.test(err.name)) return true;
  const code = (err as { code?: unknown }).code;
  if (code === 503 || code === 408) return true;
  // A pull whose server went away ends with missed heartbeats; a cluster's leader change and a full
  // pull queue pass too. A deleted consumer or stream does not: those are not retried.
  return /timeout|timed out|no responders|disconnect|reconnect|temporarily unavailable|connection (refused|reset|lost)|heartbeats? missed|leadership|exceeded max/i.test(err.message);
}

/**
 * A JetStream API error the server answered a request with (its store
 * damaged, a limit hit: "error opening msg block file") as one line naming
 * `what` was asked (the stream, consumer or bucket) and the server's message;
 * anything else as it was. Only the base JetStreamApiError: its subclasses
 * (StreamNotFoundError, ConsumerNotFoundError...) are answers callers handle.
 */
export function jetStreamFailure(what: string, err: unknown): unknown {
  if (!(err instanceof Error) || err.name !== 'JetStreamApiError') return err;
  const { code, status } = err as { code?: unknown; status?: unknown };
  const codes = [typeof status === 'number' ? `status ${status}` : '', typeof code === 'number' ? `error code ${code}` : ''].filter((c) => c !== '').join(', ');
  return new StreamlearnError(`${what}: the NATS server refused the JetStream request: ${err.message || 'no message'}${codes ? ` (${codes})` : ''}`);
}

/**
 * What a JetStream request that failed for good is thrown as: a JetStream
 * API error (see jetStreamFailure) or a server that stayed away (the
 * connection lost, requests timing out) as one line naming `what` was asked,
 * so the CLI exits 1 with it rather than 70 with a stack; answers that
 * callers handle (StreamNotFoundError...) and everything else as they were.
 */
export function brokerFailure(what: string, err: unknown, seconds?: number): unknown {
  if (isTransient(err)) {
    const spent = seconds !== undefined && seconds >= 1 ? ` for ${Math.round(seconds)} s` : '';
    return new StreamlearnError(`${what}: the NATS server did not answer${spent} (${describe(err)}); is it running, and reachable from here?`);
  }
  return jetStreamFailure(what, err);
}

/** What `retrying` does between attempts and when it gives up. */
export interface RetryOptions {
  readonly report?: Reporter;
  /** Give up after this many seconds of failures (then the last error is thrown); default 60. */
  readonly giveUpAfter?: number;
  /** Stop retrying when this says so (a worker told to stop). */
  readonly stopped?: () => boolean;
}

/**
 * Runs a JetStream request, retrying transient failures (a broker restart,
 * a lost connection, a timeout) with backoff and reporting each; other
 * errors, and the last one once `giveUpAfter` seconds have passed, are thrown
 * (a JetStream API error or a server that stayed away as one line naming
 * `what`: see brokerFailure).
 */
export async function retrying<T>(what: string, op: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const report = options.report ?? stderrReporter;
  const started = Date.now();
  const limit = (options.giveUpAfter ?? 60) * 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isTransient(err) || options.stopped?.()) throw brokerFailure(what, err, (Date.now() - started) / 1000);
      const wait = backoffMs(attempt);
      if (Date.now() - started + wait > limit) throw brokerFailure(what, err, (Date.now() - started) / 1000);
      report(`${what} failed (${describe(err)}); retrying in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait);
    }
  }
}
