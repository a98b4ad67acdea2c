/**
 * Generative tests: random and adversarial input thrown at the readers, the
 * model loader and the server. Whatever comes in, the outcome is either a
 * result or a StreamlearnError of one line (the CLI's exit 1) / an HTTP 4xx;
 * never an internal error (exit 70, HTTP 500), never a hang past a stated
 * bound, never a file read outside a model directory, never a half-written
 * model. Seeds are fixed, so a failure reproduces; fast-check prints the
 * counterexample.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import { csvSource } from '../src/node/files/csv.js';
import { jsonlSource } from '../src/node/files/jsonl.js';
import { loadModel, manifestChecksum, saveModel } from '../src/node/persist/model-dir.js';
import { train } from '../src/node/pipeline.js';
import { createServer, type ModelServer } from '../src/node/serve/app.js';

// Every path the code under test hands to node:fs while `recording` is on: the loader's
// reads are checked against the model directory. The wrappers pass every call through.
const { reads, control, recorded } = vi.hoisted(() => {
  const reads: string[] = [];
  const control = { recording: false };
  const recorded = <T extends object>(actual: T): T => {
    const wrapped: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(actual)) {
      wrapped[key] =
        typeof value === 'function' && /^[a-z]/.test(key)
          ? function (this: unknown, ...args: unknown[]) {
              if (control.recording && (typeof args[0] === 'string' || args[0] instanceof URL)) reads.push(String(args[0]));
              return (value as (...a: unknown[]) => unknown).apply(this, args);
            }
          : value;
    }
    return wrapped as T;
  };
  return { reads, control, recorded };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...recorded(actual), default: recorded(actual) };
});
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...recorded(actual), default: recorded(actual) };
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A manifest given a checksum that matches its edited content, so the edit reaches the loader's own checks. */
function resignManifest<T extends object>(manifest: T): T {
  return { ...manifest, checksum: manifestChecksum(manifest) };
}

/** A named pipe: opening it for reading blocks until a writer comes, so a loader that opens one hangs. */
function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
}

/** How long one reader run or one request may take before it counts as a hang. */
const HANG_BOUND_MS = 5_000;

