import { describe, expect, it } from 'vitest';
import {
  ClassificationMetrics,
  ConfusionMatrix,
  FadingAccuracy,
  LOG_LOSS_EPS,
  WindowedAccuracy,
  meanConfidenceInterval,
  studentTQuantile,
} from '../src/eval/classification-metrics.js';

function feed(truth: readonly number[], predicted: readonly number[]): ClassificationMetrics {
  const m = new ClassificationMetrics();
  for (let i = 0; i < truth.length; i++) m.update(truth[i], predicted[i]);
  return m;
}

/** Element-wise toBeCloseTo: the expected values below are fractions, compared to 12 digits. */
function expectAll(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
}

describe('ConfusionMatrix', () => {
  it('counts pairs with rows = truth, columns = predicted, and grows for new classes', () => {
    const cm = new ConfusionMatrix();
    expect(cm.k).toBe(0);
    expect(cm.total).toBe(0);
    expect(cm.toArray()).toEqual([]);
    cm.update(0, 0);
    cm.update(1, 1);
    cm.update(0, 1);
    expect(cm.k).toBe(2);
    expect(cm.toArray()).toEqual([
      [1, 1],
      [0, 1],
    ]);
    // Class 2 appears mid-stream in the truth: every row gains a column.
    cm.update(2, 0);
    expect(cm.k).toBe(3);
    expect(cm.total).toBe(4);
    expect(cm.correct).toBe(2);
    expect(cm.toArray()).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    // And class 4 only as a prediction.
    cm.update(1, 4);
    expect(cm.k).toBe(5);
    expect(cm.count(1, 4)).toBe(1);
    expect(cm.count(3, 3)).toBe(0);
    expect(cm.count(9, 0)).toBe(0);
    expect(cm.truthCount(1)).toBe(2);
    expect(cm.predictedCount(0)).toBe(2);
    expect(cm.predictedCount(4)).toBe(1);
    expect(cm.toArray().every((row) => row.length === 5)).toBe(true);
  });

  it('returns a copy, and refuses indices that are not class indices', () => {
    const cm = new ConfusionMatrix();
    cm.update(0, 0);
    cm.toArray()[0][0] = 99;
    expect(cm.count(0, 0)).toBe(1);
    expect(() => cm.update(-1, 0)).toThrow(RangeError);
    expect(() => cm.update(0, 1.5)).toThrow(RangeError);
    expect(() => cm.update(Number.NaN, 0)).toThrow(RangeError);
  });
});

describe('ClassificationMetrics on a hand-computed 3-class example', () => {
  // truth:     0 0 0 0 0 1 1 1 2 2
  // predicted: 0 0 0 1 2 1 1 0 2 1
  //
  //            predicted 0  1  2 | support
  //   truth 0            3  1  1 | 5
  //   truth 1            1  2  0 | 3
  //   truth 2            0  1  1 | 2
  //   predicted          4  4  2 | 10
  //
  // accuracy  = (3 + 2 + 1) / 10 = 0.6
  // precision = 3/4, 2/4, 1/2     recall = 3/5, 2/3, 1/2
  // F1 = 2tp / (support + predicted) = 6/9 = 2/3, 4/7, 2/4 = 1/2
  // macro P  = (3/4 + 1/2 + 1/2) / 3 = 7/12
  // macro R  = (3/5 + 2/3 + 1/2) / 3 = (18 + 20 + 15) / 90 = 53/90 = balanced accuracy
  // macro F1 = (2/3 + 4/7 + 1/2) / 3 = (28 + 24 + 21) / 126 = 73/126
  // kappa: pe = (5·4 + 3·4 + 2·2) / 100 = 0.36, (0.6 - 0.36) / (1 - 0.36) = 0.24 / 0.64 = 3/8
  const s = feed([0, 0, 0, 0, 0, 1, 1, 1, 2, 2], [0, 0, 0, 1, 2, 1, 1, 0, 2, 1]).summary();

  it('gives the matrix, accuracy and kappa', () => {
    expect(s.rows).toBe(10);
    expect(s.confusionMatrix).toEqual([
      [3, 1, 1],
      [1, 2, 0],
      [0, 1, 1],
    ]);
    expect(s.accuracy).toBeCloseTo(0.6, 12);
    expect(s.kappa).toBeCloseTo(3 / 8, 12);
  });

  it('gives per-class precision, recall, F1 and support', () => {
    expectAll(s.precision, [3 / 4, 1 / 2, 1 / 2]);
    expectAll(s.recall, [3 / 5, 2 / 3, 1 / 2]);
    expectAll(s.f1, [2 / 3, 4 / 7, 1 / 2]);
    expect(s.support).toEqual([5, 3, 2]);
  });

  it('gives macro averages, and balanced accuracy as the macro recall', () => {
    expect(s.macro.precision).toBeCloseTo(7 / 12, 12);
    expect(s.macro.recall).toBeCloseTo(53 / 90, 12);
    expect(s.macro.f1).toBeCloseTo(73 / 126, 12);
    expect(s.balancedAccuracy).toBeCloseTo(53 / 90, 12);
  });

  it('gives micro precision = recall = F1 = accuracy, as scikit-learn documents for single-label data', () => {
    expect(s.micro.precision).toBeCloseTo(0.6, 12);
    expect(s.micro.recall).toBeCloseTo(0.6, 12);
    expect(s.micro.f1).toBeCloseTo(0.6, 12);
  });

  it('has no log loss when no probabilities were given', () => {
    expect(s.logLoss).toBeNull();
    expect(s.probabilityRows).toBe(0);
  });
});

