import { InvalidArgumentError } from 'commander';

/** The largest integer a double holds exactly: counts of rows and seeds go up to it. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * A commander parser of an integer flag from `min` to `max`, inclusive.
 * Only decimal digits (with an optional sign) are taken: `1e20`, `1.5`,
 * `0x10` and `abc` fail, as does a value outside the range, in commander's
 * one-line form naming the flag and the range.
 */
export function integerRange(min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = Number(text);
    if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** Integer flags that count rows, messages or steps: 1 to 2^53 - 1. */
export const countArg = integerRange(1, MAX_COUNT);

/** Seeds: 0 to 2^53 - 1. */
export const seedArg = integerRange(0, MAX_COUNT);

export function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

export function choiceArg<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    }
    return value as T;
  };
}

/** Collects repeated `--param key=value` flags into an object. */
export function paramArg(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value, e.g. --param learning-rate=0.05.');
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
}
