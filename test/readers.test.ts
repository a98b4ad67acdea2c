import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import type { Row } from '../src/core/types.js';
import { csvSource, type CsvSourceOptions } from '../src/node/files/csv.js';
import { csvBatches, type CsvDialect } from '../src/node/files/csv-records.js';
import { jsonlSource } from '../src/node/files/jsonl.js';
import type { SkippedRow, Source } from '../src/data/source.js';
import { synthSource } from '../src/data/synth/registry.js';
import { train, type TrainReport } from '../src/node/pipeline.js';
import { ROOT, tempDir } from './helpers.js';

const BIN = join(ROOT, 'bin', 'streamlearn.js');

/** Runs the built CLI with bytes (a gzip stream, say) or text on stdin. */
function cli(args: string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, content: string | Buffer): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

async function rowsOf(source: Source): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of source.rows()) rows.push(row);
  return rows;
}

async function readCsv(path: string, options: CsvSourceOptions): Promise<{ source: Source; rows: Row[] }> {
  const source = await csvSource(path, options);
  return { source, rows: await rowsOf(source) };
}

const values = (rows: Row[]) => rows.map((r) => Array.from(r.x));

/** The CLI's one line on stderr for a bad flag or bad input, after checking it failed with exit code 1 and printed nothing else. */
function failure(args: string[], input?: string | Buffer): string {
  const r = cli(['train', ...args, '--no-save', '--format', 'json'], input);
  expect(r.stdout).toBe('');
  expect(r.status).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('CSV options: delimiter, quote, features, exclude', () => {
  it('reads another delimiter (a tab as "tab" or "\\t") and another quote character', async () => {
    const semi = file('semi.csv', 'a;b;y\n1;2;u\n3;4;v\n');
    expect(values((await readCsv(semi, { label: 'y', delimiter: ';' })).rows)).toEqual([[1, 2], [3, 4]]);
    const tsv = file('t.tsv', 'a\tb\ty\n1\t2\tu\n3\t4\tv\n');
    for (const delimiter of ['tab', '\\t', '\t']) {
      expect(values((await readCsv(tsv, { label: 'y', delimiter })).rows)).toEqual([[1, 2], [3, 4]]);
    }
    // With quote ', a quoted field may hold the delimiter, and '' stands for one quote.
    const quoted = file('q.csv', "a,kind,y\n1,'x,1',u\n2,'it''s',v\n3,\"plain\",u\n");
    const { source, rows } = await readCsv(quoted, { label: 'y', quote: "'", categorical: ['kind'] });
    expect(source.schema.categories).toEqual([null, ['x,1', "it's", '"plain"']]);
    expect(values(rows)).toEqual([[1, 0], [2, 1], [3, 2]]);
  });

  it('takes only the --features columns, in their order, or all but the --exclude ones', async () => {
    const path = file('data.csv', 'a,b,c,y\n1,2,3,u\n4,5,6,v\n');
    const picked = await readCsv(path, { label: 'y', features: ['c', 'a'] });
    expect(picked.source.schema.features).toEqual(['c', 'a']);
    expect(values(picked.rows)).toEqual([[3, 1], [6, 4]]);
    const rest = await readCsv(path, { label: 'y', exclude: ['b'] });
    expect(rest.source.schema.features).toEqual(['a', 'c']);
    expect(values(rest.rows)).toEqual([[1, 3], [4, 6]]);
    // A column left out is not read at all: text there does not fail.
    const text = file('text.csv', 'id,a,y\nrow-1,1,u\nrow-2,2,v\n');
    expect(values((await readCsv(text, { label: 'y', exclude: ['id'] })).rows)).toEqual([[1], [2]]);
  });

  it('fails naming the flag at fault', async () => {
    const path = file('data.csv', 'a,b,y\n1,2,u\n');
    const cases: [CsvSourceOptions, string][] = [
      [{ label: 'y', features: ['a', 'foo'] }, `${path}: --features names "foo", which is not a column (columns: a, b, y)`],
      [{ label: 'y', features: ['a', 'y'] }, `${path}: --features names "y", the label column; the label cannot be a feature`],
      [{ label: 'y', features: ['a', 'a'] }, '--features names "a" twice'],
      [{ label: 'y', features: [] }, '--features names no columns'],
      [{ label: 'y', exclude: ['foo'] }, `${path}: --exclude names "foo", which is not a column (columns: a, b, y)`],
      [{ label: 'y', exclude: ['a', 'b'] }, `${path}: --exclude leaves no feature columns besides the label "y"`],
      [{ label: 'y', features: ['a'], exclude: ['b'] }, '--features and --exclude: give one or the other, not both'],
      [{ label: 'y', delimiter: '' }, '--delimiter must be one or more characters other than a line break, got ""'],
      [{ label: 'y', delimiter: '\n' }, '--delimiter must be one or more characters other than a line break, got "\\n"'],
      [{ label: 'y', quote: "''" }, `--quote must be one character other than a line break, got "''"`],
      [{ label: 'y', quote: ',' }, '--quote "," is also in the delimiter ","; give them different characters'],
      [{ label: 'y', onBadRow: 'drop' as 'skip' }, '--on-bad-row must be fail or skip, got "drop"'],
    ];
    for (const [options, message] of cases) await expect(readCsv(path, options), message).rejects.toThrow(message);
    // The same through the CLI: one line, exit code 1.
    expect(failure(['--data', path, '--label', 'y', '--features', 'a,foo'])).toBe(`streamlearn: ${path}: --features names "foo", which is not a column (columns: a, b, y)`);
    expect(failure(['--data', path, '--label', 'y', '--quote', 'ab'])).toBe('streamlearn: --quote must be one character other than a line break, got "ab"');
    expect(failure(['--dataset', 'iris', '--exclude', 'species'])).toBe(
      'streamlearn: --exclude applies to a data file (--data FILE), not to a bundled data set, a synth: stream or a DataFrame',
    );
    expect(failure(['--data', path, '--label', 'y', '--on-bad-row', 'drop'])).toMatch(/--on-bad-row <mode>' argument 'drop' is invalid\. expected one of fail, skip\.$/);
  });

  it('trains from the CLI with --delimiter, --quote and --features', () => {
    const path = file('data.csv', "x|z|note|y\n1|9|'a|b'|u\n2|8|'c'|v\n1|9|'d'|u\n2|8|'e'|v\n");
    const r = cli(['train', '--data', path, '--label', 'y', '--delimiter', '|', '--quote', "'", '--features', 'z,x', '--no-save', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 4, features: 2, classes: ['u', 'v'], skippedRows: 0 });
  });
});

describe('bad rows: --on-bad-row fail | skip', () => {
  // Lines 3 (not a number), 5 (too few fields), 7 (empty label), 8 (empty cell) and 10 (too many fields) are bad.
  const BAD = ['a,b,y', '1,2,u', '3,x,v', '4,5,u', '6,v', '7,8,v', '9,10,', ',11,u', '12,13,v', '14,15,u,extra', '16,17,u'].join('\n');
  const messages = (path: string) => [
    `${path}: line 3, column "b": "x" is not a number`,
    `${path}: line 5: expected as many fields as the header, found 2`,
    `${path}: line 7, column "y": empty label`,
    `${path}: line 8, column "a": empty value (read empty cells as missing values with --missing allow)`,
    `${path}: line 10: expected as many fields as the header, found 4`,
  ];

  it('fail (the default) stops at the first bad row, naming file, line and column', async () => {
    const path = file('bad.csv', BAD);
    await expect(readCsv(path, { label: 'y' })).rejects.toThrow(messages(path)[0]);
    // Each kind of bad row alone fails with its own message; through the CLI, one line and exit code 1.
    const lines = BAD.split('\n');
    const kinds: [number, number][] = [[2, 0], [4, 1], [6, 2], [7, 3], [9, 4]];
    for (const [bad, k] of kinds) {
      const only = file('bad.csv', [lines[0], lines[1], lines[bad], lines[3]].join('\n'));
      const expected = messages(only)[k].replace(/line \d+/, 'line 3');
      await expect(readCsv(only, { label: 'y' })).rejects.toThrow(expected);
      if (k === 1) expect(failure(['--data', only, '--label', 'y'])).toBe(`streamlearn: ${expected}`);
    }
  });

  it('skip leaves out exactly the bad rows, counts them, and says why', async () => {
    const path = file('bad.csv', BAD);
    const skippedRows: SkippedRow[] = [];
    const { source, rows } = await readCsv(path, { label: 'y', onBadRow: 'skip', onSkip: (row) => skippedRows.push(row) });
    expect(rows.map((r) => r.line)).toEqual([2, 4, 6, 9, 11]);
    expect(values(rows)).toEqual([[1, 2], [4, 5], [7, 8], [12, 13], [16, 17]]);
    expect(source.skipped).toBe(5);
    expect(skippedRows).toEqual(messages(path).map((message) => ({ line: Number(/line (\d+)/.exec(message)![1]), message })));

    const { report } = await train({ source: { file: path, label: 'y', onBadRow: 'skip' }, protocol: 'prequential', output: { out: null } });
    expect(report).toMatchObject({ rows: 5, skippedRows: 5 });
    const r = cli(['train', '--data', path, '--label', 'y', '--on-bad-row', 'skip', '--no-save']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`\nskipped        5 bad rows (--on-bad-row skip), not learned; the first: ${messages(path)[0]}\n`);
    const json = JSON.parse(cli(['train', '--data', path, '--label', 'y', '--on-bad-row', 'skip', '--no-save', '--format', 'json']).stdout);
    expect(json).toMatchObject({ rows: 5, skippedRows: 5 });
  });

  it('a skipped row adds no class and no category; skippedRows is 0 when nothing was skipped', async () => {
    const path = file('bad.csv', 'c,a,y\nred,1,u\nblue,x,new\ngreen,2,v\n');
    const { source, rows } = await readCsv(path, { label: 'y', categorical: ['c'], onBadRow: 'skip' });
    expect(rows).toHaveLength(2);
    expect(source.schema.classes).toEqual(['u', 'v']);
    expect(source.schema.categories).toEqual([['red', 'green'], null]);
    const clean = await train({ source: { dataset: 'iris' }, output: { out: null } });
    expect(clean.report.skippedRows).toBe(0);
    const r = cli(['train', '--data', file('ok.csv', 'a,y\n1,u\n2,v\n3,u\n'), '--label', 'y', '--on-bad-row', 'skip', '--no-save']);
    expect(r.stdout).not.toContain('skipped');
  });

  it("'auto' categorical inference passes over a ragged row, which is then failed or skipped", async () => {
    const path = file('auto.csv', 'a,b,y\n1,p,u\n2\n3,q,v\n');
    const { source, rows } = await readCsv(path, { label: 'y', categorical: 'auto', onBadRow: 'skip' });
    expect(source.schema.nominal).toEqual([false, true]);
    expect(values(rows)).toEqual([[1, 0], [3, 1]]);
    await expect(readCsv(path, { label: 'y', categorical: 'auto' })).rejects.toThrow(`${path}: line 3: expected as many fields as the header, found 1`);
  });
});

describe('gzip by its first bytes', () => {
  const CSV = 'a,b,y\n1,2,u\n3,4,v\n5,6,u\n';

  it('reads a gzip file without the .gz extension, and a plain file either way', async () => {
    const gz = file('data.bin', gzipSync(CSV));
    const plain = file('data.csv', CSV);
    expect(values((await readCsv(gz, { label: 'y' })).rows)).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(values((await readCsv(plain, { label: 'y' })).rows)).toEqual([[1, 2], [3, 4], [5, 6]]);
    // A stream, gzip or not, is peeked the same way.
    const fromStream = await csvSource(Readable.from([gzipSync(CSV)]), { label: 'y' });
    expect(values(await rowsOf(fromStream))).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('reads gzip piped into stdin, as CSV or JSON lines', () => {
    const csv = cli(['train', '--data', '-', '--label', 'y', '--no-save', '--format', 'json'], gzipSync(CSV));
    expect(csv.stderr).toBe('');
    expect(JSON.parse(csv.stdout)).toMatchObject({ dataset: 'stdin', rows: 3, features: 2 });
    const jsonl = '{"a":1,"b":2,"y":"u"}\n{"a":3,"b":4,"y":"v"}\n{"a":5,"b":6,"y":"u"}\n';
    const r = cli(['train', '--data', '-', '--input-format', 'jsonl', '--label', 'y', '--no-save', '--format', 'json'], gzipSync(jsonl));
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 3, features: 2 });
  });

  it('names a corrupt or truncated gzip file', async () => {
    const truncated = file('cut.gz', gzipSync(CSV).subarray(0, 12));
    await expect(readCsv(truncated, { label: 'y' })).rejects.toThrow(`${truncated}: the gzip data ends early (unexpected end of file); the file is truncated`);
    const fake = file('fake.gz', 'a,y\n1,u\n');
    await expect(readCsv(fake, { label: 'y' })).rejects.toThrow(`${fake}: not a valid gzip file (incorrect header check)`);
  });
});

describe('JSON lines as a training source', () => {
  const LINES = [
    { x: 1.5, colour: 'red', y: 'u' },
    { x: 2, colour: 'blue', y: 'v', extra: 'ignored' },
    { x: null, colour: 'red', y: 'u' },
    { colour: 'green', x: 4, y: 'v' },
  ];
  const text = (lines: object[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

  it('reads the first object\'s fields but the label, with categories and missing values as csvSource reads them', async () => {
    const path = file('d.jsonl', `\n${text(LINES)}\n`);
    const source = await jsonlSource(path, { label: 'y', categorical: 'auto', missing: 'allow' });
    const rows = await rowsOf(source);
    expect(source.schema).toMatchObject({ features: ['x', 'colour'], label: 'y', classes: ['u', 'v'], nominal: [false, true], categories: [null, ['red', 'blue', 'green']], missing: true });
    expect(values(rows)).toEqual([[1.5, 0], [2, 1], [NaN, 0], [4, 2]]);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5]);
    const picked = await jsonlSource(path, { label: 'y', features: ['colour'], categorical: ['colour'] });
    expect(picked.schema.features).toEqual(['colour']);
    expect(values(await rowsOf(picked))).toEqual([[0], [1], [0], [2]]);
  });

  it('fails or skips a bad line, naming the file, line and field', async () => {
    const lines = [text([LINES[0]]), 'not json\n', '[1, 2]\n', '{"colour": "red", "y": "u"}\n', '{"x": "abc", "colour": "red", "y": "v"}\n', '{"x": 1, "colour": "red", "y": null}\n', text([LINES[1]])];
    const path = file('bad.jsonl', lines.join(''));
    const skipped: string[] = [];
    const source = await jsonlSource(path, { label: 'y', categorical: ['colour'], onBadRow: 'skip', onSkip: (r) => skipped.push(r.message) });
    expect((await rowsOf(source)).map((r) => r.line)).toEqual([1, 7]);
    expect(source.skipped).toBe(5);
    expect(skipped).toEqual([
      `${path}: line 2: not valid JSON (${(() => { try { JSON.parse('not json'); } catch (e) { return (e as Error).message; } })()})`,
      `${path}: line 3: expected a JSON object of field name to value`,
      `${path}: line 4: no field "x"`,
      `${path}: line 5, field "x": "abc" is not a number`,
      `${path}: line 6, field "y": empty label`,
    ]);
    await expect(jsonlSource(path, { label: 'y', categorical: ['colour'] }).then(rowsOf)).rejects.toThrow(skipped[0]);
    await expect(jsonlSource(path, { label: 'label' })).rejects.toThrow(`${path}: no label field "label" (the first line's fields: x, colour, y)`);
    await expect(jsonlSource(path, { label: 'y', features: ['z'] })).rejects.toThrow(`${path}: --features names "z", which is not a field (the first line's fields: x, colour, y)`);
    const empty = file('empty.jsonl', '\n\n');
    await expect(jsonlSource(empty, { label: 'y' })).rejects.toThrow(`${empty}: the file is empty (no JSON lines)`);
  });

  it('trains through the CLI (chosen by .jsonl / .ndjson, or --input-format) and the library alike', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ p: i % 7, q: (i * 3) % 5, y: i % 7 > 3 ? 'hi' : 'lo' }));
    const jsonl = file('d.ndjson', text(rows));
    const csv = file('d.csv', `p,q,y\n${rows.map((r) => `${r.p},${r.q},${r.y}`).join('\n')}\n`);
    const library = await train({ source: { file: jsonl, label: 'y' }, output: { out: null } });
    const fromCsv = await train({ source: { file: csv, label: 'y' }, output: { out: null } });
    expect(strip(library.report)).toEqual(strip(fromCsv.report));
    const r = cli(['train', '--data', jsonl, '--label', 'y', '--no-save', '--format', 'json']);
    expect(strip(JSON.parse(r.stdout))).toEqual(strip(fromCsv.report));
    const other = file('d.txt', text(rows));
    expect(strip(JSON.parse(cli(['train', '--data', other, '--input-format', 'jsonl', '--label', 'y', '--no-save', '--format', 'json']).stdout))).toEqual(strip(fromCsv.report));
    expect(failure(['--data', jsonl, '--label', 'y', '--delimiter', ';'])).toBe(`streamlearn: --delimiter applies to CSV, not to JSON lines (${jsonl})`);
  });
});

