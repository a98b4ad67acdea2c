export type { Generator, Sample } from './generator.js';
export { SEAGenerator, seaDefaults, type SEAParams } from './sea.js';
export { AgrawalGenerator, agrawalDefaults, agrawalFeatures, type AgrawalParams } from './agrawal.js';
export {
  RandomRBFGenerator,
  RandomRBFGeneratorDrift,
  randomRBFDefaults,
  randomRBFDriftDefaults,
  type RandomRBFParams,
  type RandomRBFDriftParams,
} from './random-rbf.js';
export { HyperplaneGenerator, hyperplaneDefaults, type HyperplaneParams } from './hyperplane.js';
export { LEDGenerator, LEDGeneratorDrift, ledDefaults, ledDriftDefaults, ledDigits, type LEDParams, type LEDDriftParams } from './led.js';
export { STAGGERGenerator, staggerDefaults, staggerValues, type STAGGERParams } from './stagger.js';
export { SineGenerator, sineDefaults, type SineParams } from './sine.js';
export { ConceptDriftStream, type ConceptDriftParams } from './concept-drift.js';
export {
  FriedmanGenerator,
  FriedmanDriftGenerator,
  friedmanDefaults,
  friedmanDriftDefaults,
  friedmanDriftTypes,
  type FriedmanParams,
  type FriedmanDriftParams,
  type FriedmanDriftType,
} from './friedman.js';
export { MvGenerator, mvCategories } from './mv.js';
export { Planes2DGenerator, planes2dDefaults, type Planes2DParams } from './planes2d.js';
export {
  generatorDefinitions,
  generatorDefinition,
  generatorNames,
  parseSynthSpec,
  synthGenerator,
  synthSource,
  type GeneratorDefinition,
  type ParsedSpec,
  type SpecDrift,
  type SpecStage,
  type SynthOptions,
  type SynthSourceOptions,
} from './registry.js';
