import type { Logger } from '@nestjs/common';
import { TransportStateError } from '../../errors/index.js';
import type { AmqpChannelLike, AmqpConnectionLike } from './amqp-connection.types.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { errorMessage } from './error-message.util.js';

/** What a {@link ChannelSupervisor} opens, how it prepares each channel, and whom it tells. */
export interface ChannelSupervisorOptions<C extends AmqpChannelLike> {
  /** Names the channel in logs, e.g. `publisher #1` or `consumer "billing" on orders.q`. */
  readonly name: string;
  readonly open: (connection: AmqpConnectionLike) => Promise<C>;
  /** Runs on every fresh channel before it is handed out; a rejection closes it and retries later. */
  readonly setup: (channel: C) => Promise<void>;
  /**
   * Longest wait for the broker's close-ok when closing a channel; a broker that stops answering must
   * not hang the transport's shutdown. The channel is then left to the connection's close.
   */
  readonly closeTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  /** A channel finished setup and is now {@link ChannelSupervisor.channel}. */
  readonly onUp?: (channel: C) => void;
  /** The current channel closed, for whatever reason. */
  readonly onDown?: (channel: C) => void;
}

interface Waiter<C> {
  readonly resolve: (channel: C) => void;
  readonly reject: (error: unknown) => void;
  readonly isFatal: (error: unknown) => boolean;
}

/**
 * Keeps one channel open for as long as the connection is up. On every connection it opens a channel and
 * runs the setup; when that channel dies while the connection survives (a channel-level error from the
 * broker), it reopens it after a backoff and runs the setup again. A channel that dies with its
 * connection is not reopened here: the next {@link attach} does that. Closing is explicit and final.
 *
 * Each connection gets a new generation number; every asynchronous step checks it, so work started for
 * a connection that is gone, or after `close()`, is abandoned instead of racing the new one.
 */
export class ChannelSupervisor<C extends AmqpChannelLike> {
  private connection: AmqpConnectionLike | undefined;
  private current: C | undefined;
  private generation = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private recovering = true;
  private closed = false;
  /** Every channel opened and not yet seen closing, with a promise of its `close` event. */
  private readonly openChannels = new Map<C, Promise<void>>();
  private readonly waiters = new Set<Waiter<C>>();

  constructor(private readonly options: ChannelSupervisorOptions<C>) {}

  /** The open, set-up channel, or `undefined` while there is none. */
  get channel(): C | undefined {
    return this.current;
  }

  /** Opens (and keeps open) a channel on a fresh connection. */
  attach(connection: AmqpConnectionLike): void {
    if (this.closed || !this.recovering) return;
    this.connection = connection;
    this.generation++;
    this.clearRetry();
    this.attempt = 0;
    void this.openChannel(this.generation);
  }

  /** The connection is gone; its channels close by themselves and nothing is reopened until `attach`. */
  detach(): void {
    this.connection = undefined;
    this.generation++;
    this.clearRetry();
  }

  /** Keeps the current channel but never opens another one (used once a consumer is cancelled). */
  stopRecovery(): void {
    this.recovering = false;
    this.clearRetry();
  }

  /**
   * Resolves with the channel once one is up; rejects when a setup fails with an error `isFatal`
   * accepts (other failures are retried and waited out), or when the supervisor closes.
   */
  waitUntilUp(isFatal: (error: unknown) => boolean): Promise<C> {
    if (this.current) return Promise.resolve(this.current);
    if (this.closed) {
      return Promise.reject(new TransportStateError(`${this.options.name}: channel supervisor is closed`));
    }
    return new Promise<C>((resolve, reject) => {
      this.waiters.add({ resolve, reject, isFatal });
    });
  }

  /**
   * Closes the current channel so that a fresh one replaces it, as after any close of a ready channel
   * (reopened after the backoff). The new one is opened only once the old one has closed: whatever
   * amqplib still holds on it is released first. A close the broker never confirms is logged after
   * `closeTimeoutMs` and left to the connection.
   */
  recycle(): void {
    const channel = this.current;
    const closedEvent = channel && this.openChannels.get(channel);
    if (this.closed || !channel || !closedEvent) return;
    void this.closeBounded(channel, closedEvent);
  }

