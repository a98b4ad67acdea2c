import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../files/input.js';
import { MANIFEST_FILE } from '../persist/model-dir.js';
import { reloadRefusal, type ModelHost } from './host.js';
import { modelIdentity } from './model-files.js';
import { recoverAnyModel } from './recover.js';

/**
 * Picks up a model saved into the served directory by someone else (a
 * training run's saveModel), without a restart. saveModel replaces the
 * directory by rename, so its manifest is polled: a cheap stat each round,
 * and when that changed, the manifest's identity. A save that is not the
 * served one (nor this server's own checkpoint) is loaded in full first;
 * only then is it swapped in (ModelHost.swap), so requests never wait for a
 * load, and those in flight finish on the old model. A save that fails to
 * load (a partial copy, a bad checksum), or holds a model of the other task
 * (a regressor saved where a classifier is served, or the reverse), is
 * reported once and the old model kept until the next save.
 */
export class ModelReloader {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** The manifest's stat when it last matched the served model. */
  private seen = '';

  constructor(
    private readonly host: ModelHost,
    private readonly dir: string,
    private readonly intervalSeconds: number,
    private readonly report: (line: string) => void,
  ) {}

  start(): void {
    if (this.intervalSeconds <= 0) return;
    this.timer = setInterval(() => void this.poll(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** One look at the directory; rounds never overlap. Resolves when the model is swapped or kept. */
  poll(): Promise<void> {
    this.polling ??= this.look()
      .catch((err: unknown) => this.report(`reload failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  private async look(): Promise<void> {
    const generation = this.host.saveGeneration;
    // This server's own checkpoint is writing the directory: not a new model.
    if (this.host.saving) return;
    let key: string;
    try {
      const s = await stat(join(this.dir, MANIFEST_FILE));
      key = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      // Between a save's two renames there is no directory for a moment.
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
      throw err;
    }
    if (key === this.seen) return;
    const identity = await modelIdentity(this.dir);
    if (identity === null || this.host.saveGeneration !== generation) return;
    if (identity === this.host.identity) {
      this.seen = key;
      return;
    }
    let next;
    try {
      next = await recoverAnyModel(this.dir, { finishInterruptedSave: false });
    } catch (err) {
      // Loads retry a save that changes under them, so this save is bad: not tried again until the next one.
      this.report(`${this.dir}: a new model was saved but cannot be loaded; still serving the previous one: ${err instanceof Error ? err.message : String(err)}`);
      this.seen = key;
      return;
    }
    const refused = reloadRefusal(this.dir, this.host.model, next.model);
    if (refused) {
      // Reported once, as a save that cannot be loaded is: not tried again until the next save.
      next.model.dispose();
      this.report(refused);
      this.seen = key;
      return;
    }
    if (await this.host.swap(next, generation)) this.seen = key;
  }

  /** Stops polling and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }
}
