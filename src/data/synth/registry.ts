import { fail, StreamlearnError } from '../../core/errors.js';
import { deriveSeed } from '../../core/random.js';
import type { Row } from '../../core/types.js';
import type { FillRows, ReadyRows } from '../../stream/batch.js';
import type { ParamValue, Params } from '../../learners/contract.js';
import { resolveParams, type Parameterised, type ParamSpec } from '../../core/params.js';
import type { Source } from '../source.js';
import { AgrawalGenerator, agrawalDefaults } from './agrawal.js';
import { ConceptDriftStream } from './concept-drift.js';
import {
  FriedmanDriftGenerator,
  friedmanDefaults,
  friedmanDriftDefaults,
  friedmanDriftTypes,
  FriedmanGenerator,
  type FriedmanDriftType,
} from './friedman.js';
import { nextRowInto, type Generator } from './generator.js';
import { HyperplaneGenerator, hyperplaneDefaults } from './hyperplane.js';
import { LEDGenerator, LEDGeneratorDrift, ledDefaults, ledDriftDefaults } from './led.js';
import { MvGenerator } from './mv.js';
import { Planes2DGenerator, planes2dDefaults } from './planes2d.js';
import { RandomRBFGenerator, RandomRBFGeneratorDrift, randomRBFDefaults, randomRBFDriftDefaults } from './random-rbf.js';
import { SEAGenerator, seaDefaults } from './sea.js';
import { SineGenerator, sineDefaults } from './sine.js';
import { STAGGERGenerator, staggerDefaults } from './stagger.js';

/** A stream generator as specs, the CLI and the catalogue know it. */
export interface GeneratorDefinition extends Parameterised {
  readonly summary: string;
  readonly reference: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Makes the generator from resolved parameters (see resolveParams). */
  create(seed: number, params: Params): Generator;
}

const MAX_INT = Number.MAX_SAFE_INTEGER;

// MOA's flags become on/off choices, as the learners' flags are.
const flag = (doc: string): ParamSpec => ({ type: 'choice', default: 'off', choices: ['on', 'off'], doc });
const balance = flag('alternate the classes row by row');

// resolveParams has checked every value against its spec before these reads.
const num = (p: Params, key: string): number => Number(p[key]);
const bool = (p: Params, key: string): boolean => p[key] === 'on';

const percentage = (def: number, doc: string): ParamSpec => ({ type: 'integer', default: def, min: 0, max: 100, doc });

