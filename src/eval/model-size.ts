
/** One point of the model's size over time. */
export interface ModelSizePoint {
  /** Rows seen (learned or scored) when it was measured. */
  readonly row: number;
  /** Bytes of the model as saved (state files and manifest). */
  readonly bytes: number;
}

/**
 * Measures a model's size every `every` rows of the stream it learns from.
 * The batches pass through `watch`; a batch is asked for only once the model
 * is done with the one before, so measuring before handing on the next batch
 * sees the model exactly as the rows so far left it. Measuring serialises the
 * model, which costs time on large models: hence a point per `every` rows,
 * not per batch.
 */
export class ModelSizeTracker {
  readonly points: ModelSizePoint[] = [];
  private next: number;
  private rows = 0;

  constructor(
    private readonly every: number,
    private readonly measure: () => Promise<number>,
  ) {
    if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`ModelSizeTracker: every must be a positive integer, got ${every}`);
    this.next = every;
  }

  async *watch<B extends { readonly x: { readonly rows: number } }>(batches: AsyncIterable<B>): AsyncGenerator<B> {
    for await (const batch of batches) {
      if (this.rows >= this.next) await this.take();
      yield batch;
      this.rows += batch.x.rows;
    }
  }

  /** The last point, at the end of the stream (unless one was just taken there). */
  async finish(): Promise<ModelSizePoint[]> {
    const last = this.points[this.points.length - 1];
    if (this.rows > 0 && last?.row !== this.rows) await this.take();
    return this.points;
  }

  private async take(): Promise<void> {
    this.points.push({ row: this.rows, bytes: await this.measure() });
    while (this.next <= this.rows) this.next += this.every;
  }
}
