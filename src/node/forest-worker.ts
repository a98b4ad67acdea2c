/**
 * A worker thread holding a share of an Adaptive Random Forest's members.
 * It answers one request at a time from the thread that made it.
 */
import { parentPort } from 'node:worker_threads';
import { ForestMembers } from '../learners/forest-members.js';
import type { MemberRequest } from '../learners/member-threads.js';

let members: ForestMembers | null = null;

parentPort?.on('message', (request: MemberRequest) => {
  try {
    if (request.op === 'init') {
      members = new ForestMembers(request.settings, request.k, request.indices);
      if (request.states) members.setState(request.states);
      parentPort!.postMessage({ ok: true });
      return;
    }
    if (!members) throw new Error('forest worker used before init');
    if (request.op === 'learn') {
      const v = members.learnScored(request.data, request.y, request.rows);
      parentPort!.postMessage({ ok: true, votes: v, drifts: members.drifts, warnings: members.warnings }, [v.votes.buffer as ArrayBuffer, v.weights.buffer as ArrayBuffer]);
    } else if (request.op === 'predict') {
      const v = members.predict(request.data, request.rows);
      parentPort!.postMessage({ ok: true, votes: v }, [v.votes.buffer as ArrayBuffer, v.weights.buffer as ArrayBuffer]);
    } else {
      parentPort!.postMessage({ ok: true, states: members.getState() });
    }
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
