import { fail } from '../../core/errors.js';
import type { ParamValue } from '../../learners/contract.js';

/** The environment variable `serve` takes the learn token from: unlike a flag, it is not shown by `ps`. */
export const LEARN_TOKEN_ENV = 'STREAMLEARN_LEARN_TOKEN';

/** What `serve` does with a learn log holding a record it cannot replay (--learn-log-recovery). */
export const LEARN_LOG_RECOVERY = ['refuse', 'keep-prefix'] as const;
export type LearnLogRecovery = (typeof LEARN_LOG_RECOVERY)[number];

/** pino's levels, as --log-level takes them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How important a server event is: the level it is logged at. */
export type EventLevel = 'info' | 'warn' | 'error';

/** The largest --window: the window is a byte per row per classifier, 16 bytes per row per regressor (its targets and errors). */
export const MAX_WINDOW = 10_000_000;

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
  /** Learn labels not among the model's classes as new classes (default); false answers 400 (--no-new-classes). A classifier's: a regressor refuses false at the start. */
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
  /**
   * Model directories that learn every labelled row beside the champion
   * (--challenger, repeatable; needs `learn`): each predicts then learns
   * exactly what the champion does, but only the champion answers
   * POST /predict. Named by their directory's last component; POST /promote
   * swaps one with the champion.
   */
  readonly challengers?: readonly string[];
  /**
   * Online accuracy and monitoring (default on; --no-metrics turns it off):
   * POST /learn predicts each row before learning it and scores the
   * prediction, and GET /metrics, /stats, /dashboard and /events answer.
   */
  readonly metrics?: boolean;
  /** Rows of the windowed online accuracy, or a regressor's MAE, RMSE and R² (--window; MOA's windowed evaluator's default, 1,000). */
  readonly window?: number;
  /** A drift detector on each model's online errors (--drift): adwin, ddm, eddm, page-hinkley or hddm-a; for a regressor's absolute errors adwin or page-hinkley; null: none. */
  readonly drift?: string | null;
  /** Its parameters (--drift-param key=value). */
  readonly driftParams?: Readonly<Record<string, ParamValue>>;
  /**
   * The level of fastify's pino logger (--log-level; default 'silent' here,
   * 'info' on the command line): requests at 'debug', server events at
   * 'info', failures at 'warn' and 'error'.
   */
  readonly logLevel?: LogLevel;
  /** Where the logger writes its JSON lines (default: stderr). */
  readonly logStream?: { write(line: string): unknown };
  /** How often GET /events sends the dashboard an update, in seconds (default 1). */
  readonly eventsIntervalSeconds?: number;
  /** Where events (reloads, checkpoints, failures in the background) go, one line each, besides the logger; default: nowhere. */
  readonly log?: (line: string, level?: EventLevel) => void;
}

export type ResolvedServeOptions = Required<Omit<ServeOptions, 'learnToken' | 'logStream' | 'log'>> & {
  readonly learnToken: string | null;
  readonly logStream: { write(line: string): unknown };
  readonly log: (line: string, level?: EventLevel) => void;
};

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
  window: 1_000,
  logLevel: 'silent',
  cliLogLevel: 'info',
  eventsIntervalSeconds: 1,
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
    challengers: options.challengers ?? [],
    metrics: options.metrics ?? true,
    window: options.window ?? SERVE_DEFAULTS.window,
    drift: options.drift ?? null,
    driftParams: options.driftParams ?? {},
    logLevel: options.logLevel ?? SERVE_DEFAULTS.logLevel,
    logStream: options.logStream ?? process.stderr,
    eventsIntervalSeconds: options.eventsIntervalSeconds ?? SERVE_DEFAULTS.eventsIntervalSeconds,
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
  if (!Array.isArray(resolved.challengers) || resolved.challengers.some((c) => typeof c !== 'string' || c === '')) fail('challengers (--challenger) must be model directories');
  if (resolved.challengers.length > 0 && !resolved.learn) {
    fail('challengers (--challenger) learn from POST /learn, which is off: set learn (--learn) to run challengers');
  }
  if (resolved.challengers.length > 0 && !resolved.metrics) {
    fail('challengers (--challenger) are compared by their online accuracy, which is off (--no-metrics): drop --no-metrics to run challengers');
  }
  if (!Number.isSafeInteger(resolved.window) || resolved.window < 1 || resolved.window > MAX_WINDOW) {
    fail(`window (--window) must be an integer from 1 to ${MAX_WINDOW}, got ${resolved.window}`);
  }
  if (!(LOG_LEVELS as readonly string[]).includes(resolved.logLevel)) fail(`logLevel (--log-level) must be one of ${LOG_LEVELS.join(', ')}, got ${String(resolved.logLevel)}`);
  const every = resolved.eventsIntervalSeconds;
  if (typeof every !== 'number' || !Number.isFinite(every) || every < 0.01 || every > 3600) fail(`eventsIntervalSeconds must be a number of seconds from 0.01 to 3600, got ${every}`);
  if (resolved.drift !== null && !resolved.metrics) fail('drift (--drift) watches the online errors, which are off (--no-metrics): drop one of them');
  if (!(LEARN_LOG_RECOVERY as readonly string[]).includes(resolved.learnLogRecovery)) {
    fail(`learnLogRecovery (--learn-log-recovery) must be one of ${LEARN_LOG_RECOVERY.join(', ')}, got ${String(resolved.learnLogRecovery)}`);
  }
  return resolved;
}

/** Checks a port number: an integer in 0..65535, 0 for any free port. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`port (--port) must be an integer from 0 to 65535 (0: any free port), got ${port}`);
}
