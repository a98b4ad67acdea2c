import { Option, type Command } from 'commander';
import { LEARN_LOG_RECOVERY, LEARN_TOKEN_ENV, LOG_LEVELS, MAX_WINDOW, SERVE_DEFAULTS, type LearnLogRecovery, type LogLevel } from '../serve/options.js';
import { detectorNames } from './names.js';
import { choiceArg, countArg, integerRange, numberArg, paramArg } from './options.js';

export interface ServeFlags {
  model: string;
  host: string;
  port: number;
  learn: boolean;
  maxBodyBytes: number;
  maxRows: number;
  checkpointEvery: number;
  checkpointInterval: number;
  reloadInterval: number;
  newClasses: boolean;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  maxConnections: number;
  learnTokenFile?: string;
  learnToken?: string;
  learnLogRecovery: LearnLogRecovery;
  challenger?: string[];
  metrics: boolean;
  window: number;
  drift?: string;
  driftParam?: Record<string, string>;
  logLevel: LogLevel;
}

/** --challenger, repeatable. */
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerServe(program: Command): void {
  const d = SERVE_DEFAULTS;
  program
    .command('serve')
    .description(
      'serve a saved model (a classifier or a regressor) over HTTP: POST /predict, POST /learn (with --learn), POST /promote (with --challenger), GET /health, GET /model, ' +
        "and its online accuracy (a regressor's MAE, RMSE and R²): GET /stats, GET /metrics (Prometheus), GET /dashboard",
    )
    .requiredOption('--model <dir>', 'a saved model directory, or nats://HOST:PORT/BUCKET/NAME in the registry; a new model saved there is picked up without a restart')
    .option('--host <host>', 'the address to listen on', d.host)
    .option('--port <n>', 'the port to listen on; 0 takes a free one', integerRange(0, 65535), d.port)
    .option('--learn', 'accept POST /learn: labelled rows update the model, checkpointed into --model', false)
    .option('--max-body-bytes <n>', 'the largest request body; larger ones get 413', integerRange(1, 1024 * 1024 * 1024), d.maxBodyBytes)
    .option('--max-rows <n>', 'the most rows in one request; more get 413', integerRange(1, 1_000_000), d.maxRows)
    .option('--checkpoint-every <n>', 'with --learn: checkpoint after this many rows learned', countArg, d.checkpointEvery)
    .option('--checkpoint-interval <seconds>', 'with --learn: checkpoint this often when rows were learned; 0: only by count and at exit', numberArg, d.checkpointIntervalSeconds)
    .option('--reload-interval <seconds>', 'look for a new model in --model this often; 0: never', numberArg, d.reloadIntervalSeconds)
    .option('--no-new-classes', 'with --learn, for a classifier: refuse labels that are not among the model\'s classes (400) instead of learning them as new classes')
    .option('--learn-token-file <file>', `with --learn: POST /learn needs "Authorization: Bearer TOKEN", TOKEN being this file's content (or set ${LEARN_TOKEN_ENV}); else 401`)
    .addOption(new Option('--learn-token <token>').hideHelp())
    .option(
      '--learn-log-recovery <mode>',
      `a learn log record that cannot be replayed: refuse to start (refuse), or replay the records before it and move it and the rest aside beside --model (keep-prefix)`,
      choiceArg(LEARN_LOG_RECOVERY),
      d.learnLogRecovery,
    )
    .option('--challenger <dir>', 'with --learn: a model directory that predicts and learns every labelled row beside the served model, named by the directory; POST /promote {"challenger": NAME} makes it the served model. Repeatable', collect)
    .option('--no-metrics', 'no online accuracy (POST /learn learns without predicting first) and no GET /stats, /metrics, /dashboard, /events')
    .option('--window <n>', "rows of the windowed online accuracy (a regressor's MAE, RMSE and R²)", integerRange(1, MAX_WINDOW), d.window)
    .option('--drift <detector>', `watch each model's online errors with a drift detector: ${detectorNames.join(', ')} (a regressor's absolute error: adwin or page-hinkley)`)
    .option('--drift-param <key=value>', 'a drift detector parameter, repeatable', paramArg)
    .option('--log-level <level>', 'JSON log lines on stderr at this level and above: info has server events and no line per request; debug adds one per request', choiceArg(LOG_LEVELS), d.cliLogLevel)
    .option('--headers-timeout <seconds>', 'a request\'s headers must arrive within this time; else 408 and the connection closed', numberArg, d.headersTimeoutSeconds)
    .option('--request-timeout <seconds>', 'a whole request, body included, must arrive within this time; else 408', numberArg, d.requestTimeoutSeconds)
    .option('--keep-alive-timeout <seconds>', 'close a keep-alive connection idle this long', numberArg, d.keepAliveTimeoutSeconds)
    .option('--max-connections <n>', 'the most connections open at once; more are closed as they come', integerRange(1, 1_000_000), d.maxConnections)
    .action(async (flags: ServeFlags) => (await import('./serve-run.js')).runServe(flags));
}
