import { fail } from '../../core/errors.js';
import type { Schema } from '../../core/types.js';
import type { Params } from '../../learners/contract.js';
import type { TrainingSummary } from '../../learners/model.js';
import type { RegressionTrainingSummary } from '../../learners/regression-model.js';
import { readManifest, type AnyModel, type Manifest } from '../persist/model-dir.js';
import { RequestError } from './http-errors.js';
import { LearnLog, type RecordRow } from './learn-log.js';
import { ReadWriteLock } from './lock.js';
import { modelIdentity, saveCheckpoint } from './model-files.js';
import type { OnlineMonitor, ScoreDelta } from './monitor.js';
import type { ResolvedServeOptions } from './options.js';
import { exchangeModelDirs } from './promotion.js';
import { recoverAnyModel, type RecoveredModel } from './recover.js';
import { serveModel, type MonitorSettings, type ServedModel, type ServedPrediction } from './served-model.js';

/** Rows learned, as GET /model reports them. */
export interface UpdateCounts {
  /** Since this model was loaded (at start, or when a new save was reloaded), the replayed ones included. */
  readonly sinceLoad: number;
  /** Not yet in a checkpoint: on disk only in the learn log. */
  readonly sinceCheckpoint: number;
  /** Replayed from the learn log when the model was loaded. */
  readonly replayed: number;
}

/** What POST /learn answers. */
export interface LearnResult {
  readonly learned: number;
  /** Labels first seen in this request, now classes of the model (always empty for a regressor). */
  readonly newClasses: string[];
  readonly updatesSinceLoad: number;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** What GET /model answers: the manifest's facts, the live schema, and the online learning since the load. */
export interface ModelInfo {
  readonly learner: { readonly name: string; readonly params: Params; readonly seed: number };
  /** Live: classes and category lists grow as new ones are learned. A regressor's says `task: "regression"`. */
  readonly schema: Schema;
  readonly preprocessing: { readonly name: string; readonly params: Readonly<Record<string, number | string>> }[];
  /** The training run's summary, as saved; online learning does not change it. */
  readonly summary: TrainingSummary | RegressionTrainingSummary | null;
  readonly backend: string | null;
  /** When the save served (or last checkpointed) was written, and by what. */
  readonly savedAt: string;
  readonly createdBy: string;
  /** That save's identity: the SHA-256 of its manifest.json. */
  readonly identity: string;
  readonly loadedAt: string;
  readonly learning: boolean;
  readonly updates: UpdateCounts;
  readonly lastCheckpointAt: string | null;
}

/** The served model and the save it came from. */
interface Loaded {
  /** The model with its online monitor (how it has done on the live stream since it was loaded), which moves with it when one is promoted. */
  readonly served: ServedModel;
  readonly identity: string;
  readonly manifest: Manifest;
  readonly loadedAt: string;
}

/** A learn request applied to one model, not yet durable. */
export interface AppliedLearn {
  readonly result: LearnResult;
  /** What scoring the rows before learning them counted (all 0 with monitoring off). */
  readonly delta: ScoreDelta;
  /** Resolves once the request is in the model's learn log on disk. */
  durable(): Promise<void>;
}

/** Counts that only grow while the server runs, for Prometheus' counters: they stay with the directory, not the model. */
export interface HostTotals {
  readonly learned: number;
  readonly checkpoints: number;
  readonly reloads: number;
}

/**
 * Holds the served model and is the only way to it: predictions read under
 * a shared lock, learning, checkpoints and the swap to a reloaded model
 * write under an exclusive one (ReadWriteLock), so none sees a half-updated
 * model and a prediction in flight finishes on the model it started on.
 *
 * With learning on, every learn request is applied, appended to the learn
 * log in the model directory and flushed to disk before it is answered; a
 * checkpoint saves the model atomically (saveCheckpoint), which replaces the
 * directory and with it the log, and starts a new log. So at every instant
 * the directory's save plus its log hold every acknowledged update.
 */
export class ModelHost {
  private readonly lock = new ReadWriteLock();
  private log: LearnLog | null = null;
  private counts = { sinceLoad: 0, sinceCheckpoint: 0, replayed: 0 };
  /** Bumped when a checkpoint starts and when it ends: odd while this server writes the directory. */
  private saves = 0;
  private lastCheckpointAt: string | null = null;
  /** The other save a checkpoint last gave way to; undefined: none yet. */
  private refused: string | null | undefined = undefined;
  private totalCounts = { learned: 0, checkpoints: 0, reloads: 0 };
  private current!: Loaded;

