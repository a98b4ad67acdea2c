/** What the NATS tests share: finding and starting nats-server, reading a worker's summary, bounded waits, CLI runs in the background, a server that goes away, held-out rows. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { rowsToBatch, type Batch, type Row } from '../src/core/types.js';
import { synthSource } from '../src/data/synth/registry.js';
import type { WorkerSummary } from '../src/node/broker/worker.js';
import { connectBroker, silentReporter, type Broker } from '../src/node/broker/connection.js';
import { deleteStreamFormat } from '../src/node/broker/stream-format.js';
import { parseStreamUrl } from '../src/node/broker/url.js';
import { ROOT } from './helpers.js';

/** The nats-server program, for a test that restarts a server of its own; null when not installed. */
export function natsServerProgram(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) if (d && existsSync(join(d, 'nats-server'))) return join(d, 'nats-server');
  return null;
}

/** Rows of a generated stream in one batch: a held-out set to compare models on. */
export async function heldOutBatch(spec: string, rows: number, seed: number): Promise<Batch> {
  const source = synthSource(spec, { seed, rows });
  const all: Row[] = [];
  for await (const row of source.rows()) all.push(row);
  return rowsToBatch(all, source.schema.features.length);
}

/** A loopback port nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A worker's --summary file, or null while it is not there or half written. */
export function readSummary(file: string): WorkerSummary | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as WorkerSummary;
  } catch {
    return null;
  }
}

/** Waits until `check` holds, looking every `pollMs`; fails naming `what` past `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs: number, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A CLI run in the background (a worker, or a command whose connection a test cuts). */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'streamlearn.js'), ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

/** A proxy in front of a NATS server that goes away once, at a chosen request, and comes back later. */
export interface CuttingProxy {
  /** The proxy's address, nats://127.0.0.1:PORT. */
  readonly url: string;
  /** Whether the proxy has cut the connections (the trigger was seen). */
  readonly cut: boolean;
  close(): Promise<void>;
}

/**
 * Forwards connections to the server at `upstream` (nats://HOST:PORT) until
 * a client sends bytes holding `trigger` (a JetStream API subject, such as
 * `$JS.API.CONSUMER.CREATE`): then, without forwarding them, it drops every
 * connection and refuses new ones for `downMs`, as a server that went away
 * in the middle of that request, and then forwards again. A request cut so
 * is lost for certain, wherever the timing falls.
 */
export async function cuttingProxy(upstream: string, trigger: string, downMs: number): Promise<CuttingProxy> {
  const { hostname, port: upstreamPort } = new URL(upstream.replace(/^nats:/, 'http:'));
  const port = await freePort();
  const sockets = new Set<Socket>();
  let armed = true;
  let server: Server | null = null;
  let timer: NodeJS.Timeout | undefined;
  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      server = createServer((client) => {
        const up = connect(Number(upstreamPort), hostname);
        sockets.add(client);
        sockets.add(up);
        client.on('data', (data: Buffer) => {
          if (armed && data.toString('latin1').includes(trigger)) {
            armed = false;
            for (const s of sockets) s.destroy();
            sockets.clear();
            server?.close();
            server = null;
            timer = setTimeout(() => void listen(), downMs);
            return;
          }
          up.write(data);
        });
        up.on('data', (data: Buffer) => client.write(data));
        for (const [a, b] of [[client, up], [up, client]] as const) {
          a.on('error', () => b.destroy());
          a.on('close', () => {
            b.destroy();
            sockets.delete(a);
          });
        }
      }).listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  return {
    url: `nats://127.0.0.1:${port}`,
    get cut() {
      return !armed;
    },
    close: async () => {
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      const open = server as Server | null;
      if (open) await new Promise<void>((resolve) => open.close(() => resolve()));
    },
  };
}

/** A connection to the test server, quiet. */
export function connectTestBroker(url: string): Promise<Broker> {
  return connectBroker(parseStreamUrl(`${url}/x`), { flag: 'STREAMLEARN_NATS_URL', display: url, report: silentReporter });
}

/** Deletes what a test file made on the server (its streams with their format records, its registry buckets) and closes the connection. */
export async function closeTestBroker(broker: Broker | undefined, streams: readonly string[], buckets: readonly string[]): Promise<void> {
  if (!broker) return;
  for (const s of streams) {
    await broker.jsm.streams.delete(s).catch(() => undefined);
    await deleteStreamFormat(broker, s).catch(() => undefined);
  }
  for (const b of buckets) {
    await broker.jsm.streams.delete(`KV_${b}`).catch(() => undefined);
    await broker.jsm.streams.delete(`OBJ_${b}`).catch(() => undefined);
  }
  await broker.close();
}
