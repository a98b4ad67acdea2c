import { fail } from '../core/errors.js';
import type { BadRowPolicy, SkippedRow } from '../data/source.js';
import type { DataFrameLike } from '../dataframe/dataframe.js';
import type { BatchResult } from '../eval/batch-split.js';
import type { CurvePoint } from '../eval/prequential.js';
import { protocols, type Protocol } from '../eval/report.js';
import type { ParamValue } from '../learners/contract.js';
import type { LearnerName, LearnerParamsInput } from '../learners/registry.js';
import type { StepSpec } from '../preprocess/registry.js';
import type { JetStreamSourceOptions } from './broker/source.js';
import type { DatasetName } from './files/datasets.js';
import type { InputFormat } from './files/file-source.js';
import type { CompareSettings, LearnerSpec, TrainSettings } from './pipeline.js';

/**
 * train()'s and compare()'s options, grouped by the stage they configure:
 * where the rows come from (source), how they flow (stream), how the model
 * is scored (protocol), the model (learner, parameters, preprocessing), and
 * what comes out (the saved model, callbacks). The command line's flags are
 * one flat list; the CLI builds the flat settings the groups are turned into
 * here, so both run the same code and give the same reports.
 */

/** A bundled data set (see `streamlearn datasets`). */
export interface DatasetSource {
  readonly dataset: DatasetName;
}

/** What a data file and a DataFrame share: the label, its classes, categories and missing values. */
interface TableSourceOptions {
  /** The label column. */
  readonly label: string;
  /** The classes in their canonical order (indices follow it); labels not listed are added as they appear. */
  readonly classes?: readonly string[];
  /** Feature columns read as categories, or 'auto' to infer them (non-numeric in the first 1,000 rows). */
  readonly categorical?: readonly string[] | 'auto';
  /** 'fail' (default) on an empty cell, or 'allow' it as a missing value (the default preprocessing then imputes it). */
  readonly missing?: 'fail' | 'allow';
}

/** A CSV or JSON lines file (gzip is unzipped; '-' reads stdin). */
export interface FileSource extends TableSourceOptions {
  readonly file: string;
  /** csv or jsonl; default from the name (.jsonl, .ndjson, optionally .gz: jsonl), else csv. */
  readonly format?: InputFormat;
  /** CSV: the field delimiter (default ","; "\t" or "tab" for a tab). */
  readonly delimiter?: string;
  /** CSV: the quote character (default '"'). */
  readonly quote?: string;
  /** The feature columns, in this order (default: all but the label). */
  readonly features?: readonly string[];
  /** Columns left out of the features, besides the label; not with `features`. */
  readonly exclude?: readonly string[];
  /** 'fail' (default) on a bad row, naming file, line and column, or 'skip' it (counted in the report's skippedRows). */
  readonly onBadRow?: BadRowPolicy;
  /** Called for each bad row skipped, with the message it would have failed with. */
  readonly onSkip?: (row: SkippedRow) => void;
  /** The most bytes a line may hold (default 16 MiB, at most 256 MiB). */
  readonly maxLineBytes?: number;
}

/** A generated stream, e.g. 'sea(noise-percentage=10)' or 'agrawal(function=1)>agrawal(function=2)@3000/1' (see `streamlearn generators`). */
export interface SynthSource {
  readonly synth: string;
  /** Rows to generate (default 100,000). */
  readonly rows?: number;
}

/** A danfo DataFrame (streamlearn/dataframe). */
export interface DataFrameSource extends TableSourceOptions {
  readonly dataFrame: DataFrameLike;
  /** The name the report and the default model directory use (default "dataframe"). */
  readonly name?: string;
}

/** A JetStream stream, nats://HOST:PORT/STREAM, read until no row is pending (streamlearn/nats). */
export interface NatsSource extends JetStreamSourceOptions {
  readonly nats: string;
}

export type SourceOptions = DatasetSource | FileSource | SynthSource | DataFrameSource | NatsSource;

