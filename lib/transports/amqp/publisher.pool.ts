import type { Logger } from '@nestjs/common';
import type { TransportEvents } from '../transport.events.js';
import { randomUUID } from 'node:crypto';
import {
  PublishBufferFullError,
  PublishNackedError,
  PublishTimeoutError,
  UnroutableMessageError,
} from '../../errors/index.js';
import type { ExchangeDefinition } from '../../topology/index.js';
import type { OutboundMessage } from '../transport.interface.js';
import type { ConnectionAttachable } from './amqp-connection.monitor.js';
import { toPublishOptions } from './amqp-message.mapper.js';
import type { AmqpPublisherOptions } from './amqp-transport.options.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ConfirmChannelSession, type ConfirmSessionEvents } from './confirm-channel.session.js';
import { missingExchangeName } from './error-message.util.js';
import { ExchangeProbe } from './exchange.probe.js';
import { OrderingKeyRouter, orderingKeyOf } from './ordering-key.router.js';
import { PUBLISH_ID_HEADER, PublishRequest } from './publish.request.js';
import {
  createPublisherSlot,
  failEverything,
  failWaitingFor,
  missingExchangeError,
  slotCandidates,
  totalWaiting,
  type PublisherSlot,
} from './publisher.slot.js';
import { slotPicker, type SlotPicker } from './publisher.strategy.js';
import type { TopologyGate } from './topology.gate.js';

/** What a {@link PublisherPool} needs. */
export interface PublisherPoolOptions {
  readonly publisher: Required<AmqpPublisherOptions>;
  /** Declared on every publisher channel before it publishes, so a publish never races their creation. */
  readonly exchanges: readonly ExchangeDefinition[];
  /** Publisher channels wait for it on every connection: the topology must be asserted before publishing. */
  readonly topologyGate: TopologyGate;
  /** Bound on the broker's answers the pool waits for outside a publish (exchange probes, channel close). */
  readonly brokerTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  /** Where buffer pressure is reported (`buffer.high-water`, `buffer.full`). */
  readonly events?: TransportEvents;
}

/** Counters for observability. */
export interface PublisherPoolStats {
  readonly buffered: number;
  readonly unconfirmed: number;
  readonly openChannels: number;
}

/**
 * Publishes with confirms over a fixed set of supervised confirm channels ("slots"), with bounded
 * memory: at most `maxUnconfirmedPerChannel` in flight per channel and at most `bufferSize` waiting.
 *
 * Order: every message has an ordering key (`OutboundMessage.orderingKey`, by default exchange + routing
 * key), and all messages of a key outstanding at once go out on one slot, in publish order (see
 * {@link OrderingKeyRouter}); the `strategy` only chooses the slot of a key that has nothing outstanding.
 * When that slot's channel is down, the key's messages wait for it to come back (they do not move to
 * another channel, which could overtake the ones already sent). Each slot has its own FIFO, so a waiting
 * key never holds back keys of other slots, and a later message never overtakes an earlier one of its key.
 *
 * Delivery is at-least-once. When a channel dies before the broker confirmed a message, nobody can know
 * whether the broker routed it; it goes back to the front of its slot's queue and is sent again, so a
 * message confirmed after a reconnect may reach its queue twice. Consumers must tolerate duplicates (e.g.
 * by `messageId`, which stays the same across re-sends).
 */
