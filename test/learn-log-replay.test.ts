import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import { Model } from '../src/learners/model.js';
import { loadModel } from '../src/node/persist/model-dir.js';
import { createServer } from '../src/node/serve/app.js';
import { LEARN_LOG_FILE, LearnLog, replayLearnLog, type RecordRow } from '../src/node/serve/learn-log.js';
import { FEATURES, IRIS, trainedIrisModel } from './serve-fixtures.js';

const PROBE = [0, 50, 100, 149].map((i) => Object.fromEntries(FEATURES.map((f) => [f, IRIS[i][f]])));

const irisModel = trainedIrisModel('streamlearn-replay-');
const modelCopy = (): string => irisModel.copy();
afterEach(() => vi.restoreAllMocks());

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
      const prefix = await loadModel(irisModel.trained);
      for (const rows of requests.slice(0, 2)) await prefix.learnRecords(rows);
      // Bit-for-bit the prefix: the row learned before the exception is not in the served model.
      expect(await server.host.predict(PROBE)).toEqual(await prefix.predictRecords(PROBE));
    } finally {
      await server.close();
    }
    expect(readdirSync(join(dir, '..')).filter((f) => f.startsWith('m.learn-log.rejected-'))).toHaveLength(1);
  });
});
