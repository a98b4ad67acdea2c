import { basename, resolve } from 'node:path';
import { fail, StreamlearnError } from '../../core/errors.js';
import { createDetector } from '../../drift/registry.js';
import { ModelHost, taskMismatch, type LearnResult } from './host.js';
import { RequestError } from './http-errors.js';
import type { RecordRow } from './learn-log.js';
import { ReadWriteLock } from './lock.js';
import type { ScoreDelta } from './monitor.js';
import type { ResolvedServeOptions } from './options.js';
import { finishPromotion } from './promotion.js';
import type { MonitorSettings, ServedPrediction } from './served-model.js';

/** The name the served model goes by in /stats, /metrics and the dashboard. */
export const CHAMPION = 'champion';

/** Counts per model that only grow (Prometheus counters), by the model's name. */
export interface FleetCounts {
  /** Rows scored before they were learned, and of those the right ones (a classifier's). */
  readonly scored: number;
  readonly correct: number;
  /** A regressor's sums of |target − prediction| and of its square over the rows scored: MAE and RMSE over any range. */
  readonly absoluteError: number;
  readonly squaredError: number;
  readonly driftAlarms: number;
  /** Learn requests a challenger refused that the champion learned (the challenger skipped them). */
  readonly skippedRequests: number;
}

/** What POST /promote answers. */
export interface PromotionResult {
  /** The model now answering /predict: the promoted challenger's. */
  readonly champion: { readonly learner: string; readonly identity: string };
  /** The former champion, now the challenger of that name. */
  readonly challenger: { readonly name: string; readonly learner: string; readonly identity: string };
}

type Counts = { -readonly [K in keyof FleetCounts]: FleetCounts[K] };
const zero = (): Counts => ({ scored: 0, correct: 0, absoluteError: 0, squaredError: 0, driftAlarms: 0, skippedRequests: 0 });

/** A challenger's name: its directory's last component, checked to be a name the routes and labels can carry. */
function challengerName(dir: string): string {
  const name = basename(resolve(dir));
  if (name === CHAMPION) fail(`--challenger ${dir}: "${CHAMPION}" names the served model; rename the directory`);
  return name;
}

/**
 * The champion (the served model, --model) and its challengers
 * (--challenger): every labelled row of POST /learn goes to each in turn,
 * in the same order for all (one mutex orders the requests), each
 * predicting it first when monitoring is on; only the champion answers
 * /predict. A request the champion refuses is refused (400) and no
 * challenger sees it; one the champion learns but a challenger refuses (a
 * class it may not add, say) is skipped by that challenger, counted and
 * logged, and still acknowledged: the champion's answer is the server's.
 * Each model keeps its own directory, learn log and checkpoints, so each
 * directory alone recovers its model after a crash.
 */
export class ModelFleet {
  private readonly order = new ReadWriteLock();
  private readonly counts = new Map<string, ReturnType<typeof zero>>();
  private predictedRows = 0;
  private promotionCount = 0;

  private constructor(
    private readonly options: ResolvedServeOptions,
    readonly champion: ModelHost,
    readonly challengers: readonly ModelHost[],
  ) {
    for (const h of [champion, ...challengers]) this.counts.set(h.name, zero());
  }

  /**
   * Loads the champion and the challengers (a promotion cut off by a crash
   * finished first). Fails with one line when a challenger is named twice,
   * is the champion's directory, is of the other task (a regressor beside a
   * classifier), or takes other features or another label.
   */
  static async open(options: ResolvedServeOptions): Promise<ModelFleet> {
    const monitors = options.metrics ? monitorSettings(options) : null;
    if (await finishPromotion(options.model)) options.log(`${options.model}: finished a promotion cut off by a crash`);
    const names = new Map<string, string>();
    for (const dir of options.challengers) {
      const name = challengerName(dir);
      if (resolve(dir) === resolve(options.model)) fail(`--challenger ${dir}: the served model's directory (--model) cannot be its own challenger`);
      const before = names.get(name);
      if (before !== undefined) fail(`--challenger ${dir}: a second challenger named "${name}" (also ${before}); challengers are named by their directory, so give them different names`);
      names.set(name, dir);
    }
    const champion = await ModelHost.open(options, CHAMPION, monitors);
    const challengers: ModelHost[] = [];
    try {
      for (const [name, dir] of names) {
        const host = await ModelHost.open({ ...options, model: dir }, name, monitors);
        challengers.push(host);
        const mismatch = schemaMismatch(champion, host);
        if (mismatch) fail(`--challenger ${dir}: ${mismatch}; a challenger must learn the rows the champion learns`);
      }
    } catch (err) {
      for (const h of [champion, ...challengers]) await h.close().catch(() => undefined);
      throw err;
    }
    return new ModelFleet(options, champion, challengers);
  }

  /** The champion first, then the challengers in the order given. */
  get all(): readonly ModelHost[] {
    return [this.champion, ...this.challengers];
  }

