// Online boosting (OzaBoost): accuracy on SEA, exact save/load mid-stream, its merge refusal, and
// one-row learning through the asynchronous path.
import { describe, expect, it } from 'vitest';
import { sliceRows, synthBatch } from './helpers.js';
import type { Batch, Schema } from '../src/core/types.js';
import { argmaxRows, type Classifier } from '../src/learners/contract.js';
import { Model } from '../src/learners/model.js';
import { learnerDefinition } from '../src/learners/registry.js';
import { resolveParams } from '../src/core/params.js';

const def = learnerDefinition('online-boosting');



/** Test-then-train in chunks of 100 rows: the share of rows predicted right before they were learned. */
async function prequential(model: Classifier, batch: Batch): Promise<number> {
  let right = 0;
  for (let from = 0; from < batch.x.rows; from += 100) {
    const chunk = sliceRows(batch, from, Math.min(from + 100, batch.x.rows));
    const predicted = argmaxRows(await model.predictProba(chunk.x), model.nClasses);
    predicted.forEach((p, r) => (right += p === chunk.y[r] ? 1 : 0));
    await model.learn(chunk);
  }
  return right / batch.x.rows;
}

describe('online-boosting', () => {
  it('learns SEA (20,000 rows, seed 42) above 0.85', async () => {
    const { ctx, batch } = await synthBatch('sea', 20_000, 42);
    const model = await def.create(ctx, resolveParams(def));
    // Measured 0.869 (MOA's OzaBoost: 88.8% over 200,000 rows, ours 88.75% in the same run).
    expect(await prequential(model, batch)).toBeGreaterThan(0.85);
  });

  it('saves and loads mid-stream: the same predictions, and the same learning after', async () => {
    const { ctx, batch } = await synthBatch('sea', 6_000, 7);
    const params = resolveParams(def, { ensembleSize: 4 });
    const model = await def.create(ctx, params);
    await model.learn(sliceRows(batch, 0, 3_000));
    const saved = await model.saveState();
    const loaded = await def.restore(ctx, params, JSON.parse(JSON.stringify(saved)) as typeof saved);
    const test = sliceRows(batch, 5_000, 6_000).x;
    expect(await loaded.predictProba(test)).toEqual(await model.predictProba(test));
    await model.learn(sliceRows(batch, 3_000, 5_000));
    await loaded.learn(sliceRows(batch, 3_000, 5_000));
    expect(await loaded.predictProba(test)).toEqual(await model.predictProba(test));
    expect(await loaded.saveState()).toEqual(await model.saveState());
  });

  it('with driftDetector adwin (ADWIN boosting) replaces members after Agrawal 1 -> 2 and keeps learning (20,000 rows, seed 1)', async () => {
    const { ctx, batch } = await synthBatch('agrawal(function=1)>agrawal(function=2)@10000/1', 20_000, 1);
    const model = await def.create(ctx, resolveParams(def, { 'drift-detector': 'adwin' }));
    await prequential(model, sliceRows(batch, 0, 12_000));
    const replacedBefore = (model as unknown as { replaced: number }).replaced;
    // Measured 0.737 on rows 12,000 to 20,000; 79 members replaced by row 12,000, 101 by the end (plain boosting: about 0.83,
    // none replaced). On this stream MOA's OzaBoostAdwin also trails its OzaBoost (78.8 against 89.4
    // at 200,000 rows): the later members' errors move with their weights, so their monitors fire often.
    expect(await prequential(model, sliceRows(batch, 12_000, 20_000))).toBeGreaterThan(0.7);
    expect(replacedBefore).toBeGreaterThan(0);
    expect((model as unknown as { replaced: number }).replaced).toBeGreaterThan(replacedBefore);
  });

  it('with driftDetector adwin saves and loads mid-stream exactly, monitors included', async () => {
    const { ctx, batch } = await synthBatch('agrawal(function=1)>agrawal(function=2)@3000/1', 6_000, 2);
    const params = resolveParams(def, { ensembleSize: 4, driftDetector: 'adwin' });
    const model = await def.create(ctx, params);
    await model.learn(sliceRows(batch, 0, 4_000));
    const saved = await model.saveState();
    expect((saved.json as { detectors: unknown[] }).detectors).toHaveLength(4);
    const loaded = await def.restore(ctx, params, JSON.parse(JSON.stringify(saved)) as typeof saved);
    await model.learn(sliceRows(batch, 4_000, 6_000));
    await loaded.learn(sliceRows(batch, 4_000, 6_000));
    expect(await loaded.saveState()).toEqual(await model.saveState());
    const broken = JSON.parse(JSON.stringify(saved)) as { json: { detectors: unknown[] } };
    broken.json.detectors.pop();
    await expect(def.restore(ctx, params, broken as typeof saved)).rejects.toThrow(
      'online-boosting: saved state has 4 members but 3 drift detectors (driftDetector is adwin)',
    );
  });

  it('takes drift-detector none or adwin, and names the flag otherwise', () => {
    expect(resolveParams(def).driftDetector).toBe('none');
    expect(() => resolveParams(def, { 'drift-detector': 'ddm' })).toThrow('--param drift-detector=ddm: expected one of none, adwin');
  });

  it('refuses to merge, with its reason', () => {
    expect(def.merge?.kind).toBeNull();
    expect(def.merge && 'reason' in def.merge ? def.merge.reason : '').toBe(
      "boosting's members are a chain, each trained on the rows the ones before it missed, so one replica's members " +
        "do not follow another's; train an ensemble whose members pool instead (--model online-bagging or leveraging-bagging)",
    );
  });

  it('learns one row at a time through learnOneAsync', async () => {
    const schema: Schema = { features: ['a', 'b'], label: 'y', classes: [] };
    const model = await Model.create('online-boosting', schema, { params: { ensembleSize: 3 } });
    expect(model.synchronous).toBe(false);
    for (let i = 0; i < 400; i++) {
      const a = (i * 37) % 100;
      await model.learnOneAsync({ a, b: (i * 11) % 7 }, a < 50 ? 'low' : 'high');
    }
    expect(await model.predictOneAsync({ a: 10, b: 3 })).toBe('low');
    expect(await model.predictOneAsync({ a: 90, b: 3 })).toBe('high');
    model.dispose();
  });
});
