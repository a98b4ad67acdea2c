import type { Json } from '../core/state.js';

/** What a detector concludes after a value: nothing, a possible change, or a change. */
export type DriftSignal = 'stable' | 'warning' | 'drift';

/**
 * A concept-drift detector watches a stream of numbers, usually a learner's
 * errors (1 for a mistake, 0 for a correct prediction), and says when their
 * distribution has changed. Detectors that have no warning level never say
 * 'warning'. After 'drift' a detector starts afresh on its own (it has
 * already forgotten the old concept); callers need not reset it.
 */
export interface DriftDetector {
  /** The registry name, e.g. "adwin". */
  readonly name: string;
  /** Feeds one value and returns the detector's conclusion. */
  update(value: number): DriftSignal;
  /** The detector's current estimate of the mean of what it watches. */
  readonly estimate: number;
  /** Forgets everything seen. */
  reset(): void;
  /** The detector's state; restore(params, state) rebuilds it exactly. */
  getState(): Json;
}