/** A report without what differs from run to run (timings) or by file name (dataset). */
function strip(report: TrainReport | Record<string, unknown>): Record<string, unknown> {
  const { wallSeconds, rowsPerSecond, modelSeconds, dataset, ...rest } = report as TrainReport;
  void wallSeconds, rowsPerSecond, modelSeconds, dataset;
  return JSON.parse(JSON.stringify(rest));
}

describe('the same rows as CSV, gzip, stdin and JSON lines', () => {
  it('give the identical report for the same seed, with the default batch-split (exact shuffle) and with prequential', async () => {
    const source = synthSource('sea', { seed: 3, rows: 3000 });
    const { features, label, classes } = source.schema;
    const lines: string[] = [];
    const objects: string[] = [];
    for await (const { x, y } of source.rows()) {
      lines.push(`${Array.from(x).join(',')},${classes[y]}`);
      objects.push(JSON.stringify({ ...Object.fromEntries(features.map((f, j) => [f, x[j]])), [label]: classes[y] }));
    }
    const text = `${features.join(',')},${label}\n${lines.join('\n')}\n`;
    const csv = file('sea.csv', text);
    const gz = file('sea.csv.gz', gzipSync(text));
    const jsonl = file('sea.jsonl', `${objects.join('\n')}\n`);
    for (const protocol of ['batch-split', 'prequential']) {
      const common = ['--label', label, '--protocol', protocol, '--model', 'hoeffding-tree', '--seed', '7', '--no-save', '--format', 'json'];
      const reports = [
        cli(['train', '--data', csv, ...common]),
        cli(['train', '--data', gz, ...common]),
        cli(['train', '--data', '-', ...common], text),
        cli(['train', '--data', '-', ...common], gzipSync(text)),
        cli(['train', '--data', jsonl, ...common]),
      ].map((r) => {
        expect(r.stderr).toBe('');
        return JSON.parse(r.stdout);
      });
      expect(reports[0]).toMatchObject({ protocol, rows: 3000, shuffled: protocol === 'batch-split', skippedRows: 0 });
      for (const r of reports.slice(1)) expect(strip(r)).toEqual(strip(reports[0]));
    }
  });
});

