import { fail, StreamlearnError } from '../core/errors.js';
import type { Json } from '../core/state.js';
import type { ParamValue, Params } from '../learners/contract.js';
import { resolveParams, type Parameterised, type ParamSpec } from '../core/params.js';
import type { Columns, Transformer } from './contract.js';
import { ImputeMean } from './impute-mean.js';
import { ImputeMode, imputeModeDefaults, type ImputeModeParams } from './impute-mode.js';
import { MinMaxScaler, minMaxScalerDefaults, type MinMaxScalerParams } from './min-max-scaler.js';
import { OneHotEncoder } from './one-hot.js';
import { StandardScaler } from './standard-scaler.js';

/** A preprocessing step as the CLI, the pipeline and the model loader know it. */
export interface TransformerDefinition extends Parameterised {
  readonly name: string;
  readonly summary: string;
  readonly reference: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Whether the step fills in missing values, so that no NaN leaves it. */
  readonly imputes: boolean;
  create(input: Columns, params: Params): Transformer;
  restore(input: Columns, params: Params, state: Json): Transformer;
}

/** A step of a pipeline by name, with parameters (defaults for those not given). */
export interface StepSpec {
  readonly name: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
}

// Every value is checked against its ParamSpec before these casts.
const as = <T>(params: Params): Partial<T> => params as unknown as Partial<T>;

export const transformerDefinitions: readonly TransformerDefinition[] = [
  {
    name: 'impute-mean',
    summary: 'fills missing values with the running mean (numeric) or most frequent category (nominal)',
    reference: "River's preprocessing.StatImputer; scikit-learn's SimpleImputer",
    params: {},
    imputes: true,
    create: (input) => new ImputeMean(input),
    restore: (input, _, state) => ImputeMean.restore(input, state),
  },
  {
    name: 'impute-mode',
    summary: 'fills missing values with the running most frequent value of each feature',
    reference: "River's preprocessing.StatImputer(stats.Mode); scikit-learn's SimpleImputer",
    params: {
      maxValues: { type: 'integer', default: imputeModeDefaults.maxValues, min: 1, doc: 'distinct values counted per numeric feature' },
    },
    imputes: true,
    create: (input, p) => new ImputeMode(input, as<ImputeModeParams>(p)),
    restore: (input, p, state) => ImputeMode.restore(input, state, as<ImputeModeParams>(p)),
  },
  {
    name: 'one-hot',
    summary: 'categorical features become indicator columns, one per known category plus "other"',
    reference: "River's preprocessing.OneHotEncoder; scikit-learn's OneHotEncoder",
    params: {},
    imputes: false,
    create: (input) => new OneHotEncoder(input),
    restore: (input, _, state) => OneHotEncoder.restore(input, state),
  },
  {
    name: 'standard-scaler',
    summary: 'centres each numeric feature on its running mean and divides by its running standard deviation',
    reference: "River's preprocessing.StandardScaler; Welford 1962",
    params: {},
    imputes: false,
    create: (input) => new StandardScaler(input),
    restore: (input, _, state) => StandardScaler.restore(input, state),
  },
  {
    name: 'min-max-scaler',
    summary: 'maps each numeric feature to [0, 1] by its running minimum and maximum',
    reference: "River's preprocessing.MinMaxScaler; scikit-learn's MinMaxScaler",
    params: {
      clip: { type: 'choice', default: minMaxScalerDefaults.clip, choices: ['on', 'off'], doc: 'clip values outside the range seen into [0, 1]' },
    },
    imputes: false,
    create: (input, p) => new MinMaxScaler(input, as<MinMaxScalerParams>(p)),
    restore: (input, p, state) => MinMaxScaler.restore(input, state, as<MinMaxScalerParams>(p)),
  },
];

export const transformerNames: readonly string[] = transformerDefinitions.map((d) => d.name);

export function transformerDefinition(name: string): TransformerDefinition {
  const def = transformerDefinitions.find((d) => d.name === name);
  if (!def) fail(`unknown preprocessing step "${name}" (steps: ${transformerNames.join(', ')})`);
  return def;
}

/**
 * Checks a step's parameters and fills in defaults, failing as the command
 * line spells them: `--preprocess-param NAME.key=value`.
 */
export function resolveStepParams(def: TransformerDefinition, given: Readonly<Record<string, ParamValue>> = {}): Params {
  try {
    return resolveParams(def, given);
  } catch (err) {
    if (err instanceof StreamlearnError && err.message.startsWith('--param ')) {
      throw new StreamlearnError(err.message.replace(/^--param /, `--preprocess-param ${def.name}.`));
    }
    throw err;
  }
}

/** Makes the steps in order, each reading the previous one's output; the first reads `input`. */
export function createSteps(specs: readonly StepSpec[], input: Columns): Transformer[] {
  const steps: Transformer[] = [];
  let columns = input;
  for (const spec of specs) {
    const def = transformerDefinition(spec.name);
    const step = def.create(columns, resolveStepParams(def, spec.params));
    steps.push(step);
    columns = step.output;
  }
  return steps;
}

/** A saved step: what a model's manifest holds for it. */
export interface SavedStep {
  readonly name: string;
  readonly params: Params;
  readonly state: Json;
}

/** Rebuilds saved steps in order, each reading the previous one's output. */
export function restoreSteps(saved: readonly { name: string; params?: Readonly<Record<string, ParamValue>>; state: Json }[], input: Columns): Transformer[] {
  const steps: Transformer[] = [];
  let columns = input;
  for (const entry of saved) {
    const def = transformerDefinition(entry.name);
    const step = def.restore(columns, resolveStepParams(def, entry.params), entry.state);
    steps.push(step);
    columns = step.output;
  }
  return steps;
}

/** Whether a step fills in missing values. */
export function imputes(step: Transformer): boolean {
  return transformerDefinitions.some((d) => d.name === step.name && d.imputes);
}
