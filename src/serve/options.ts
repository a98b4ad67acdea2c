import { fail } from '../core/errors.js';

/** How createServer serves a model directory. Each option has a `streamlearn serve` flag, named in errors. */
export interface ServeOptions {
  /** The model directory (--model). */
  readonly model: string;
  /** Accept POST /learn (--learn); off by default, so a served model never changes unless asked. */
  readonly learn?: boolean;
  /** The largest request body in bytes (--max-body-bytes); larger ones get 413. */
  readonly maxBodyBytes?: number;
  /** The most rows in one request (--max-rows); more get 413. */
  readonly maxRows?: number;
  /** Checkpoint after this many learned rows (--checkpoint-every). */
  readonly checkpointEvery?: number;
  /** Checkpoint this many seconds after the last one when rows were learned since (--checkpoint-interval); 0: never on a timer. */
  readonly checkpointIntervalSeconds?: number;
  /** Look for a new model saved into the directory this often (--reload-interval); 0: never. */
  readonly reloadIntervalSeconds?: number;
  /** Learn labels not among the model's classes as new classes (default); false answers 400 (--no-new-classes). */
  readonly newClasses?: boolean;
  /** Where events (reloads, checkpoints, failures in the background) go, one line each; default: nowhere. */
  readonly log?: (line: string) => void;
}

export type ResolvedServeOptions = Required<ServeOptions>;

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBodyBytes: 1_048_576,
  maxRows: 1_000,
  checkpointEvery: 1_000,
  checkpointIntervalSeconds: 60,
  reloadIntervalSeconds: 1,
} as const;

function atLeast(value: number, min: number, name: string, flag: string, integer: boolean): void {
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    fail(`${name} (${flag}) must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got ${value}`);
  }
}

/** Fills in the defaults and checks every option, failing with one line naming the option and its flag. */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  const resolved: ResolvedServeOptions = {
    model: options.model,
    learn: options.learn ?? false,
    maxBodyBytes: options.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes,
    maxRows: options.maxRows ?? SERVE_DEFAULTS.maxRows,
    checkpointEvery: options.checkpointEvery ?? SERVE_DEFAULTS.checkpointEvery,
    checkpointIntervalSeconds: options.checkpointIntervalSeconds ?? SERVE_DEFAULTS.checkpointIntervalSeconds,
    reloadIntervalSeconds: options.reloadIntervalSeconds ?? SERVE_DEFAULTS.reloadIntervalSeconds,
    newClasses: options.newClasses ?? true,
    log: options.log ?? (() => {}),
  };
  if (typeof resolved.model !== 'string' || resolved.model === '') fail('model (--model) must name a model directory');
  atLeast(resolved.maxBodyBytes, 1, 'maxBodyBytes', '--max-body-bytes', true);
  atLeast(resolved.maxRows, 1, 'maxRows', '--max-rows', true);
  atLeast(resolved.checkpointEvery, 1, 'checkpointEvery', '--checkpoint-every', true);
  atLeast(resolved.checkpointIntervalSeconds, 0, 'checkpointIntervalSeconds', '--checkpoint-interval', false);
  atLeast(resolved.reloadIntervalSeconds, 0, 'reloadIntervalSeconds', '--reload-interval', false);
  return resolved;
}

/** Checks a port number: an integer in 0..65535, 0 for any free port. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`port (--port) must be an integer from 0 to 65535 (0: any free port), got ${port}`);
}
