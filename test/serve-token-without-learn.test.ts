import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../src/node/pipeline.js';
import { createServer } from '../src/node/serve/app.js';
import { ROOT } from './helpers.js';

const BIN = join(ROOT, 'bin', 'streamlearn.js');
let scratch: string;
let model: string;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'streamlearn-token-'));
  model = join(scratch, 'm');
  await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: model } });
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('serve: a learn token without --learn', () => {
  it('refuses --learn-token-file without --learn with one line, before serving', () => {
    const tokenFile = join(scratch, 'token');
    writeFileSync(tokenFile, 'abc\n', { mode: 0o600 });
    const r = spawnSync(process.execPath, [BIN, 'serve', '--model', model, '--port', '0', '--learn-token-file', tokenFile], {
      encoding: 'utf8',
      env: { ...process.env, STREAMLEARN_LEARN_TOKEN: undefined },
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'streamlearn: --learn-token-file protects POST /learn, which is off without --learn: add --learn to learn online, or drop --learn-token-file',
    ]);
    expect(r.stdout).toBe('');
  });

  it('ignores STREAMLEARN_LEARN_TOKEN without --learn (it may be set machine-wide), even an empty one', async () => {
    for (const value of ['from-the-env', '']) {
      const child = spawn(process.execPath, [BIN, 'serve', '--model', join(scratch, 'm'), '--port', '0', '--reload-interval', '0'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, STREAMLEARN_LEARN_TOKEN: value },
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(`${code} ${signal}`)));
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('serve: not listening within 30 s')), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) {
            clearTimeout(timer);
            resolve(out.trim());
          }
        });
        void exit.then((code) => reject(new Error(`serve exited (${code}): ${err}`)));
      });
      expect(line, JSON.stringify(value)).toMatch(/\(learning off\)$/);
      const url = /on (http:\/\/\S+)/.exec(line)![1];
      const learn = await fetch(`${url}/learn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rows":[]}' });
      expect(learn.status).toBe(403);
      child.kill('SIGTERM');
      expect(await exit).toBe('0 null');
      // Nothing about the token: the server's log (JSON lines at info) holds its start and its stop only.
      const logged = err.trimEnd().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(logged.map((l) => l.level)).toEqual([30, 30, 30]);
      expect(logged.map((l) => l.msg)).toEqual([`Server listening at ${url}`, `dashboard: ${url}/dashboard; Prometheus metrics: ${url}/metrics`, 'SIGTERM: finishing requests in flight']);
    }
  }, 60_000);

  it('createServer refuses a learnToken when learn is off', async () => {
    const dir = join(scratch, 'copy');
    cpSync(model, dir, { recursive: true });
    await expect(createServer({ model: dir, learnToken: 'abc' })).rejects.toThrow(
      'learnToken (--learn-token-file or STREAMLEARN_LEARN_TOKEN) protects POST /learn, which is off: set learn (--learn) to learn online, or drop the token',
    );
  });
});
