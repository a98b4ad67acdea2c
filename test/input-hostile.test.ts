import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { csvSource } from '../src/node/files/csv.js';
import { csvBatches } from '../src/node/files/csv-records.js';
import { lineBatches } from '../src/node/files/input.js';
import { jsonlSource } from '../src/node/files/jsonl.js';
import type { Source } from '../src/data/source.js';
import { resolveParams } from '../src/core/params.js';
import { learnerDefinition } from '../src/learners/registry.js';
import { train } from '../src/node/pipeline.js';
import { runCli, tempDir } from './helpers.js';

const MiB = 1024 * 1024;

/** Text as a byte stream in chunks of `size` bytes, as a file is read. */
function chunked(text: string, size = 64 * 1024): Readable {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks, { objectMode: false });
}

/** An endless line: `x` for ever, in 64 KiB chunks; `pulled()` says how many chunks were read. */
function endless(prefix = ''): { stream: Readable; pulled: () => number } {
  let count = 0;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  async function* gen(): AsyncGenerator<Buffer> {
    if (prefix) yield Buffer.from(prefix);
    for (;;) {
      count++;
      yield chunk;
    }
  }
  return { stream: Readable.from(gen(), { objectMode: false }), pulled: () => count };
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of it) out.push(item);
  return out;
}

async function rowsOf(source: Source): Promise<number> {
  let n = 0;
  for await (const _ of source.rows()) n++;
  return n;
}

