import type { QueueBacklog } from '../backlog/backlog.types.js';
import type { FailureKind } from '../consumer/delivery-failure.types.js';
import type { SettlementState } from '../consumer/delivery.settlement.js';
import type { TransportEventMap } from '../transports/transport.events.js';
import type { DeadLetterOutcome, HeaderValue } from '../transports/transport.interface.js';

/** A published message, as publish events describe it. */
export interface PublishedMessageInfo {
  readonly exchange: string;
  readonly routingKey: string;
  readonly messageId: string | undefined;
  /** The contract name. */
  readonly type: string | undefined;
  readonly correlationId: string | undefined;
  readonly bodyBytes: number;
  readonly headers: Readonly<Record<string, HeaderValue>> | undefined;
}

/** A consumed message, as consume events describe it. */
export interface ConsumedMessageInfo {
  readonly queue: string;
  /** The handler's name (`Class.method`), or the queue's handlers joined with `+` before routing. */
  readonly consumer: string;
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  readonly correlationId: string | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly attempt: number;
  readonly redelivered: boolean;
  readonly bodyBytes: number;
  readonly headers: Readonly<Record<string, HeaderValue>> | undefined;
}

/**
 * Every event the module emits, by name, with its payload: its own publish and consume events, and the
 * transport's (connection, buffer, stuck deliveries, unavailable queues; see `TransportEventMap`). Listeners run synchronously on the hot path:
 * keep them cheap, and hand heavy work off. A listener that throws is logged and ignored.
 */
export interface MessagingEventMap extends TransportEventMap {
  /** A message was handed to the transport. */
  'publish.sent': { readonly message: PublishedMessageInfo };
  /** The broker confirmed it; `durationMs` from send to confirm. */
  'publish.confirmed': { readonly message: PublishedMessageInfo; readonly durationMs: number };
  /** The broker returned it as unroutable (a mandatory message no queue took). */
  'publish.returned': { readonly message: PublishedMessageInfo; readonly error: Error };
  /** The publish failed for any reason but a return (nacked, timed out, buffer full, refused, ...). */
  'publish.failed': { readonly message: PublishedMessageInfo; readonly error: Error; readonly durationMs: number };
  /** A delivery reached the consumer of its queue. */
  'message.received': { readonly message: ConsumedMessageInfo };
  /** The handler finished (or failed); `outcome` is how the message was settled. */
  'message.handled': { readonly message: ConsumedMessageInfo; readonly durationMs: number; readonly outcome: SettlementState; readonly error?: Error };
  'message.acked': { readonly message: ConsumedMessageInfo };
  'message.nacked': { readonly message: ConsumedMessageInfo; readonly requeue: boolean };
  /** Sent on a delayed retry; `attempt` is the one that failed. */
  'message.retried': { readonly message: ConsumedMessageInfo; readonly delayMs: number; readonly attempt: number; readonly error: Error };
  'message.dead-lettered': {
    readonly message: ConsumedMessageInfo;
    readonly kind: FailureKind;
    readonly reason: string;
    readonly outcome: DeadLetterOutcome;
  };
  /** A queue's backlog would take longer than the SLO to drain, or never drains (backlog monitor). */
  'backlog.slo-breached': { readonly backlog: QueueBacklog; readonly sloSeconds: number };
  /** A breached queue's backlog drains within the SLO again; `breachedForMs` since the breach. */
  'backlog.recovered': { readonly backlog: QueueBacklog; readonly sloSeconds: number; readonly breachedForMs: number };
}

/** The name of a messaging event. */
export type MessagingEventName = keyof MessagingEventMap;

/** A listener of one event. */
export type MessagingEventListener<E extends MessagingEventName> = (event: MessagingEventMap[E]) => void;