describe('agreement with scikit-learn documentation examples', () => {
  it('f1/precision/recall_score docstring example: y_true [0,1,2,0,1,2], y_pred [0,2,1,0,0,1]', () => {
    // Matrix: [[2,0,0],[1,0,1],[0,2,0]]. scikit-learn documents per-class F1 [0.8, 0, 0],
    // macro F1 0.2666..., micro F1 0.3333...; precision per class [0.6667, 0, 0], macro 0.2222...;
    // recall per class [1, 0, 0], macro 0.3333...
    const s = feed([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]).summary();
    expectAll(s.f1, [0.8, 0, 0]);
    expect(s.macro.f1).toBeCloseTo(0.8 / 3, 12);
    expect(s.micro.f1).toBeCloseTo(1 / 3, 12);
    expectAll(s.precision, [2 / 3, 0, 0]);
    expect(s.macro.precision).toBeCloseTo(2 / 9, 12);
    expectAll(s.recall, [1, 0, 0]);
    expect(s.macro.recall).toBeCloseTo(1 / 3, 12);
    expect(s.micro.f1).toBeCloseTo(s.accuracy, 12);
  });

  it('balanced_accuracy_score docstring example, imbalanced: y_true [0,1,0,0,1,0], y_pred [0,1,0,0,0,1] -> 0.625', () => {
    // recall(0) = 3/4, recall(1) = 1/2, mean 0.625, where the plain accuracy is 4/6.
    const s = feed([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1]).summary();
    expect(s.balancedAccuracy).toBeCloseTo(0.625, 12);
    expect(s.accuracy).toBeCloseTo(4 / 6, 12);
  });

  it('zero_division=0: a class never predicted has precision 0 (and F1 0)', () => {
    // truth [0, 1], predicted [0, 0]: class 1 is never predicted (0/0 precision) and never found.
    const s = feed([0, 1], [0, 0]).summary();
    expectAll(s.precision, [1 / 2, 0]);
    expectAll(s.recall, [1, 0]);
    expectAll(s.f1, [2 / 3, 0]);
    expect(s.macro.precision).toBeCloseTo(1 / 4, 12);
  });
});

