import { JavaRandom } from './java-random.js';
import { Random } from '../../core/random.js';
import type { Schema } from '../../core/types.js';
import { checkRange, Gaussian, numberedNames, RowAllocator, type Generator, type Sample } from './generator.js';

export interface RandomRBFParams {
  /** Seeds the centroids (the concept), apart from the rows drawn around them. */
  readonly modelRandomSeed: number;
  readonly numClasses: number;
  readonly numAtts: number;
  readonly numCentroids: number;
}

export const randomRBFDefaults: RandomRBFParams = { modelRandomSeed: 1, numClasses: 2, numAtts: 10, numCentroids: 50 };

export interface RandomRBFDriftParams extends RandomRBFParams {
  /** Distance each moving centroid travels per row. */
  readonly speedChange: number;
  /** How many centroids move (the first ones; at most numCentroids). */
  readonly numDriftCentroids: number;
}

export const randomRBFDriftDefaults: RandomRBFDriftParams = {
  ...randomRBFDefaults,
  speedChange: 0,
  numDriftCentroids: 50,
};

/**
 * The random radial-basis-function stream of MOA's RandomRBFGenerator
 * (Kirkby 2007, "Improving Hoeffding Trees", PhD thesis, University of
 * Waikato). A model generator, seeded by modelRandomSeed, places
 * numCentroids centroids uniformly in the unit hypercube, each with a class
 * label, a standard deviation uniform in [0, 1) and a weight uniform in
 * [0, 1). Each row picks a centroid with probability proportional to its
 * weight and lies in a uniformly random direction from it at a distance
 * drawn from a normal with the centroid's standard deviation; the row is
 * labelled with the centroid's class. The constructor's seed drives the rows
 * only, so different seeds sample the same concept, as MOA's separate model
 * and instance seeds do.
 * Defaults: modelRandomSeed 1, numClasses 2, numAtts 10, numCentroids 50.
 */
export class RandomRBFGenerator implements Generator {
  readonly schema: Schema;
  readonly params: RandomRBFParams;
  /** Centroid centres, row-major: numCentroids x numAtts. */
  protected readonly centres: Float64Array;
  private readonly labels: Int32Array;
  private readonly stdDevs: Float64Array;
  // Running sums of the weights, for picking a centroid by binary search.
  private readonly cumulativeWeights: Float64Array;
  private readonly rng: Random;
  private readonly gaussian: Gaussian;
  private readonly rows: RowAllocator;

  constructor(seed: number, params: Partial<RandomRBFParams> = {}, name = 'random-rbf') {
    const p = { ...randomRBFDefaults, ...params };
    checkRange(name, 'model-random-seed', p.modelRandomSeed, 0, Number.MAX_SAFE_INTEGER, true);
    checkRange(name, 'num-classes', p.numClasses, 2, Number.MAX_SAFE_INTEGER, true);
    checkRange(name, 'num-atts', p.numAtts, 1, Number.MAX_SAFE_INTEGER, true);
    checkRange(name, 'num-centroids', p.numCentroids, 1, Number.MAX_SAFE_INTEGER, true);
    this.params = p;
    const k = p.numCentroids;
    const d = p.numAtts;
    this.centres = new Float64Array(k * d);
    this.labels = new Int32Array(k);
    this.stdDevs = new Float64Array(k);
    this.cumulativeWeights = new Float64Array(k);
    // Draw order per centroid as in MOA: centre, label, spread, weight.
    const model = new JavaRandom(p.modelRandomSeed);
    let total = 0;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) this.centres[c * d + j] = model.next();
      this.labels[c] = model.int(p.numClasses);
      this.stdDevs[c] = model.next();
      total += model.next();
      this.cumulativeWeights[c] = total;
    }
    this.rng = new Random(seed);
    this.gaussian = new Gaussian(this.rng);
    this.rows = new RowAllocator(d);
    this.schema = {
      features: numberedNames('att', d),
      label: 'class',
      classes: numberedNames('class', p.numClasses),
    };
  }

  next(): Sample {
    const x = this.rows.take();
    const y = this.nextInto(x, 0);
    return { x, y };
  }

  nextInto(x: Float64Array, o: number): number {
    const rng = this.rng;
    const d = this.params.numAtts;
    const c = this.pickCentroid(rng.next() * this.cumulativeWeights[this.cumulativeWeights.length - 1]);
    let squares = 0;
    for (let j = 0; j < d; j++) {
      const v = 2 * rng.next() - 1;
      x[o + j] = v;
      squares += v * v;
    }
    const scale = (this.gaussian.next() * this.stdDevs[c]) / Math.sqrt(squares);
    const base = c * d;
    for (let j = 0; j < d; j++) x[o + j] = this.centres[base + j] + x[o + j] * scale;
    return this.labels[c];
  }

  /** The first centroid whose running weight exceeds `target` (MOA's weighted pick), else the last. */
  private pickCentroid(target: number): number {
    const cw = this.cumulativeWeights;
    let lo = 0;
    let hi = cw.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cw[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * MOA's RandomRBFGeneratorDrift: the random RBF stream whose first
 * numDriftCentroids centroids move through the unit hypercube at
 * speedChange per row, each along its own unit direction, reflecting off the
 * faces of the cube (Bifet et al. 2009, "New ensemble methods for evolving
 * data streams", KDD). The directions come from a generator restarted with
 * the model seed, as in MOA, so they are fixed by modelRandomSeed and start
 * with every component positive. With speedChange 0 the rows are those of
 * RandomRBFGenerator with the same seeds.
 * Defaults: those of RandomRBFGenerator, speedChange 0, numDriftCentroids 50.
 */
export class RandomRBFGeneratorDrift extends RandomRBFGenerator {
  override readonly params: RandomRBFDriftParams;
  /** Unit directions of the moving centroids, row-major: moving x numAtts. */
  private readonly speeds: Float64Array;
  private readonly moving: number;

  constructor(seed: number, params: Partial<RandomRBFDriftParams> = {}) {
    const p = { ...randomRBFDriftDefaults, ...params };
    super(seed, p, 'random-rbf-drift');
    checkRange('random-rbf-drift', 'speed-change', p.speedChange, 0, Infinity, false);
    checkRange('random-rbf-drift', 'num-drift-centroids', p.numDriftCentroids, 0, Number.MAX_SAFE_INTEGER, true);
    this.params = p;
    const d = p.numAtts;
    this.moving = Math.min(p.numDriftCentroids, p.numCentroids);
    this.speeds = new Float64Array(this.moving * d);
    const model = new JavaRandom(p.modelRandomSeed);
    for (let c = 0; c < this.moving; c++) {
      let norm = 0;
      for (let j = 0; j < d; j++) {
        const v = model.next();
        this.speeds[c * d + j] = v;
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (let j = 0; j < d; j++) this.speeds[c * d + j] /= norm;
    }
  }

  // next() draws through nextInto, so the centroids move once per row either way.
  override nextInto(x: Float64Array, o: number): number {
    this.move();
    return super.nextInto(x, o);
  }

  /** Moves the drifting centroids one step, before each row. */
  private move(): void {
    const speed = this.params.speedChange;
    if (speed > 0) {
      const centres = this.centres;
      const speeds = this.speeds;
      const n = this.moving * this.params.numAtts;
      for (let i = 0; i < n; i++) {
        const v = centres[i] + speeds[i] * speed;
        if (v > 1) {
          centres[i] = 1;
          speeds[i] = -speeds[i];
        } else if (v < 0) {
          centres[i] = 0;
          speeds[i] = -speeds[i];
        } else {
          centres[i] = v;
        }
      }
    }
  }
}