/** The one line a failed run prints, after checking it failed as a user error with nothing on stdout. */
function failure(args: string[], options: { cwd?: string; input?: string } = {}): string {
  const r = runCli(args, options);
  expect(r.status, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('long lines: linear, and bounded by --max-line-bytes', () => {
  it('a 20 MB line over a 1 MiB limit fails naming the file and line: CSV (quote-free and quoted), JSON lines, gzip, stdin, predict', () => {
    const dir = tempDir();
    const big = 'x'.repeat(20 * MiB);
    const csv = join(dir, 'long.csv');
    writeFileSync(csv, `a,label\n1,p\n${big},q\n2,p\n`);
    const quoted = join(dir, 'quoted.csv');
    writeFileSync(quoted, `a,label\n1,p\n"${big}",q\n2,p\n`);
    const jsonl = join(dir, 'long.jsonl');
    writeFileSync(jsonl, `{"a":1,"label":"p"}\n{"a":"${big}","label":"q"}\n`);
    const gz = join(dir, 'long.csv.gz');
    writeFileSync(gz, gzipSync(`a,label\n1,p\n${big},q\n`));
    const limit = ['--max-line-bytes', '1048576', '--no-save'];
    const tooLong = (file: string, line: number) => `streamlearn: ${file}: line ${line}: longer than 1048576 bytes (--max-line-bytes)`;
    expect(failure(['train', '--data', csv, '--label', 'label', ...limit])).toBe(tooLong(csv, 3));
    expect(failure(['train', '--data', quoted, '--label', 'label', ...limit])).toBe(tooLong(quoted, 3));
    expect(failure(['train', '--data', jsonl, '--label', 'label', ...limit])).toBe(tooLong(jsonl, 2));
    expect(failure(['train', '--data', gz, '--label', 'label', ...limit])).toBe(tooLong(gz, 3));
    expect(failure(['train', '--data', '-', '--label', 'label', ...limit], { input: `a,label\n${big},q\n` })).toBe(tooLong('<stdin>', 2));
    // The default is 16 MiB.
    expect(failure(['train', '--data', csv, '--label', 'label', '--no-save'])).toBe(`streamlearn: ${csv}: line 3: longer than 16777216 bytes (--max-line-bytes)`);

    const model = join(dir, 'model');
    const short = join(dir, 'short.csv');
    writeFileSync(short, 'a,label\n1,p\n2,q\n1,p\n2,q\n');
    expect(runCli(['train', '--data', short, '--label', 'label', '--out', model, '--batch-size', '2']).status).toBe(0);
    expect(failure(['predict', '--model', model, '--input', csv, '--max-line-bytes', '1048576'])).toBe(tooLong(csv, 3));
    expect(failure(['predict', '--model', model, '--input', jsonl, '--max-line-bytes', '1048576'])).toBe(tooLong(jsonl, 2));
  });

  it('fails as soon as the pending line passes the limit, not after reading the rest of it', async () => {
    const limit = 1 * MiB;
    const chunksToLimit = limit / (64 * 1024);
    const lines = endless('{"a":');
    await expect(drain(lineBatches(lines.stream, 'endless.jsonl', { maxLineBytes: limit }))).rejects.toThrow('endless.jsonl: line 1: longer than 1048576 bytes (--max-line-bytes)');
    expect(lines.pulled()).toBeLessThanOrEqual(chunksToLimit + 2);

    const plain = endless('a,label\n');
    await expect(drain(csvBatches(plain.stream, 'endless.csv', { maxLineBytes: limit }))).rejects.toThrow('endless.csv: line 2: longer than 1048576 bytes (--max-line-bytes)');
    expect(plain.pulled()).toBeLessThanOrEqual(chunksToLimit + 2);

    // From the first quote on, csv-parse reads: its max_record_size stops it as early.
    const quoted = endless('a,label\n"');
    await expect(drain(csvBatches(quoted.stream, 'quoted.csv', { maxLineBytes: limit }))).rejects.toThrow('quoted.csv: line 2: longer than 1048576 bytes (--max-line-bytes)');
    expect(quoted.pulled()).toBeLessThanOrEqual(chunksToLimit + 40);
  });

  it('a line of exactly the limit is read, one byte more fails: \\n and \\r\\n, ASCII and multi-byte, split anywhere', async () => {
    const limit = 1000;
    // 'é' is 2 bytes of UTF-8, '€' 3: the limit counts bytes, not characters.
    for (const fill of ['x', 'é', '€']) {
      const bytes = Buffer.byteLength(fill);
      const fits = fill.repeat(Math.floor(limit / bytes)) + 'x'.repeat(limit % bytes);
      expect(Buffer.byteLength(fits)).toBe(limit);
      for (const eol of ['\n', '\r\n']) {
        for (const size of [7, 64, 999, 1001, 4096]) {
          const ok = await drain(lineBatches(chunked(`short${eol}${fits}${eol}end`, size), 'f', { maxLineBytes: limit }));
          expect(ok.flatMap((b) => b.lines)).toEqual(['short', fits, 'end']);
          await expect(drain(lineBatches(chunked(`short${eol}${fits}y${eol}end`, size), 'f', { maxLineBytes: limit }))).rejects.toThrow(`f: line 2: longer than ${limit} bytes`);
          const records = await drain(csvBatches(chunked(`h${eol}${fits}${eol}end${eol}`, size), 'f', { maxLineBytes: limit }));
          expect(records.flatMap((b) => b.records)).toEqual([['h'], [fits], ['end']]);
          await expect(drain(csvBatches(chunked(`h${eol}${fits}y${eol}end${eol}`, size), 'f', { maxLineBytes: limit }))).rejects.toThrow(`f: line 2: longer than ${limit} bytes`);
        }
      }
    }
  });

  it('reads a 5 MB line under a raised limit, CSV and JSON lines, whole and unchanged', async () => {
    const value = 'v'.repeat(5 * MiB - 1) + 'w';
    const options = { label: 'label', categorical: ['a'], maxLineBytes: 8 * MiB };
    const csv = await csvSource(chunked(`a,b,label\n${value},1,p\nshort,2,q\n`), options);
    expect(await rowsOf(csv)).toBe(2);
    expect(csv.schema.categories?.[0]).toEqual([value, 'short']);
    const jsonl = await jsonlSource(chunked(`{"a":"${value}","b":1,"label":"p"}\n{"a":"short","b":2,"label":"q"}\n`), options);
    expect(await rowsOf(jsonl)).toBe(2);
    expect(jsonl.schema.categories?.[0]).toEqual([value, 'short']);
    // The default limit reads it too.
    const plain = await drain(lineBatches(chunked(`${value}\nnext\n`), 'f'));
    expect(plain.flatMap((b) => b.lines)).toEqual([value, 'next']);
  });

  it('refuses a limit that is not an integer from 1 to 256 MiB, in the library too', async () => {
    await expect(csvSource(chunked('a,label\n1,p\n'), { label: 'label', maxLineBytes: 0 })).rejects.toThrow(
      '--max-line-bytes (maxLineBytes) must be an integer from 1 to 268435456, got 0',
    );
    await expect(train({ source: { dataset: 'iris', maxLineBytes: 1000 }, output: { out: null } })).rejects.toThrow('source.maxLineBytes is not an option of a dataset source (dataset)');
  });
});

describe('JSON lines nested deep', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const deepObject = (n: number) => '{"k":'.repeat(n) + '1' + '}'.repeat(n);

  it.each([5_000, 100_000])('a cell nested %i deep is a one-line error naming file, line and field', (n) => {
    const dir = tempDir();
    const feature = join(dir, 'feature.jsonl');
    writeFileSync(feature, `{"a":1,"label":"p"}\n{"a":${deep(n)},"label":"q"}\n`);
    expect(failure(['train', '--data', feature, '--label', 'label', '--no-save'])).toBe(`streamlearn: ${feature}: line 2, field "a": expected a number, got an array`);
    expect(failure(['train', '--data', feature, '--label', 'label', '--categorical', 'a', '--no-save'])).toBe(
      `streamlearn: ${feature}: line 2, field "a": expected a category (a string or a number), got an array`,
    );
    const object = join(dir, 'object.jsonl');
    writeFileSync(object, `{"a":1,"label":"p"}\n{"a":${deepObject(n)},"label":"q"}\n`);
    expect(failure(['train', '--data', object, '--label', 'label', '--no-save'])).toBe(`streamlearn: ${object}: line 2, field "a": expected a number, got an object`);
    const label = join(dir, 'label.jsonl');
    writeFileSync(label, `{"a":1,"label":"p"}\n{"a":2,"label":${deep(n)}}\n`);
    expect(failure(['train', '--data', label, '--label', 'label', '--no-save'])).toBe(
      `streamlearn: ${label}: line 2, field "label": expected a label (a string or a number), got an array`,
    );
  });

  it('predict names the line and field of a deep cell', () => {
    const dir = tempDir();
    const data = join(dir, 'train.csv');
    writeFileSync(data, 'a,label\n1,p\n2,q\n1,p\n2,q\n');
    const model = join(dir, 'model');
    expect(runCli(['train', '--data', data, '--label', 'label', '--out', model, '--batch-size', '2']).status).toBe(0);
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, `{"a":1}\n{"a":${deep(100_000)}}\n`);
    expect(failure(['predict', '--model', model, '--input', input])).toBe(`streamlearn: ${input}: line 2, field "a": expected a number, got an array`);
  });
});

