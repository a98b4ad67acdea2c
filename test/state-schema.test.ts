import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { anything, count, finiteNumber, integer, looseObject, object, parseState, record, refine, rngState, type Json } from '../src/core/state.js';
import { GaussianNB } from '../src/learners/naive-bayes.js';
import { ADWIN } from '../src/drift/adwin.js';

/** The one-line message parseState gives for `json`, or 'ok'. */
function problem(schema: v.GenericSchema, json: unknown): string {
  try {
    parseState('x', schema, json as Json);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('saved-state schemas', () => {
  const shape = object({ n: count, mean: finiteNumber, min: v.nullable(finiteNumber), rows: v.optional(v.array(rngState)), part: anything });

  it('name the field and what was wrong in one line', () => {
    expect(problem(shape, { mean: 1, min: null, part: 0 })).toBe('x: saved state is invalid at n: missing');
    expect(problem(shape, { n: 'many', mean: 1, min: null, part: 0 })).toBe('x: saved state is invalid at n: expected number, received string');
    expect(problem(shape, { n: -1, mean: 1, min: null, part: 0 })).toBe('x: saved state is invalid at n: expected a number >= 0, received -1');
    expect(problem(shape, { n: 1.5, mean: 1, min: null, part: 0 })).toBe('x: saved state is invalid at n: expected an integer, received 1.5');
    expect(problem(shape, { n: 1, mean: 1, min: 'low', part: 0 })).toBe('x: saved state is invalid at min: expected number, received string');
    expect(problem(shape, { n: 1, mean: 1, min: null, part: 0, rows: [[1, 2, 3, 4], [1, 2, 3]] })).toBe('x: saved state is invalid at rows.1: expected 4 items, received 3');
    expect(problem(shape, [1])).toBe('x: saved state is invalid at (root): expected object, received array');
    expect(problem(shape, null)).toBe('x: saved state is invalid at (root): expected object, received null');
    expect(problem(shape, { n: 1, mean: 1, min: null })).toBe('x: saved state is invalid at part: missing');
  });

  it('refuse numbers JSON cannot hold, as 1e400 parses to Infinity', () => {
    expect(problem(shape, JSON.parse('{"n": 1, "mean": 1e400, "min": null, "part": 0}'))).toBe('x: saved state is invalid at mean: expected a finite number, received Infinity');
    expect(problem(integer, -Infinity)).toBe('x: saved state is invalid at (root): expected an integer, received -Infinity');
    expect(problem(finiteNumber, NaN)).toBe('x: saved state is invalid at (root): expected number, received NaN');
    expect(problem(integer, 2 ** 53)).toBe('x: saved state is invalid at (root): expected an integer, received 9007199254740992');
  });

  it('keep the schema order and drop unknown keys, or keep them after the known ones when loose', () => {
    const parsed = parseState('x', shape, { part: { a: 1 }, extra: 1, min: 2, mean: 1, n: 3 });
    expect(Object.keys(parsed)).toEqual(['n', 'mean', 'min', 'part']);
    const loose = parseState('x', looseObject({ index: count }), { tree: 1, index: 2 });
    expect(Object.keys(loose)).toEqual(['index', 'tree']);
  });

  it('records keep every key but __proto__ and check every value', () => {
    const params = record(v.union([finiteNumber, v.string()]));
    expect(parseState('x', params, JSON.parse('{"constructor": 1, "prototype": "p", "__proto__": 2, "a": "b"}') as Json)).toEqual({ constructor: 1, prototype: 'p', a: 'b' });
    expect(problem(params, { a: 1, b: { c: 1 } })).toBe('x: saved state is invalid at b: expected number or string, received object');
    expect(problem(params, [1])).toBe('x: saved state is invalid at (root): expected object, received array');
  });

  it('checks over the whole value run once every field passed, and name their path', () => {
    const ordered = refine(object({ low: count, high: count }), (s, fault) => {
      if (s.low > s.high) fault(['high'], `must be at least ${s.low}`);
    });
    expect(problem(ordered, { low: 3, high: 1 })).toBe('x: saved state is invalid at high: must be at least 3');
    expect(problem(ordered, { low: 'a', high: 1 })).toBe('x: saved state is invalid at low: expected number, received string');
    expect(problem(ordered, { low: 1, high: 3 })).toBe('ok');
  });

  it("a learner's and a detector's restore speak the same way", () => {
    expect(() => GaussianNB.restore({ nFeatures: 2, nClasses: 2, seed: 1 } as never, { varSmoothing: 1e-9 }, { json: { nFeatures: 2, counts: 'many' } })).toThrow(
      /^gaussian-nb: saved state is invalid at counts: expected array, received string$/,
    );
    expect(() => ADWIN.restore({}, { time: 0, width: 0, total: 0, m2: 0, totals: [[1]], m2s: [[]] })).toThrow(/^adwin: saved state is invalid at m2s: does not match the shape of totals$/);
  });
});