/** How the rows flow into the protocol. */
export interface StreamOptions {
  /** Exact seeded shuffle before batching. Default: on for batch-split over a file or data set, off otherwise. */
  readonly shuffle?: boolean;
  /** Shuffle through a seeded buffer of this many rows instead (approximate, bounded memory); implies shuffle. */
  readonly shuffleBuffer?: number;
  /** Rows per batch (default 16; batch-split learns and scores batch by batch, so it needs 2 or more; prequential and holdout score every row, 1 up). */
  readonly batchSize?: number;
}

/** A drift detector watching the errors on scored rows: its name (see `streamlearn detectors`), or its name and parameters. */
export type DriftOption = string | { readonly name: string; readonly params?: Readonly<Record<string, ParamValue>> };

/** Learn each batch's train part, score its test part (the default). */
export interface BatchSplitProtocol {
  readonly name: 'batch-split';
  /** Share of each batch held out for scoring, in (0, 1) (default 0.2). */
  readonly testSize?: number;
  readonly drift?: DriftOption;
}

/** Test-then-train, row by row (River's progressive validation, MOA's prequential evaluation). */
export interface PrequentialProtocol {
  readonly name: 'prequential';
  /** A learning-curve point every this many rows (default 1,000). */
  readonly curveEvery?: number;
  /** Also report accuracy over the last this many rows on the curve. */
  readonly window?: number;
  /** Also report accuracy faded by this factor in (0, 1] on the curve. */
  readonly fading?: number;
  readonly drift?: DriftOption;
}

/** Score held-out rows, never learned, periodically. */
export interface HoldoutProtocol {
  readonly name: 'holdout';
  /** Rows held out (default 1,000): the first ones, or a sample (sampleFrom). */
  readonly rows?: number;
  /** Score the held-out rows every this many training rows (default 1,000). */
  readonly every?: number;
  /** Draw the held-out rows as a seeded sample of this many first rows instead of taking the first ones. */
  readonly sampleFrom?: number;
}

export type ProtocolOptions = BatchSplitProtocol | PrequentialProtocol | HoldoutProtocol;

/** Preprocessing steps of a model. */
interface PreprocessOptions {
  /** The preprocessing steps in order, replacing the default ones; [] for none. */
  readonly preprocess?: readonly (string | StepSpec)[];
  /** Parameters of preprocessing steps by step name, e.g. { 'min-max-scaler': { clip: 'off' } }; the step must be in the pipeline. */
  readonly preprocessParams?: Readonly<Record<string, Readonly<Record<string, ParamValue>>>>;
}

/** A learner, its parameters (typed per learner) and its preprocessing. */
export type ModelOptions = {
  readonly [N in LearnerName]: PreprocessOptions & {
    readonly learner: N;
    readonly params?: LearnerParamsInput<N>;
  };
}[LearnerName];

/** What comes out of train() besides its report. */
export interface OutputOptions {
  /** Where the model is saved: a directory, or nats://HOST:PORT/BUCKET/NAME for the registry; null saves nothing. Default models/<dataset>-<learner>. */
  readonly out?: string | null;
  /** The model's size (saved bytes) is measured every this many rows (default 100,000) and at the end. */
  readonly sizeEvery?: number;
  /** Called as each batch enters the protocol, with the rows handed on so far. */
  readonly onRows?: (rows: number) => void;
  /** batch-split: called after each batch. */
  readonly onBatch?: (result: BatchResult) => void;
  /** prequential: called every `progressEvery` rows with the rows and the correct predictions so far. */
  readonly onProgress?: (rows: number, correct: number) => void;
  readonly progressEvery?: number;
  /** holdout: called after each evaluation of the held-out rows. */
  readonly onEvaluation?: (point: CurvePoint, trainRows: number) => void;
}