describe('integer flags: safe integers in a stated range', () => {
  const invalid = (flag: string, value: string, min: number, max: number) =>
    `error: option '${flag} <n>' argument '${value}' is invalid. expected an integer from ${min} to ${max}.`;
  const MAX = Number.MAX_SAFE_INTEGER;
  const cases: [string[], string][] = [
    [['train', '--batch-size', '1e20'], invalid('--batch-size', '1e20', 1, 1_000_000)],
    [['train', '--batch-size', '1.5'], invalid('--batch-size', '1.5', 1, 1_000_000)],
    [['train', '--batch-size', 'abc'], invalid('--batch-size', 'abc', 1, 1_000_000)],
    [['train', '--batch-size', '-3'], invalid('--batch-size', '-3', 1, 1_000_000)],
    [['train', '--batch-size', '0x10'], invalid('--batch-size', '0x10', 1, 1_000_000)],
    [['train', '--batch-size', '1000001'], invalid('--batch-size', '1000001', 1, 1_000_000)],
    [['train', '--seed', '-1'], invalid('--seed', '-1', 0, MAX)],
    [['train', '--seed', '9007199254740992'], invalid('--seed', '9007199254740992', 0, MAX)],
    [['compare', '--models', 'knn', '--window', '1e9'], invalid('--window', '1e9', 1, 100_000_000)],
    [['train', '--holdout-rows', '2000000'], invalid('--holdout-rows', '2000000', 1, 1_000_000)],
    [['train', '--shuffle-buffer', '0'], invalid('--shuffle-buffer', '0', 1, 100_000_000)],
    [['train', '--rows', '1e20'], invalid('--rows', '1e20', 1, MAX)],
    [['train', '--max-line-bytes', '0'], invalid('--max-line-bytes', '0', 1, 268_435_456)],
    [['predict', '--model', 'm', '--input', 'x.csv', '--max-line-bytes', '1e20'], invalid('--max-line-bytes', '1e20', 1, 268_435_456)],
    [['generate', 'sea', '--rows', '-1'], invalid('--rows', '-1', 0, MAX)],
    [['publish', 'x.csv', '--to', 'nats://127.0.0.1:1/S', '--lines-per-message', '0'], invalid('--lines-per-message', '0', 1, 1_000_000)],
    [['serve', '--model', 'm', '--port', '70000'], invalid('--port', '70000', 0, 65535)],
    [['worker', '--source', 'nats://127.0.0.1:1/S', '--durable', 'd', '--out', 'o', '--batch-size', '1e20'], invalid('--batch-size', '1e20', 1, 1_000_000)],
  ];

  it.each(cases)('%j: exit 1 with one line naming the flag and the range', (args, message) => {
    expect(failure(args, { cwd: tempDir() })).toBe(message);
  });

  it('learner parameters: an integer past 2^53 is refused with the range, in the CLI and the library', async () => {
    expect(failure(['train', '--model', 'hoeffding-tree', '--param', 'grace-period=1e20', '--no-save'])).toBe(
      'streamlearn: --param grace-period=1e20: expected an integer from 1 to 9007199254740991',
    );
    expect(() => resolveParams(learnerDefinition('knn'), { windowSize: 1e20 })).toThrow('--param window-size=100000000000000000000: expected an integer from 1 to');
    await expect(train({ stream: { batchSize: 1e20 }, output: { out: null } })).rejects.toThrow('stream.batchSize must be at most 1000000, got 100000000000000000000');
  });

  it('mlp hidden-units has a bound: a trillion units failed allocating the layer (exit 70)', () => {
    expect(failure(['train', '--model', 'mlp', '--param', 'hidden-units=1000000000000', '--no-save'])).toBe('streamlearn: --param hidden-units=1000000000000: must be at most 65536');
  });
});

