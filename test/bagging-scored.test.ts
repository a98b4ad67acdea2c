// The bagging ensembles' test-then-train path (learnScored, one pass per member and row) against
// predicting and then learning each row in turn: the same probabilities and the same saved state,
// also across member replacements and for bases that only predict and learn apart.
import { describe, expect, it } from 'vitest';
import { sliceRows, synthBatch } from './helpers.js';
import { resolveParams } from '../src/core/params.js';
import type { Classifier } from '../src/learners/contract.js';
import { learnerDefinition } from '../src/learners/registry.js';

async function both(learner: string, params: Record<string, unknown>, spec: string, rows: number) {
  const def = learnerDefinition(learner);
  const { ctx, batch } = await synthBatch(spec, rows, 3);
  const fast = await def.create(ctx, resolveParams(def, params));
  const slow = await def.create(ctx, resolveParams(def, params));
  const scored = await fast.learnScored!(batch);
  const k = fast.nClasses;
  const expected = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const one = sliceRows(batch, r, r + 1);
    expected.set(await slow.predictProba(one.x), r * k);
    await slow.learn(one);
  }
  return { fast, slow, scored, expected };
}

const replaced = (m: Classifier) => (m as Classifier & { replaced: number }).replaced;

describe('bagging learnScored', () => {
  it('leveraging bagging: what predicting, then learning, each row gives, through member replacements (Agrawal 1 -> 2, seed 3)', async () => {
    const { fast, slow, scored, expected } = await both('leveraging-bagging', { ensembleSize: 4 }, 'agrawal(function=1)>agrawal(function=2)@2000/1', 4_000);
    expect(scored).toEqual(expected);
    // The drift at row 2,000 replaces members: the path through replaceWorst is taken.
    expect(replaced(fast)).toBeGreaterThan(0);
    expect(replaced(fast)).toBe(replaced(slow));
    expect((await fast.saveState()).json).toEqual((await slow.saveState()).json);
  });

  it('online bagging of Gaussian naive Bayes (a base without one-pass scoring): the same to the bit', async () => {
    const { fast, slow, scored, expected } = await both('online-bagging', { ensembleSize: 3, base: 'gaussian-nb' }, 'sea', 1_500);
    expect(scored).toEqual(expected);
    expect((await fast.saveState()).json).toEqual((await slow.saveState()).json);
  });

  it('leveraging bagging of kNN (a base without weighted learning) goes row by row: the same to the bit', async () => {
    const { fast, slow, scored, expected } = await both('leveraging-bagging', { ensembleSize: 3, base: 'knn' }, 'sea', 600);
    expect(scored).toEqual(expected);
    expect((await fast.saveState()).json).toEqual((await slow.saveState()).json);
  });
});