export const generatorDefinitions: readonly GeneratorDefinition[] = [
  {
    name: 'sea',
    summary: 'SEA concepts: three attributes in [0, 10), class by attrib1 + attrib2 <= theta (MOA SEAGenerator)',
    reference: 'Street & Kim 2001',
    params: {
      function: { type: 'integer', default: seaDefaults.function, min: 1, max: 4, doc: 'concept 1..4: theta 8, 9, 7, 9.5' },
      noisePercentage: percentage(seaDefaults.noisePercentage, 'percentage of labels flipped'),
      balanceClasses: balance,
    },
    create: (seed, p) =>
      new SEAGenerator(seed, {
        function: num(p, 'function'),
        noisePercentage: num(p, 'noisePercentage'),
        balanceClasses: bool(p, 'balanceClasses'),
      }),
  },
  {
    name: 'agrawal',
    summary: 'Agrawal loan applications: nine attributes, ten class functions, perturbation noise (MOA AgrawalGenerator)',
    reference: 'Agrawal, Imielinski & Swami 1993',
    params: {
      function: { type: 'integer', default: agrawalDefaults.function, min: 1, max: 10, doc: 'class function 1..10' },
      perturbFraction: {
        type: 'number', default: agrawalDefaults.perturbFraction, min: 0, max: 1,
        doc: 'perturbation of numeric attributes, as a fraction of their range',
      },
      balanceClasses: balance,
    },
    create: (seed, p) =>
      new AgrawalGenerator(seed, {
        function: num(p, 'function'),
        perturbFraction: num(p, 'perturbFraction'),
        balanceClasses: bool(p, 'balanceClasses'),
      }),
  },
  {
    name: 'random-rbf',
    summary: 'random radial basis functions: rows scattered around weighted, labelled centroids (MOA RandomRBFGenerator)',
    reference: 'Kirkby 2007',
    params: rbfParams(),
    create: (seed, p) => new RandomRBFGenerator(seed, rbfValues(p)),
  },
  {
    name: 'random-rbf-drift',
    summary: 'random RBF whose centroids move at a constant speed (MOA RandomRBFGeneratorDrift)',
    reference: 'Bifet, Holmes, Pfahringer, Kirkby & Gavaldà 2009',
    params: {
      ...rbfParams(),
      speedChange: { type: 'number', default: randomRBFDriftDefaults.speedChange, min: 0, doc: 'distance a moving centroid travels per row' },
      numDriftCentroids: {
        type: 'integer', default: randomRBFDriftDefaults.numDriftCentroids, min: 0, max: MAX_INT,
        doc: 'centroids that move (at most num-centroids)',
      },
    },
    create: (seed, p) =>
      new RandomRBFGeneratorDrift(seed, {
        ...rbfValues(p),
        speedChange: num(p, 'speedChange'),
        numDriftCentroids: num(p, 'numDriftCentroids'),
      }),
  },
  {
    name: 'hyperplane',
    summary: 'rotating hyperplane: class by a weighted sum of uniform attributes, weights drifting (MOA HyperplaneGenerator)',
    reference: 'Hulten, Spencer & Domingos 2001',
    params: {
      numAtts: { type: 'integer', default: hyperplaneDefaults.numAtts, min: 1, max: MAX_INT, doc: 'attributes' },
      numDriftAtts: { type: 'integer', default: hyperplaneDefaults.numDriftAtts, min: 0, max: MAX_INT, doc: 'attributes whose weights drift' },
      magChange: { type: 'number', default: hyperplaneDefaults.magChange, min: 0, max: 1, doc: 'weight change per row' },
      noisePercentage: percentage(hyperplaneDefaults.noisePercentage, 'percentage of labels flipped'),
      sigmaPercentage: percentage(hyperplaneDefaults.sigmaPercentage, 'percentage chance per row that a drift reverses'),
    },
    create: (seed, p) =>
      new HyperplaneGenerator(seed, {
        numAtts: num(p, 'numAtts'),
        numDriftAtts: num(p, 'numDriftAtts'),
        magChange: num(p, 'magChange'),
        noisePercentage: num(p, 'noisePercentage'),
        sigmaPercentage: num(p, 'sigmaPercentage'),
      }),
  },
  {
    name: 'led',
    summary: 'seven-segment LED digits with noisy segments and 17 irrelevant attributes (MOA LEDGenerator)',
    reference: 'Breiman, Friedman, Olshen & Stone 1984',
    params: ledParams(),
    create: (seed, p) => new LEDGenerator(seed, ledValues(p)),
  },
  {
    name: 'led-drift',
    summary: 'LED digits with some segments swapped with irrelevant attributes (MOA LEDGeneratorDrift)',
    reference: 'Breiman, Friedman, Olshen & Stone 1984; Bifet et al. 2009',
    params: {
      ...ledParams(),
      numberAttributesDrift: {
        type: 'integer', default: ledDriftDefaults.numberAttributesDrift, min: 0, max: 7,
        doc: 'segments swapped with an irrelevant attribute',
      },
    },
    create: (seed, p) =>
      new LEDGeneratorDrift(seed, { ...ledValues(p), numberAttributesDrift: num(p, 'numberAttributesDrift') }),
  },
  {
    name: 'stagger',
    summary: 'STAGGER concepts over size, color and shape (MOA STAGGERGenerator)',
    reference: 'Schlimmer & Granger 1986',
    params: {
      function: { type: 'integer', default: staggerDefaults.function, min: 1, max: 3, doc: 'concept 1..3' },
      balanceClasses: balance,
    },
    create: (seed, p) =>
      new STAGGERGenerator(seed, { function: num(p, 'function'), balanceClasses: bool(p, 'balanceClasses') }),
  },
  {
    name: 'sine',
    summary: 'sine concepts: class by a point\'s side of a sine curve (MOA SineGenerator)',
    reference: 'Gama, Medas, Castillo & Rodrigues 2004',
    params: {
      function: { type: 'integer', default: sineDefaults.function, min: 1, max: 4, doc: 'concept 1..4' },
      suppressIrrelevantAttributes: flag('drop the two irrelevant attributes'),
      balanceClasses: balance,
    },
    create: (seed, p) =>
      new SineGenerator(seed, {
        function: num(p, 'function'),
        suppressIrrelevantAttributes: bool(p, 'suppressIrrelevantAttributes'),
        balanceClasses: bool(p, 'balanceClasses'),
      }),
  },
  // Regression streams: Sample.y is the target value, the schema's task 'regression'.
  {
    name: 'friedman',
    summary: 'regression: Friedman #1, ten uniform features, y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise (River synth.Friedman)',
    reference: 'Friedman 1991',
    params: { noise: noiseParam(friedmanDefaults.noise) },
    create: (seed, p) => new FriedmanGenerator(seed, { noise: num(p, 'noise') }),
  },
  {
    name: 'friedman-drift',
    summary: 'regression: Friedman #1 with local expanding, global recurring or global gradual drift (River synth.FriedmanDrift)',
    reference: 'Ikonomovska, Gama & Dzeroski 2011',
    params: {
      driftType: {
        type: 'choice', default: friedmanDriftDefaults.driftType, choices: [...friedmanDriftTypes],
        doc: 'lea: local expanding abrupt (three changes); gra: global recurring abrupt; gsg: global and slow gradual (two changes)',
      },
      position1: { type: 'integer', default: friedmanDriftDefaults.position1, min: 0, max: MAX_INT, doc: 'rows before the first change' },
      position2: { type: 'integer', default: friedmanDriftDefaults.position2, min: 1, max: MAX_INT, doc: 'rows before the second change' },
      position3: {
        type: 'integer', default: friedmanDriftDefaults.position3, min: 2, max: MAX_INT,
        doc: 'rows before the third change (lea only)',
      },
      transitionWindow: {
        type: 'integer', default: friedmanDriftDefaults.transitionWindow, min: 0, max: MAX_INT,
        doc: 'gsg only: rows after each change in which half the rows keep the old concept',
      },
      noise: noiseParam(friedmanDriftDefaults.noise),
    },
    create: (seed, p) =>
      new FriedmanDriftGenerator(seed, {
        driftType: String(p.driftType) as FriedmanDriftType,
        position1: num(p, 'position1'),
        position2: num(p, 'position2'),
        position3: num(p, 'position3'),
        transitionWindow: num(p, 'transitionWindow'),
        noise: num(p, 'noise'),
      }),
  },
  {
    name: 'mv',
    summary: 'regression: ten dependent features, three of them nominal, target by rules (Torgo\'s mv, River synth.Mv)',
    reference: 'Torgo, Regression DataSets ("mv"); as in River, Montiel et al. 2021',
    params: {},
    create: (seed) => new MvGenerator(seed),
  },
  {
    name: 'planes2d',
    summary: 'regression: Breiman\'s 2-D planes, ten features in {-1, 0, 1}, x1 picks one of two planes (River synth.Planes2D)',
    reference: 'Breiman, Friedman, Olshen & Stone 1984',
    params: { noise: noiseParam(planes2dDefaults.noise) },
    create: (seed, p) => new Planes2DGenerator(seed, { noise: num(p, 'noise') }),
  },
];

