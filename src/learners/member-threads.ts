import { fail } from '../core/errors.js';
import type { MemberSettings, MemberState } from './forest-members.js';

/** What a thread holding a share of a forest's members is asked, one request at a time. */
export type MemberRequest =
  | { op: 'init'; settings: MemberSettings; k: number; indices: number[]; states: MemberState[] | null }
  | { op: 'learn'; data: Float64Array; y: Int32Array; rows: number }
  | { op: 'predict'; data: Float64Array; rows: number }
  | { op: 'state' };

/** A thread holding a share of an Adaptive Random Forest's members. */
export interface MemberThread {
  request<T>(message: MemberRequest): Promise<T>;
  terminate(): void;
}

// Threads are the platform's (Node's worker_threads, a browser's Web Workers), so the
// forest, which is platform-neutral, is handed a way to start them rather than importing one.
let startThread: (() => MemberThread) | null = null;

/** Sets how `adaptive-random-forest` with `workers` > 1 starts its threads: `streamlearn/node` sets worker threads. */
export function useMemberThreads(start: () => MemberThread): void {
  startThread = start;
}

/** A new thread for a share of the members; fails in one line where no way to start one was set. */
export function memberThread(): MemberThread {
  if (!startThread) {
    fail('adaptive-random-forest: workers > 1 runs members on threads, and none are set up here: import "streamlearn/node" first (the CLI does), or keep workers at 1 (the results are the same)');
  }
  return startThread();
}