describe('kappa-M and kappa-T', () => {
  it('are computed prequentially against the majority and no-change baselines', () => {
    // row        1  2  3  4  5  6
    // truth      0  0  1  1  1  0
    // predicted  0  0  0  1  1  1      right: 4 of 6, p0 = 2/3
    // majority   -  0  0  0  0  1      (counts before the row; the tie at row 5, 2 vs 2, goes to class 0)
    //   right    .  y  .  .  .  .      pm = 1/6, kappa-M = (2/3 - 1/6) / (5/6) = 3/5
    // no-change  -  0  0  1  1  1      (the previous row's truth)
    //   right    .  y  .  y  y  .      pe = 3/6, kappa-T = (2/3 - 1/2) / (1/2) = 1/3
    // Cohen: matrix [[2,1],[1,2]], pe = (3·3 + 3·3) / 36 = 1/2, kappa = 1/3.
    const s = feed([0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1]).summary();
    expect(s.accuracy).toBeCloseTo(2 / 3, 12);
    expect(s.kappaM).toBeCloseTo(3 / 5, 12);
    expect(s.kappaT).toBeCloseTo(1 / 3, 12);
    expect(s.kappa).toBeCloseTo(1 / 3, 12);
  });

  it('go negative when the classifier is worse than the baseline', () => {
    // truth 1 1 1 1, predicted 0 0 0 0: p0 = 0. Majority and no-change are both right on rows 2-4:
    // pm = pe = 3/4, kappa-M = kappa-T = (0 - 3/4) / (1/4) = -3.
    // Cohen: matrix [[0,0],[4,0]], pe = (0·4 + 4·0) / 16 = 0, kappa = 0.
    const s = feed([1, 1, 1, 1], [0, 0, 0, 0]).summary();
    expect(s.kappaM).toBeCloseTo(-3, 12);
    expect(s.kappaT).toBeCloseTo(-3, 12);
    expect(s.kappa).toBe(0);
  });

  it('kappa is 0 when its denominator 1 - pe is 0', () => {
    // One class, always predicted right: pe = 1, (p0 - pe) / (1 - pe) = 0/0 -> 0 (scikit-learn gives NaN).
    // kappa-M: majority right on rows 2-3, pm = 2/3, (1 - 2/3) / (1/3) = 1; kappa-T likewise 1.
    const s = feed([0, 0, 0], [0, 0, 0]).summary();
    expect(s.kappa).toBe(0);
    expect(s.kappaM).toBeCloseTo(1, 12);
    expect(s.kappaT).toBeCloseTo(1, 12);
    expect(s.balancedAccuracy).toBe(1);
  });

  it('a majority tie goes to the lowest class index', () => {
    // truth 1 0 0, predicted 1 1 1. Before row 2 the majority is 1 (wrong); before row 3,
    // 1 vs 1 -> class 0 (right). pm = 1/3; p0 = 1/3; kappa-M = 0.
    // No-change: row 2 predicts 1 (wrong), row 3 predicts 0 (right): pe = 1/3, kappa-T = 0.
    const s = feed([1, 0, 0], [1, 1, 1]).summary();
    expect(s.kappaM).toBeCloseTo(0, 12);
    expect(s.kappaT).toBeCloseTo(0, 12);
  });
});

describe('log loss', () => {
  it('is the mean of -ln p(truth), without clipping for ordinary probabilities', () => {
    // -ln 0.8 and -ln 0.7: mean = -ln(0.56) / 2 = 0.289909...
    const m = new ClassificationMetrics();
    m.update(0, 0, [0.8, 0.2]);
    m.update(1, 1, [0.3, 0.7]);
    expect(m.summary().logLoss).toBeCloseTo(-Math.log(0.56) / 2, 12);
    expect(m.summary().logLoss).toBeCloseTo(0.2899092476264711, 12);
  });

  it('clips p to [1e-15, 1] as scikit-learn does', () => {
    // p(truth) = 0 costs -ln(1e-15) = 15 ln 10 = 34.538776394910684, not Infinity;
    // a truth beyond the probability vector (a class the model does not know) had p = 0 too;
    // p = 1.2 (not a probability) is clipped to 1 and costs 0.
    const m = new ClassificationMetrics();
    m.update(1, 0, [1, 0]);
    expect(m.summary().logLoss).toBeCloseTo(15 * Math.LN10, 12);
    expect(-Math.log(LOG_LOSS_EPS)).toBeCloseTo(34.538776394910684, 12);
    m.update(2, 0, [0.5, 0.5]);
    m.update(0, 0, [1.2, 0]);
    // (34.5388 + 34.5388 + 0) / 3
    expect(m.summary().logLoss).toBeCloseTo((2 * 15 * Math.LN10) / 3, 12);
  });

  it('is over the rows that gave probabilities, which the summary counts', () => {
    const m = new ClassificationMetrics();
    m.update(0, 0);
    m.update(0, 0, [0.5, 0.5]);
    const s = m.summary();
    expect(s.probabilityRows).toBe(1);
    expect(s.logLoss).toBeCloseTo(Math.LN2, 12);
    expect(() => m.update(0, 0, [Number.NaN, 1])).toThrow(RangeError);
    // The refused row was not counted.
    expect(m.summary().rows).toBe(2);
  });
});