/** train()'s options, by stage; every group and field is optional (Iris, gaussian-nb, batch-split, seed 42). */
export interface TrainOptions {
  readonly source?: SourceOptions;
  readonly stream?: StreamOptions;
  /** A protocol by name, or with its settings. */
  readonly protocol?: Protocol | ProtocolOptions;
  /** A learner by name, or with its parameters and preprocessing. */
  readonly model?: LearnerName | ModelOptions;
  readonly output?: OutputOptions;
  /** Seeds the shuffle, the splits, the generator and the learner (default 42). */
  readonly seed?: number;
}

/** compare()'s options: train()'s, with several models, run side by side on the identical stream; nothing is saved. */
export interface CompareOptions extends Omit<TrainOptions, 'model' | 'output'> {
  /** The models (at least one, learners distinct). */
  readonly models: readonly (LearnerName | ModelOptions)[];
  readonly output?: Pick<OutputOptions, 'sizeEvery' | 'onRows'>;
}

const SOURCE_KINDS = ['dataset', 'file', 'synth', 'dataFrame', 'nats'] as const;
const TABLE_KEYS = ['label', 'classes', 'categorical', 'missing'];
const SOURCE_KEYS: Record<(typeof SOURCE_KINDS)[number], readonly string[]> = {
  dataset: [],
  file: [...TABLE_KEYS, 'format', 'delimiter', 'quote', 'features', 'exclude', 'onBadRow', 'onSkip', 'maxLineBytes'],
  synth: ['rows'],
  dataFrame: [...TABLE_KEYS, 'name'],
  nats: ['subject', 'durable', 'idleTimeout', 'ackWait', 'newClasses', 'connectTimeout', 'report', 'label', 'classes', 'onBadRow', 'onSkip'],
};
const PROTOCOL_KEYS: Record<Protocol, readonly string[]> = {
  'batch-split': ['testSize', 'drift'],
  prequential: ['curveEvery', 'window', 'fading', 'drift'],
  holdout: ['rows', 'every', 'sampleFrom'],
};
const STREAM_KEYS = ['shuffle', 'shuffleBuffer', 'batchSize'];
const MODEL_KEYS = ['learner', 'params', 'preprocess', 'preprocessParams'];
const OUTPUT_KEYS = ['out', 'sizeEvery', 'onRows', 'onBatch', 'onProgress', 'progressEvery', 'onEvaluation'];
const TOP_KEYS = ['source', 'stream', 'protocol', 'model', 'output', 'seed'];

/** Where the flat options of earlier versions went, for the error that meets one. */
const MOVED: Record<string, string> = {
  dataset: 'source: { dataset }',
  data: 'source: { file } or source: { synth }',
  dataFrame: 'source: { dataFrame }',
  label: 'source.label',
  rows: 'source.rows (synth)',
  batchSize: 'stream.batchSize',
  shuffle: 'stream.shuffle',
  shuffleBuffer: 'stream.shuffleBuffer',
  testSize: "protocol: { name: 'batch-split', testSize }",
  curveEvery: "protocol: { name: 'prequential', curveEvery }",
  holdoutRows: "protocol: { name: 'holdout', rows }",
  drift: 'protocol.drift',
  params: 'model.params',
  preprocess: 'model.preprocess',
  out: 'output.out',
  sizeEvery: 'output.sizeEvery',
  onProgress: 'output.onProgress',
  models: 'compare()',
};