/** Resolves with what `work` gives, or rejects when it takes longer than the bound. */
async function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} took over ${HANG_BOUND_MS} ms`)), HANG_BOUND_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A user error must be one line; anything else is a bug and fails the property. */
function expectUserError(err: unknown): void {
  // By name: the loader's tests import a second copy of the modules (see below), with its own class.
  if (!(err instanceof StreamlearnError) && !(err instanceof Error && err.name === 'StreamlearnError')) throw err;
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message.length).toBeGreaterThan(0);
}

// Pieces that have broken parsers: quotes, line ends of every kind, a BOM,
// numbers past a double's range, names of Object.prototype's members, deep brackets.
const cellPiece = fc.oneof(
  fc.constantFrom('"', '""', '\r', '\n', '\r\n', '\uFEFF', ',', ';', ' ', '', 'NaN', 'Infinity', '-0', '1e400', '0x1F', '1_000', '__proto__', 'constructor', 'toString', 'null', '{', '}', '[', ']', '\\', '\u0000', '\uD800'),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
);
const csvText = fc
  .tuple(
    fc.constantFrom('a,b,label\n', 'a,b,label\r\n', '\uFEFFa,b,label\n', 'a,a,label\n', '__proto__,constructor,label\n', 'label\n', ''),
    fc.array(fc.array(cellPiece, { maxLength: 6 }).map((cells) => cells.join(',')), { maxLength: 12 }),
  )
  .map(([header, lines]) => header + lines.join('\n'));

const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('1e400', '-1e400', '"__proto__"', '{"__proto__":{"a":1}}', '{"constructor":1}'),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => '['.repeat(depth) + '1' + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
);
const jsonlLine = fc.oneof(
  fc
    .tuple(fc.oneof(jsonValue.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))), cellPiece), fc.oneof(cellPiece, fc.constant('1')), fc.constantFrom('"x"', '"y"', '1', 'null', '[]'))
    .map(([a, b, label]) => `{"a":${a},"b":${b},"label":${label}}`),
  fc.constantFrom('{"a":1,"b":2,"label":"x"}', '{"label":"y","b":1,"a":0}', '[]', '"text"', '{', '', '   ', '{"__proto__":{"a":1},"b":1,"label":"x"}'),
  cellPiece,
);
const jsonlText = fc.tuple(fc.array(jsonlLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([lines, end]) => lines.join(end));

/** Reads a whole labelled source; what a training run does with it first. */
async function drain(open: () => Promise<{ rows(): AsyncIterable<unknown> }>): Promise<number> {
  const source = await open();
  let n = 0;
  for await (const _ of source.rows()) n++;
  return n;
}

async function readerNeverBreaks(open: () => Promise<{ rows(): AsyncIterable<unknown> }>, what: string): Promise<void> {
  try {
    await bounded(drain(open), what);
  } catch (err) {
    expectUserError(err);
  }
}

const readerOptions = fc.record({
  missing: fc.constantFrom('fail' as const, 'allow' as const),
  onBadRow: fc.constantFrom('fail' as const, 'skip' as const),
  categorical: fc.constantFrom(undefined, 'auto' as const, ['a']),
});

describe('readers under random and adversarial text', () => {
  it('CSV: rows or a one-line error, within the bound', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, readerOptions, async (text, options) => {
        await readerNeverBreaks(() => csvSource(Readable.from([Buffer.from(text)]), { label: 'label', ...options }), 'a CSV read');
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('CSV split into small chunks reads the same as whole', async () => {
    // Chunk boundaries fall inside lines, quotes, CRLF pairs and multi-byte characters.
    await fc.assert(
      fc.asyncProperty(csvText, fc.integer({ min: 1, max: 7 }), async (text, size) => {
        const bytes = Buffer.from(text);
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        const outcome = async (from: Buffer[]): Promise<string> => {
          try {
            const source = await csvSource(Readable.from(from), { label: 'label', onBadRow: 'skip' });
            const rows: unknown[] = [];
            for await (const row of source.rows()) rows.push(row);
            return JSON.stringify(rows, (_, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v));
          } catch (err) {
            expectUserError(err);
            return 'error';
          }
        };
        expect(await bounded(outcome(chunks), 'a chunked CSV read')).toBe(await bounded(outcome([bytes]), 'a CSV read'));
      }),
      { seed: 13, numRuns: 150 },
    );
  });

  it('JSON lines: rows or a one-line error, within the bound', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlText, readerOptions, async (text, options) => {
        await readerNeverBreaks(() => jsonlSource(Readable.from([Buffer.from(text)]), { label: 'label', ...options }), 'a JSON lines read');
      }),
      { seed: 14, numRuns: 300 },
    );
  });
});

describe('the server under random and adversarial requests', () => {
  let scratch: string;
  let server: ModelServer;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'streamlearn-hostile-'));
    const dir = join(scratch, 'model');
    await train({ source: { dataset: 'iris' }, model: 'hoeffding-tree', output: { out: dir } });
    server = await createServer({ model: dir, learn: true, checkpointIntervalSeconds: 0, reloadIntervalSeconds: 0, maxRows: 50, maxBodyBytes: 200_000 });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const FEATURES = ['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm'];
  const rowValue = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null), fc.boolean(), fc.jsonValue({ maxDepth: 2 }));
  const row = fc.dictionary(fc.oneof(fc.constantFrom(...FEATURES, 'species', '__proto__', 'constructor', 'toString'), fc.string({ maxLength: 4 })), rowValue, { maxKeys: 7 });
  const body = fc.oneof(
    fc.array(row, { maxLength: 60 }).map((rows) => JSON.stringify(rows)),
    row.map((r) => JSON.stringify(r)),
    fc.record({ rows: fc.oneof(fc.array(row, { maxLength: 5 }), rowValue) }).map((r) => JSON.stringify(r)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.integer({ min: 1, max: 100_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.integer({ min: 1, max: 60_000 }).map((depth) => '{"rows":' + '['.repeat(depth) + ']'.repeat(depth) + '}'),
    fc.constantFrom('', '{', 'null', '1e400', '[{"sepal_length_cm":1e400}]', '{"__proto__":{"rows":[]}}', '[{"__proto__":1}]', '\uFEFF[]'),
    fc.string({ maxLength: 40 }),
  );
  const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', undefined);
  const encoding = fc.constantFrom(undefined, undefined, undefined, 'gzip', 'br', 'identity');

  it('answers every request with a 2xx or a 4xx and a one-line JSON error, within the bound', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/predict', '/learn', '/model', '/health', '/nowhere'), fc.constantFrom('POST', 'GET', 'PUT'), body, contentType, encoding, async (url, method, payload, type, enc) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (enc) headers['content-encoding'] = enc;
        const res = await bounded(Promise.resolve(server.app.inject({ method, url, headers, payload: method === 'GET' ? undefined : payload })), `${method} ${url}`);
        expect(res.statusCode, `${method} ${url} ${type} ${enc}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          const parsed = JSON.parse(res.body) as { error?: unknown };
          expect(typeof parsed.error).toBe('string');
          expect(parsed.error as string).not.toMatch(/[\r\n]/);
        }
      }),
      { seed: 15, numRuns: 400 },
    );
  });
});

