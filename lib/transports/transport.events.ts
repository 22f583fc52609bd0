import { Logger } from '@nestjs/common';
import { TypedEventEmitter } from '../common/typed-event.emitter.js';

/** The broker stopped reading from the connection (a memory or disk alarm): publishes cannot get through. */
export interface ConnectionBlockedEvent {
  /** The broker's reason, e.g. `low on memory` or `low on disk`. */
  readonly reason: string;
  readonly at: Date;
}

/** The broker reads from the connection again. */
export interface ConnectionUnblockedEvent {
  readonly at: Date;
  /** How long the connection was blocked. */
  readonly blockedForMs: number;
}

/** A delivery has been with its handler, unsettled, for longer than `stuckAfterMs`. */
export interface DeliveryStuckEvent {
  /** The consumer (its handlers' names). */
  readonly consumer: string;
  readonly queue: string;
  readonly messageId: string | undefined;
  /** The message type (contract name), when the producer set it. */
  readonly type: string | undefined;
  /** How long it has been unsettled so far. */
  readonly unsettledForMs: number;
}

/** A delivery reported stuck was finally settled (or went stale). */
export type DeliveryUnstuckEvent = DeliveryStuckEvent;

/** A queue of the topology cannot be declared now (its home node is down); the rest of the topology is up. */
export interface QueueUnavailableEvent {
  readonly queue: string;
  /** The broker's refusal, without credentials. */
  readonly reason: string;
  /** When it is tried again. */
  readonly retryInMs: number;
}

/** A queue reported unavailable was declared again. */
export interface QueueRecoveredEvent {
  readonly queue: string;
  readonly unavailableForMs: number;
}

/** Every event a transport emits, by name. */
export interface TransportEventMap {
  /** Connected to the broker for the first time (the URL without its password). */
  'connection.connected': { readonly url: string };
  /** The connection was lost; the transport reconnects by itself. */
  'connection.lost': { readonly error: Error | undefined };
  /** Connected again after a loss. */
  'connection.reconnected': { readonly url: string; readonly downtimeMs: number };
  /** Publishes waiting for a channel passed half the buffer's limit. */
  'buffer.high-water': { readonly buffered: number; readonly limit: number };
  /**
   * The publish buffer is full: further sends wait for room (AMQP `publisher.whenBufferFull: 'wait'`,
   * reported once when they start waiting) or are refused (`'fail'`, reported on every refusal).
   */
  'buffer.full': { readonly limit: number };
  'connection.blocked': ConnectionBlockedEvent;
  'connection.unblocked': ConnectionUnblockedEvent;
  'delivery.stuck': DeliveryStuckEvent;
  'delivery.unstuck': DeliveryUnstuckEvent;
  'queue.unavailable': QueueUnavailableEvent;
  'queue.recovered': QueueRecoveredEvent;
}

/** The name of a {@link TransportEventMap} event. */
export type TransportEventName = keyof TransportEventMap;

/** A listener of one event. */
export type TransportEventListener<K extends TransportEventName> = (event: TransportEventMap[K]) => void;

/**
 * A small typed event emitter carried by a transport (`transport.events`), for the conditions that used to
 * be silent: a broker alarm blocking the connection, a handler holding a delivery far too long, a queue
 * whose node is down. Listeners run synchronously; one that throws is logged and never disturbs the
 * transport or the other listeners. It keeps the current count of stuck deliveries for stats.
 *
 * Deliberately minimal: a later observability layer can subscribe here rather than replace it.
 */
export class TransportEvents extends TypedEventEmitter<TransportEventMap> {
  private stuck = 0;

  constructor() {
    super(new Logger('TransportEvents'));
  }

  /** Delivers an event to its listeners (used by the transport and the consumer runner). */
  override emit<K extends TransportEventName>(event: K, payload: TransportEventMap[K]): void {
    if (event === 'delivery.stuck') this.stuck++;
    if (event === 'delivery.unstuck') this.stuck = Math.max(0, this.stuck - 1);
    super.emit(event, payload);
  }

  /** Deliveries reported stuck and not yet settled. */
  get stuckDeliveries(): number {
    return this.stuck;
  }
}