/** How library callers' options are named in errors: by their path in the groups. */
export const LIBRARY_NAMES = {
  seed: 'seed',
  batchSize: 'stream.batchSize',
  testSize: 'protocol.testSize',
  shuffleBuffer: 'stream.shuffleBuffer',
  noShuffle: 'stream.shuffle false',
  curveEvery: 'protocol.curveEvery',
  window: 'protocol.window',
  fading: 'protocol.fading',
  holdoutRows: 'protocol.rows',
  holdoutEvery: 'protocol.every',
  holdoutSampleFrom: 'protocol.sampleFrom',
  sizeEvery: 'output.sizeEvery',
  missing: 'source.missing',
  onBadRow: 'source.onBadRow',
  preprocess: 'model.preprocess',
  preprocessParams: 'model.preprocessParams',
  models: 'models',
} as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fails on a key the group does not take, naming it by its path and listing those it does. */
function checkKeys(group: Record<string, unknown>, allowed: readonly string[], path: string, what: string): void {
  for (const key of Object.keys(group)) {
    if (group[key] === undefined || allowed.includes(key)) continue;
    const where = path ? `${path}.${key}` : key;
    const moved = path === '' && MOVED[key] ? `; it is now ${MOVED[key]}` : '';
    fail(`${where} is not an option of ${what} (${allowed.join(', ') || 'none'})${moved}`);
  }
}

function group(options: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = options[key];
  if (value === undefined) return {};
  if (!isObject(value)) fail(`${key} must be an object, got ${JSON.stringify(value) ?? typeof value}`);
  return value;
}

function sourceSettings(options: Record<string, unknown>): Partial<TrainSettings> {
  const source = group(options, 'source');
  const kinds = SOURCE_KINDS.filter((k) => source[k] !== undefined);
  if (kinds.length === 0) {
    if (Object.keys(source).some((k) => source[k] !== undefined)) fail(`source needs one of ${SOURCE_KINDS.join(', ')}`);
    return {};
  }
  if (kinds.length > 1) fail(`source takes one of ${SOURCE_KINDS.join(', ')}, got ${kinds.join(' and ')}`);
  const kind = kinds[0];
  checkKeys(source, [kind, ...SOURCE_KEYS[kind]], 'source', `a ${kind} source`);
  const s = source as Record<string, never>;
  const text = (key: string): string => {
    if (typeof source[key] !== 'string' || source[key] === '') fail(`source.${key} must be a non-empty string`);
    return source[key] as string;
  };
  if ((kind === 'file' || kind === 'dataFrame') && source.label === undefined) fail(`a ${kind} source needs source.label, its label column`);
  switch (kind) {
    case 'dataset':
      // Checked by name when opened, with the list of bundled sets.
      return { dataset: text('dataset') as DatasetName };
    case 'synth':
      return { data: `synth:${text('synth')}`, rows: s.rows };
    case 'file':
      return {
        data: text('file'),
        label: s.label, classes: s.classes, categorical: s.categorical, missing: s.missing,
        inputFormat: s.format, delimiter: s.delimiter, quote: s.quote, features: s.features, exclude: s.exclude,
        onBadRow: s.onBadRow, onSkip: s.onSkip, maxLineBytes: s.maxLineBytes,
      };
    case 'dataFrame':
      return { dataFrame: s.dataFrame, label: s.label, classes: s.classes, categorical: s.categorical, missing: s.missing, name: s.name };
    case 'nats': {
      const url = text('nats');
      // The reader's own options go to the rows' reading as for a file; the rest configure the consumer.
      const { label, classes, onBadRow, onSkip, ...consumer } = source;
      delete consumer.nats;
      return { source: url, broker: consumer as JetStreamSourceOptions, label: label as string, classes: classes as string[], onBadRow: onBadRow as BadRowPolicy, onSkip: onSkip as TrainSettings['onSkip'] };
    }
  }
}

function driftSettings(drift: unknown): Pick<TrainSettings, 'drift' | 'driftParams'> {
  if (drift === undefined || typeof drift === 'string') return { drift };
  if (!isObject(drift) || typeof drift.name !== 'string') fail('protocol.drift must be a detector name or { name, params }');
  checkKeys(drift, ['name', 'params'], 'protocol.drift', 'a drift detector');
  return { drift: drift.name, driftParams: drift.params as TrainSettings['driftParams'] };
}

