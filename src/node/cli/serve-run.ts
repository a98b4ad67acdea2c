import { fail } from '../../core/errors.js';
import { isNatsUrl } from '../broker/url.js';
import { createServer } from '../serve/app.js';
import { LEARN_TOKEN_ENV, readTokenFile } from '../serve/auth.js';
import { mirrorRegistryModel, type RegistryMirror } from '../serve/registry-mirror.js';
import type { ServeFlags } from './serve.js';

/**
 * The learn token, from --learn-token-file or the environment: never from
 * the command line, where every user of the machine sees it (ps, /proc).
 * Without --learn there is none: --learn-token-file is refused (it protects
 * nothing), STREAMLEARN_LEARN_TOKEN ignored (it may be set machine-wide).
 */
async function learnToken(flags: ServeFlags): Promise<string | null> {
  if (flags.learnToken !== undefined) {
    fail(`--learn-token: a token on the command line is visible to every user of this machine (ps); put it in a file (--learn-token-file FILE) or the ${LEARN_TOKEN_ENV} environment variable`);
  }
  if (!flags.learn) {
    // The flag names this server's token: without --learn it protects nothing, so --learn was likely forgotten.
    if (flags.learnTokenFile !== undefined) fail('--learn-token-file protects POST /learn, which is off without --learn: add --learn to learn online, or drop --learn-token-file');
    // The variable may be set for every server on the machine, learning or not: ignored here.
    return null;
  }
  const fromEnv = process.env[LEARN_TOKEN_ENV];
  if (fromEnv !== undefined && flags.learnTokenFile !== undefined) fail(`--learn-token-file and ${LEARN_TOKEN_ENV} both set the learn token; use one`);
  if (flags.learnTokenFile !== undefined) return readTokenFile(flags.learnTokenFile, '--learn-token-file');
  if (fromEnv === undefined) return null;
  // Set but empty is a mistake (a variable expanded to nothing), not a server without a token.
  if (fromEnv.trim() === '') fail(`${LEARN_TOKEN_ENV} is set but empty; set it to the token, or unset it to serve without one`);
  return fromEnv.trim();
}

/** `streamlearn serve`: the server until SIGTERM or SIGINT, then a clean stop (and a final checkpoint with --learn). */
export async function runServe(flags: ServeFlags): Promise<void> {
  let started: Awaited<ReturnType<typeof createServer>> | undefined;
  // Plain lines until the server exists; then its logger's JSON lines, so that stderr is one format while it serves.
  const log = (line: string): void => {
    if (started) started.log(line);
    else process.stderr.write(`streamlearn: ${line}\n`);
  };
  const token = await learnToken(flags);
  let mirror: RegistryMirror | null = null;
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
    challengers: flags.challenger ?? [],
    metrics: flags.metrics,
    window: flags.window,
    drift: flags.drift ?? null,
    driftParams: flags.driftParam ?? {},
    logLevel: flags.logLevel,
    logStream: process.stderr,
  });
  started = server;
  const url = await server.listen({ host: flags.host, port: flags.port });
  // The one line on stdout: scripts and tests read the URL from it.
  const learning = flags.learn ? (token !== null ? 'on, with a bearer token' : 'on') : 'off';
  const challengers = server.fleet.challengers.map((c) => c.name);
  const beside = challengers.length > 0 ? `, challenger${challengers.length === 1 ? '' : 's'} ${challengers.join(', ')}` : '';
  process.stdout.write(`serving ${flags.model} on ${url} (learning ${learning}${beside})\n`);
  if (flags.metrics) log(`dashboard: ${url}/dashboard; Prometheus metrics: ${url}/metrics`);
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
}
