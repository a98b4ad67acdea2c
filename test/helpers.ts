import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { rowsToBatch, type Batch } from '../src/core/types.js';
import { synthSource } from '../src/data/synth/registry.js';
import type { LearnerContext } from '../src/learners/contract.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'streamlearn.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds dist/ first) in `cwd`. */
export function runCli(args: string[], options: { cwd?: string; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  // runCli blocks the worker (spawnSync). Awaiting a macrotask between tests lets vitest's
  // messages to the main process through; without it a file of CLI tests can block them
  // past vitest's fixed 60 s RPC timeout on a slow machine ("Timeout calling onTaskUpdate").
  await new Promise<void>((resolve) => setImmediate(resolve));
});

/** A temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'streamlearn-test-'));
  made.push(dir);
  return dir;
}

/** A batch from rows of features and labels. */
export function batchOf(rows: number[][], y: number[]): Batch {
  const cols = rows[0]?.length ?? 0;
  return { x: { data: Float64Array.from(rows.flat()), rows: rows.length, cols }, y: Int32Array.from(y) };
}

/** A generated stream read whole: one batch of its rows, and the learner context its schema gives. */
export async function synthBatch(spec: string, rows: number, seed: number): Promise<{ ctx: LearnerContext; batch: Batch }> {
  const source = synthSource(spec, { seed, rows });
  const all = [];
  for await (const row of source.rows()) all.push(row);
  const d = source.schema.features.length;
  return { ctx: { nFeatures: d, nClasses: source.schema.classes.length, seed, nominal: source.schema.nominal }, batch: rowsToBatch(all, d) };
}

/** Rows [from, to) of a batch, as views. */
export function sliceRows(batch: Batch, from: number, to: number): Batch {
  const d = batch.x.cols;
  return { x: { data: batch.x.data.subarray(from * d, to * d), rows: to - from, cols: d }, y: batch.y.subarray(from, to) };
}
