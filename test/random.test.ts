import { describe, expect, it } from 'vitest';
import { Random, deriveSeed } from '../src/core/random.js';

describe('Random', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 8 }, ((r) => () => r.nextUint32())(new Random(seed)));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws floats in [0, 1) with a mean near one half', () => {
    const r = new Random(1);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = r.next();
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Standard error of the mean is 0.29 / sqrt(1e5) ~ 0.0009; 0.005 is over five of them.
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.005);
  });

  it('draws integers below the bound, each about equally often', () => {
    const r = new Random(7);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    // Chi-square with 5 degrees of freedom: 20.5 is the 0.999 quantile.
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(20.5);
  });

  it('makes permutations, and resumes exactly from a saved state', () => {
    const r = new Random(3);
    const p = Array.from(r.permutation(50));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const state = r.getState();
    const next = [r.nextUint32(), r.nextUint32()];
    const copy = new Random(0);
    copy.setState(state);
    expect([copy.nextUint32(), copy.nextUint32()]).toEqual(next);
  });

  it('derives different seeds for different purposes', () => {
    expect(deriveSeed(42, 'shuffle')).not.toBe(deriveSeed(42, 'split'));
    expect(deriveSeed(42, 'shuffle')).toBe(deriveSeed(42, 'shuffle'));
  });
});