  private constructor(
    private readonly options: ResolvedServeOptions,
    /** "champion", or the challenger's name. */
    readonly name: string,
    private readonly monitors: MonitorSettings | null,
  ) {}

  /**
   * Loads the directory `options.model` (finishing a cut-off save, replaying
   * the learn log) and, with learning on, opens the log. A classifier's or a
   * regressor's, served alike (see ServedModel); settings that cannot apply
   * to the model's task are refused with one line. `monitors` says how each
   * model loaded is scored online; null: no scoring.
   */
  static async open(options: ResolvedServeOptions, name = 'champion', monitors: MonitorSettings | null = null): Promise<ModelHost> {
    const recovered = await recoverAnyModel(options.model, { learnLogRecovery: options.learnLogRecovery });
    if (recovered.finishedSave) options.log(`${options.model}: finished a save cut off by a crash`);
    const host = new ModelHost(options, name, monitors);
    try {
      host.current = host.loaded(recovered);
    } catch (err) {
      recovered.model.dispose();
      throw err;
    }
    await host.adopt(recovered);
    return host;
  }

  private loaded(r: RecoveredModel<AnyModel>): Loaded {
    const served = serveModel(r.model, this.options.model, this.options.newClasses, this.monitors);
    return { served, identity: r.identity, manifest: r.manifest, loadedAt: new Date().toISOString() };
  }

  /** The counts and log for a freshly loaded model; call with the write lock held (or before serving). */
  private async adopt(r: RecoveredModel<AnyModel>): Promise<void> {
    const { rows } = r.replayed;
    this.counts = { sinceLoad: rows, sinceCheckpoint: rows, replayed: rows };
    if (r.replayed.stale) this.options.log(`${this.options.model}: ignored a learn log written for another save (of a model this save replaced)`);
    const aside = r.replayed.setAside;
    if (aside) {
      this.options.log(
        `${this.options.model}: learn log line ${aside.fromLine}: ${aside.reason}; set aside ${count(aside.lines, 'line')} (line ${aside.fromLine} and after, not replayed) to ${aside.path}`,
      );
    }
    if (rows > 0 || aside) this.options.log(`${this.options.model}: replayed ${count(r.replayed.requests, 'learn request')} (${count(rows, 'row')}) from the learn log`);
    if (!this.options.learn) return;
    // Replayed rows are in the old log only: a checkpoint makes them part of the save before that log is replaced.
    if (rows > 0) await this.checkpointLocked();
    else this.log = await this.startLog(r.identity);
  }

  /** The served model: a classifier's Model or a regressor's RegressionModel (its `task` says which). */
  get model(): AnyModel {
    return this.current.served.model;
  }

  /** The save the served model was loaded from, or last checkpointed to. */
  get identity(): string {
    return this.current.identity;
  }

  /** Changes whenever this server starts or ends writing its directory; see ModelReloader. */
  get saveGeneration(): number {
    return this.saves;
  }

  /** Whether this server is writing its directory. */
  get saving(): boolean {
    return this.saves % 2 === 1;
  }

  get updates(): UpdateCounts {
    return { ...this.counts };
  }

  get totals(): HostTotals {
    return { ...this.totalCounts };
  }

  /** The served model's online monitor; null with monitoring off. */
  get monitor(): OnlineMonitor | null {
    return this.current.served.monitor;
  }

  /** The directory served. */
  get dir(): string {
    return this.options.model;
  }

  /** When the save in the directory was written (the last checkpoint, or the training run's save). */
  get savedAt(): string {
    return this.current.manifest.savedAt;
  }

  /** Bytes in the learn log: rows acknowledged since the last checkpoint, replayed at a restart. */
  get learnLogBytes(): number {
    return this.log?.bytes ?? 0;
  }

  /** What GET /model answers. */
  describe(): ModelInfo {
    const { manifest, loadedAt, identity } = this.current;
    const model = this.current.served.model;
    return {
      learner: { name: model.learnerName, params: model.params, seed: model.seed },
      schema: model.schema,
      preprocessing: manifest.preprocessing.map((p) => ({ name: p.name, params: p.params ?? {} })),
      summary: model.summary,
      backend: model.backend,
      savedAt: manifest.savedAt,
      createdBy: manifest.createdBy,
      identity,
      loadedAt,
      learning: this.options.learn,
      updates: this.updates,
      lastCheckpointAt: this.lastCheckpointAt,
    };
  }

  /** One answer per row: a classifier's label and probabilities, or a regressor's `{prediction}`. */
  predict(records: readonly RecordRow[]): Promise<ServedPrediction[]> {
    return this.lock.read(() => this.current.served.predict(records));
  }

