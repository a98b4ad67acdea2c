import type { DriftDetector } from './contract.js';

/**
 * Feeds a detector one error (1 wrong, 0 right) and says whether the error
 * rate rose significantly. A two-sided detector such as ADWIN also reports
 * the error falling, which is a learner getting better, not a reason to
 * replace it: MOA's ADWIN change detector, as used by ARF, leveraging
 * bagging and the Hoeffding Adaptive Tree, reacts to rises only.
 */
export function errorRose(detector: DriftDetector, wrong: boolean): boolean {
  const before = detector.estimate;
  return detector.update(wrong ? 1 : 0) === 'drift' && detector.estimate > before;
}
