import { Option, type Command } from 'commander';
import { isNatsUrl } from '../broker/url.js';
import { fail } from '../../core/errors.js';
import { createServer } from '../serve/app.js';
import { mirrorRegistryModel, type RegistryMirror } from '../serve/registry-mirror.js';
import { LEARN_TOKEN_ENV, readTokenFile } from '../serve/auth.js';
import { LEARN_LOG_RECOVERY, SERVE_DEFAULTS, type LearnLogRecovery } from '../serve/options.js';
import { choiceArg, countArg, integerRange, numberArg } from './options.js';

interface ServeFlags {
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
}

/**
 * The learn token, from --learn-token-file or the environment: never from
 * the command line, where every user of the machine sees it (ps, /proc).
 */
async function learnToken(flags: ServeFlags): Promise<string | null> {
  if (flags.learnToken !== undefined) {
    fail(`--learn-token: a token on the command line is visible to every user of this machine (ps); put it in a file (--learn-token-file FILE) or the ${LEARN_TOKEN_ENV} environment variable`);
  }
  const fromEnv = process.env[LEARN_TOKEN_ENV];
  if (fromEnv !== undefined && flags.learnTokenFile !== undefined) fail(`--learn-token-file and ${LEARN_TOKEN_ENV} both set the learn token; use one`);
  if (flags.learnTokenFile !== undefined) return readTokenFile(flags.learnTokenFile, '--learn-token-file');
  if (fromEnv === undefined) return null;
  // Set but empty is a mistake (a variable expanded to nothing), not a server without a token.
  if (fromEnv.trim() === '') fail(`${LEARN_TOKEN_ENV} is set but empty; set it to the token, or unset it to serve without one`);
  return fromEnv.trim();
}

export function registerServe(program: Command): void {
  const d = SERVE_DEFAULTS;
  program
    .command('serve')
    .description('serve a saved model over HTTP: POST /predict, POST /learn (with --learn), GET /health, GET /model')
    .requiredOption('--model <dir>', 'a saved model directory, or nats://HOST:PORT/BUCKET/NAME in the registry; a new model saved there is picked up without a restart')
    .option('--host <host>', 'the address to listen on', d.host)
    .option('--port <n>', 'the port to listen on; 0 takes a free one', integerRange(0, 65535), d.port)
    .option('--learn', 'accept POST /learn: labelled rows update the model, checkpointed into --model', false)
    .option('--max-body-bytes <n>', 'the largest request body; larger ones get 413', integerRange(1, 1024 * 1024 * 1024), d.maxBodyBytes)
    .option('--max-rows <n>', 'the most rows in one request; more get 413', integerRange(1, 1_000_000), d.maxRows)
    .option('--checkpoint-every <n>', 'with --learn: checkpoint after this many rows learned', countArg, d.checkpointEvery)
    .option('--checkpoint-interval <seconds>', 'with --learn: checkpoint this often when rows were learned; 0: only by count and at exit', numberArg, d.checkpointIntervalSeconds)
    .option('--reload-interval <seconds>', 'look for a new model in --model this often; 0: never', numberArg, d.reloadIntervalSeconds)
    .option('--no-new-classes', 'with --learn: refuse labels that are not among the model\'s classes (400) instead of learning them as new classes')
    .option('--learn-token-file <file>', `with --learn: POST /learn needs "Authorization: Bearer TOKEN", TOKEN being this file's content (or set ${LEARN_TOKEN_ENV}); else 401`)
    .addOption(new Option('--learn-token <token>').hideHelp())
    .option(
      '--learn-log-recovery <mode>',
      `a learn log record that cannot be replayed: refuse to start (refuse), or replay the records before it and move it and the rest aside beside --model (keep-prefix)`,
      choiceArg(LEARN_LOG_RECOVERY),
      d.learnLogRecovery,
    )
    .option('--headers-timeout <seconds>', 'a request\'s headers must arrive within this time; else 408 and the connection closed', numberArg, d.headersTimeoutSeconds)
    .option('--request-timeout <seconds>', 'a whole request, body included, must arrive within this time; else 408', numberArg, d.requestTimeoutSeconds)
    .option('--keep-alive-timeout <seconds>', 'close a keep-alive connection idle this long', numberArg, d.keepAliveTimeoutSeconds)
    .option('--max-connections <n>', 'the most connections open at once; more are closed as they come', integerRange(1, 1_000_000), d.maxConnections)
    .action(async (flags: ServeFlags) => {
      const log = (line: string): void => void process.stderr.write(`streamlearn: ${line}\n`);
      const token = await learnToken(flags);
      let mirror: RegistryMirror | null = null;
      let started: Awaited<ReturnType<typeof createServer>> | undefined;
      if (isNatsUrl(flags.model)) {
        // Online updates would need a home in the registry that no training run overwrites; keep them to directories.
        if (flags.learn) fail(`--learn needs a model directory, not a registry model (${flags.model}): serve a directory to learn online`);
        // A new version is in the directory: reload now rather than at the next poll (the poll would find it too).
        mirror = await mirrorRegistryModel(flags.model, { report: log, onNewVersion: (version) => void started?.reload().then(() => log(`serving version ${version} of ${flags.model}`)) });
      }
      const server = await createServer({
        model: mirror?.dir ?? flags.model,
        learn: flags.learn,
        maxBodyBytes: flags.maxBodyBytes,
        maxRows: flags.maxRows,
        checkpointEvery: flags.checkpointEvery,
        checkpointIntervalSeconds: flags.checkpointInterval,
        reloadIntervalSeconds: flags.reloadInterval,
        newClasses: flags.newClasses,
        headersTimeoutSeconds: flags.headersTimeout,
        requestTimeoutSeconds: flags.requestTimeout,
        keepAliveTimeoutSeconds: flags.keepAliveTimeout,
        maxConnections: flags.maxConnections,
        learnToken: token,
        learnLogRecovery: flags.learnLogRecovery,
        log,
      });
      started = server;
      const url = await server.listen({ host: flags.host, port: flags.port });
      // The one line on stdout: scripts and tests read the URL from it.
      const learning = flags.learn ? (token !== null ? 'on, with a bearer token' : 'on') : 'off';
      process.stdout.write(`serving ${flags.model} on ${url} (learning ${learning})\n`);
      await new Promise<void>((resolve, reject) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals): void => {
          if (stopping) {
            // A second signal: leave now. With --learn, the learn log still holds every acknowledged update.
            log(`${signal} again: exiting without a final checkpoint`);
            process.exit(1);
          }
          stopping = true;
          log(`${signal}: finishing requests in flight${flags.learn ? ', then a final checkpoint' : ''}`);
          server
            .close()
            .then(() => mirror?.stop())
            .then(() => resolve(), reject);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
}