describe('a new class mid-stream', () => {
  it('grows every per-class array and averages only over classes seen', () => {
    const m = new ClassificationMetrics();
    m.update(0, 0);
    m.update(0, 0);
    expect(m.summary().confusionMatrix).toEqual([[2]]);
    // Class 2 appears; class 1 never does, in truth or prediction.
    m.update(2, 2);
    m.update(2, 0);
    // Matrix [[2,0,0],[0,0,0],[1,0,1]]: accuracy 3/4.
    // precision: 2/3, 0 (never predicted), 1/1; recall: 2/2, 0, 1/2; F1: 4/5, 0, 2/3.
    // Macro over classes 0 and 2 (as scikit-learn's labels = those present):
    // P = (2/3 + 1) / 2 = 5/6, R = (1 + 1/2) / 2 = 3/4, F1 = (4/5 + 2/3) / 2 = 11/15.
    // Balanced accuracy = 3/4. Kappa: pe = (2·3 + 0 + 2·1) / 16 = 1/2, (3/4 - 1/2) / (1/2) = 1/2.
    const s = m.summary();
    expect(s.confusionMatrix).toEqual([
      [2, 0, 0],
      [0, 0, 0],
      [1, 0, 1],
    ]);
    expect(s.accuracy).toBeCloseTo(3 / 4, 12);
    expectAll(s.precision, [2 / 3, 0, 1]);
    expectAll(s.recall, [1, 0, 1 / 2]);
    expectAll(s.f1, [4 / 5, 0, 2 / 3]);
    expect(s.support).toEqual([2, 0, 2]);
    expect(s.macro.precision).toBeCloseTo(5 / 6, 12);
    expect(s.macro.recall).toBeCloseTo(3 / 4, 12);
    expect(s.macro.f1).toBeCloseTo(11 / 15, 12);
    expect(s.balancedAccuracy).toBeCloseTo(3 / 4, 12);
    expect(s.kappa).toBeCloseTo(1 / 2, 12);
    // Kappa-M: majority before rows 2-4 is 0, 0, 0 (row 4: 2 vs 1): right on row 2 only, pm = 1/4,
    // (3/4 - 1/4) / (3/4) = 2/3. No-change: 0, 0, 2 -> right on rows 2 and 4, pe = 1/2, kappa-T = 1/2.
    expect(s.kappaM).toBeCloseTo(2 / 3, 12);
    expect(s.kappaT).toBeCloseTo(1 / 2, 12);
  });

  it('gives NaN rates and a null log loss on zero rows', () => {
    const s = new ClassificationMetrics().summary();
    expect(s.rows).toBe(0);
    expect(s.accuracy).toBeNaN();
    expect(s.balancedAccuracy).toBeNaN();
    expect(s.kappa).toBeNaN();
    expect(s.kappaM).toBeNaN();
    expect(s.kappaT).toBeNaN();
    expect(s.macro.f1).toBeNaN();
    expect(s.micro.f1).toBeNaN();
    expect(s.logLoss).toBeNull();
    expect(s.confusionMatrix).toEqual([]);
  });
});

describe('WindowedAccuracy', () => {
  it('is the accuracy over the last `size` rows', () => {
    // size 3; outcomes T F F T T T:
    // window [T] 1, [T F] 1/2, [T F F] 1/3, [F F T] 1/3, [F T T] 2/3, [T T T] 1
    const w = new WindowedAccuracy(3);
    expect(w.value).toBeNaN();
    const values: number[] = [];
    for (const c of [true, false, false, true, true, true]) {
      w.update(c);
      values.push(w.value);
    }
    expectAll(values, [1, 1 / 2, 1 / 3, 1 / 3, 2 / 3, 1]);
    expect(w.count).toBe(3);
  });

  it('with size 1 is the last outcome, and refuses a size below 1', () => {
    const w = new WindowedAccuracy(1);
    w.update(true);
    w.update(false);
    expect(w.value).toBe(0);
    expect(() => new WindowedAccuracy(0)).toThrow(RangeError);
    expect(() => new WindowedAccuracy(2.5)).toThrow(RangeError);
  });
});

