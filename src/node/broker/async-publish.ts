import { createInbox, headers, type Msg, type Subscription } from '@nats-io/transport-node';
import { StreamlearnError } from '../../core/errors.js';
import type { Broker, Reporter } from './connection.js';

/** What the server answers to a publication into a stream (JetStream's PubAck), or its error. */
interface PubAckReply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

interface Outstanding {
  readonly payload: string;
  readonly id: string;
  readonly rows: number;
  sentAt: number;
  attempts: number;
}

/** How AsyncPublisher paces itself. */
export interface AsyncPublisherOptions {
  /** Publications awaiting acknowledgement at most (default 8,192). */
  readonly window?: number;
  /** A publication not acknowledged after this long is sent again, under its id (default 10 s). */
  readonly ackTimeoutMs?: number;
  /** ... and the publisher gives up after this many attempts (default 10). */
  readonly maxAttempts?: number;
  readonly report?: Reporter;
  /** How messages name the stream. */
  readonly display: string;
}

/**
 * Publishes into a JetStream stream with every publication acknowledged by
 * the server, many in flight at once: each message goes out with its own
 * reply subject under one inbox subscription, and the server's PubAck comes
 * back there (what JetStream clients call asynchronous publishing). A
 * request per message, as the client's js.publish does, costs a timer and
 * two error objects each; this does the same work with a map entry.
 *
 * Every message carries a Nats-Msg-Id, so one sent again because its
 * acknowledgement did not come (a lost connection, a broker restart) is
 * stored once: the server drops the copy within its duplicate window.
 */
export class AsyncPublisher {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly timer: NodeJS.Timeout;
  private next = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly window: number;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  /** Rows and messages stored; publications the server had already (retries); the sequences taken. */
  rows = 0;
  messages = 0;
  duplicates = 0;
  resent = 0;
  first: number | null = null;
  last: number | null = null;

  constructor(
    private readonly broker: Broker,
    private readonly subject: string,
    private readonly options: AsyncPublisherOptions,
  ) {
    this.window = options.window ?? 8192;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.sub = broker.nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.fail(err) : this.onAck(msg)) });
    this.timer = setInterval(() => this.resendLate(), Math.min(1000, this.ackTimeoutMs));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private send(n: number, m: Outstanding): void {
    const h = headers();
    h.set('Nats-Msg-Id', m.id);
    m.sentAt = Date.now();
    m.attempts++;
    this.broker.nc.publish(this.subject, m.payload, { reply: `${this.inbox}.${n}`, headers: h });
  }

  private onAck(msg: Msg): void {
    const n = Number(msg.subject.slice(this.inbox.length + 1));
    const m = this.outstanding.get(n);
    if (!m) return; // the acknowledgement of a copy sent again: the first one counted already
    if (msg.headers?.code === 503) {
      this.fail(new StreamlearnError(`--to ${this.options.display}: no stream takes subject ${this.subject} (the server has no responder for it)`));
      return;
    }
    let reply: PubAckReply;
    try {
      reply = JSON.parse(new TextDecoder().decode(msg.data)) as PubAckReply;
    } catch {
      this.fail(new Error(`--to ${this.options.display}: the server's acknowledgement is not JSON`));
      return;
    }
    if (reply.error) {
      // 503: JetStream is (re)starting; the copy sent after the timeout will be stored.
      if (reply.error.code === 503) return;
      this.fail(new StreamlearnError(`--to ${this.options.display}: the server refused a message: ${reply.error.description ?? JSON.stringify(reply.error)}`));
      return;
    }
    this.outstanding.delete(n);
    this.messages++;
    this.rows += m.rows;
    if (reply.duplicate) this.duplicates++;
    else if (typeof reply.seq === 'number') {
      this.first = this.first === null ? reply.seq : Math.min(this.first, reply.seq);
      this.last = this.last === null ? reply.seq : Math.max(this.last, reply.seq);
    }
    if (this.outstanding.size <= this.window / 2 || this.outstanding.size === 0) this.wakeUp();
  }

  private resendLate(): void {
    if (this.broker.nc.isClosed()) return;
    const now = Date.now();
    let late = 0;
    for (const [n, m] of this.outstanding) {
      if (now - m.sentAt < this.ackTimeoutMs) continue;
      if (m.attempts >= this.maxAttempts) {
        this.fail(new StreamlearnError(`--to ${this.options.display}: a message was not acknowledged after ${m.attempts} attempts over ${Math.round((m.attempts * this.ackTimeoutMs) / 1000)} s; is the server up with JetStream?`));
        return;
      }
      this.send(n, m);
      late++;
    }
    if (late > 0) {
      this.resent += late;
      this.options.report?.(`${this.options.display}: ${late} publication${late === 1 ? '' : 's'} not acknowledged within ${this.ackTimeoutMs / 1000} s; sent again (stored once)`);
    }
  }

  private async waitFor(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Sends messages (each of `rows` rows, under its `id`), all at once: the
   * client writes what is published in one go to the socket at the next
   * microtask, so a burst costs one write, not one per message. Then waits
   * while the window is full.
   */
  async publish(messages: readonly { payload: string; id: string; rows: number }[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const { payload, id, rows } of messages) {
      const n = this.next++;
      const m: Outstanding = { payload, id, rows, sentAt: 0, attempts: 0 };
      this.outstanding.set(n, m);
      this.send(n, m);
    }
    if (this.outstanding.size >= this.window) await this.waitFor(() => this.outstanding.size < this.window);
  }

  /** Waits until every message is acknowledged (sending late ones again), then lets the inbox go. */
  async drain(): Promise<void> {
    try {
      await this.broker.nc.flush();
      await this.waitFor(() => this.outstanding.size === 0);
    } finally {
      this.close();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.sub.unsubscribe();
    this.wakeUp();
  }
}
