/**
 * A readers-writer lock for the served model. Predictions are readers and may
 * overlap (an async learner such as the mlp awaits inside predictProba);
 * learning, checkpointing and swapping in a reloaded model are writers and
 * run alone, so no request ever sees a half-updated model. Waiters are served
 * in arrival order and a waiting writer holds back readers that come after
 * it, so a stream of predictions cannot starve /learn.
 */
export class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly queue: { write: boolean; grant: () => void }[] = [];

  /** Runs `task` while no writer holds the lock. */
  async read<T>(task: () => Promise<T> | T): Promise<T> {
    await this.acquire(false);
    try {
      return await task();
    } finally {
      this.readers--;
      this.next();
    }
  }

  /** Runs `task` alone: no reader and no other writer at the same time. */
  async write<T>(task: () => Promise<T> | T): Promise<T> {
    await this.acquire(true);
    try {
      return await task();
    } finally {
      this.writing = false;
      this.next();
    }
  }

  private acquire(write: boolean): Promise<void> {
    if (this.queue.length === 0 && !this.writing && (!write || this.readers === 0)) {
      this.take(write);
      return Promise.resolve();
    }
    return new Promise((grant) => this.queue.push({ write, grant }));
  }

  private take(write: boolean): void {
    if (write) this.writing = true;
    else this.readers++;
  }

  /** Grants the lock to the waiters at the head of the queue that may now have it. */
  private next(): void {
    while (this.queue.length > 0 && !this.writing) {
      const head = this.queue[0];
      if (head.write && this.readers > 0) return;
      this.queue.shift();
      this.take(head.write);
      head.grant();
      if (head.write) return;
    }
  }
}