describe('FadingAccuracy', () => {
  it('weights row i by alpha^(n-i)', () => {
    // alpha 0.5, outcomes T F T:
    // n=1: 1/1 = 1; n=2: (0.5·1 + 0) / (0.5 + 1) = 1/3; n=3: (0.25 + 0 + 1) / (0.25 + 0.5 + 1) = 5/7
    const f = new FadingAccuracy(0.5);
    expect(f.value).toBeNaN();
    const values: number[] = [];
    for (const c of [true, false, true]) {
      f.update(c);
      values.push(f.value);
    }
    expectAll(values, [1, 1 / 3, 5 / 7]);
  });

  it('with alpha = 1 is the cumulative accuracy, and refuses alpha outside (0, 1]', () => {
    const f = new FadingAccuracy(1);
    for (const c of [true, false, true, true]) f.update(c);
    expect(f.value).toBeCloseTo(3 / 4, 12);
    expect(() => new FadingAccuracy(0)).toThrow(RangeError);
    expect(() => new FadingAccuracy(1.5)).toThrow(RangeError);
  });
});

describe('Student t quantile and meanConfidenceInterval', () => {
  it('matches the tabulated two-sided 95% values', () => {
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262, 3);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    // Large df -> the normal quantile 1.959964.
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959964, 5);
  });

  it('agrees with the Cornish-Fisher expansion for large df', () => {
    // t = z + g1/v + g2/v² + g3/v³ + O(v⁻⁴) (Abramowitz & Stegun 26.7.5), z = 1.959963984540054;
    // the omitted term is below 1e-11 for v >= 1000.
    const z = 1.959963984540054;
    const g1 = (z ** 3 + z) / 4;
    const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
    const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
    for (const v of [1e3, 1e4, 1e5, 1e6]) {
      expect(studentTQuantile(0.975, v)).toBeCloseTo(z + g1 / v + g2 / v ** 2 + g3 / v ** 3, 10);
    }
  });

  it('matches closed forms to many digits', () => {
    // df = 1 is the Cauchy: t = tan(pi (p - 1/2)); df = 2: t = (2p - 1) / sqrt(2 p (1 - p)).
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(0.475 * Math.PI), 9);
    expect(studentTQuantile(0.9995, 1)).toBeCloseTo(Math.tan(0.4995 * Math.PI), 7);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(0.95 / Math.sqrt(2 * 0.975 * 0.025), 12);
    // More table values (t(0.975, 9) = 2.262157, t(0.995, 3) = 5.840909, t(0.95, 4) = 2.131847).
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 6);
    expect(studentTQuantile(0.995, 3)).toBeCloseTo(5.840909, 6);
    expect(studentTQuantile(0.95, 4)).toBeCloseTo(2.131847, 6);
    // Symmetry and the median.
    expect(studentTQuantile(0.025, 9)).toBeCloseTo(-2.262157, 6);
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError);
  });

  it('gives mean, sample std and the t interval', () => {
    // [1, 3]: mean 2, std sqrt(2), half-width t(0.975, 1) · sqrt(2) / sqrt(2) = tan(0.475 pi) = 12.706205.
    const two = meanConfidenceInterval([1, 3]);
    expect(two.mean).toBe(2);
    expect(two.std).toBeCloseTo(Math.SQRT2, 12);
    expect(two.low).toBeCloseTo(2 - Math.tan(0.475 * Math.PI), 9);
    expect(two.high).toBeCloseTo(2 + Math.tan(0.475 * Math.PI), 9);
    // 1..10: mean 5.5, variance 82.5 / 9, half-width 2.262157 · sqrt(82.5 / 9) / sqrt(10) = 2.262157 · 0.957427 = 2.165850.
    const ten = meanConfidenceInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(ten.mean).toBe(5.5);
    expect(ten.std).toBeCloseTo(Math.sqrt(82.5 / 9), 12);
    expect(ten.low).toBeCloseTo(5.5 - 2.16585, 5);
    expect(ten.high).toBeCloseTo(5.5 + 2.16585, 5);
    // 90%: t(0.95, 9) = 1.833113, half-width 1.833113 · 0.957427 = 1.755072.
    const ninety = meanConfidenceInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9);
    expect(ninety.high - ninety.mean).toBeCloseTo(1.755072, 5);
  });

  it('cannot estimate a spread from fewer than two values', () => {
    const one = meanConfidenceInterval([0.8]);
    expect(one.mean).toBe(0.8);
    expect(one.std).toBeNaN();
    expect(one.low).toBeNaN();
    expect(one.high).toBeNaN();
    expect(meanConfidenceInterval([]).mean).toBeNaN();
    expect(() => meanConfidenceInterval([1, 2], 1)).toThrow(RangeError);
  });
});