  /**
   * Learns the rows, then answers once they are in the learn log on disk.
   * A bad row fails the whole request before anything is learned. Rows that
   * were learned but whose log write failed (the request then fails) are in
   * the model in memory and in its next checkpoint.
   */
  async learn(records: readonly RecordRow[]): Promise<LearnResult> {
    const applied = await this.apply(records);
    // Outside the lock: predictions go on while the disk flushes, and concurrent requests share one flush.
    await applied.durable();
    return applied.result;
  }

  /**
   * learn() without waiting for the disk: the rows are learned and appended
   * to the log; durable() then waits for the flush. With a monitor, each
   * row is first predicted by the model as it stood before the request
   * (test-then-train), and scored once the request is learned.
   */
  apply(records: readonly RecordRow[]): Promise<AppliedLearn> {
    if (!this.options.learn) return Promise.reject(new RequestError(403, 'learning is off: start the server with --learn to accept POST /learn'));
    return this.lock.write(async () => {
      const log = await this.ensureLog();
      const { newClasses, delta } = await this.current.served.learn(records);
      this.counts.sinceLoad += records.length;
      this.counts.sinceCheckpoint += records.length;
      this.totalCounts.learned += records.length;
      const seq = log.append(records);
      return { result: { learned: records.length, newClasses, updatesSinceLoad: this.counts.sinceLoad }, delta, durable: () => log.durable(seq) };
    });
  }

  /**
   * The learn log, started again if a checkpoint or reload could not start
   * it (a full disk, say), so that no request is acknowledged without one.
   * Rows learned since the last checkpoint are in the old log only, so they
   * are saved before a new log replaces it. Call with the write lock held.
   */
  private async ensureLog(): Promise<LearnLog> {
    if (this.log) return this.log;
    const dir = this.options.model;
    if (this.counts.sinceCheckpoint > 0 && (await modelIdentity(dir)) === this.current.identity) {
      await this.checkpointLocked();
      if (this.log) return this.log;
      if (this.counts.sinceCheckpoint > 0) throw new Error(`${dir}: cannot start a learn log: the rows learned since the last checkpoint are not saved`);
    }
    this.log = await this.startLog(this.current.identity);
    return this.log;
  }

  /**
   * A new learn log for the save `identity`; a detached one when another
   * save has replaced it meanwhile (the reload drops what this model learns).
   * Any other failure is thrown: no request is acknowledged without a log.
   */
  private async startLog(identity: string): Promise<LearnLog> {
    const dir = this.options.model;
    if ((await modelIdentity(dir)) !== identity) return LearnLog.detached(dir);
    try {
      return await LearnLog.start(dir, identity);
    } catch (err) {
      if ((await modelIdentity(dir)) !== identity) return LearnLog.detached(dir);
      throw err;
    }
  }

  /**
   * Saves the model into its directory when rows were learned since the
   * last save. Refuses (returns false) when the directory no longer holds
   * the save this server last loaded or wrote: a training run has replaced
   * it, and the reloader will serve that model rather than overwrite it.
   */
  checkpoint(): Promise<boolean> {
    if (!this.options.learn) return Promise.resolve(false);
    return this.lock.write(() => this.checkpointLocked());
  }

  private async checkpointLocked(): Promise<boolean> {
    if (this.counts.sinceCheckpoint === 0) return false;
    const dir = this.options.model;
    if ((await modelIdentity(dir)) !== this.current.identity) return this.replaced();
    this.saves++;
    try {
      // Everything appended is on disk first, so the log is whole if the save fails.
      if (this.log) await this.log.durable(this.log.length);
      const saved = await saveCheckpoint(this.current.served.model, dir, this.current.identity);
      if (!saved) return this.replaced();
      // The save replaced the directory and the log in it (the file lives on, unlinked, until closed): its rows are in the save now.
      const rows = this.counts.sinceCheckpoint;
      this.counts.sinceCheckpoint = 0;
      this.lastCheckpointAt = new Date().toISOString();
      this.totalCounts.checkpoints++;
      this.current = { ...this.current, identity: saved.identity, manifest: saved.manifest };
      const old = this.log;
      this.log = null;
      await old?.close();
      // If this fails, the next learn request starts the log (ensureLog).
      this.log = await this.startLog(saved.identity);
      this.options.log(`${dir}: checkpoint saved (${count(rows, 'row')} learned since the last)`);
      return true;
    } finally {
      this.saves++;
    }
  }

  /** A checkpoint refused: another save replaced the directory (said once per save). */
  private async replaced(): Promise<false> {
    const theirs = await modelIdentity(this.options.model);
    if (theirs !== this.refused) this.options.log(`${this.options.model}: not checkpointing: another save replaced the model directory; it will be reloaded`);
    this.refused = theirs;
    return false;
  }