describe('back-pressure', () => {
  it('a slow consumer holds the reader back: rows read never run more than 2,000 ahead of rows consumed', async () => {
    // 50,000 rows of 8 numeric columns (about 90 bytes a row), offered in chunks of 100 rows (9 KB),
    // each counted as it is pulled from the stream. The consumer awaits a timer every 1,000 rows.
    //
    // The bound: the reader pulls the next chunk only when the consumer has taken every row of the
    // last one, so all it can hold ahead of the consumer is what the streams buffer, each only up to
    // its high-water mark: this stream (16 KiB), the stream behind the peek at the first bytes
    // (Node's default for bytes: 16 KiB, 64 KiB from Node 22 on), and the chunk being handed out as
    // rows (one read of that stream: at most its 64 KiB): 144 KiB, about 1,600 rows of about 90
    // bytes. (Measured: about 400 on Node 20.) A reader that did not wait would have read all 50,000
    // rows during the consumer's first wait.
    const ROWS = 50_000;
    const CHUNK_ROWS = 100;
    const row = (i: number) => Array.from({ length: 8 }, (_, j) => ((i * 31 + j * 17) % 1000) / 7).map((v) => v.toFixed(6)).join(',') + `,${i % 2 ? 'u' : 'v'}\n`;
    let produced = 0;
    let next = 0;
    const input = new Readable({
      highWaterMark: 16 * 1024,
      read() {
        if (next === 0) this.push(`${Array.from({ length: 8 }, (_, j) => `f${j}`).join(',')},y\n`);
        if (next >= ROWS) {
          this.push(null);
          return;
        }
        let text = '';
        for (let k = 0; k < CHUNK_ROWS && next < ROWS; k++) text += row(next++);
        produced = next;
        this.push(text);
      },
    });
    const source = await csvSource(input, { label: 'y' });
    let consumed = 0;
    let lead = 0;
    for await (const _row of source.rows()) {
      consumed++;
      lead = Math.max(lead, produced - consumed);
      if (consumed % 1000 === 0) await sleep(2);
    }
    expect(consumed).toBe(ROWS);
    expect(lead).toBeGreaterThan(0);
    expect(lead).toBeLessThanOrEqual(2000);
  });
});

