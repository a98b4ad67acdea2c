import type { FastifySchemaCompiler } from 'fastify';
import { RequestError } from './http-errors.js';
import type { FeatureValue, RecordRow } from './learn-log.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as an error message shows it: short, whatever it is (however deeply nested). */
function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    // Too deep for JSON.stringify's recursion: nothing a row may hold.
    text = Array.isArray(value) ? 'a deeply nested array' : 'a deeply nested object';
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * One row checked for shape: an object whose values are numbers (finite),
 * strings or null. Returned as a copy without a prototype, so that the model
 * reading `row[feature]` sees own keys only: a missing feature named
 * `constructor` or `toString` is missing, not Object.prototype's, and one
 * named `__proto__` is a value like any other. Fails naming the row and
 * feature with a RequestError (400).
 */
export function checkRow(value: unknown, r: number): RecordRow {
  if (!isObject(value)) throw new RequestError(400, `row ${r}: expected an object of feature name to value, got ${shown(value)}`);
  const row = Object.create(null) as Record<string, FeatureValue>;
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (typeof v === 'number') {
      // JSON.parse reads a number beyond the double range (1e400) as Infinity.
      if (!Number.isFinite(v)) throw new RequestError(400, `row ${r}: feature "${key}" must be a finite number (JSON numbers beyond ±1.8e308 are out of range)`);
    } else if (typeof v !== 'string' && v !== null) {
      throw new RequestError(400, `row ${r}: feature "${key}" must be a number, a category name or null, got ${shown(v)}`);
    }
    row[key] = v;
  }
  return row;
}

/**
 * The body of POST /predict and POST /learn: rows of feature name to value,
 * as `{"rows": [{...}, ...]}`, a bare array `[{...}, ...]`, or one row `{...}`.
 * An object with a "rows" key is always the first form, and its "rows" must
 * be an array (a model with a feature named "rows" takes its rows as a bare
 * array). Validated here, before the handler, for shape only: 1 to maxRows
 * rows (more: 413), each checked by checkRow. Which features a row needs and
 * what type each takes depend on the model being served, which may be
 * reloaded; the model checks those (predictRecords, learnRecords), naming
 * the row and feature just as here. An instance, not plain JSON Schema:
 * fastify hands schemas with their own prototype to the validator compiler untouched.
 */
export class RowsBody {
  constructor(readonly maxRows: number) {}

  /** The rows, or the error to answer with. */
  parse(body: unknown): RecordRow[] {
    if (body === undefined) throw new RequestError(400, 'body: empty; expected a JSON object: one row, or {"rows": [...]}');
    let rows: unknown[];
    if (Array.isArray(body)) rows = body;
    else if (isObject(body) && Object.hasOwn(body, 'rows')) {
      if (!Array.isArray(body.rows)) throw new RequestError(400, `body: "rows" must be an array of rows, got ${shown(body.rows)}`);
      rows = body.rows as unknown[];
    } else if (isObject(body)) rows = [body];
    else throw new RequestError(400, `body: expected a JSON object: one row, or {"rows": [...]}, got ${shown(body)}`);
    if (rows.length === 0) throw new RequestError(400, 'body: "rows" is empty; send at least one row');
    // Counted before any row is read, so an oversized request costs nothing more.
    if (rows.length > this.maxRows) throw new RequestError(413, `body: ${rows.length} rows; at most ${this.maxRows} rows per request (--max-rows)`);
    return rows.map(checkRow);
  }
}

/**
 * Fastify's validator compiler for RowsBody schemas: the rows replace the
 * body, so handlers get an array of rows whatever form was sent. Errors keep
 * their status (413 for too many rows).
 */
export const rowsValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) => {
  if (!(schema instanceof RowsBody)) throw new Error('streamlearn serve: every route schema must be a RowsBody');
  return (data: unknown) => {
    try {
      return { value: schema.parse(data) };
    } catch (err) {
      if (err instanceof RequestError) return { error: err };
      throw err;
    }
  };
};