  /** Closes the channel (waiting for the broker's close-ok, or the connection's end) and stops for good. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    this.clearRetry();
    for (const waiter of this.waiters) {
      waiter.reject(new TransportStateError(`${this.options.name}: channel supervisor closed`));
    }
    this.waiters.clear();
    const closing = [...this.openChannels].map(([channel, closedEvent]) => this.closeBounded(channel, closedEvent));
    await Promise.all(closing);
  }

  private async openChannel(generation: number): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    let channel: C;
    try {
      channel = await this.options.open(connection);
    } catch (error) {
      this.retry(generation, `could not open channel: ${errorMessage(error)}`);
      return;
    }
    const state = { ready: false, closed: false };
    let closedEvent!: () => void;
    this.openChannels.set(channel, new Promise<void>((resolve) => (closedEvent = resolve)));
    // amqplib emits 'error' before 'close' on a broker-side close; without a listener EventEmitter would throw.
    channel.on('error', (error) => this.options.logger.warn(`${this.options.name}: channel error: ${error.message}`));
    channel.on('close', () => {
      state.closed = true;
      this.openChannels.delete(channel);
      closedEvent();
      this.onChannelClosed(channel, generation, state.ready);
    });
    if (generation !== this.generation) {
      // Opened for a connection that is gone, or after close(): let it go.
      void closeQuietly(channel, this.openChannels.get(channel));
      return;
    }

    try {
      await this.options.setup(channel);
    } catch (error) {
      if (generation !== this.generation) return;
      for (const waiter of this.waiters) {
        if (waiter.isFatal(error)) {
          this.waiters.delete(waiter);
          waiter.reject(error);
        }
      }
      if (!state.closed) void closeQuietly(channel, this.openChannels.get(channel));
      this.retry(generation, `channel setup failed: ${errorMessage(error)}`);
      return;
    }
    if (generation !== this.generation) {
      void closeQuietly(channel, this.openChannels.get(channel));
      return;
    }
    if (state.closed) {
      this.retry(generation, 'channel closed during setup');
      return;
    }
    state.ready = true;
    this.current = channel;
    if (this.attempt > 0) this.options.logger.log(`${this.options.name}: channel reopened`);
    this.attempt = 0;
    this.options.onUp?.(channel);
    for (const waiter of this.waiters) waiter.resolve(channel);
    this.waiters.clear();
  }

  private onChannelClosed(channel: C, generation: number, wasReady: boolean): void {
    if (this.current === channel) {
      this.current = undefined;
      this.options.onDown?.(channel);
    }
    // A channel that dies during setup is retried by the setup path, not here.
    if (wasReady) this.retry(generation, 'channel closed');
  }

  private retry(generation: number, reason: string): void {
    if (this.closed || !this.recovering || generation !== this.generation || !this.connection) return;
    this.clearRetry();
    const attempt = ++this.attempt;
    const delayMs = this.options.backoff(attempt - 1);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (generation !== this.generation || this.closed) return;
      // Logged only now: when the whole connection dropped, detach() cancels this timer first, and the
      // connection-level log already tells that story.
      this.options.logger.warn(`${this.options.name}: ${reason}; reopening the channel (attempt ${attempt})`);
      void this.openChannel(generation);
    }, delayMs);
  }

  private async closeBounded(channel: C, closedEvent: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.options.closeTimeoutMs);
    });
    const timedOut = await Promise.race([closeQuietly(channel, closedEvent).then(() => false), gaveUp]);
    clearTimeout(timer);
    if (timedOut) {
      this.options.logger.warn(
        `${this.options.name}: the broker did not confirm the channel close within ${this.options.closeTimeoutMs} ms; ` +
          'leaving it to the connection close',
      );
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/**
 * Closes a channel without ever hanging: amqplib's `close()` waits for the broker's close-ok, which never
 * comes if the connection dies meanwhile, so the channel's own `close` event also ends the wait.
 */
async function closeQuietly(channel: AmqpChannelLike, closedEvent: Promise<void> | undefined): Promise<void> {
  let closing: Promise<void>;
  try {
    closing = channel.close().catch(() => undefined);
  } catch {
    return;
  }
  await Promise.race(closedEvent ? [closing, closedEvent] : [closing]);
}
