import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { RequestError } from './http-errors.js';
import type { RecordRow } from './learn-log.js';

/** A value in a row: a number, a category (or class) name, or null for a missing value. */
const cell = z.union([z.number(), z.string(), z.null()]);
/** A row: feature name (and, to learn, the label name) to value. */
const row = z.record(z.string(), cell);
const rowList = z.array(row);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as an error message shows it: short, whatever it is. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The body of POST /predict and POST /learn: rows of feature name to value,
 * as `{"rows": [{...}, ...]}`, a bare array `[{...}, ...]`, or one row `{...}`
 * (a body with a "rows" key holding an array is the first form, so a model
 * with a feature named "rows" takes its rows in the first or second form).
 * Validated here, before the handler, for shape only: 1 to maxRows rows
 * (more: 413), each an object whose values are numbers, strings or null.
 * Which features a row needs and what type each takes depend on the model
 * being served, which may be reloaded; the model checks those
 * (predictRecords, learnRecords), naming the row and feature just as here.
 * An instance, not plain JSON Schema: fastify hands schemas with their own
 * prototype to the validator compiler untouched.
 */
export class RowsBody {
  constructor(readonly maxRows: number) {}

  /** The rows, or the error to answer with. */
  parse(body: unknown): RecordRow[] {
    const rows: unknown = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.rows) ? body.rows : body;
    if (!Array.isArray(rows)) {
      if (!isObject(rows)) throw new RequestError(400, 'body: expected a JSON object: one row, or {"rows": [...]}');
      return [this.one(rows, 0)];
    }
    if (rows.length === 0) throw new RequestError(400, 'body: "rows" is empty; send at least one row');
    // Counted before any row is read, so an oversized request costs nothing more.
    if (rows.length > this.maxRows) throw new RequestError(413, `body: ${rows.length} rows; at most ${this.maxRows} rows per request (--max-rows)`);
    const parsed = rowList.safeParse(rows);
    if (parsed.success) return parsed.data;
    const [r, feature] = parsed.error.issues[0].path;
    this.one(rows[r as number], r as number, feature);
    throw new RequestError(400, `row ${String(r)}: not a valid row`);
  }

  /** One row checked alone, for its error message. */
  private one(value: unknown, r: number, feature?: PropertyKey): RecordRow {
    if (!isObject(value)) throw new RequestError(400, `row ${r}: expected an object of feature name to value, got ${shown(value)}`);
    const parsed = row.safeParse(value);
    if (parsed.success) return parsed.data;
    const key = String(feature ?? parsed.error.issues[0].path[0]);
    throw new RequestError(400, `row ${r}: feature "${key}" must be a number, a category name or null, got ${shown(value[key])}`);
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
