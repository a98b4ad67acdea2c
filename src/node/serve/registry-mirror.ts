import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnyModelVersion, watchRegistry, type RegistryWatch } from '../broker/registry.js';
import { parseModelRef } from '../broker/url.js';
import { saveModel } from '../persist/model-dir.js';

/** A registry model mirrored into a local directory that the server serves. */
export interface RegistryMirror {
  /** The directory holding the current version. */
  readonly dir: string;
  /** The version being mirrored now. */
  readonly version: number;
  /** Stops following the registry and removes the directory. */
  stop(): Promise<void>;
}

export interface RegistryMirrorOptions {
  /** Called once a new version has been saved into the directory (the server then reloads it). */
  readonly onNewVersion?: (version: number) => void;
  readonly report?: (line: string) => void;
  readonly connectTimeout?: number;
}

/**
 * Serving from the model registry (`serve --model nats://HOST:PORT/BUCKET/NAME`):
 * the current version is saved into a private local directory, which the
 * server serves like any saved model; every newer version the registry's
 * pointer announces is loaded, checked and saved into that directory in the
 * same atomic way a training run saves one, and the server's reload swaps it
 * in without failing a request. So every serve instance following a name
 * hot-reloads its newest version, and all the directory machinery (reload,
 * no request in flight lost) is the same as for a local model. A reference
 * with `@N` pins that version: nothing is followed.
 */
export async function mirrorRegistryModel(ref: string, options: RegistryMirrorOptions = {}): Promise<RegistryMirror> {
  const parsed = parseModelRef(ref, '--model');
  const report = options.report ?? (() => undefined);
  const { model, version } = await loadAnyModelVersion(ref, { flag: '--model', report, connectTimeout: options.connectTimeout });
  const dir = join(await mkdtemp(join(tmpdir(), 'streamlearn-serve-')), 'model');
  let current = version?.version ?? 0;
  try {
    await saveModel(model, dir);
  } finally {
    model.dispose();
  }
  let watch: RegistryWatch | null = null;
  if (parsed.version === undefined) {
    watch = await watchRegistry(
      ref,
      async (next, _load, loadAny) => {
        const fresh = await loadAny();
        try {
          await saveModel(fresh, dir);
        } finally {
          fresh.dispose();
        }
        current = next.version;
        report(`${parsed.display}: version ${next.version} (${next.learner}) saved for serving`);
        options.onNewVersion?.(next.version);
      },
      { after: current, report, connectTimeout: options.connectTimeout, flag: '--model' },
    );
  }
  return {
    dir,
    get version() {
      return current;
    },
    async stop() {
      await watch?.stop();
      await rm(join(dir, '..'), { recursive: true, force: true });
    },
  };
}
