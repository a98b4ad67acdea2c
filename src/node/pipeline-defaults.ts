/**
 * train()'s defaults and limits, in a module that imports nothing: the
 * CLI's flags show them in their help without loading the pipeline (the
 * learners, the readers, NATS), which only the command that runs needs.
 */

/** The learner `streamlearn train` uses unless told otherwise: the best on Iris under the default protocol. */
export const DEFAULT_LEARNER = 'gaussian-nb';
export const DEFAULT_DATASET = 'iris';
export const DEFAULTS = { seed: 42, batchSize: 16, testSize: 0.2, synthRows: 100_000, holdoutRows: 1000, holdoutEvery: 1000, sizeEvery: 100_000 } as const;
/**
 * The largest values of the settings that size what is held in memory, the
 * command-line flags' ranges too: a batch's and the held-out rows' arrays
 * are allocated whole, the window's outcomes too, and a shuffle buffer holds
 * its rows. Counts of rows (curveEvery, holdoutEvery, sizeEvery, rows) and
 * the seed go up to Number.MAX_SAFE_INTEGER.
 */
export const LIMITS = { batchSize: 1_000_000, holdoutRows: 1_000_000, window: 100_000_000, shuffleBuffer: 100_000_000 } as const;
/** `--data synth:SPEC` names a generated stream (see src/data/synth). */
export const SYNTH_PREFIX = 'synth:';