function noiseParam(def: number): ParamSpec {
  return { type: 'number', default: def, min: 0, doc: 'standard deviation of the Gaussian noise added to the target' };
}

function rbfParams(): Record<string, ParamSpec> {
  return {
    modelRandomSeed: {
      type: 'integer', default: randomRBFDefaults.modelRandomSeed, min: 0, max: MAX_INT,
      doc: 'seed of the centroids (the concept); the stream seed draws the rows',
    },
    numClasses: { type: 'integer', default: randomRBFDefaults.numClasses, min: 2, max: MAX_INT, doc: 'classes' },
    numAtts: { type: 'integer', default: randomRBFDefaults.numAtts, min: 1, max: MAX_INT, doc: 'attributes' },
    numCentroids: { type: 'integer', default: randomRBFDefaults.numCentroids, min: 1, max: MAX_INT, doc: 'centroids' },
  };
}

function rbfValues(p: Params): Partial<RandomRBFGenerator['params']> {
  return {
    modelRandomSeed: num(p, 'modelRandomSeed'),
    numClasses: num(p, 'numClasses'),
    numAtts: num(p, 'numAtts'),
    numCentroids: num(p, 'numCentroids'),
  };
}

function ledParams(): Record<string, ParamSpec> {
  return {
    noisePercentage: percentage(ledDefaults.noisePercentage, 'percentage chance that each segment is inverted'),
    suppressIrrelevantAttributes: flag('drop the 17 irrelevant attributes'),
  };
}