describe('missing values without an imputer', () => {
  const data = 'a,b,label\n1,,p\n2,1,q\n,3,p\n3,1,q\n1,2,p\n2,,q\n1,3,p\n3,1,q\n';
  const refusal = (learner: string) =>
    `streamlearn: --missing allow needs an imputer in --preprocess (add impute-mean or impute-mode): ${learner} does not take missing values ` +
    '(learners that do: hoeffding-tree, hoeffding-adaptive-tree, extremely-fast-decision-tree, adaptive-random-forest, streaming-random-patches, majority-class, no-change, and online-bagging or leveraging-bagging of those)';

  it.each([
    ['knn', 'standard-scaler'],
    ['softmax-regression', 'none'],
    ['gaussian-nb', 'one-hot'],
    ['online-bagging', 'none', 'base=gaussian-nb'],
  ])('%s with --preprocess %s is refused before training, and no model is written', (learner, steps, param) => {
    const dir = tempDir();
    const file = join(dir, 'data.csv');
    writeFileSync(file, data);
    const out = join(dir, 'model');
    const args = ['train', '--data', file, '--label', 'label', '--missing', 'allow', '--preprocess', steps, '--model', learner, '--out', out];
    expect(failure(param ? [...args, '--param', param] : args)).toBe(refusal(learner));
    expect(existsSync(out)).toBe(false);
  });

  it('the library refuses it too', async () => {
    const dir = tempDir();
    const file = join(dir, 'data.csv');
    writeFileSync(file, data);
    await expect(train({ source: { file, label: 'label', missing: 'allow' }, model: { learner: 'knn', preprocess: ['standard-scaler'] }, output: { out: null } })).rejects.toThrow(refusal('knn').replace('streamlearn: --missing allow needs an imputer in --preprocess', 'source.missing allow needs an imputer in model.preprocess'));
  });

  it.each([
    ['hoeffding-tree', 'none', undefined],
    ['online-bagging', 'none', 'base=hoeffding-tree'],
    ['knn', 'standard-scaler,impute-mean', undefined],
    ['gaussian-nb', 'impute-mode', undefined],
  ])('%s with --preprocess %s trains, and the saved model loads and predicts rows with missing values', (learner, steps, param) => {
    const dir = tempDir();
    const file = join(dir, 'data.csv');
    writeFileSync(file, data);
    const out = join(dir, 'model');
    const args = ['train', '--data', file, '--label', 'label', '--missing', 'allow', '--preprocess', steps, '--model', learner, '--out', out, '--batch-size', '4'];
    const r = runCli(param ? [...args, '--param', param] : args);
    expect(r.status, r.stderr).toBe(0);
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'a,b\n1,\n,2\n');
    const predicted = runCli(['predict', '--model', out, '--input', input]);
    expect(predicted.stderr).toBe('');
    expect(predicted.status).toBe(0);
    expect(predicted.stdout.trimEnd().split('\n')).toHaveLength(3);
  });
});