  /**
   * Serves a model reloaded from the directory in place of the current one,
   * unless this server wrote the directory since `generation` was read (its
   * own checkpoint, not a new model: look again). Predictions in flight
   * finish on the old model first; it is then disposed. With learning on,
   * the rows learned online on the old model are dropped: the directory now
   * holds the new one. A model of the other task (a regressor in place of a
   * classifier, or the reverse) is refused with one line, the old one kept:
   * clients, challengers and monitoring all expect the task served so far.
   */
  swap(next: RecoveredModel<AnyModel>, generation: number): Promise<boolean> {
    return this.lock.write(async () => {
      if (this.saves !== generation) {
        next.model.dispose();
        return false;
      }
      const refused = reloadRefusal(this.options.model, this.model, next.model);
      if (refused) {
        next.model.dispose();
        fail(refused);
      }
      let served: Loaded;
      try {
        served = this.loaded(next);
      } catch (err) {
        next.model.dispose();
        throw err;
      }
      const old = this.current;
      const dropped = this.options.learn ? this.counts.sinceLoad : 0;
      const oldLog = this.log;
      this.log = null;
      await oldLog?.close();
      this.current = served;
      this.totalCounts.reloads++;
      try {
        await this.adopt(next);
      } finally {
        old.served.model.dispose();
      }
      const dropNote = dropped > 0 ? `; ${count(dropped, 'row')} learned online by the previous model dropped` : '';
      this.options.log(`${this.options.model}: reloaded: ${next.model.learnerName} saved at ${next.manifest.savedAt}${dropNote}`);
      return true;
    });
  }

  /**
   * Swaps the models of two hosts, on disk and in memory (POST /promote):
   * afterwards each directory holds the other's model, saved whole (see
   * exchangeModelDirs: crash-safe, finished at the next start if cut off),
   * with a fresh learn log. Each model keeps what it learned and its online
   * monitor. Both hosts' write locks are held throughout, `a`'s first.
   */
  static exchange(a: ModelHost, b: ModelHost): Promise<void> {
    return a.lock.write(() =>
      b.lock.write(async () => {
        a.saves++;
        b.saves++;
        try {
          const [was, other] = [a.current, b.current];
          const saved = await exchangeModelDirs({ dir: a.dir, ours: was.identity, incoming: other.served.model }, { dir: b.dir, ours: other.identity, incoming: was.served.model });
          const now = new Date().toISOString();
          a.current = { ...other, identity: saved.a.identity, manifest: saved.a.manifest };
          b.current = { ...was, identity: saved.b.identity, manifest: saved.b.manifest };
          [a.counts, b.counts] = [
            { ...b.counts, sinceCheckpoint: 0 },
            { ...a.counts, sinceCheckpoint: 0 },
          ];
          for (const host of [a, b]) {
            host.lastCheckpointAt = now;
            host.refused = undefined;
            const old = host.log;
            host.log = null;
            // Its records are in the new saves; close() still flushes them for the requests awaiting durable().
            await old?.close();
            // If this fails, the next learn request starts the log (ensureLog).
            host.log = await host.startLog(host.current.identity).catch(() => null);
          }
        } finally {
          a.saves++;
          b.saves++;
        }
      }),
    );
  }

  /** Final checkpoint (with learning on) and closes the log; call once requests have stopped. */
  async close(): Promise<void> {
    await this.lock.write(async () => {
      try {
        if (this.options.learn) await this.checkpointLocked();
      } finally {
        const log = this.log;
        this.log = null;
        await log?.close();
      }
    });
  }
}

const taskName = (model: AnyModel): string => `a ${model.task === 'regression' ? 'regressor' : 'classifier'} (${model.learnerName})`;

/**
 * Why `other` cannot stand in for `served`, or null: it must be of the same
 * task, since a client's /predict answers and /learn labels, the monitor's
 * figures and every challenger are those of the task served.
 */
export function taskMismatch(served: AnyModel, other: AnyModel, servedAs = 'the model served'): string | null {
  return served.task === other.task ? null : `it is ${taskName(other)} and ${servedAs} is ${taskName(served)}`;
}

/** Why a new save in `dir` is not served in place of `served` (one line), or null: see ModelHost.swap. */
export function reloadRefusal(dir: string, served: AnyModel, next: AnyModel): string | null {
  const mismatch = taskMismatch(served, next);
  return mismatch && `${dir}: a new model was saved, but ${mismatch}; still serving the previous one: restart the server to serve a model of another task`;
}
