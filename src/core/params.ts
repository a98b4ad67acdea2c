import { fail } from './errors.js';

/** A parameter value as given: a number, or a string a command line gave. */
export type ParamValue = number | string;
export type Params = Readonly<Record<string, ParamValue>>;

/** One parameter (of a learner, a detector, a generator or a step): its type, default and allowed range. */
export interface ParamSpec {
  readonly type: 'number' | 'integer' | 'choice';
  readonly default: ParamValue;
  /** Inclusive lower bound, unless `exclusiveMin`. */
  readonly min?: number;
  readonly exclusiveMin?: boolean;
  readonly max?: number;
  readonly choices?: readonly string[];
  readonly doc: string;
}

/** Anything with named, specified parameters: a learner, a drift detector, a generator. */
export interface Parameterised {
  readonly name: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
}

/** learning-rate -> learningRate */
function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** learningRate -> learning-rate, as the CLI spells parameters. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Checks given parameters (kebab-case or camelCase names; values as numbers
 * or the strings a command line gives) against the specs and fills in
 * defaults. Fails naming the parameter and what it accepts.
 */
export function resolveParams(def: Parameterised, given: Readonly<Record<string, ParamValue>> = {}): Params {
  const out: Record<string, ParamValue> = {};
  for (const [key, spec] of Object.entries(def.params)) out[key] = spec.default;
  for (const [rawName, rawValue] of Object.entries(given)) {
    const key = camelCase(rawName);
    const spec = def.params[key];
    const flag = `--param ${kebabCase(key)}=${rawValue}`;
    if (!spec) {
      const known = Object.keys(def.params).map(kebabCase).join(', ');
      fail(`${flag}: ${def.name} has no parameter "${rawName}" (parameters: ${known || 'none'})`);
    }
    if (spec.type === 'choice') {
      const value = String(rawValue);
      if (!spec.choices?.includes(value)) fail(`${flag}: expected one of ${spec.choices?.join(', ')}`);
      out[key] = value;
      continue;
    }
    const value = typeof rawValue === 'number' ? rawValue : Number(String(rawValue).trim() === '' ? NaN : rawValue);
    if (!Number.isFinite(value)) fail(`${flag}: expected a number`);
    if (spec.type === 'integer' && !Number.isSafeInteger(value)) {
      // 1e20 is an integer to JavaScript, but not one a count can be: past 2^53 doubles skip integers.
      fail(`${flag}: expected an integer from ${spec.min ?? -Number.MAX_SAFE_INTEGER} to ${spec.max ?? Number.MAX_SAFE_INTEGER}`);
    }
    if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) {
      fail(`${flag}: must be ${spec.exclusiveMin ? 'greater than' : 'at least'} ${spec.min}`);
    }
    if (spec.max !== undefined && value > spec.max) fail(`${flag}: must be at most ${spec.max}`);
    out[key] = value;
  }
  return out;
}

/** A probability parameter in (0, 1]: a confidence, a significance, a detector's delta. */
export function probabilityParam(value: number, doc: string): ParamSpec {
  return { type: 'number', default: value, min: 0, exclusiveMin: true, max: 1, doc };
}

/** A switch: 'on' or 'off'. */
export function onOffParam(value: string, doc: string): ParamSpec {
  return { type: 'choice', default: value, choices: ['on', 'off'], doc };
}

/**
 * A learner's typed parameters as its constructor gets them, checked against
 * its specs (a direct caller skips the registry's check) and completed with
 * its defaults; fails naming the learner and the parameter.
 */
export function checkedParams<P extends object>(def: Parameterised, defaults: P, given: Partial<P>): P {
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as Record<string, ParamValue>;
  try {
    resolveParams(def, defined);
  } catch (e) {
    fail(`${def.name}: ${(e as Error).message.replace(/^--param /, '')}`);
  }
  return { ...defaults, ...given };
}
