import type { Command } from 'commander';
import { isNatsUrl } from '../broker/url.js';
import { fail } from '../core/errors.js';
import { createServer } from '../serve/app.js';
import { mirrorRegistryModel, type RegistryMirror } from '../serve/registry-mirror.js';
import { SERVE_DEFAULTS } from '../serve/options.js';
import { integerArg, numberArg } from './options.js';

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
}

export function registerServe(program: Command): void {
  const d = SERVE_DEFAULTS;
  program
    .command('serve')
    .description('serve a saved model over HTTP: POST /predict, POST /learn (with --learn), GET /health, GET /model')
    .requiredOption('--model <dir>', 'a saved model directory, or nats://HOST:PORT/BUCKET/NAME in the registry; a new model saved there is picked up without a restart')
    .option('--host <host>', 'the address to listen on', d.host)
    .option('--port <n>', 'the port to listen on; 0 takes a free one', integerArg, d.port)
    .option('--learn', 'accept POST /learn: labelled rows update the model, checkpointed into --model', false)
    .option('--max-body-bytes <n>', 'the largest request body; larger ones get 413', integerArg, d.maxBodyBytes)
    .option('--max-rows <n>', 'the most rows in one request; more get 413', integerArg, d.maxRows)
    .option('--checkpoint-every <n>', 'with --learn: checkpoint after this many rows learned', integerArg, d.checkpointEvery)
    .option('--checkpoint-interval <seconds>', 'with --learn: checkpoint this often when rows were learned; 0: only by count and at exit', numberArg, d.checkpointIntervalSeconds)
    .option('--reload-interval <seconds>', 'look for a new model in --model this often; 0: never', numberArg, d.reloadIntervalSeconds)
    .option('--no-new-classes', 'with --learn: refuse labels that are not among the model\'s classes (400) instead of learning them as new classes')
    .action(async (flags: ServeFlags) => {
      const log = (line: string): void => void process.stderr.write(`streamlearn: ${line}\n`);
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
        log,
      });
      started = server;
      const url = await server.listen({ host: flags.host, port: flags.port });
      // The one line on stdout: scripts and tests read the URL from it.
      process.stdout.write(`serving ${flags.model} on ${url} (learning ${flags.learn ? 'on' : 'off'})\n`);
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
