import type { SourceSettings } from '../pipeline.js';
import { datasetName } from '../files/datasets.js';
import type { RunFlags } from './run-flags.js';

// The flag definitions live in run-flags.ts, light enough for start-up; this module is loaded when a command runs.
export { addDataOptions, addStreamOptions, maxLineBytesArg, MAX_LINE_BYTES_HELP, namesArg, scopedParamArg, type RunFlags } from './run-flags.js';

/** The shared flags as the pipeline's flat settings (callbacks and learners are the caller's); errors name the flags. */
export function runOptions(flags: RunFlags): SourceSettings {
  return {
    dataset: flags.dataset === undefined ? undefined : datasetName(flags.dataset),
    data: flags.data,
    label: flags.label,
    classes: flags.classes,
    rows: flags.rows,
    protocol: flags.protocol,
    shuffle: flags.shuffle,
    shuffleBuffer: flags.shuffleBuffer,
    curveEvery: flags.curveEvery,
    window: flags.window,
    fading: flags.fading,
    holdoutRows: flags.holdoutRows,
    holdoutEvery: flags.holdoutEvery,
    holdoutSampleFrom: flags.holdoutSampleFrom,
    sizeEvery: flags.sizeEvery,
    drift: flags.drift,
    driftParams: flags.driftParam,
    seed: flags.seed,
    batchSize: flags.batchSize,
    testSize: flags.testSize,
    categorical: flags.categorical,
    missing: flags.missing,
    inputFormat: flags.inputFormat,
    delimiter: flags.delimiter,
    quote: flags.quote,
    features: flags.features,
    exclude: flags.exclude,
    onBadRow: flags.onBadRow,
    maxLineBytes: flags.maxLineBytes,
    preprocess: flags.preprocess,
    preprocessParams: flags.preprocessParam,
  };
}
