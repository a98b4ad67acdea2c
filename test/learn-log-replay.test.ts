import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import { Model } from '../src/learners/model.js';
import { loadModel } from '../src/node/persist/model-dir.js';
import { train } from '../src/node/pipeline.js';
import { createServer } from '../src/node/serve/app.js';
import { LEARN_LOG_FILE, LearnLog, replayLearnLog, type RecordRow } from '../src/node/serve/learn-log.js';
import { ROOT } from './helpers.js';

const FEATURES = ['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm'];
const IRIS: RecordRow[] = readFileSync(join(ROOT, 'data', 'iris.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const cells = line.split(',');
    return { ...Object.fromEntries(FEATURES.map((f, j) => [f, Number(cells[j])])), species: cells[4] };
  });
const PROBE = [0, 50, 100, 149].map((i) => Object.fromEntries(FEATURES.map((f) => [f, IRIS[i][f]])));

let scratch: string;
let trained: string;
let copies = 0;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'streamlearn-replay-'));
  trained = join(scratch, 'trained');
  await train({ source: { dataset: 'iris' }, model: 'gaussian-nb', output: { out: trained } });
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function modelCopy(): string {
  const dir = join(scratch, `copy-${++copies}`, 'm');
  cpSync(trained, dir, { recursive: true });
  return dir;
}

/** A model directory whose learn log holds `requests`, acknowledged by a server that then died. */
async function withLog(requests: RecordRow[][]): Promise<string> {
  const dir = modelCopy();
  const server = await createServer({ model: dir, learn: true, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0, checkpointEvery: 1_000_000 });
  for (const rows of requests) await server.host.learn(rows);
  return dir;
}

const requests = [IRIS.slice(0, 10), IRIS.slice(60, 70), IRIS.slice(120, 127), IRIS.slice(30, 40)];
/** Learns the first row of the 7-row request, then throws what is not a StreamlearnError, as a model bug would. */
function breakOnSevenRows(): void {
  const original = Model.prototype.learnRecords;
  vi.spyOn(Model.prototype, 'learnRecords').mockImplementation(async function (this: Model, rows: readonly RecordRow[]) {
    if (rows.length === 7) {
      await original.call(this, rows.slice(0, 1));
      throw new TypeError("Cannot read properties of undefined (reading 'length')");
    }
    return original.call(this, rows);
  } as typeof original);
}

describe('learn log replay: an exception from the model', () => {
  it('replayLearnLog turns any error that apply throws into the one-line refusal naming the log and line', async () => {
    const dir = modelCopy();
    const log = await LearnLog.start(dir, 'some-save');
    for (const rows of requests) log.append(rows);
    await log.close();
    let calls = 0;
    const apply = async (): Promise<void> => {
      if (++calls === 2) throw new RangeError('Invalid array length');
    };
    const err = await replayLearnLog(dir, 'some-save', apply).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamlearnError);
    expect((err as Error).message).toBe(
      `${join(dir, LEARN_LOG_FILE)}: line 3: the model failed on this record (RangeError: Invalid array length); not starting, so that no acknowledged update is dropped: ` +
        `--learn-log-recovery keep-prefix starts with the 1 request before line 3 and moves line 3 and the rest of the log to a file beside ${dir}`,
    );
    calls = 0;
    const thrown = async (): Promise<void> => {
      if (++calls === 1) throw 'not even an Error'; // eslint-disable-line @typescript-eslint/only-throw-error
    };
    await expect(replayLearnLog(dir, 'some-save', thrown)).rejects.toThrow(`line 2: the model failed on this record (not even an Error); not starting`);
  });

  it('serve refuses to start with one line; with keep-prefix it sets the record aside and serves the prefix alone, not a half-learned record', async () => {
    const dir = await withLog(requests);
    breakOnSevenRows();
    const log = join(dir, LEARN_LOG_FILE);
    const before = readFileSync(log, 'utf8');
    const err = await createServer({ model: dir, reloadIntervalSeconds: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamlearnError);
    expect((err as Error).message).toBe(
      `${log}: line 4: the model failed on this record (TypeError: Cannot read properties of undefined (reading 'length')); not starting, so that no acknowledged update is dropped: ` +
        `--learn-log-recovery keep-prefix starts with the 2 requests before line 4 and moves line 4 and the rest of the log to a file beside ${dir}`,
    );
    expect(readFileSync(log, 'utf8')).toBe(before);

    const lines: string[] = [];
    const server = await createServer({ model: dir, reloadIntervalSeconds: 0, learnLogRecovery: 'keep-prefix', log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/learn log line 4: the model failed on this record \(TypeError: .*\); set aside 2 lines \(line 4 and after, not replayed\)/);
      expect(server.host.updates.replayed).toBe(20);
      vi.restoreAllMocks();
      const prefix = await loadModel(trained);
      for (const rows of requests.slice(0, 2)) await prefix.learnRecords(rows);
      // Bit-for-bit the prefix: the row learned before the exception is not in the served model.
      expect(await server.host.predict(PROBE)).toEqual(await prefix.predictRecords(PROBE));
    } finally {
      await server.close();
    }
    expect(readdirSync(join(dir, '..')).filter((f) => f.startsWith('m.learn-log.rejected-'))).toHaveLength(1);
  });
});
