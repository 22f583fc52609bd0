import type { Logger } from '@nestjs/common';
import type { TransportEvents } from '../transport.events.js';
import { randomUUID } from 'node:crypto';
import { PublishTimeoutError, TransportStateError } from '../../errors/index.js';
import type { ExchangeDefinition } from '../../topology/index.js';
import type { OutboundMessage } from '../transport.interface.js';
import type { ConnectionAttachable } from './amqp-connection.monitor.js';
import { timeoutUnderBlock } from './amqp-blocked.policy.js';
import { toPublishOptions } from './amqp-message.mapper.js';
import type { AmqpPublisherOptions } from './amqp-transport.options.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ConfirmChannelSession, type ConfirmSessionEvents } from './confirm-channel.session.js';
import { ExchangeProbe } from './exchange.probe.js';
import { OrderingKeyCache } from './ordering-key.router.js';
import { takeBackLostPublishes } from './publisher-channel.loss.js';
import { PublishDispatcher } from './publish.dispatcher.js';
import { PublishDeadlineList } from './publish-deadline.list.js';
import { PublishRequest, type PublishRequestOwner } from './publish.request.js';
import {
  createPublisherSlot,
  failEverything,
  failWaitingFor,
  missingExchangeError,
  recycleStuckChannel,
  totalWaiting,
  type PublisherSlot,
} from './publisher.slot.js';
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
  /**
   * The broker's reason while it blocks the connection: a publish timing out while blocked (or made
   * while blocked) fails with `ConnectionBlockedError` instead of `PublishTimeoutError`.
   */
  readonly blockedReason?: () => string | undefined;
}

/** Counters for observability. */
export interface PublisherPoolStats {
  /** Sends waiting for room in the full buffer (`whenBufferFull: 'wait'`); not counted in `buffered`. */
  readonly waiting: number;
  readonly buffered: number;
  /** Sent and not answered by the broker, `timedOut` included. */
  readonly unconfirmed: number;
  /** Timed out in flight (their callers have their `PublishTimeoutError`) and still not answered. */
  readonly timedOut: number;
  readonly openChannels: number;
}

