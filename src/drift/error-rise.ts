import type { DriftDetector, DriftSignal } from './contract.js';

/**
 * Feeds a detector one error (1 wrong, 0 right) and reports a drift only when
 * the error rate rose. A two-sided detector such as ADWIN also reports the
 * error falling, which is a learner getting better, not a concept drift nor
 * a reason to replace a learner: MOA's ADWIN change detector, as used by
 * ARF, leveraging bagging and the Hoeffding Adaptive Tree, reacts to rises
 * only. The one-sided detectors keep, after a drift, the values since the
 * change point, so their estimate rises too and the rule holds for all.
 */
export function watchErrors(detector: DriftDetector, wrong: boolean): DriftSignal {
  const before = detector.estimate;
  const signal = detector.update(wrong ? 1 : 0);
  if (signal === 'drift' && !(detector.estimate > before)) return 'stable';
  return signal;
}

/** True when the error rate rose significantly (see watchErrors). */
export function errorRose(detector: DriftDetector, wrong: boolean): boolean {
  return watchErrors(detector, wrong) === 'drift';
}

/**
 * watchErrors for a real-valued loss (a regressor's absolute error): feeds
 * the detector the loss and reports a drift only when its mean rose.
 */
export function watchLoss(detector: DriftDetector, loss: number): DriftSignal {
  const before = detector.estimate;
  const signal = detector.update(loss);
  if (signal === 'drift' && !(detector.estimate > before)) return 'stable';
  return signal;
}

/** True when the loss's mean rose significantly (see watchLoss). */
export function lossRose(detector: DriftDetector, loss: number): boolean {
  return watchLoss(detector, loss) === 'drift';
}