function ledValues(p: Params): Partial<LEDGenerator['params']> {
  return {
    noisePercentage: num(p, 'noisePercentage'),
    suppressIrrelevantAttributes: bool(p, 'suppressIrrelevantAttributes'),
  };
}

export const generatorNames: readonly string[] = generatorDefinitions.map((d) => d.name);

export function generatorDefinition(name: string): GeneratorDefinition {
  const def = generatorDefinitions.find((d) => d.name === name);
  if (!def) fail(`unknown generator "${name}" (generators: ${generatorNames.join(', ')})`);
  return def;
}

/** One generator in a spec: its name and its parameters as written. */
export interface SpecStage {
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
}

/** A change to another generator at `position` over `width` rows. */
export interface SpecDrift {
  readonly to: SpecStage;
  readonly position: number;
  readonly width: number;
}

export interface ParsedSpec {
  readonly first: SpecStage;
  /** In order: each drifts from everything before it to `to`. */
  readonly drifts: readonly SpecDrift[];
}

/**
 * Parses a stream spec:
 *
 *   spec  = stage { ">" stage "@" position "/" width }
 *   stage = name [ "(" [ key "=" value { "," key "=" value } ] ")" ]
 *
 * e.g. `sea(function=2,noise-percentage=0)` or
 * `agrawal(function=1)>agrawal(function=2)@500000/50000`. Several drifts
 * chain left to right, as nested MOA ConceptDriftStreams do. Fails with a
 * one-line message naming the spec and what is wrong; generator names and
 * parameter values are checked later, by synthGenerator.
 */
export function parseSynthSpec(spec: string): ParsedSpec {
  const bad: (what: string) => never = (what) => fail(`synth spec "${spec}": ${what}`);
  let i = 0;
  const skip = (): void => {
    while (i < spec.length && /\s/.test(spec[i])) i++;
  };
  const at = (): string => (i < spec.length ? `"${spec.slice(i, i + 12)}" at character ${i + 1}` : 'the end');
  const match = (re: RegExp): string | undefined => {
    skip();
    re.lastIndex = i;
    const m = re.exec(spec);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const take = (ch: string): boolean => {
    skip();
    if (spec[i] !== ch) return false;
    i++;
    return true;
  };

  const stage = (which: string): SpecStage => {
    const name = match(/[A-Za-z][A-Za-z0-9_-]*/y);
    if (name === undefined) bad(`expected ${which} generator name, found ${at()} (generators: ${generatorNames.join(', ')})`);
    const params: Record<string, string> = {};
    if (take('(')) {
      if (!take(')')) {
        for (;;) {
          const key = match(/[A-Za-z][A-Za-z0-9_-]*/y);
          if (key === undefined) bad(`expected a parameter name in ${name}(...), found ${at()}`);
          if (!take('=')) bad(`expected "=" after parameter "${key}" of ${name}, found ${at()}`);
          const value = (match(/[^,()<>@=]*/y) ?? '').trim();
          if (value === '') bad(`parameter "${key}" of ${name} has no value`);
          if (key in params) bad(`parameter "${key}" of ${name} is given twice`);
          params[key] = value;
          if (take(')')) break;
          if (!take(',')) bad(`expected "," or ")" after ${key}=${value} in ${name}(...), found ${at()}`);
        }
      }
    }
    return { name, params };
  };

  const count = (what: string): number => {
    const digits = match(/\d+/y);
    if (digits === undefined) bad(`expected the ${what} as a whole number of rows, found ${at()}`);
    const n = Number(digits);
    if (!Number.isSafeInteger(n)) bad(`the ${what} ${digits} is too large`);
    return n;
  };

  if (spec.trim() === '') bad(`empty (expected a generator, one of ${generatorNames.join(', ')})`);
  const first = stage('a');
  const drifts: SpecDrift[] = [];
  while (take('>')) {
    const to = stage('a drift');
    if (!take('@')) bad(`expected "@position/width" after the stream "${to.name}" that the drift goes to, found ${at()}`);
    const position = count('position');
    if (!take('/')) bad(`expected "/width" after the position ${position}, found ${at()}`);
    const width = count('width');
    if (width < 1) bad('the width must be at least 1 (1 switches abruptly)');
    drifts.push({ to, position, width });
  }
  skip();
  if (i < spec.length) {
    if (spec[i] === '@') bad('a drift "@position/width" needs ">" and the stream to drift to before it');
    bad(`unexpected ${at()}`);
  }
  return { first, drifts };
}

export interface SynthOptions {
  /** Seeds everything: the first stream directly, later streams and drift choices by derivation. */
  readonly seed: number;
  /**
   * Parameters given to every generator in the spec (kebab-case or camelCase),
   * under those written in the spec itself, which win.
   */
  readonly params?: Readonly<Record<string, ParamValue>>;
}

/** The generator a spec describes (see parseSynthSpec), seeded. */
export function synthGenerator(spec: string, options: SynthOptions): Generator {
  if (!Number.isFinite(options.seed)) fail(`synth spec "${spec}": the seed must be a number (got ${options.seed})`);
  const parsed = parseSynthSpec(spec);
  const make = (stage: SpecStage, seed: number): Generator => {
    const def = generatorDefinitions.find((d) => d.name === stage.name);
    if (!def) fail(`synth spec "${spec}": unknown generator "${stage.name}" (generators: ${generatorNames.join(', ')})`);
    return inSpec(spec, () => def.create(seed, resolveParams(def, { ...options.params, ...stage.params })));
  };
  let generator = make(parsed.first, options.seed);
  parsed.drifts.forEach((drift, k) => {
    const next = make(drift.to, deriveSeed(options.seed, `synth:stream${k + 1}`));
    const before = generator;
    generator = inSpec(
      spec,
      () =>
        new ConceptDriftStream(deriveSeed(options.seed, `synth:drift${k + 1}`), {
          stream: before,
          driftStream: next,
          position: drift.position,
          width: drift.width,
        }),
    );
  });
  return generator;
}

/** Puts the spec in front of a parameter error, which otherwise names a --param flag. */
function inSpec<T>(spec: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof StreamlearnError) fail(`synth spec "${spec}": ${err.message.replace(/^--param /, '')}`);
    throw err;
  }
}

