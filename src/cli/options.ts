import { InvalidArgumentError } from 'commander';

/** Commander argument parsers: a bad value fails naming the flag, in commander's one-line form. */
export function integerArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError('expected an integer.');
  return n;
}

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
