// The type test: test/types/names.ts holds valid calls and, on @ts-expect-error lines, the typos the
// types must refuse (an unknown learner, a parameter of the wrong type or name, an unknown data set,
// a label that is not a string). tsc fails on an @ts-expect-error that is no longer an error, so
// this fails when the names stop being types.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('learner, parameter and data set names are types', () => {
  it('tsc accepts test/types/names.ts: every typo there is a compile error, every valid call compiles', async () => {
    // Not spawnSync: tsc takes a minute on a loaded machine, past vitest's RPC timeout for a blocked worker.
    const r = await promisify(execFile)(process.execPath, [tsc, '-p', join(ROOT, 'test', 'types', 'tsconfig.json'), '--noEmit', '--pretty', 'false'], { encoding: 'utf8' }).then(
      ({ stdout, stderr }) => ({ status: 0, out: stdout + stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ status: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  }, 300_000);
});
