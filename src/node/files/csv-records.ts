import { parse, CsvError } from 'csv-parse';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fail, StreamlearnError } from '../../core/errors.js';
import { displayName, inputError, longerThan, openInput, PendingLine } from './input.js';
import { lineTooLong, resolveMaxLineBytes, type LineLimit } from '../../data/line-limit.js';

/** How a CSV file is written: its field delimiter and quote character. */
export interface CsvDialect {
  /** Between fields: one or more characters, default ",". "\t" or "tab" for a tab. */
  readonly delimiter?: string;
  /** Around a field that holds the delimiter, a quote or a line break: one character, default '"'; doubled inside to stand for itself. */
  readonly quote?: string;
}

/** How a CSV file is read: its dialect and the longest line it may have. */
export interface CsvReadOptions extends CsvDialect, LineLimit {}

/** Records read together, in file order: each one's fields, trimmed, and the line it ends on. */
export interface CsvBatch {
  readonly records: string[][];
  readonly lines: number[];
}

export interface CsvTable {
  /** The header's column names, trimmed. */
  readonly header: readonly string[];
  /** The data records after the header, in batches; fails when there are none. Closes the file when done or abandoned. */
  batches(): AsyncGenerator<CsvBatch>;
  /** Closes the file without reading on. */
  close(): Promise<void>;
}

/** The delimiter and quote a dialect spells, checked; failures name the flag. */
export function resolveDialect(dialect: CsvDialect = {}): { delimiter: string; quote: string } {
  let delimiter = dialect.delimiter ?? ',';
  if (delimiter === '\\t' || delimiter === 'tab') delimiter = '\t';
  const quote = dialect.quote ?? '"';
  if (typeof delimiter !== 'string' || delimiter === '' || /[\r\n]/.test(delimiter)) {
    fail(`--delimiter must be one or more characters other than a line break, got ${JSON.stringify(dialect.delimiter)}`);
  }
  if (typeof quote !== 'string' || [...quote].length !== 1 || /[\r\n]/.test(quote)) {
    fail(`--quote must be one character other than a line break, got ${JSON.stringify(dialect.quote)}`);
  }
  if (delimiter.includes(quote)) fail(`--quote ${JSON.stringify(quote)} is also in the delimiter ${JSON.stringify(delimiter)}; give them different characters`);
  return { delimiter, quote };
}

/**
 * Opens a CSV file (or `-` for stdin, or a byte stream; gzip by name or by
 * its first bytes, see openInput) and reads its header row; `name` is how
 * messages call it. Records are parsed as a stream,
 * one chunk of the file at a time, so files larger than memory are fine,
 * and nothing is read ahead of the consumer beyond one chunk.
 *
 * csv-parse reads the file, with what it always did: a header row, quotes
 * (a doubled quote inside stands for itself; fields may span lines), a
 * byte-order mark, fields trimmed, empty lines skipped, line numbers for
 * messages. Its cost is about 5 µs a row, far from a million rows a second,
 * so text that holds no quote character and no stray carriage return (a
 * numeric CSV file, typically) is split at line breaks and delimiters here,
 * which is all that such text can mean, giving exactly the records,
 * trimming and line numbers that csv-parse gives (test/readers.test.ts
 * checks both on the same inputs). From the first chunk that holds a quote
 * or a lone \r on, csv-parse reads the rest of the file.
 *
 * Records are not checked against the header's length here: a record of
 * the wrong length is the caller's to fail or skip.
 */
export async function openCsvTable(path: string | Readable, options: CsvReadOptions = {}, name = displayName(path)): Promise<CsvTable> {
  const { delimiter, quote } = resolveDialect(options);
  const maxLineBytes = resolveMaxLineBytes(options.maxLineBytes);
  const input = await openInput(path);
  const all = csvBatches(input, name, { delimiter, quote, maxLineBytes });
  const close = async (): Promise<void> => {
    await all.return(undefined);
    input.destroy();
  };
  let first: IteratorResult<CsvBatch>;
  do first = await all.next();
  while (!first.done && first.value.records.length === 0);
  if (first.done) fail(`${name}: the file is empty (expected a header row)`);
  const headerLine = first.value.lines[0];
  const header = first.value.records[0].map((h) => h.trim());
  const seen = new Set<string>();
  for (let i = 0; i < header.length; i++) {
    const column = header[i];
    if (column === '' || seen.has(column)) {
      await close();
      if (column === '') fail(`${name}: line ${headerLine}: column ${i + 1} of the header has no name`);
      fail(`${name}: line ${headerLine}: column "${column}" appears twice in the header`);
    }
    seen.add(column);
  }
  const after: CsvBatch = { records: first.value.records.slice(1), lines: first.value.lines.slice(1) };
  return {
    header,
    close,
    async *batches() {
      let count = 0;
      try {
        if (after.records.length > 0) {
          count += after.records.length;
          yield after;
        }
        for await (const batch of all) {
          count += batch.records.length;
          yield batch;
        }
      } finally {
        await close();
      }
      if (count === 0) fail(`${name}: no data rows after the header`);
    },
  };
}