export interface SynthSourceOptions extends SynthOptions {
  /** How many rows the source yields; unbounded when left out. */
  readonly rows?: number;
}

/**
 * A source of generated rows: `rows` of them, or an endless stream. Each
 * row's `line` is its 1-based row number. The name is the spec without spaces.
 */
export function synthSource(spec: string, options: SynthSourceOptions): Source {
  const { rows } = options;
  if (rows !== undefined && !(Number.isSafeInteger(rows) && rows >= 0)) {
    fail(`synth spec "${spec}": the number of rows must be a whole number, at least 0 (got ${rows})`);
  }
  const generator = synthGenerator(spec, options);
  const name = spec.replace(/\s+/g, '');
  const limit = rows ?? Infinity;
  let used = false;
  return {
    name,
    schema: generator.schema,
    rows(): AsyncIterable<Row> {
      return {
        [Symbol.asyncIterator]() {
          if (used) throw new Error(`${name}: rows() may be iterated only once`);
          used = true;
          return new GeneratedRows(generator, limit);
        },
      };
    },
  };
}

/**
 * The rows of a generator, numbered from 1, up to a limit. Generating never
 * waits, so a consumer that knows ReadyRows (batches()) takes them in runs
 * rather than awaiting a promise per row, which would cost more than
 * generating the row.
 */
class GeneratedRows implements AsyncIterableIterator<Row>, ReadyRows, FillRows {
  private line = 0;
  readonly width: number;

  constructor(
    private readonly generator: Generator,
    private readonly limit: number,
  ) {
    this.width = generator.schema.features.length;
  }

  fillRows(data: Float64Array, y: Int32Array | Float64Array, at: number, max: number): number {
    const n = Math.min(max, this.limit - this.line);
    const width = this.width;
    for (let i = 0; i < n; i++) y[at + i] = nextRowInto(this.generator, data, (at + i) * width);
    this.line += n;
    return n;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Row>> {
    if (this.line >= this.limit) return Promise.resolve({ value: undefined, done: true });
    const { x, y } = this.generator.next();
    return Promise.resolve({ value: { x, y, line: ++this.line }, done: false });
  }

  takeReady(out: Row[], max: number): number {
    const n = Math.min(max, this.limit - this.line);
    for (let i = 0; i < n; i++) {
      const { x, y } = this.generator.next();
      out.push({ x, y, line: ++this.line });
    }
    return n;
  }

  async return(): Promise<IteratorResult<Row>> {
    this.line = this.limit;
    return { value: undefined, done: true };
  }
}
