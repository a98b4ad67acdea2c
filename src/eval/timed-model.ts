import type { Batch, Matrix } from '../core/types.js';
import type { IncrementalModel } from './batch-split.js';

/**
 * A model that counts the seconds spent in it (learning and predicting),
 * so that runs sharing one stream (compare) each get their own speed, apart
 * from the time spent reading the stream.
 */
export class TimedModel implements IncrementalModel {
  seconds = 0;

  constructor(private readonly model: Required<IncrementalModel>) {}

  private async time<T>(work: () => Promise<T> | T): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.seconds += (performance.now() - started) / 1000;
    }
  }

  learn(batch: Batch): Promise<void> {
    return this.time(() => this.model.learn(batch));
  }

  predict(x: Matrix): Promise<Int32Array> {
    return this.time(() => this.model.predict(x));
  }

  predictProba(x: Matrix): Promise<Float64Array> {
    return this.time(() => this.model.predictProba(x));
  }

  learnScored(batch: Batch): Promise<Float64Array> {
    return this.time(() => this.model.learnScored(batch));
  }
}