describe('the model loader under random manifest and state edits', () => {
  let scratch: string;
  let outside: string;
  const models: { name: string; dir: string }[] = [];
  const ROW = { sepal_length_cm: 5.1, sepal_width_cm: 3.5, petal_length_cm: 1.4, petal_width_cm: 0.2 };
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'streamlearn-loader-'));
    outside = join(scratch, 'outside');
    mkdirSync(outside);
    for (const name of ['gaussian-nb', 'hoeffding-tree', 'knn', 'softmax-regression', 'adaptive-random-forest', 'majority-class']) {
      const dir = join(scratch, 'trained', name);
      await train({ source: { dataset: 'iris' }, model: { learner: name, ...(name === 'adaptive-random-forest' ? { params: { ensembleSize: 3 } } : {}) }, output: { out: dir } });
      models.push({ name, dir });
    }
    // A copy of a real state file outside every model directory: a loader that followed a path
    // out of the directory would find a file whose checksum matches.
    writeFileSync(join(outside, 'state.json'), readFileSync(join(models[0].dir, 'state.json')));
  }, 120_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // test/setup.ts loaded the loader before this file's mocks of node:fs were set; a fresh copy of the
  // module graph reads through them, so the recording sees every path the loader opens.
  let freshLoadModel: typeof loadModel;
  beforeAll(async () => {
    vi.resetModules();
    freshLoadModel = (await import('../src/node/persist/model-dir.js')).loadModel;
  });

  type Manifest = Record<string, unknown> & { schema: Record<string, unknown>; files: Record<string, { sha256: string; bytes: number }>; learner: Record<string, unknown> };
  const manifestEdit = fc.oneof(
    fc.constant((m: Manifest) => void (m.schema.classes as string[]).pop()),
    fc.constant((m: Manifest) => void (m.schema.classes as string[]).push('extra')),
    fc.constant((m: Manifest) => void (m.schema.classes as string[]).push((m.schema.classes as string[])[0])),
    fc.constant((m: Manifest) => void (m.schema.classes = [])),
    fc.constant((m: Manifest) => void (m.schema.features as string[]).push((m.schema.features as string[])[0])),
    fc.constant((m: Manifest) => void (m.schema.features as string[]).pop()),
    fc.constant((m: Manifest) => void (m.schema.features as string[]).push('extra')),
    fc.constant((m: Manifest) => void (m.schema.nominal = [true])),
    fc.constant((m: Manifest) => void (m.schema.categories = [['a', 'a'], null, null, null])),
    fc.constantFrom('gaussian-nb', 'hoeffding-tree', 'knn', 'mlp', 'no-such-learner').map((name) => (m: Manifest) => void (m.learner.name = name)),
    fc.record({ key: fc.constantFrom('gracePeriod', 'k', 'ensembleSize', 'learningRate', 'seed', '__proto__'), value: fc.oneof(fc.constantFrom(-1, 0, 1e20, 1.5, 'abc', ''), fc.double()) }).map(
      ({ key, value }) => (m: Manifest) => void ((m.learner.params as Record<string, unknown>)[key] = value),
    ),
    fc.constantFrom('../outside/state.json', join(scratch ?? '/tmp', 'outside', 'state.json'), '/etc/hostname', 'sub/state.json', './state.json', '..', '.', '', 'manifest.json', 'weights.bin', 'model.json', 'STATE.JSON').map(
      (name) => (m: Manifest) => {
        const entry = m.files['state.json'];
        m.files = { [name]: entry };
      },
    ),
    fc.constantFrom('../outside/state.json', '/etc/hostname', 'extra.bin').map((name) => (m: Manifest) => void (m.files[name] = m.files['state.json'])),
    fc.constant((m: Manifest) => void ((m.preprocessing as unknown[]).length = 0)),
    fc.jsonValue({ maxDepth: 2 }).map((v) => (m: Manifest) => void (m.preprocessing = [{ name: 'standard-scaler', state: v }])),
    fc.jsonValue({ maxDepth: 2 }).map((v) => (m: Manifest) => void (m.schema = v as Record<string, unknown>)),
    // Stands for JSON nested deeper than any recursive walk survives; spliced into the text as written.
    fc.constant((m: Manifest) => void (m.preprocessing = [{ name: 'standard-scaler', state: DEEP }])),
    fc.constant((m: Manifest) => void (m.summary = DEEP)),
  );
  const DEEP = '@deep@';
  const deepText = (text: string): string => text.replaceAll(JSON.stringify(DEEP), '['.repeat(200_000) + ']'.repeat(200_000));
  /** Edits of state.json: JSON whose shape or values are wrong, or bytes that are no JSON at all. */
  const stateEdit = fc.oneof(
    fc.constant((s: string) => s.slice(0, Math.floor(s.length / 2))),
    fc.constant(() => 'not json'),
    fc.constant(() => '{"__proto__":{"polluted":1}}'),
    fc.jsonValue({ maxDepth: 3 }).map((v) => () => JSON.stringify(v)),
    fc.record({ at: fc.nat(), value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(1e308, -1, 0, 1e20, '', [], {})) }).map(({ at, value }) => (s: string) => {
      // Replace the at-th JSON value (a number, string or bracket run) by another.
      const parsed = JSON.parse(s) as unknown;
      let n = 0;
      const target = at % 200;
      const walk = (node: unknown): unknown => {
        if (n++ === target) return value;
        if (Array.isArray(node)) return node.map(walk);
        if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
        return node;
      };
      return JSON.stringify(walk(parsed));
    }),
  );
  const fileKind = fc.constantFrom('file', 'file', 'file', 'symlink-in', 'symlink-out', 'directory', 'fifo');

  it('loads a model or refuses it in one line; never reads outside the directory; never a hang', async () => {
        let copies = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 5 }),
        fc.array(manifestEdit, { maxLength: 2 }),
        fc.option(stateEdit, { nil: undefined }),
        fileKind,
        fc.boolean(),
        async (which, edits, stateEditFn, kind, resign) => {
          const source = models[which % models.length];
          const dir = join(scratch, 'copies', String(++copies));
          cpSync(source.dir, dir, { recursive: true });
          const manifestPath = join(dir, 'manifest.json');
          const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
          const statePath = join(dir, 'state.json');
          if (stateEditFn) {
            const text = stateEditFn(readFileSync(statePath, 'utf8'));
            writeFileSync(statePath, text);
            // A matching checksum, so the edit reaches the state's own checks.
            manifest.files['state.json'] = { sha256: sha256(Buffer.from(text)), bytes: Buffer.byteLength(text) };
          }
          if (kind !== 'file') {
            rmSync(statePath);
            if (kind === 'symlink-in') {
              writeFileSync(join(dir, 'real.json'), readFileSync(join(source.dir, 'state.json')));
              symlinkSync('real.json', statePath);
            } else if (kind === 'symlink-out') symlinkSync(join(outside, 'state.json'), statePath);
            else if (kind === 'directory') mkdirSync(statePath);
            else mkfifo(statePath);
          }
          for (const edit of edits) {
            try {
              edit(manifest);
            } catch {
              // An earlier edit left no room for this one (a schema that is a number): the file is odd enough.
            }
          }
          const deep = JSON.stringify(manifest).includes(DEEP);
          // A deep edit goes out unsigned, as a manifest from before checksums (no field) or a stale one.
          if (deep && resign) delete manifest.checksum;
          const signed = resign && !deep ? resignManifest(manifest) : manifest;
          writeFileSync(manifestPath, deepText(JSON.stringify(signed)));
          reads.length = 0;
          control.recording = true;
          try {
            const model = await bounded(freshLoadModel(dir), 'a model load');
            control.recording = false;
            const [prediction] = await bounded(model.predictRecords([ROW]), 'a prediction');
            const p = Object.values(prediction.probabilities);
            expect(p.length).toBe(model.schema.classes.length);
            for (const v of p) expect(Number.isFinite(v)).toBe(true);
          } catch (err) {
            control.recording = false;
            expectUserError(err);
          } finally {
            control.recording = false;
          }
          expect(reads.length, 'the loader reads through node:fs, as recorded').toBeGreaterThan(0);
          for (const path of reads) expect(resolve(path).startsWith(resolve(dir) + sep) || resolve(path) === resolve(dir), `read ${path} outside ${dir}`).toBe(true);
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { seed: 16, numRuns: 250 },
    );
  });
});