/**
 * Publishes with confirms over a fixed set of supervised confirm channels ("slots"), with bounded
 * memory: at most `maxUnconfirmedPerChannel` in flight per channel and at most `bufferSize` buffered.
 * Sends beyond that wait for room in call order (`whenBufferFull: 'wait'`) or fail fast (`'fail'`); the
 * {@link PublishDispatcher} moves requests along, this class owns their life (deadline, settling, close).
 *
 * Order: every message has an ordering key (`OutboundMessage.orderingKey`, by default exchange + routing
 * key), and all messages of a key outstanding at once go out on one slot, in publish order (see
 * `OrderingKeyRouter`); the `strategy` only chooses the slot of a key that has nothing outstanding.
 * When that slot's channel is down, the key's messages wait for it to come back (they do not move to
 * another channel, which could overtake the ones already sent). Each slot has its own FIFO, so a waiting
 * key never holds back keys of other slots, and a later message never overtakes an earlier one of its key.
 *
 * A publish that times out in flight stays in flight: amqplib keeps its body until the broker answers, so
 * it keeps its room under `maxUnconfirmedPerChannel` (and its ordering key its slot) until the answer or
 * the channel's close. If the broker leaves it unanswered for another `publishTimeoutMs`, the channel is
 * recycled (see `recycleStuckChannel`), which lets go of it without sending it again.
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
  private readonly probe: ExchangeProbe;
  /** Prefix of this pool's publish ids, so they do not repeat across transports or restarts. */
  private readonly poolId = randomUUID().slice(0, 8);
  private readonly dispatcher: PublishDispatcher;
  private readonly deadlines: PublishDeadlineList<PublishRequest>;
  /**
   * Publishes that timed out in flight, by when their channel is overdue for recycling. They reuse the
   * deadline links: a request leaves {@link deadlines} as it settles, before it can join this list.
   */
  private readonly unanswered: PublishDeadlineList<PublishRequest>;
  private readonly orderingKeys = new OrderingKeyCache();
  private nextSeq = 0;
  private outstanding = 0;

  private readonly sessionEvents: ConfirmSessionEvents = {
    confirmed: (request, nacked, returnedWith) => {
      request.settleConfirmed(nacked, returnedWith);
      this.pump();
    },
    answeredLate: (request) => {
      this.letGo(request);
      this.pump();
    },
    died: (session, lost, closeError) => {
      for (const slot of this.slots) if (slot.session === session) slot.session = undefined;
      for (const request of lost) if (request.isSettled) this.letGo(request);
      takeBackLostPublishes(lost, closeError, { slots: this.slots, probe: this.probe, logger: this.options.logger });
      // Deferred: when the connection drops, amqplib closes its channels one after another in the same
      // tick; there is nothing to gain from pumping before the last of them is known to be dead.
      queueMicrotask(() => this.pump());
    },
    drained: () => this.pump(),
  };

  /** Shared by every request: settling needs no closure per publish. */
  private readonly requestOwner: PublishRequestOwner = {
    settled: (request) => {
      this.outstanding--;
      this.deadlines.untrack(request);
      // One that timed out in flight keeps its key's slot until the broker answers (see letGo).
      if (request.flight === undefined) this.dispatcher.release(request);
      if (this.outstanding === 0) {
        for (const resolve of this.idleWaiters) resolve();
        this.idleWaiters.clear();
      }
    },
  };

  constructor(private readonly options: PublisherPoolOptions) {
    this.settings = options.publisher;
    const { publishTimeoutMs } = this.settings;
    this.deadlines = new PublishDeadlineList<PublishRequest>(publishTimeoutMs, (request) => this.expire(request));
    this.unanswered = new PublishDeadlineList<PublishRequest>(publishTimeoutMs, (request) =>
      recycleStuckChannel(this.slots, request.flight, publishTimeoutMs, options.logger),
    );
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
    this.dispatcher = new PublishDispatcher({ slots: this.slots, probe: this.probe, settings: this.settings, events: options.events });
  }

  /** What the connection monitor attaches on every connection: the exchange probe and the channel supervisors. */
  get attachables(): readonly ConnectionAttachable[] {
    return [this.probe, ...this.slots.map((slot) => slot.supervisor)];
  }

  /** What is waiting, in flight, and open right now. */
  stats(): PublisherPoolStats {
    let unconfirmed = 0;
    let timedOut = 0;
    let openChannels = 0;
    for (const { session } of this.slots) {
      if (!session) continue;
      // A channel being recycled still holds what it carries until it has closed.
      unconfirmed += session.load;
      timedOut += session.timedOut;
      if (session.isAlive) openChannels++;
    }
    return { waiting: this.dispatcher.admission.size, buffered: totalWaiting(this.slots), unconfirmed, timedOut, openChannels };
  }

  /**
   * Sends the message, or buffers it, and resolves on the broker's ack. When the buffer is full the send
   * waits for room (`whenBufferFull: 'wait'`, in call order) or rejects at once with
   * `PublishBufferFullError` (`'fail'`). Rejects with `PublishNackedError` on a nack,
   * `UnroutableMessageError` when the broker returned a mandatory message, `PublishTimeoutError` when
   * `publishTimeoutMs` passes first, and `TopologyError` when its exchange does not exist.
   */
  publish(message: OutboundMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Inside the executor so that a message with invalid properties rejects rather than throws.
      const options = toPublishOptions(message, message.properties.messageId ?? randomUUID());
      const seq = this.nextSeq++;
      const request = new PublishRequest(
        seq,
        this.poolId,
        message,
        options,
        this.orderingKeys.of(message),
        this.requestOwner,
        resolve,
        reject,
      );
      const blocked = this.options.blockedReason?.();
      if (blocked !== undefined) request.blockedAtPublish = blocked;
      this.outstanding++;
      this.deadlines.track(request);
      this.dispatcher.accept(request);
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
    failEverything(this.slots, this.dispatcher.admission.drain(), (phase, request) => this.timeoutError(request, timeoutMs, phase));
  }

  /**
   * Closes the publisher channels for good. Anything still outstanding (only when closing skipped
   * {@link settle}) fails with `TransportStateError`, so no caller waits for a deadline that cannot help.
   */
  async close(): Promise<void> {
    this.probe.close();
    await Promise.all(this.slots.map((slot) => slot.supervisor.close()));
    const closed = new TransportStateError('AmqpTransport closed before the message was confirmed');
    failEverything(this.slots, this.dispatcher.admission.drain(), () => closed);
    this.unanswered.stop();
  }

  private onProbeAnswer(exchange: string, exists: boolean | undefined): void {
    if (exists === false) failWaitingFor(this.slots, exchange, missingExchangeError(exchange));
    this.pump();
  }

  private pump(): void {
    this.dispatcher.pump();
  }

  private timeoutError(request: PublishRequest, timeoutMs: number, phase: PublishTimeoutError['phase']): Error {
    return timeoutUnderBlock(new PublishTimeoutError(timeoutMs, phase), this.options.blockedReason?.(), request.blockedAtPublish);
  }

  private expire(request: PublishRequest): void {
    const phase = request.phase;
    if (phase === 'settled') return;
    const error = this.timeoutError(request, this.settings.publishTimeoutMs, phase);
    if (phase !== 'unconfirmed') {
      this.dispatcher.withdraw(request);
      request.fail(error);
      // Room freed in the buffer.
      this.pump();
      return;
    }
    // In flight: the caller hears now, but the broker still holds it (and amqplib its body), so it keeps
    // its room on the channel. Tracked after failing, which unlinks it from the deadlines.
    request.fail(error);
    request.flight?.holdTimedOut(request);
    this.unanswered.track(request);
  }

  /** A publish that timed out in flight is answered at last, or its channel closed: it holds nothing now. */
  private letGo(request: PublishRequest): void {
    this.unanswered.untrack(request);
    this.dispatcher.release(request);
  }
}
