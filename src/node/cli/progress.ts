import cliProgress from 'cli-progress';
import { formatCount } from './format.js';

/**
 * The progress bar of a training run on a terminal: rows, rows per second
 * and the running accuracy. It is drawn only when stdout is a terminal, so
 * that JSON, Markdown, pipes and logs never see it; lines printed meanwhile
 * are held and printed when the bar is gone, so the two never interleave.
 */
export class TrainingProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly held: string[] = [];
  private readonly started = performance.now();
  private lastDraw = 0;
  private rows = 0;
  private accuracy: number | null = null;

  /** `total` rows when known (a bundled data set, a generated stream), else null: no bar, just the counts. */
  constructor(enabled: boolean, total: number | null, label: string) {
    if (!enabled) return;
    const known = total !== null && total > 0;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} ${known ? '{bar} {percentage}% | ' : ''}{rowsText} rows | {speed} rows/s | accuracy {accuracyText}`,
        stream: process.stdout,
        clearOnComplete: true,
        hideCursor: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(known ? total : 1, 0, this.payload());
  }

  get active(): boolean {
    return this.bar !== null;
  }

  /** Rows handed to the learner so far. */
  rowsSeen(rows: number): void {
    this.rows = rows;
    this.draw();
  }

  /** The running accuracy (pooled so far, or the last holdout score). */
  scored(accuracy: number): void {
    this.accuracy = accuracy;
    this.draw();
  }

  /** Prints a line now, or after the bar when one is shown. */
  print(line: string): void {
    if (this.bar) this.held.push(line);
    else process.stdout.write(line);
  }

  stop(): void {
    if (!this.bar) return;
    this.bar.stop();
    this.bar = null;
    if (this.held.length > 0) process.stdout.write(this.held.join(''));
    this.held.length = 0;
  }

  private draw(): void {
    if (!this.bar) return;
    // Redrawing costs more than a batch of rows; a few times a second is enough for a person.
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const total = this.bar.getTotal();
    this.bar.update(total > 1 ? Math.min(this.rows, total) : 0, this.payload());
  }

  private payload(): Record<string, string> {
    const seconds = (performance.now() - this.started) / 1000;
    return {
      rowsText: formatCount(this.rows),
      speed: seconds > 0 ? formatCount(this.rows / seconds) : '-',
      accuracyText: this.accuracy === null ? '-' : this.accuracy.toFixed(4),
    };
  }
}
