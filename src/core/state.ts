import * as v from 'valibot';

/** A JSON value: what learned state serialises to. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A valibot schema that a saved state (or a manifest) is checked with. */
export type StateSchema = v.GenericSchema;

/** The kind of value found, as messages name it. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

/** valibot's "(Array | null)" as "array or null". */
function expectedName(expects: string | null): string {
  if (expects === null) return 'a valid value';
  return expects
    .replace(/^\((.*)\)$/, '$1')
    .replace(/\bObject\b/g, 'object')
    .replace(/\bArray\b/g, 'array')
    .replaceAll(' | ', ' or ');
}

/**
 * One failed check in words: what was expected and what was found
 * ("expected number, received string", "missing"). Never the value itself
 * when it could be long, so the line stays one short line.
 */
export function describeIssue(issue: v.BaseIssue<unknown>): string {
  switch (issue.type) {
    case 'finite':
      return `expected a finite number, received ${issue.received}`;
    case 'safe_integer':
      return `expected an integer, received ${issue.received}`;
    case 'min_value':
      return `expected a number ${String(issue.expected).replace(/^>=/, '>= ')}, received ${issue.received}`;
    case 'min_length':
      return `expected at least ${String(issue.requirement)} items, received ${issue.received}`;
    case 'max_length':
      return `expected at most ${String(issue.requirement)} items, received ${issue.received}`;
    case 'length':
      return `expected ${String(issue.requirement)} items, received ${issue.received}`;
    case 'strict_tuple':
      // An item past the tuple's end is reported at its own index, which is the tuple's length.
      return issue.expected === 'never' ? `expected ${String(issue.path?.at(-1)?.key)} items, received more` : `expected array, received ${typeName(issue.input)}`;
  }
  if (issue.kind === 'schema' && issue.type !== 'custom') {
    // valibot's object reports a required key that is absent as an issue of the key.
    if (issue.input === undefined && issue.path?.at(-1)?.origin === 'key') return 'missing';
    return `expected ${expectedName(issue.expected)}, received ${typeName(issue.input)}`;
  }
  // Checks this module and its callers write (custom, raw_check, regex) carry their own words.
  return issue.message;
}

/** Where an issue lies, as dotted keys ("members.3.rng"), or "(root)". */
export function issuePath(issue: v.BaseIssue<unknown>): string {
  return issue.path?.map((item) => String(item.key)).join('.') || '(root)';
}

/**
 * Checks `value` with `schema`: the parsed value, or the first issue as
 * "PATH: MESSAGE". Stops at the first issue, so hostile input costs no more
 * than the first fault in it.
 */
export function checkWith<S extends StateSchema>(schema: S, value: unknown): { ok: true; value: v.InferOutput<S> } | { ok: false; problem: string } {
  const parsed = v.safeParse(schema, value, { abortEarly: true });
  if (parsed.success) return { ok: true, value: parsed.output };
  const issue = parsed.issues[0];
  return { ok: false, problem: `${issuePath(issue)}: ${describeIssue(issue)}` };
}

/** Parses a learner's saved JSON state with a schema, failing in one line with the learner's name and the field's path. */
export function parseState<S extends StateSchema>(learner: string, schema: S, json: Json): v.InferOutput<S> {
  const checked = checkWith(schema, json);
  if (!checked.ok) throw new Error(`${learner}: saved state is invalid at ${checked.problem}`);
  return checked.value;
}

// The vocabulary of the state schemas. Each refuses what the zod schemas
// before it refused, so every state that loaded still loads and every one
// refused is still refused.

/** A number JSON can hold: not NaN, not ±Infinity (JSON.parse reads 1e400 as Infinity). */
export const finiteNumber = v.pipe(v.number(), v.finite());
/** An integer that a double holds exactly. */
export const integer = v.pipe(v.number(), v.safeInteger());
/** An integer ≥ 0: a count or an index. */
export const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
/** An integer ≥ 1. */
export const positiveInteger = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
/** A finite number ≥ 0. */
export const nonNegative = v.pipe(v.number(), v.finite(), v.minValue(0));
/** Anything, but present: a part whose own restore checks it (a tree's nodes, a detector's state). */
export const anything = v.unknown();

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Refuses arrays (valibot's object takes any object, an array too), naming what was found. */
function objectType<T>() {
  return v.custom<T>(isObject, (issue) => `expected object, received ${typeName(issue.input)}`);
}

/** An object with these fields, in this order; other keys are dropped. */
export function object<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(objectType<v.InferInput<v.ObjectSchema<E, undefined>>>(), v.object(entries));
}

/** An object with these fields first; other keys are kept after them. */
export function looseObject<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(objectType<v.InferInput<v.LooseObjectSchema<E, undefined>>>(), v.looseObject(entries));
}

/**
 * An object whose every value passes `value`, with any keys (valibot's
 * record drops "constructor" and "prototype"; a saved state keeps them,
 * and only "__proto__" is left out).
 */
export function record<S extends StateSchema>(value: S) {
  return v.pipe(
    objectType<Record<string, unknown>>(),
    v.rawTransform(({ dataset, config, addIssue }) => {
      const input = dataset.value;
      const out: Record<string, v.InferOutput<S>> = {};
      for (const key of Object.keys(input)) {
        if (key === '__proto__') continue;
        const parsed = v.safeParse(value, input[key], { abortEarly: config.abortEarly });
        if (parsed.success) {
          out[key] = parsed.output;
          continue;
        }
        for (const issue of parsed.issues) {
          addIssue({ message: describeIssue(issue), path: [{ type: 'object', origin: 'value', input, key, value: input[key] }, ...(issue.path ?? [])] });
        }
        if (config.abortEarly) break;
      }
      return out;
    }),
  );
}

/**
 * `schema` and then a check over the whole parsed value, run only when
 * every field passed; `problem(path, message)` reports a fault.
 */
export function refine<S extends StateSchema>(schema: S, check: (value: v.InferOutput<S>, problem: (path: readonly (string | number)[], message: string) => void) => void) {
  return v.pipe(
    schema,
    v.rawCheck<v.InferOutput<S>>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const input = dataset.value;
      check(input, (path, message) => {
        const items = path.map((key) => ({ type: 'unknown' as const, origin: 'value' as const, input, key, value: undefined }));
        addIssue({ message, ...(items.length > 0 ? { path: items as [v.UnknownPathItem, ...v.UnknownPathItem[]] } : {}) });
      });
    }),
  );
}

export const numbers = v.array(finiteNumber);
export const rngState = v.pipe(v.array(integer), v.length(4));