export class PublisherPool {
  private readonly slots: PublisherSlot[];
  private readonly settings: Required<AmqpPublisherOptions>;
  private readonly idleWaiters = new Set<() => void>();
  private readonly pick: SlotPicker;
  private readonly router = new OrderingKeyRouter<PublisherSlot>();
  private readonly probe: ExchangeProbe;
  /** Prefix of this pool's publish ids, so they do not repeat across transports or restarts. */
  private readonly poolId = randomUUID().slice(0, 8);
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
        // A session only ever carries its own slot's keys, so they all go back to that slot's queue.
        for (const request of unconfirmed) this.slots[request.slot]?.queue.restore([request]);
      }
      // Deferred: when the connection drops, amqplib closes its channels one after another in the same
      // tick; there is nothing to gain from pumping before the last of them is known to be dead.
      queueMicrotask(() => this.pump());
    },
    drained: () => this.pump(),
  };

  constructor(private readonly options: PublisherPoolOptions) {
    this.settings = options.publisher;
    this.pick = slotPicker(this.settings.strategy);
    this.probe = new ExchangeProbe({
      declared: options.exchanges.map((exchange) => exchange.name),
      timeoutMs: options.brokerTimeoutMs,
      retryDelayMs: options.backoff(0),
      logger: options.logger,
      answered: (exchange, exists) => this.onProbeAnswer(exchange, exists),
    });
    this.slots = Array.from({ length: this.settings.channels }, (_, index) =>
      createPublisherSlot(index, {
        ...options,
        bufferSize: this.settings.bufferSize,
        onUp: (slot, channel) => {
          slot.session = new ConfirmChannelSession(channel, this.sessionEvents);
          this.pump();
        },
      }),
    );
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  /** What the connection monitor attaches on every connection: the exchange probe and the channel supervisors. */
  get attachables(): readonly ConnectionAttachable[] {
    return [this.probe, ...this.slots.map((slot) => slot.supervisor)];
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
    return { buffered: totalWaiting(this.slots), unconfirmed, openChannels };
  }

  /**
   * Sends the message, or buffers it, and resolves on the broker's ack. Rejects with
   * `PublishNackedError` on a nack, `UnroutableMessageError` when the broker returned a mandatory
   * message, `PublishBufferFullError` at once when it would have to wait and the buffer is full,
   * `PublishTimeoutError` when `publishTimeoutMs` passes first, and `TopologyError` when its exchange
   * does not exist.
   */
  publish(message: OutboundMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Inside the executor so that a message with invalid properties rejects rather than throws.
      const options = toPublishOptions(message, message.properties.messageId ?? randomUUID());
      const seq = this.nextSeq++;
      options.headers = { ...options.headers, [PUBLISH_ID_HEADER]: `${this.poolId}.${seq}` };
      const key = orderingKeyOf(message);
      const slot = this.router.acquire(key, () => this.pickSlot());
      const session = slot.session;
      // Older messages waiting in the slot may share this key: joining the queue behind them keeps order.
      const sendNow =
        slot.queue.size === 0 && session?.canSend(this.settings.maxUnconfirmedPerChannel) && this.probe.isReady(message.exchange);
      const waiting = sendNow ? 0 : totalWaiting(this.slots);
      if (!sendNow && waiting >= this.settings.bufferSize) {
        this.router.release(key);
        this.options.events?.emit('buffer.full', { limit: this.settings.bufferSize });
        reject(new PublishBufferFullError(this.settings.bufferSize));
        return;
      }
      // Once per crossing: the buffer reaching half its limit is the early warning of a full one.
      if (waiting + 1 === Math.ceil(this.settings.bufferSize / 2)) this.options.events?.emit('buffer.high-water', { buffered: waiting + 1, limit: this.settings.bufferSize });
      const request = new PublishRequest(
        seq,
        message,
        options,
        key,
        slot.index,
        () => this.settled(key, resolve),
        (error) => this.settled(key, () => reject(error)),
      );
      this.outstanding++;
      request.startDeadline(this.settings.publishTimeoutMs, (expired) => this.expire(expired));
      if (sendNow && session && this.dispatch(session, request)) return;
      slot.queue.push(request);
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
    failEverything(this.slots, timeoutMs);
  }

  /** Closes the publisher channels for good. */
  async close(): Promise<void> {
    this.probe.close();
    await Promise.all(this.slots.map((slot) => slot.supervisor.close()));
  }

  private pickSlot(): PublisherSlot {
    return this.slots[this.pick(slotCandidates(this.slots))] ?? (this.slots[0] as PublisherSlot);
  }

  /** Sends waiting messages, oldest first per slot, while their channels can take them. */
  private pump(): void {
    // A send never calls back synchronously in amqplib, but a re-entrant pump would break FIFO order.
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (const slot of this.slots) this.pumpPublisherSlot(slot);
    } finally {
      this.pumping = false;
    }
  }

  private pumpPublisherSlot(slot: PublisherSlot): void {
    for (let request = slot.queue.peek(); request; request = slot.queue.peek()) {
      const session = slot.session;
      if (!session?.canSend(this.settings.maxUnconfirmedPerChannel)) return;
      // The head waits for its exchange probe and holds back the slot's later messages, which may share
      // its ordering key (a key can span exchanges). Probes are rare: once per exchange and connection.
      if (!this.probe.isReady(request.message.exchange)) return;
      slot.queue.shift();
      if (!this.dispatch(session, request)) {
        slot.queue.restore([request]);
        return;
      }
    }
  }

  /** Sends on `session`; false when the channel is closing and the request must wait for the next one. */
  private dispatch(session: ConfirmChannelSession, request: PublishRequest): boolean {
    const outcome = session.send(request);
    if (outcome instanceof Error) request.fail(outcome);
    return outcome !== 'closing';
  }

  private onProbeAnswer(exchange: string, exists: boolean | undefined): void {
    if (exists === false) failWaitingFor(this.slots, exchange, missingExchangeError(exchange));
    this.pump();
  }

  /**
   * Fallback for an exchange deleted after its probe: the broker closes the channel of a publish to it
   * (404). Sending it again would only close the next channel too, so the publishes to that exchange
   * fail here; the others are returned for re-sending.
   */
  private failPublishesToMissingExchange(lost: PublishRequest[], closeError: Error | undefined): PublishRequest[] {
    const missing = missingExchangeName(closeError);
    if (missing === undefined) return lost;
    this.probe.forget(missing);
    const resend: PublishRequest[] = [];
    for (const request of lost) {
      if (request.message.exchange !== missing) resend.push(request);
      else request.fail(missingExchangeError(missing, closeError));
    }
    return resend;
  }

  private expire(request: PublishRequest): void {
    const phase = request.phase;
    if (phase === 'settled') return;
    if (phase === 'buffered') this.slots[request.slot]?.queue.remove(request);
    else request.flight?.forget(request);
    request.fail(new PublishTimeoutError(this.settings.publishTimeoutMs, phase));
    // Forgetting an unconfirmed message frees room under its channel's limit.
    this.pump();
  }

  private settled(key: string, settle: () => void): void {
    this.outstanding--;
    this.router.release(key);
    settle();
    if (this.outstanding === 0) {
      for (const resolve of this.idleWaiters) resolve();
      this.idleWaiters.clear();
    }
  }
}
