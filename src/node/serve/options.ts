import { fail } from '../../core/errors.js';

/** The environment variable `serve` takes the learn token from: unlike a flag, it is not shown by `ps`. */
export const LEARN_TOKEN_ENV = 'STREAMLEARN_LEARN_TOKEN';

/** What `serve` does with a learn log holding a record it cannot replay (--learn-log-recovery). */
export const LEARN_LOG_RECOVERY = ['refuse', 'keep-prefix'] as const;
export type LearnLogRecovery = (typeof LEARN_LOG_RECOVERY)[number];

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
  /** A request's headers must arrive within this many seconds of its start, or 408 and the connection closed (--headers-timeout). */
  readonly headersTimeoutSeconds?: number;
  /** A whole request, body included, must arrive within this many seconds (--request-timeout); at least headersTimeoutSeconds. */
  readonly requestTimeoutSeconds?: number;
  /** An idle keep-alive connection is closed after this many seconds (--keep-alive-timeout). */
  readonly keepAliveTimeoutSeconds?: number;
  /** The most connections open at once; more are closed as they come (--max-connections). */
  readonly maxConnections?: number;
  /**
   * When set, POST /learn needs `Authorization: Bearer <learnToken>`, else 401
   * (--learn-token-file, or STREAMLEARN_LEARN_TOKEN). Visible ASCII, no spaces.
   * Only with `learn`: a token on a server that does not learn is refused.
   */
  readonly learnToken?: string | null;
  /**
   * A learn log record that cannot be replayed: 'refuse' (default) fails the
   * start naming the log and line; 'keep-prefix' replays the records before
   * it and moves it and the rest aside, beside the model directory (--learn-log-recovery).
   */
  readonly learnLogRecovery?: LearnLogRecovery;
  /** Where events (reloads, checkpoints, failures in the background) go, one line each; default: nowhere. */
  readonly log?: (line: string) => void;
}

export type ResolvedServeOptions = Required<Omit<ServeOptions, 'learnToken'>> & { readonly learnToken: string | null };

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBodyBytes: 1_048_576,
  maxRows: 1_000,
  checkpointEvery: 1_000,
  checkpointIntervalSeconds: 60,
  reloadIntervalSeconds: 1,
  headersTimeoutSeconds: 10,
  requestTimeoutSeconds: 30,
  keepAliveTimeoutSeconds: 5,
  maxConnections: 512,
  learnLogRecovery: 'refuse',
} as const;

function atLeast(value: number, min: number, name: string, flag: string, integer: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isSafeInteger(value)) || value < min) {
    fail(`${name} (${flag}) must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got ${value}`);
  }
}

/** Seconds for a timeout: more than 0, and few enough for a timer (about 24 days). */
function timeout(value: number, name: string, flag: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value * 1000 > 2_147_483_647) {
    fail(`${name} (${flag}) must be a number of seconds greater than 0 (at most 2147483), got ${value}`);
  }
}

/** The token's characters: visible ASCII, as an Authorization header carries it. */
const TOKEN = /^[\x21-\x7e]+$/;

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
    headersTimeoutSeconds: options.headersTimeoutSeconds ?? SERVE_DEFAULTS.headersTimeoutSeconds,
    requestTimeoutSeconds: options.requestTimeoutSeconds ?? SERVE_DEFAULTS.requestTimeoutSeconds,
    keepAliveTimeoutSeconds: options.keepAliveTimeoutSeconds ?? SERVE_DEFAULTS.keepAliveTimeoutSeconds,
    maxConnections: options.maxConnections ?? SERVE_DEFAULTS.maxConnections,
    learnToken: options.learnToken ?? null,
    learnLogRecovery: options.learnLogRecovery ?? SERVE_DEFAULTS.learnLogRecovery,
    log: options.log ?? (() => {}),
  };
  if (typeof resolved.model !== 'string' || resolved.model === '') fail('model (--model) must name a model directory');
  atLeast(resolved.maxBodyBytes, 1, 'maxBodyBytes', '--max-body-bytes', true);
  atLeast(resolved.maxRows, 1, 'maxRows', '--max-rows', true);
  atLeast(resolved.checkpointEvery, 1, 'checkpointEvery', '--checkpoint-every', true);
  atLeast(resolved.checkpointIntervalSeconds, 0, 'checkpointIntervalSeconds', '--checkpoint-interval', false);
  atLeast(resolved.reloadIntervalSeconds, 0, 'reloadIntervalSeconds', '--reload-interval', false);
  timeout(resolved.headersTimeoutSeconds, 'headersTimeoutSeconds', '--headers-timeout');
  timeout(resolved.requestTimeoutSeconds, 'requestTimeoutSeconds', '--request-timeout');
  timeout(resolved.keepAliveTimeoutSeconds, 'keepAliveTimeoutSeconds', '--keep-alive-timeout');
  // Node refuses a headers timeout longer than the request's; say so by flag.
  if (resolved.headersTimeoutSeconds > resolved.requestTimeoutSeconds) {
    fail(`headersTimeoutSeconds (--headers-timeout) ${resolved.headersTimeoutSeconds} must be at most requestTimeoutSeconds (--request-timeout) ${resolved.requestTimeoutSeconds}`);
  }
  atLeast(resolved.maxConnections, 1, 'maxConnections', '--max-connections', true);
  const token = resolved.learnToken;
  if (token !== null && (typeof token !== 'string' || !TOKEN.test(token))) {
    fail('learnToken (--learn-token-file or STREAMLEARN_LEARN_TOKEN) must be 1 or more visible ASCII characters without spaces');
  }
  if (token !== null && !resolved.learn) {
    fail('learnToken (--learn-token-file or STREAMLEARN_LEARN_TOKEN) protects POST /learn, which is off: set learn (--learn) to learn online, or drop the token');
  }
  if (!(LEARN_LOG_RECOVERY as readonly string[]).includes(resolved.learnLogRecovery)) {
    fail(`learnLogRecovery (--learn-log-recovery) must be one of ${LEARN_LOG_RECOVERY.join(', ')}, got ${String(resolved.learnLogRecovery)}`);
  }
  return resolved;
}

/** Checks a port number: an integer in 0..65535, 0 for any free port. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`port (--port) must be an integer from 0 to 65535 (0: any free port), got ${port}`);
}
