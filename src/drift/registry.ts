import { fail } from '../core/errors.js';
import type { Json } from '../core/state.js';
import type { ParamValue, Params } from '../learners/contract.js';
import { resolveParams, type Parameterised } from '../core/params.js';
import { ADWIN, adwinDefaults } from './adwin.js';
import type { DriftDetector } from './contract.js';
import { DDM, ddmDefaults } from './ddm.js';
import { EDDM, eddmDefaults } from './eddm.js';
import { HDDMA, hddmADefaults, hddmATests } from './hddm-a.js';
import { PageHinkley, pageHinkleyDefaults } from './page-hinkley.js';

/** A drift detector as the CLI and the learners that embed one know it. */
export interface DetectorDefinition extends Parameterised {
  readonly summary: string;
  readonly reference: string;
  create(params: Params): DriftDetector;
  restore(params: Params, state: Json): DriftDetector;
}

// resolveParams checks every value against its ParamSpec before these casts.
const as = <T>(params: Params): Partial<T> => params as unknown as Partial<T>;

export const detectorDefinitions: readonly DetectorDefinition[] = [
  {
    name: 'adwin',
    summary: 'adaptive sliding window over an exponential histogram; drops the old part of the window when its mean differs',
    reference: 'Bifet & Gavaldà 2007',
    params: {
      delta: { type: 'number', default: adwinDefaults.delta, min: 0, exclusiveMin: true, max: 1, doc: 'confidence of the cut test (larger: detects sooner, more false alarms)' },
      maxBuckets: { type: 'integer', default: adwinDefaults.maxBuckets, min: 1, doc: 'buckets per row of the histogram (M)' },
      clock: { type: 'integer', default: adwinDefaults.clock, min: 1, doc: 'values between cut checks' },
      minWindowLength: { type: 'integer', default: adwinDefaults.minWindowLength, min: 1, doc: 'fewest values either side of a cut' },
    },
    create: (p) => new ADWIN(as(p)),
    restore: (p, s) => ADWIN.restore(as(p), s),
  },
  {
    name: 'ddm',
    summary: 'drift detection method: error rate p plus its standard deviation against the lowest seen',
    reference: 'Gama, Medas, Castillo & Rodrigues 2004',
    params: {
      minInstances: { type: 'integer', default: ddmDefaults.minInstances, min: 1, doc: 'values before any decision' },
      warningLevel: { type: 'number', default: ddmDefaults.warningLevel, min: 0, exclusiveMin: true, doc: 'standard deviations above the minimum for a warning' },
      driftLevel: { type: 'number', default: ddmDefaults.driftLevel, min: 0, exclusiveMin: true, doc: 'standard deviations above the minimum for a drift' },
    },
    create: (p) => new DDM(as(p)),
    restore: (p, s) => DDM.restore(as(p), s),
  },
  {
    name: 'eddm',
    summary: 'early drift detection method: the distance between errors against its largest level',
    reference: 'Baena-García, del Campo-Ávila, Fidalgo, Bifet, Gavaldà & Morales-Bueno 2006',
    params: {
      minErrors: { type: 'integer', default: eddmDefaults.minErrors, min: 1, doc: 'errors before any decision' },
      alpha: { type: 'number', default: eddmDefaults.alpha, min: 0, exclusiveMin: true, max: 1, doc: 'warning below this share of the largest level' },
      beta: { type: 'number', default: eddmDefaults.beta, min: 0, exclusiveMin: true, max: 1, doc: 'drift below this share of the largest level' },
    },
    create: (p) => new EDDM(as(p)),
    restore: (p, s) => EDDM.restore(as(p), s),
  },
  {
    name: 'page-hinkley',
    summary: 'Page-Hinkley test: faded cumulative deviation from the mean against a threshold (as MOA)',
    reference: 'Page 1954',
    params: {
      minInstances: { type: 'integer', default: pageHinkleyDefaults.minInstances, min: 1, doc: 'values before any decision' },
      delta: { type: 'number', default: pageHinkleyDefaults.delta, min: 0, doc: 'tolerated rise of the mean' },
      lambda: { type: 'number', default: pageHinkleyDefaults.lambda, min: 0, exclusiveMin: true, doc: 'detection threshold' },
      alpha: { type: 'number', default: pageHinkleyDefaults.alpha, min: 0, exclusiveMin: true, max: 1, doc: 'fading factor (1: none)' },
    },
    create: (p) => new PageHinkley(as(p)),
    restore: (p, s) => PageHinkley.restore(as(p), s),
  },
  {
    name: 'hddm-a',
    summary: "Hoeffding's-bound test of the mean against that of a prefix (A-test)",
    reference: 'Frías-Blanco, del Campo-Ávila, Ramos-Jiménez, Morales-Bueno, Ortiz-Díaz & Caballero-Mota 2015',
    params: {
      driftConfidence: { type: 'number', default: hddmADefaults.driftConfidence, min: 0, exclusiveMin: true, max: 1, doc: 'significance for a drift' },
      warningConfidence: { type: 'number', default: hddmADefaults.warningConfidence, min: 0, exclusiveMin: true, max: 1, doc: 'significance for a warning' },
      test: { type: 'choice', default: hddmADefaults.test, choices: hddmATests, doc: 'two-sided (a fall re-anchors the test) or one-sided' },
    },
    create: (p) => new HDDMA(as(p)),
    restore: (p, s) => HDDMA.restore(as(p), s),
  },
];

export const detectorNames: readonly string[] = detectorDefinitions.map((d) => d.name);

/**
 * The detectors that watch any real-valued stream (a regressor's absolute
 * error): ADWIN (a bounded real variable) and Page-Hinkley (a mean's rise).
 * DDM, EDDM and HDDM-A model a stream of 0/1 errors.
 */
export const realValuedDetectors: readonly string[] = ['adwin', 'page-hinkley'];

/** Fails, naming the flag, unless the detector watches real values: what a regressor's error needs. */
export function checkRealValuedDetector(name: string, who: string): void {
  if (!realValuedDetectors.includes(name)) {
    fail(`--drift ${name}: ${who}, whose error is a number, not right or wrong; use ${realValuedDetectors.join(' or ')}, which watch its absolute error`);
  }
}

export function detectorDefinition(name: string): DetectorDefinition {
  const def = detectorDefinitions.find((d) => d.name === name);
  if (!def) fail(`unknown drift detector "${name}" (detectors: ${detectorNames.join(', ')})`);
  return def;
}

/** Makes a detector by name; parameters may be kebab-case or camelCase, numbers or strings. */
export function createDetector(name: string, given: Readonly<Record<string, ParamValue>> = {}): DriftDetector {
  const def = detectorDefinition(name);
  return def.create(resolveParams(def, given));
}
