import cliProgress from 'cli-progress';
import { formatCount } from './format.js';

/** What is counted, where it is shown and how. */
export interface ProgressOptions {
  /** What the count is of, shown first: "training", "rows published". */
  readonly label: string;
  /** The count to reach, when known: the bar then shows a percentage. */
  readonly total?: number | null;
  /** Where the bar (or the plain lines) go; default stderr, so stdout stays the command's result. */
  readonly stream?: NodeJS.WriteStream;
  /** False shows nothing at all (--no-progress, a JSON report); default true. */
  readonly enabled?: boolean;
  /**
   * Off a terminal: a plain line with the count at most this often (ms), so
   * logs get no carriage returns or escape codes; null (the default) shows
   * nothing off a terminal.
   */
  readonly linesEveryMs?: number | null;
  /**
   * A training run's bar: rows, rows per second and the running accuracy
   * (see scored()), cleared when it stops. Default false: the count with an
   * ETA when the total is known, left on screen when it stops.
   */
  readonly training?: boolean;
}

/** Redrawing costs more than a batch of rows; a few times a second is enough for a person. */
const DRAW_EVERY_MS = 100;

/**
 * The one progress display of the CLI: training and comparing (a bar with
 * rows, speed and accuracy), publishing and workers (a count). A bar is
 * drawn only when its stream is a terminal; elsewhere plain lines, or
 * nothing. Output lines printed through print() while a bar shows are held
 * and printed once it is gone, so the two never interleave.
 */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly held: string[] = [];
  private readonly started = performance.now();
  private lastDraw = 0;
  private lastLine = Date.now();
  private value = 0;
  private accuracy: string | null = null;
  private readonly stream: NodeJS.WriteStream;
  private readonly total: number | null;
  private readonly linesEveryMs: number | null;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.total = options.total !== undefined && options.total !== null && options.total > 0 ? options.total : null;
    const enabled = options.enabled ?? true;
    this.linesEveryMs = enabled && this.stream.isTTY !== true ? (options.linesEveryMs ?? null) : null;
    if (!enabled || this.stream.isTTY !== true) return;
    const training = options.training ?? false;
    this.bar = new cliProgress.SingleBar(
      {
        format: barFormat(options.label, this.total !== null, training),
        stream: this.stream,
        clearOnComplete: training,
        hideCursor: true,
        fps: training ? 10 : 5,
        etaBuffer: 100,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.total ?? (training ? 1 : 0), 0, this.payload());
  }

  /** Whether a bar is on screen. */
  get active(): boolean {
    return this.bar !== null;
  }

  /** The count so far (rows learned, published). */
  update(value: number): void {
    this.value = value;
    if (this.bar) this.draw(false);
    else if (this.linesEveryMs !== null) this.line();
  }

  /** The running accuracy (pooled so far, or the last holdout score), for a training bar; compare gives one per learner, as text. */
  scored(accuracy: number | string): void {
    this.accuracy = typeof accuracy === 'number' ? accuracy.toFixed(4) : accuracy;
    if (this.bar) this.draw(false);
  }

  /**
   * Prints a line of the command's output (stdout) now, or, when stdout is the terminal the bar is
   * drawn on too, after the bar, so that the two never interleave on screen.
   */
  print(line: string): void {
    if (this.bar && process.stdout.isTTY === true) this.held.push(line);
    else process.stdout.write(line);
  }

  /** Ends the display (the caller prints the final count itself) and prints the held lines. */
  stop(): void {
    if (!this.bar) return;
    this.draw(true);
    this.bar.stop();
    this.bar = null;
    if (this.held.length > 0) process.stdout.write(this.held.join(''));
    this.held.length = 0;
  }

  private draw(force: boolean): void {
    if (!this.bar) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < DRAW_EVERY_MS) return;
    this.lastDraw = now;
    // A training bar without a known total sits at 0 of 1: only its counts move.
    const shown = this.total !== null ? Math.min(this.value, this.total) : this.options.training ? 0 : this.value;
    this.bar.update(shown, this.payload());
  }

  private line(): void {
    const now = Date.now();
    if (this.linesEveryMs === null || now - this.lastLine < this.linesEveryMs) return;
    this.lastLine = now;
    const of = this.total !== null ? ` of ${formatCount(this.total)}` : '';
    this.stream.write(`${this.options.label}: ${formatCount(this.value)}${of}\n`);
  }

  private payload(): Record<string, string> {
    const seconds = (performance.now() - this.started) / 1000;
    return {
      rowsText: formatCount(this.value),
      speed: seconds > 0 ? formatCount(this.value / seconds) : '-',
      accuracyText: this.accuracy ?? '-',
    };
  }
}

function barFormat(label: string, known: boolean, training: boolean): string {
  if (training) return `${label} ${known ? '{bar} {percentage}% | ' : ''}{rowsText} rows | {speed} rows/s | accuracy {accuracyText}`;
  return known ? `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta}s` : `${label}: {value}`;
}
