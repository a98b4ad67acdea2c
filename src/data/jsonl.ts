import { createInterface } from 'node:readline';
import { fail } from '../core/errors.js';
import type { FeatureRow } from './csv.js';
import { displayName, featureCellParser, openInput, type FeatureReadOptions } from './input.js';

/**
 * Reads JSON lines (one object per line, feature name to value) for inference.
 * Keys the model does not know are ignored; a missing feature fails naming the line.
 * A categorical feature's value is its category name (a number is read as
 * its string form); null or "" is a missing value when `missing` is set,
 * else fails (see FeatureReadOptions).
 */
export async function* jsonlFeatureRows(
  path: string,
  features: readonly string[],
  options: FeatureReadOptions = {},
): AsyncGenerator<FeatureRow> {
  const name = displayName(path);
  const parse = featureCellParser(options);
  const lines = createInterface({ input: await openInput(path), crlfDelay: Infinity });
  let lineNo = 0;
  let count = 0;
  for await (const text of lines) {
    lineNo++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      fail(`${name}: line ${lineNo}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(`${name}: line ${lineNo}: expected a JSON object of feature name to value`);
    }
    const record = value as Record<string, unknown>;
    const x = new Float64Array(features.length);
    for (let j = 0; j < features.length; j++) {
      const feature = features[j];
      if (!(feature in record)) fail(`${name}: line ${lineNo}: missing feature "${feature}" that the model needs`);
      x[j] = parse(record[feature], j, () => `${name}: line ${lineNo}, field "${feature}"`);
    }
    count++;
    yield { x, line: lineNo };
  }
  if (count === 0) fail(`${name}: the file is empty (no JSON lines)`);
}
