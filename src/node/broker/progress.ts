import cliProgress from 'cli-progress';
import { formatCount } from '../cli/format.js';

/** A running count shown to a person: a bar on a terminal, plain lines otherwise. */
export interface Progress {
  /** The count so far (and, for a bar, the total when it became known). */
  update(value: number): void;
  /** Ends the display; the caller prints the final count itself. */
  stop(): void;
}

/** What is counted and where it is shown. */
export interface ProgressOptions {
  /** What the count is of, e.g. "rows published". */
  readonly label: string;
  /** The count to reach, when known (a bar then shows a percentage and an ETA). */
  readonly total?: number;
  /** Where it goes; default stderr, so stdout stays the command's result. */
  readonly stream?: NodeJS.WriteStream;
  /** Plain-line mode: a line at most this often (ms); default 2,000. */
  readonly everyMs?: number;
}

/**
 * A progress display: a cli-progress bar when the stream is a terminal,
 * else a plain line at most every two seconds (logs and pipes get no
 * carriage returns or escape codes).
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY) {
    const total = options.total ?? 0;
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: total > 0 ? `${options.label} [{bar}] {percentage}% | {value}/{total} | ETA {eta}s` : `${options.label}: {value}`,
        hideCursor: true,
        fps: 5,
        etaBuffer: 100,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (value) => bar.update(value), stop: () => bar.stop() };
  }
  const every = options.everyMs ?? 2000;
  let last = Date.now();
  return {
    update(value) {
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      const of = options.total ? ` of ${formatCount(options.total)}` : '';
      stream.write(`${options.label}: ${formatCount(value)}${of}\n`);
    },
    stop: () => undefined,
  };
}