describe('saving a model learned from extreme values', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'streamlearn-save-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const extreme = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e308, -1e308, 1.7e308, 5e-324, 0, -0));
  const FEATURES = ['a', 'b', 'c'];

  it('writes a model that loads with the same predictions, or refuses in one line and leaves the previous model whole', async () => {
    const { Model } = await import('../src/learners/model.js');
    const { rowsToBatch } = await import('../src/core/types.js');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('gaussian-nb', 'hoeffding-tree', 'knn', 'softmax-regression', 'perceptron', 'passive-aggressive', 'hoeffding-adaptive-tree'),
        fc.constantFrom<string[][]>([], ['standard-scaler'], ['min-max-scaler']),
        fc.array(fc.tuple(fc.array(extreme, { minLength: 3, maxLength: 3 }), fc.nat({ max: 2 })), { minLength: 1, maxLength: 40 }),
        async (learner, steps, rows) => {
          const dir = join(scratch, String(++n), 'model');
          const schema = { features: FEATURES, label: 'y', classes: ['p', 'q', 'r'] };
          // The previous model: learned from plain rows, saved.
          const before = await Model.create(learner, schema, { steps });
          await before.learn(rowsToBatch([{ x: Float64Array.of(1, 2, 3), y: 0 }, { x: Float64Array.of(3, 2, 1), y: 1 }], 3));
          await saveModel(before, dir);
          const previous = readFileSync(join(dir, 'manifest.json'));
          const model = await Model.create(learner, schema, { steps });
          await model.learn(rowsToBatch(rows.map(([x, y]) => ({ x: Float64Array.from(x), y })), 3));
          const probe = { data: Float64Array.of(1, 2, 3, 0, 0, 0), rows: 2, cols: 3 };
          try {
            await saveModel(model, dir);
          } catch (err) {
            expectUserError(err);
            expect(readFileSync(join(dir, 'manifest.json')).equals(previous)).toBe(true);
            const old = await loadModel(dir);
            expect(Array.from(await old.predictProba(probe))).toEqual(Array.from(await before.predictProba(probe)));
            return;
          }
          const loaded = await loadModel(dir);
          expect(Array.from(await loaded.predictProba(probe))).toEqual(Array.from(await model.predictProba(probe)));
        },
      ),
      { seed: 17, numRuns: 120 },
    );
  });
});
