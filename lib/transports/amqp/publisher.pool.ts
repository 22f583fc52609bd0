import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  PublishBufferFullError,
  PublishNackedError,
  PublishTimeoutError,
  TopologyError,
  UnroutableMessageError,
} from '../../errors/index.js';
import type { ExchangeDefinition } from '../../topology/index.js';
import type { OutboundMessage } from '../transport.interface.js';
import type { AmqpConfirmChannelLike } from './amqp-connection.types.js';
import { toPublishOptions } from './amqp-message.mapper.js';
import { assertExchanges } from './amqp-topology.asserter.js';
import type { AmqpPublisherOptions } from './amqp-transport.options.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { ConfirmChannelSession, type ConfirmSessionEvents } from './confirm-channel.session.js';
import { missingExchangeName } from './error-message.util.js';
import { PublishBuffer } from './publish.buffer.js';
import { PublishRequest } from './publish.request.js';
import { publisherPicker, type PublisherPicker } from './publisher.strategy.js';

/** What a {@link PublisherPool} needs. */
export interface PublisherPoolOptions {
  readonly publisher: Required<AmqpPublisherOptions>;
  /** Declared on every publisher channel before it publishes, so a publish never races their creation. */
  readonly exchanges: readonly ExchangeDefinition[];
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
}

/** Counters for observability. */
export interface PublisherPoolStats {
  readonly buffered: number;
  readonly unconfirmed: number;
  readonly openChannels: number;
}

interface Slot {
  readonly supervisor: ChannelSupervisor<AmqpConfirmChannelLike>;
  session: ConfirmChannelSession | undefined;
}

/**
 * Publishes with confirms over a fixed set of supervised confirm channels, with bounded memory: at most
 * `maxUnconfirmedPerChannel` in flight per channel and at most `bufferSize` waiting for a channel.
 *
 * Delivery is at-least-once. When a channel dies before the broker confirmed a message, nobody can know
 * whether the broker routed it; it goes back to the front of the buffer and is sent again, so a message
 * confirmed after a reconnect may reach its queue twice. Consumers must tolerate duplicates (e.g. by
 * `messageId`, which stays the same across re-sends).
 */
export class PublisherPool {
  private readonly slots: Slot[];
  private readonly buffer: PublishBuffer<PublishRequest>;
  private readonly settings: Required<AmqpPublisherOptions>;
  private readonly idleWaiters = new Set<() => void>();
  private readonly pick: PublisherPicker;
  private nextSeq = 0;
  private outstanding = 0;
  private pumping = false;

  private readonly sessionEvents: ConfirmSessionEvents = {
    confirmed: (request, nacked, returnedWith) => {
      const { exchange, routingKey } = request.message;
      if (nacked) request.fail(new PublishNackedError(exchange, routingKey));
      else if (returnedWith !== undefined) request.fail(new UnroutableMessageError(exchange, routingKey, returnedWith));
      else request.succeed();
      this.pump();
    },
    died: (session, lost, closeError) => {
      for (const slot of this.slots) if (slot.session === session) slot.session = undefined;
      const unconfirmed = this.failPublishesToMissingExchange(lost, closeError);
      if (unconfirmed.length > 0) {
        this.logger.warn(
          `A publisher channel closed with ${unconfirmed.length} unconfirmed message(s); they will be sent again ` +
            '(at-least-once: consumers may see them twice)',
        );
        this.buffer.restore(unconfirmed);
      }
      // Deferred: when the connection drops, amqplib closes its channels one after another in the same
      // tick, and pumping now would hand these messages to a sibling channel that is about to die too.
      queueMicrotask(() => this.pump());
    },
    drained: () => this.pump(),
  };