describe('the quote-free fast split gives exactly what csv-parse gives', () => {
  /** csv-parse over the whole text, with the options the reader has always used: records and lines, or the error. */
  async function reference(text: string, dialect: { delimiter: string; quote: string }): Promise<string> {
    const out: string[] = [];
    try {
      const parser = Readable.from([Buffer.from(text)]).pipe(
        parse({ ...dialect, escape: dialect.quote, info: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }),
      );
      for await (const { record, info } of parser) out.push(`${info.lines}:${JSON.stringify(record)}`);
    } catch (err) {
      const e = err as Error & { lines?: number };
      return `ERR name: line ${e.lines}: ${e.message}`;
    }
    return out.join('|');
  }
  async function read(chunks: Buffer[], dialect: CsvDialect): Promise<string> {
    const out: string[] = [];
    try {
      for await (const { records, lines } of csvBatches(Readable.from(chunks, { objectMode: false }), 'name', dialect)) {
        records.forEach((r, i) => out.push(`${lines[i]}:${JSON.stringify(r)}`));
      }
    } catch (err) {
      return `ERR ${(err as Error).message}`;
    }
    return out.join('|');
  }

  it('on edge cases and seeded random text, split into chunks anywhere', async () => {
    let state = 12345;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    const edge = [
      'a,b\n1,2\n3,4\n', 'a,b\n1,2\n3,4', 'a,b\r\n1,2\r\n3,4\r\n', 'a,b\r1,2\r3,4\r', 'a,b\n1,2\r\n3,4\n', 'a,b\r\n1,2\n3,4\r\n',
      'a,b\n\n1,2\n\n\n3,4\n\n', 'a,b\n  \n1,2\n\t\n3,4\n', 'a,b\n , \n1,2\n', '\ufeffa,b\n1,2\n', ' a , b \n 1 , 2 \n',
      'a,b\n"1","x y"\n', 'a,b\n "1" , "x y" \n', 'a,b\n"1","x\ny"\n3,4\n', 'a,b\n1,x"y\n', 'a,b\n1,"xy"z\n', 'a,b\n1,"xy\n',
      'a,b\n1,2,3\n4,5\n', 'a,b\n1\n', 'a,b\n1,\u00a0x\u00a0\n', 'a,b\n1,2\n\u00a0\n', 'a,b\n1,2\n\f\n', 'a,b\n\n', '', '\n\n', 'a,b',
      'a,b\r', '\r\n\r\na,b\r\n1,2', 'a,b\n1,2\n\v\n', 'a,b\n1,2\r', 'a,b\n1,\r2\n', 'a,b\né,ü\n',
    ];
    const dialects = [
      { delimiter: ',', quote: '"' }, { delimiter: ';', quote: '"' }, { delimiter: '\t', quote: '"' },
      { delimiter: ' ', quote: '"' }, { delimiter: ',', quote: "'" }, { delimiter: '::', quote: '"' },
    ];
    const tokens = ['a', '1', '2.5', ' ', '\t', ',', ',', ';', '"', "'", '\n', '\n', '\r', '\r\n', '\u00a0', '\ufeff', 'é', '\f'];
    const texts: [string, (typeof dialects)[number]][] = [];
    for (const t of edge) for (const d of dialects) texts.push([t.replaceAll(',', d.delimiter).replaceAll('"', d.quote), d]);
    for (let k = 0; k < 600; k++) {
      // Quote-free text, and quote-free text with quotes late (csv-parse takes over mid-file).
      let t = 'h1,h2\n';
      const n = 10 + Math.floor(random() * 60);
      for (let i = 0; i < n; i++) t += pick(tokens.filter((x) => x !== '"' && x !== "'"));
      if (k % 3 === 0) t += `\n${pick(tokens)}"a\nb",3\n4,5\n`;
      if (k % 3 === 1) t = t.replaceAll('\n', '\r\n');
      texts.push([t, pick(dialects.slice(0, 4))]);
    }
    let cases = 0;
    for (const [text, dialect] of texts) {
      const bytes = Buffer.from(text);
      const expected = await reference(text, dialect);
      const splits: Buffer[][] = [[bytes]];
      if (bytes.length < 24) for (let i = 1; i < bytes.length; i++) splits.push([bytes.subarray(0, i), bytes.subarray(i)]);
      else {
        for (let s = 0; s < 4; s++) {
          const chunks: Buffer[] = [];
          for (let p = 0; p < bytes.length; ) {
            const q = Math.min(bytes.length, p + 1 + Math.floor(random() * 16));
            chunks.push(bytes.subarray(p, q));
            p = q;
          }
          splits.push(chunks);
        }
      }
      for (const chunks of splits) {
        cases++;
        expect(await read(chunks, dialect), `${JSON.stringify(text)} in ${chunks.length} chunks, ${JSON.stringify(dialect)}`).toBe(expected);
      }
    }
    expect(cases).toBeGreaterThan(3000);
  });
});
