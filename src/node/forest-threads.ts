import { Worker } from 'node:worker_threads';
import { useMemberThreads, type MemberRequest, type MemberThread } from '../learners/member-threads.js';
import { packageRoot } from './package-root.js';

// The worker is its own entry point of the bundle, at dist/node/forest-worker.js; this code may land in
// any file of dist/, so the URL starts from the package's root. Vitest runs the TypeScript sources, and a
// worker thread cannot load .ts: it then uses the build too.
const WORKER_URL = new URL('dist/node/forest-worker.js', packageRoot(import.meta.url));

/** One worker thread and its share of an Adaptive Random Forest's members, one request at a time. */
class MemberWorker implements MemberThread {
  private readonly worker: Worker;
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.worker = new Worker(WORKER_URL);
    // Idle workers must not keep the process alive; one at work must.
    this.worker.unref();
  }

  request<T>(message: MemberRequest): Promise<T> {
    const run = (): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        this.worker.ref();
        const onMessage = (reply: { ok: boolean; error?: string } & T): void => {
          cleanup();
          if (reply.ok) resolve(reply);
          else reject(new Error(`adaptive-random-forest worker: ${reply.error}`));
        };
        const onError = (err: Error): void => {
          cleanup();
          reject(err);
        };
        const cleanup = (): void => {
          this.worker.off('message', onMessage);
          this.worker.off('error', onError);
          this.worker.unref();
        };
        this.worker.on('message', onMessage);
        this.worker.on('error', onError);
        this.worker.postMessage(message);
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  terminate(): void {
    void this.worker.terminate();
  }
}

useMemberThreads(() => new MemberWorker());