  constructor(private readonly options: PublisherPoolOptions) {
    this.settings = options.publisher;
    this.pick = publisherPicker(this.settings.strategy, this.settings.maxUnconfirmedPerChannel);
    this.buffer = new PublishBuffer(this.settings.bufferSize);
    this.slots = Array.from({ length: this.settings.channels }, (_, index) => this.createSlot(index));
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  /** The channel supervisors, for the connection monitor to attach on every connection. */
  get supervisors(): readonly ChannelSupervisor<AmqpConfirmChannelLike>[] {
    return this.slots.map((slot) => slot.supervisor);
  }

  /** What is waiting, in flight, and open right now. */
  stats(): PublisherPoolStats {
    let unconfirmed = 0;
    let openChannels = 0;
    for (const { session } of this.slots) {
      if (session?.isAlive) {
        openChannels++;
        unconfirmed += session.load;
      }
    }
    return { buffered: this.buffer.size, unconfirmed, openChannels };
  }

  /**
   * Sends the message, or buffers it, and resolves on the broker's ack. Rejects with
   * `PublishNackedError` on a nack, `UnroutableMessageError` when the broker returned a mandatory
   * message, `PublishBufferFullError` at once when it would have to wait and the buffer is full,
   * `PublishTimeoutError` when `publishTimeoutMs` passes first, and `TopologyError` when its exchange
   * does not exist.
   */
  publish(message: OutboundMessage): Promise<void> {
    // A non-empty buffer means older messages are waiting: joining the queue behind them keeps order.
    const session = this.buffer.size === 0 ? this.pickSession() : undefined;
    if (!session && this.buffer.full) return Promise.reject(new PublishBufferFullError(this.buffer.limit));
    return new Promise<void>((resolve, reject) => {
      // Inside the executor so that a message with invalid properties rejects rather than throws.
      const options = toPublishOptions(message, message.properties.messageId ?? randomUUID());
      const request = new PublishRequest(
        this.nextSeq++,
        message,
        options,
        () => this.settled(resolve),
        (error) => this.settled(() => reject(error)),
      );
      this.outstanding++;
      request.startDeadline(this.settings.publishTimeoutMs, (expired) => this.expire(expired));
      if (session && this.dispatch(session, request)) return;
      this.buffer.push(request);
      this.pump();
    });
  }

  /**
   * Waits up to `timeoutMs` for every accepted publish to settle, then fails what is left with
   * `PublishTimeoutError` (it may or may not reach the broker). Channels stay open for {@link close}.
   */
  async settle(timeoutMs: number): Promise<void> {
    if (this.outstanding > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.add(resolve);
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.idleWaiters.clear();
    }
    for (const request of this.buffer.drain()) {
      request.fail(new PublishTimeoutError(timeoutMs, 'buffered'));
    }
    for (const slot of this.slots) {
      for (const request of slot.session?.abandon() ?? []) {
        request.fail(new PublishTimeoutError(timeoutMs, 'unconfirmed'));
      }
    }
  }

  /** Closes the publisher channels for good. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.supervisor.close()));
  }

  private createSlot(index: number): Slot {
    const slot: Slot = {
      session: undefined,
      supervisor: new ChannelSupervisor<AmqpConfirmChannelLike>({
        name: `publisher channel #${index + 1}`,
        open: (connection) => connection.createConfirmChannel(),
        setup: (channel) => assertExchanges(channel, this.options.exchanges),
        backoff: this.options.backoff,
        logger: this.logger,
        onUp: (channel) => {
          slot.session = new ConfirmChannelSession(channel, this.sessionEvents);
          this.pump();
        },
      }),
    };
    return slot;
  }

  /** Sends buffered messages, oldest first, while some channel can take them. */
  private pump(): void {
    // A send never calls back synchronously in amqplib, but a re-entrant pump would break FIFO order.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.buffer.size > 0) {
        // Picked only when there is something to send: round-robin advances on every pick.
        const session = this.pickSession();
        if (!session) break;
        const request = this.buffer.shift();
        if (request && !this.dispatch(session, request)) this.buffer.restore([request]);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Sends on `session`; false when the channel is closing and the request must wait for another. */
  private dispatch(session: ConfirmChannelSession, request: PublishRequest): boolean {
    const outcome = session.send(request);
    if (outcome instanceof Error) request.fail(outcome);
    return outcome !== 'closing';
  }

  private pickSession(): ConfirmChannelSession | undefined {
    return this.pick(this.slots.map((slot) => slot.session));
  }

  /**
   * A publish to an exchange that does not exist makes the broker close the channel (404). Sending it
   * again would only close the next channel too, taking the messages sharing it along, so the publishes
   * to that exchange fail here; the others are returned for re-sending.
   */
  private failPublishesToMissingExchange(lost: PublishRequest[], closeError: Error | undefined): PublishRequest[] {
    const missing = missingExchangeName(closeError);
    if (missing === undefined) return lost;
    const resend: PublishRequest[] = [];
    for (const request of lost) {
      if (request.message.exchange !== missing) resend.push(request);
      else {
        const reason = `Cannot publish to exchange "${missing}": it does not exist`;
        request.fail(new TopologyError(reason, { cause: closeError }));
      }
    }
    return resend;
  }

  private expire(request: PublishRequest): void {
    const phase = request.phase;
    if (phase === 'settled') return;
    if (phase === 'buffered') this.buffer.remove(request);
    else request.flight?.forget(request);
    request.fail(new PublishTimeoutError(this.settings.publishTimeoutMs, phase));
    // Forgetting an unconfirmed message frees room under its channel's limit.
    this.pump();
  }

  private settled(settle: () => void): void {
    this.outstanding--;
    settle();
    if (this.outstanding === 0) {
      for (const resolve of this.idleWaiters) resolve();
      this.idleWaiters.clear();
    }
  }
}