function protocolSettings(options: Record<string, unknown>): Partial<TrainSettings> {
  const given = options.protocol;
  if (given === undefined) return {};
  const protocol = typeof given === 'string' ? { name: given } : given;
  if (!isObject(protocol)) fail(`protocol must be a protocol's name or { name, ... }, got ${JSON.stringify(given)}`);
  const name = protocol.name as Protocol;
  if (!protocols.includes(name)) fail(`protocol.name must be one of ${protocols.join(', ')}, got ${JSON.stringify(protocol.name)}`);
  checkKeys(protocol, ['name', ...PROTOCOL_KEYS[name]], 'protocol', `protocol '${name}'`);
  const p = protocol as Record<string, never>;
  switch (name) {
    case 'batch-split':
      return { protocol: name, testSize: p.testSize, ...driftSettings(p.drift) };
    case 'prequential':
      return { protocol: name, curveEvery: p.curveEvery, window: p.window, fading: p.fading, ...driftSettings(p.drift) };
    case 'holdout':
      return { protocol: name, holdoutRows: p.rows, holdoutEvery: p.every, holdoutSampleFrom: p.sampleFrom };
  }
}

/** One model's options as the pipeline's learner spec; `path` names it in errors. */
function learnerSpec(model: unknown, path: string): LearnerSpec {
  if (typeof model === 'string') return { name: model };
  if (!isObject(model) || typeof model.learner !== 'string') fail(`${path} must be a learner's name or { learner, params, ... }`);
  checkKeys(model, MODEL_KEYS, path, 'a model');
  const m = model as Record<string, never>;
  return { name: m.learner, params: m.params, preprocess: m.preprocess, preprocessParams: m.preprocessParams };
}

/** The stages' settings common to train() and compare(). */
function commonSettings(options: Record<string, unknown>, outputKeys: readonly string[]): TrainSettings {
  const stream = group(options, 'stream');
  checkKeys(stream, STREAM_KEYS, 'stream', 'stream');
  const output = group(options, 'output');
  checkKeys(output, outputKeys, 'output', 'output');
  const o = output as Record<string, never>;
  const st = stream as Record<string, never>;
  return {
    ...sourceSettings(options),
    ...protocolSettings(options),
    seed: options.seed as number | undefined,
    shuffle: st.shuffle,
    shuffleBuffer: st.shuffleBuffer,
    batchSize: st.batchSize,
    sizeEvery: o.sizeEvery,
    onRows: o.onRows,
    names: LIBRARY_NAMES,
  };
}

/** train()'s grouped options as the pipeline's flat settings; fails in one line on an option it does not take. */
export function trainSettings(options: TrainOptions): TrainSettings {
  if (!isObject(options)) fail('train() takes one object of options: { source, stream, protocol, model, output, seed }');
  const all = options as Record<string, unknown>;
  checkKeys(all, TOP_KEYS, '', 'train()');
  const output = group(all, 'output') as Record<string, never>;
  const model = all.model === undefined ? null : learnerSpec(all.model, 'model');
  return {
    ...commonSettings(all, OUTPUT_KEYS),
    ...(model ? { model: model.name, params: model.params, preprocess: model.preprocess, preprocessParams: model.preprocessParams } : {}),
    out: output.out,
    onBatch: output.onBatch,
    onProgress: output.onProgress,
    progressEvery: output.progressEvery,
    onEvaluation: output.onEvaluation,
  };
}

/** compare()'s grouped options as the pipeline's flat settings. */
export function compareSettings(options: CompareOptions): CompareSettings {
  if (!isObject(options)) fail('compare() takes one object of options: { source, stream, protocol, models, output, seed }');
  const all = options as unknown as Record<string, unknown>;
  checkKeys(all, [...TOP_KEYS.filter((k) => k !== 'model'), 'models'], '', 'compare()');
  if (!Array.isArray(all.models)) fail("models must be a list of learners, e.g. ['gaussian-nb', { learner: 'knn', params: { k: 5 } }]");
  return { ...commonSettings(all, ['sizeEvery', 'onRows']), models: all.models.map((m, i) => learnerSpec(m, `models[${i}]`)) };
}