const SPACE = 32;
const TAB = 9;
const FORM_FEED = 12;
const CR = 13;
const LF = 10;

/** Characters csv-parse's trim drops at the start of a field (its "trimable" ones). */
function isLeadTrim(c: number): boolean {
  return c === SPACE || c === TAB || c === FORM_FEED || c === CR || c === LF;
}

/**
 * A field trimmed as csv-parse trims an unquoted one: spaces, tabs, form
 * feeds and line breaks at the start; at the end, whatever
 * String.prototype.trimEnd drops (Unicode white space).
 */
export function trimField(field: string): string {
  const n = field.length;
  if (n === 0) return field;
  const last = field.charCodeAt(n - 1);
  // No character from "!" to U+009F is white space, so most fields need nothing.
  if (!isLeadTrim(field.charCodeAt(0)) && last > SPACE && last < 0xa0) return field;
  let i = 0;
  while (i < n && isLeadTrim(field.charCodeAt(i))) i++;
  return (i > 0 ? field.slice(i) : field).trimEnd();
}

/**
 * A line's fields, trimmed: what `line.split(delimiter).map(trimField)`
 * gives, found with indexOf, which is twice as fast as split on lines this short.
 */
export function splitFields(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  const step = delimiter.length;
  let at = 0;
  for (let next = line.indexOf(delimiter); next >= 0; next = line.indexOf(delimiter, at)) {
    fields.push(trimField(line.slice(at, next)));
    at = next + step;
  }
  fields.push(trimField(at === 0 ? line : line.slice(at)));
  return fields;
}

/**
 * Whether a line is one csv-parse skips as empty when trimming: nothing but
 * spaces, tabs and form feeds, and no delimiter (a tab-delimited line of one
 * tab is two empty fields).
 */
function isBlank(line: string, delimiter: string): boolean {
  if (line.length > 0 && line.includes(delimiter)) return false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== SPACE && c !== TAB && c !== FORM_FEED) return false;
  }
  return true;
}

/** Text is fed to csv-parse in pieces of this many characters at most (the blank lines before a hand-over mid-file). */
const FEED_CHARS = 1 << 16;

/**
 * The records of a CSV byte stream, one batch per chunk read (see
 * openCsvTable). The fast split covers a chunk when its text has no quote
 * and, for \n files, no \r at all, or, for \r\n files, no \r or \n outside
 * the \r\n pairs. The first chunk that does not hands the rest of the stream
 * to csv-parse, from the start of the line it was in: at the very start as
 * the original bytes (so a byte-order mark, UTF-16 included, is csv-parse's
 * to handle); mid-file as the text from there on, after as many empty lines
 * as the file had lines before it, so csv-parse's line numbers, in records
 * and in its messages, are the file's.
 */
