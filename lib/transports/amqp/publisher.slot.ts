import { coalesceSocketWrites } from './socket-no-delay.js';
import type { Logger } from '@nestjs/common';
import { TopologyError } from '../../errors/index.js';
import type { ExchangeDefinition } from '../../topology/index.js';
import type { AmqpConfirmChannelLike } from './amqp-connection.types.js';
import { assertExchanges } from './amqp-topology.asserter.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import type { ConfirmChannelSession } from './confirm-channel.session.js';
import { PublishBuffer } from './publish.buffer.js';
import type { PublishRequest } from './publish.request.js';
import type { SlotCandidate } from './publisher.strategy.js';
import type { TopologyGate } from './topology.gate.js';

/** One publisher channel of the pool and the messages waiting for it, oldest first. */
export interface PublisherSlot {
  readonly index: number;
  readonly supervisor: ChannelSupervisor<AmqpConfirmChannelLike>;
  /** The open channel's bookkeeping; undefined while the channel is down or being set up. */
  session: ConfirmChannelSession | undefined;
  readonly queue: PublishBuffer<PublishRequest>;
}

/** What {@link createPublisherSlot} needs. */
export interface PublisherSlotOptions {
  readonly exchanges: readonly ExchangeDefinition[];
  readonly topologyGate: TopologyGate;
  readonly bufferSize: number;
  readonly brokerTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  /** The slot's channel is set up: time to start a session on it. */
  readonly onUp: (slot: PublisherSlot, channel: AmqpConfirmChannelLike) => void;
}

/**
 * A slot with its supervised confirm channel. Every fresh channel first waits for the topology to be
 * asserted on its connection, then declares the exchanges, and only then publishes.
 */
export function createPublisherSlot(index: number, options: PublisherSlotOptions): PublisherSlot {
  const slot: PublisherSlot = {
    index,
    session: undefined,
    queue: new PublishBuffer<PublishRequest>(options.bufferSize),
    supervisor: new ChannelSupervisor<AmqpConfirmChannelLike>({
      name: `publisher channel #${index + 1}`,
      open: (connection) => {
        coalesceSocketWrites(connection);
        return connection.createConfirmChannel();
      },
      setup: async (channel) => {
        await options.topologyGate.whenReady();
        await assertExchanges(channel, options.exchanges);
      },
      closeTimeoutMs: options.brokerTimeoutMs,
      backoff: options.backoff,
      logger: options.logger,
      onUp: (channel) => options.onUp(slot, channel),
    }),
  };
  return slot;
}

/** What the strategy sees of each slot. */
export function slotCandidates(slots: readonly PublisherSlot[]): SlotCandidate[] {
  return slots.map((slot) => ({
    available: slot.session?.isAlive ?? false,
    backlog: (slot.session?.load ?? 0) + slot.queue.size,
  }));
}

/** Messages waiting in every slot (what `bufferSize` bounds). */
export function totalWaiting(slots: readonly PublisherSlot[]): number {
  let count = 0;
  for (const slot of slots) count += slot.queue.size;
  return count;
}

/**
 * Fails every waiting message to `exchange`. Rare (a publish to a missing exchange), so a walk over the
 * waiting messages is fine.
 */
export function failWaitingFor(slots: readonly PublisherSlot[], exchange: string, error: Error): void {
  for (const slot of slots) {
    for (let request = slot.queue.peek(); request; ) {
      const next = request.nextInBuffer;
      if (request.message.exchange === exchange) {
        slot.queue.remove(request);
        request.fail(error);
      }
      request = next;
    }
  }
}

/**
 * Gives up on every publish not settled: `waiting` (sends that never got room in the buffer), the
 * buffered ones, then those in flight; `errorFor` is what each phase fails with.
 */
export function failEverything(
  slots: readonly PublisherSlot[],
  waiting: readonly PublishRequest[],
  errorFor: (phase: 'waiting' | 'buffered' | 'unconfirmed', request: PublishRequest) => Error,
): void {
  for (const request of waiting) request.fail(errorFor('waiting', request));
  for (const slot of slots) {
    for (const request of slot.queue.drain()) request.fail(errorFor('buffered', request));
  }
  for (const slot of slots) {
    for (const request of slot.session?.abandon() ?? []) request.fail(errorFor('unconfirmed', request));
  }
}

/**
 * The broker has left publishes that timed out on `flight` unanswered for `graceMs` more: closes that
 * channel, so amqplib lets go of their bodies (it keeps each one until an answer or the close, and past
 * an unanswered publish its confirm window grows by a slot per later publish), and opens a new one. What
 * the channel still carries for waiting callers is sent again on the new one (at-least-once); the
 * timed-out ones are not. A broker that leaves the close unanswered too (RabbitMQ while a quorum queue
 * has no quorum) keeps the slot without a channel, still holding them, until it answers or the
 * connection drops. Rare (a broker that stopped confirming), so a walk over the slots is fine.
 */
export function recycleStuckChannel(slots: readonly PublisherSlot[], flight: unknown, graceMs: number, logger: Logger): void {
  for (const slot of slots) {
    const session = slot.session;
    if (session !== flight || !session?.isAlive) continue;
    session.retire();
    logger.warn(
      `publisher channel #${slot.index + 1}: the broker has not answered ${session.timedOut} publish(es) ${graceMs} ms after ` +
        'they timed out; closing the channel to release them (they may or may not have reached their queues) and opening a new one',
    );
    slot.supervisor.recycle();
  }
}

/** The error of a publish to an exchange the broker does not have. */
export function missingExchangeError(exchange: string, cause?: unknown): TopologyError {
  return new TopologyError(`Cannot publish to exchange "${exchange}": it does not exist`, { cause });
}
