// The fast paths added for speed (issue 6) must give exactly what the plain code gives.
import { describe, expect, it } from 'vitest';
import { decimal } from '../src/data/source.js';
import { Random } from '../src/core/random.js';

describe('decimal(): the CSV reader\'s number parse is +text, bit for bit', () => {
  it('on edge cases', () => {
    const cases = [
      '0', '-0', '+0', '.5', '5.', '.', '-', '+', '-.5', '+.5', ' 1', '1 ', '1e5', '1E-3', '0x10', '0b1', 'Infinity', '-Infinity',
      'NaN', '1.2.3', '--1', '007.50', '123456789012345', '1234567890123456', '9007199254740993', '0.1', '0.2', '0.3',
      '0.000000000000000000001', '0.0000000000000000000001', '1_000', '\u0663', '12,5',
    ];
    for (const text of cases) expect(Object.is(decimal(text), +text), JSON.stringify(text)).toBe(true);
  });

  it('on 200,000 generated numbers and near-numbers', () => {
    const rng = new Random(3);
    for (let i = 0; i < 200_000; i++) {
      const r = rng.next();
      let text: string;
      if (r < 0.3) text = (rng.next() * 10 ** rng.int(12)).toFixed(rng.int(12));
      else if (r < 0.5) text = String(rng.next() * 1000 - 500);
      else if (r < 0.7) text = `${rng.next() < 0.5 ? '-' : ''}${rng.int(10_000_000)}.${String(rng.int(100_000_000)).padStart(8, '0')}`;
      else if (r < 0.85) text = (rng.next() * 10).toFixed(4);
      else {
        text = '';
        for (let k = 1 + rng.int(17); k > 0; k--) text += '0123456789.-+e'[rng.int(14)];
      }
      const fast = decimal(text);
      if (!Object.is(fast, +text)) expect(fast, JSON.stringify(text)).toBe(+text);
    }
  });
});