export async function* csvBatches(input: Readable, name: string, options: CsvReadOptions = {}): AsyncGenerator<CsvBatch> {
  const { delimiter, quote } = resolveDialect(options);
  const limit = resolveMaxLineBytes(options.maxLineBytes);
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const pull = async (): Promise<Buffer | null> => {
    try {
      const next = await it.next();
      return next.done ? null : next.value;
    } catch (err) {
      throw inputError(name, err);
    }
  };
  const decoder = new StringDecoder('utf8');
  // The bytes read while no line has been split off yet, for a hand-over at the start.
  const head: Buffer[] = [];
  // The line not yet ended; only each chunk's new text is searched and split, so a long line is read in linear time.
  const pending = new PendingLine(limit, name);
  // A \r that ended the last chunk: held back, so that a \r\n split between chunks is seen whole.
  let carry = '';
  let line = 0;
  let newline: '\n' | '\r\n' | null = null;
  let handOver: { text: string } | null = null;
  let leading = true;
  try {
    for (;;) {
      const chunk = await pull();
      const final = chunk === null;
      if (line === 0 && chunk) head.push(chunk);
      // A UTF-16 byte-order mark: the text is not UTF-8, and csv-parse knows what to do.
      if (leading && head.length > 0 && head[0].length >= 2 && head[0][0] === 0xff && head[0][1] === 0xfe) {
        handOver = { text: '' };
        break;
      }
      let text = carry + (final ? decoder.end() : decoder.write(chunk));
      carry = '';
      if (leading && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        leading = false;
      }
      if (!final && text.charCodeAt(text.length - 1) === CR) {
        carry = '\r';
        text = text.slice(0, -1);
      }
      if (text.includes(quote)) {
        handOver = { text: pending.take(text) + carry };
        break;
      }
      if (newline === null) {
        const at = text.search(/[\r\n]/);
        if (at < 0) {
          if (final) {
            // One line and no line break: csv-parse decides, as ever.
            handOver = { text: pending.take(text) };
            break;
          }
          pending.add(text, 1);
          continue;
        }
        if (text[at] === '\n') newline = '\n';
        else if (text[at + 1] === '\n') newline = '\r\n';
        else {
          handOver = { text: pending.take(text) + carry };
          break;
        }
      }
      if (newline === '\n' && text.includes('\r')) {
        handOver = { text: pending.take(text) + carry };
        break;
      }
      const pieces = text.split(newline);
      // The pending line's earlier pieces passed this check as they came.
      if (newline === '\r\n' && pieces.some((p) => p.includes('\r') || p.includes('\n'))) {
        handOver = { text: pending.take(text) + carry };
        break;
      }
      const tail = final ? '' : (pieces.pop() as string);
      if (pieces.length > 0) pieces[0] = pending.take(pieces[0]);
      const records: string[][] = [];
      const lines: number[] = [];
      for (let i = 0; i < pieces.length; i++) {
        const piece = pieces[i];
        line++;
        if (piece.length * 3 > limit && longerThan(piece, limit)) throw lineTooLong(name, line, limit);
        if (isBlank(piece, delimiter)) continue;
        records.push(splitFields(piece, delimiter));
        lines.push(line);
      }
      pending.add(tail, line + 1);
      head.length = 0;
      if (records.length > 0) yield { records, lines };
      if (final) return;
    }
    if (handOver) {
      const atStart = line === 0;
      const parser = parse({
        delimiter,
        quote,
        escape: quote,
        info: true,
        skip_empty_lines: true,
        trim: true,
        bom: atStart,
        relax_column_count: true,
        // csv-parse counts a record's characters (a quoted field may span lines); it fails as soon as they pass the limit.
        max_record_size: limit,
        ...(atStart || newline === null ? {} : { record_delimiter: newline }),
      });
      const text = handOver.text;
      const lineBreak = newline ?? '\n';
      async function* feed(): AsyncGenerator<string | Buffer> {
        if (atStart) {
          yield* head.splice(0);
        } else {
          const many = Math.floor(FEED_CHARS / lineBreak.length);
          for (let left = line; left > 0; left -= many) yield lineBreak.repeat(Math.min(left, many));
          if (text) yield text;
        }
        for (let chunk = await pull(); chunk !== null; chunk = await pull()) yield atStart ? chunk : decoder.write(chunk);
        if (!atStart) {
          const end = decoder.end();
          if (end) yield end;
        }
      }
      const source = Readable.from(feed(), { objectMode: false });
      source.on('error', (err) => parser.destroy(err));
      const records = source.pipe(parser)[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number } }>;
      try {
        for (;;) {
          let next: IteratorResult<{ record: string[]; info: { lines: number } }>;
          try {
            next = await records.next();
          } catch (err) {
            throw csvError(name, err, limit);
          }
          if (next.done) break;
          yield { records: [next.value.record], lines: [next.value.info.lines] };
        }
      } finally {
        source.destroy();
        parser.destroy();
      }
    }
  } finally {
    input.destroy();
  }
}

function csvError(name: string, err: unknown, limit: number): Error {
  if (err instanceof CsvError) {
    const e = err as CsvError & { lines?: number };
    if (e.code === 'CSV_MAX_RECORD_SIZE') return lineTooLong(name, e.lines ?? 0, limit);
    return new StreamlearnError(`${name}: line ${e.lines ?? '?'}: ${e.message}`);
  }
  return inputError(name, err);
}