  countsOf(name: string): FleetCounts {
    return { ...(this.counts.get(name) ?? zero()) };
  }

  /** Rows answered by POST /predict. */
  get predicted(): number {
    return this.predictedRows;
  }

  get promotions(): number {
    return this.promotionCount;
  }

  async predict(records: readonly RecordRow[]): Promise<ServedPrediction[]> {
    const out = await this.champion.predict(records);
    this.predictedRows += records.length;
    return out;
  }

  /**
   * Learns a request on the champion, then on each challenger, and answers
   * once every model's learn log has it on disk. A challenger's failure to
   * learn or to log is reported, never the client's: the champion learned.
   */
  async learn(records: readonly RecordRow[]): Promise<LearnResult> {
    const { result, waits } = await this.order.write(async () => {
      const first = await this.champion.apply(records);
      this.count(this.champion.name, first.delta);
      const pending = [first.durable()];
      for (const c of this.challengers) {
        try {
          const applied = await c.apply(records);
          this.count(c.name, applied.delta);
          pending.push(applied.durable().catch((err: unknown) => this.options.log(`challenger ${c.name}: its learn log could not be flushed: ${message(err)}`, 'error')));
        } catch (err) {
          this.counts.get(c.name)!.skippedRequests++;
          const refused = err instanceof StreamlearnError || err instanceof RequestError;
          this.options.log(`challenger ${c.name}: ${refused ? 'skipped a learn request it refuses' : 'failed on a learn request'} (${records.length} rows): ${message(err)}`, refused ? 'warn' : 'error');
        }
      }
      // Started here, awaited outside the order: later requests go on while the disk flushes, and share the flush.
      return { result: first.result, waits: pending };
    });
    await Promise.all(waits);
    return result;
  }

  private count(name: string, delta: ScoreDelta): void {
    const c = this.counts.get(name)!;
    c.scored += delta.scored;
    c.correct += delta.correct;
    c.absoluteError += delta.absoluteError;
    c.squaredError += delta.squaredError;
    c.driftAlarms += delta.alarms;
    if (delta.alarms > 0) {
      const host = this.all.find((h) => h.name === name);
      const rows = host?.monitor?.stats().drift.rows ?? [];
      this.options.log(`${name}: drift detected by ${this.options.drift} at row ${rows[rows.length - 1] ?? '?'} of its online stream`, 'warn');
    }
  }

  /**
   * Makes the challenger `name` the champion and the champion that
   * challenger (ModelHost.exchange): no learn request runs meanwhile, so
   * both have learned exactly the same rows before and after. Answered once
   * both directories hold their new model on disk.
   */
  async promote(name: unknown): Promise<PromotionResult> {
    if (this.challengers.length === 0) throw new RequestError(409, 'no challengers to promote: start the server with --challenger DIR (and --learn)');
    const names = this.challengers.map((c) => c.name);
    if (typeof name !== 'string') throw new RequestError(400, `body: expected {"challenger": NAME}, NAME one of: ${names.join(', ')}`);
    const challenger = this.challengers.find((c) => c.name === name);
    if (!challenger) throw new RequestError(404, `no challenger named ${JSON.stringify(name.slice(0, 80))} (challengers: ${names.join(', ')})`);
    return this.order.write(async () => {
      const mismatch = schemaMismatch(challenger, this.champion);
      if (mismatch) throw new RequestError(409, `challenger ${name}: ${mismatch}; not promoting`);
      await ModelHost.exchange(this.champion, challenger);
      this.promotionCount++;
      const [now, then] = [this.champion.describe(), challenger.describe()];
      this.options.log(`promoted challenger ${name} (${now.learner.name}) to champion; the former champion (${then.learner.name}) is now challenger ${name}`);
      return {
        champion: { learner: now.learner.name, identity: now.identity },
        challenger: { name, learner: then.learner.name, identity: then.identity },
      };
    });
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const h of this.all) await h.close().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw errors[0];
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Why `challenger` cannot learn the rows `champion` learns, or null: the same task, the same label and the same features (in any order). */
function schemaMismatch(champion: ModelHost, challenger: ModelHost): string | null {
  const task = taskMismatch(champion.model, challenger.model, 'the champion');
  if (task) return task;
  const a = champion.model.schema;
  const b = challenger.model.schema;
  if (a.label !== b.label) return `its label is "${b.label}", the champion's "${a.label}"`;
  const same = a.features.length === b.features.length && b.features.every((f) => a.features.includes(f));
  if (!same) return `its features (${b.features.join(', ')}) are not the champion's (${a.features.join(', ')})`;
  return null;
}

/** How each model loaded is monitored: its own drift detector, whose name and parameters are checked once, here. */
function monitorSettings(options: ResolvedServeOptions): MonitorSettings {
  const { drift, driftParams } = options;
  if (drift !== null) createDetector(drift, driftParams);
  return { window: options.window, drift, detector: () => (drift === null ? null : createDetector(drift, driftParams)) };
}
