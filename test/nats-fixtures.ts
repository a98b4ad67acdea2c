/** What the NATS tests share: finding and starting nats-server, reading a worker's summary, bounded waits. */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import type { WorkerSummary } from '../src/node/broker/worker.js';

/** The nats-server program, for a test that restarts a server of its own; null when not installed. */
export function natsServerProgram(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) if (d && existsSync(join(d, 'nats-server'))) return join(d, 'nats-server');
  return null;
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