describe('features named like Object.prototype properties', () => {
  it('predict looks features up as own properties: a missing "constructor" or "__proto__" is missing', () => {
    const dir = tempDir();
    const data = join(dir, 'proto.csv');
    writeFileSync(data, 'constructor,__proto__,label\n1,2,a\n2,1,b\n1,3,a\n3,1,b\n');
    const model = join(dir, 'model');
    expect(runCli(['train', '--data', data, '--label', 'label', '--out', model, '--batch-size', '2']).status).toBe(0);
    const none = join(dir, 'none.jsonl');
    writeFileSync(none, '{"other":1}\n');
    expect(failure(['predict', '--model', model, '--input', none])).toBe(`streamlearn: ${none}: line 1: missing feature "constructor" that the model needs`);
    const one = join(dir, 'one.jsonl');
    writeFileSync(one, '{"constructor":1}\n');
    expect(failure(['predict', '--model', model, '--input', one])).toBe(`streamlearn: ${one}: line 1: missing feature "__proto__" that the model needs`);
    const both = join(dir, 'both.jsonl');
    writeFileSync(both, '{"constructor":1,"__proto__":2}\n');
    const r = runCli(['predict', '--model', model, '--input', both, '--format', 'jsonl']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ row: 1 });
    // Training from JSON lines reads own properties too.
    const jsonl = join(dir, 'train.jsonl');
    writeFileSync(jsonl, '{"constructor":1,"__proto__":2,"label":"a"}\n{"__proto__":2,"label":"b"}\n');
    expect(failure(['train', '--data', jsonl, '--label', 'label', '--no-save'])).toBe(`streamlearn: ${jsonl}: line 2: no field "constructor"`);
  });
});

describe('a named pipe as a data file', () => {
  // bash's <(...) and /dev/stdin fed by a pipe are pipes by name: they cannot seek, and what one open reads is gone.
  it.skipIf(process.platform === 'win32')('is read once from its start, plain or gzip, as stdin is (it failed with ESPIPE, exit 70)', async () => {
    const dir = tempDir();
    const text = 'a,label\n1,p\n2,q\n3,p\n';
    for (const [name, bytes] of [['plain', Buffer.from(text)], ['gzip', gzipSync(text)]] as const) {
      const fifo = join(dir, name);
      execFileSync('mkfifo', [fifo]);
      // Opening a pipe's write end waits for a reader: it is written as the source reads.
      createWriteStream(fifo).end(bytes);
      expect(await rowsOf(await csvSource(fifo, { label: 'label' }))).toBe(3);
    }
  });
});
