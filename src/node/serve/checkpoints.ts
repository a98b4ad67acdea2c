import type { ModelHost } from './host.js';

/**
 * When a learning server checkpoints: once `every` rows have been learned
 * since the last checkpoint, and every `intervalSeconds` when any have. A
 * checkpoint runs after the request that triggered it has been answered
 * (the learn log already makes that request durable) and never two at once.
 * A failed checkpoint is reported and tried again at the next trigger; the
 * learn log keeps every acknowledged row meanwhile.
 */
export class CheckpointScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly host: ModelHost,
    private readonly every: number,
    private readonly intervalSeconds: number,
    private readonly report: (line: string) => void,
  ) {}

  start(): void {
    if (this.intervalSeconds <= 0) return;
    this.timer = setInterval(() => void this.run(), this.intervalSeconds * 1000);
    // The server's socket keeps the process alive; this timer alone should not.
    this.timer.unref();
  }

  /** Called after each learn request. */
  learned(): void {
    if (this.host.updates.sinceCheckpoint >= this.every) void this.run();
  }

  /** Checkpoints now unless one is running; resolves when the running one ends. */
  run(): Promise<void> {
    this.running ??= this.host
      .checkpoint()
      .then(() => undefined)
      .catch((err: unknown) => this.report(`checkpoint failed (the learn log keeps every acknowledged row): ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Stops the timer and waits for a running checkpoint. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
