import type { HeaderValue, OutboundMessage } from '../transports/transport.interface.js';

/** A destination as the conventions name it; `name` is undefined for temporary ones (reply queues). */
export interface MessagingDestination {
  readonly name: string | undefined;
  readonly routingKey: string;
  readonly temporary: boolean;
}

/** The conventions' system for a transport: `rabbitmq` for AMQP, else the transport's own kind. */
export function messagingSystemOf(transportKind: string): string {
  return transportKind === 'amqp' ? 'rabbitmq' : transportKind;
}

/** Server-named (`amq.gen-…`) and direct reply-to queues: names that mean nothing across messages. */
export function isTemporaryQueue(name: string): boolean {
  return name.startsWith('amq.gen-') || name.startsWith('amq.rabbitmq.reply-to');
}

/**
 * Where a message is published, named by the declared destination only: the exchange, or `amq.default`
 * for the default exchange. Never by the routing key: a producer may pick one per message (a topic key
 * with an entity id), and span names and metric attributes built from it would grow without bound. The
 * routing key stays on the span as `rabbitmq.destination.routing_key`. A direct reply-to address is
 * temporary: no name.
 */
export function publishDestination(message: Pick<OutboundMessage, 'exchange' | 'routingKey'>): MessagingDestination {
  const { exchange, routingKey } = message;
  if (exchange === '' && isTemporaryQueue(routingKey)) return { name: undefined, routingKey, temporary: true };
  return { name: exchange || 'amq.default', routingKey, temporary: false };
}

/** Where a delivery came from, as both the inbound message and the consume events describe it. */
export interface ConsumedFrom {
  readonly exchange: string;
  readonly routingKey: string;
  readonly queue: string;
  /** Not used for naming: headers come from outside and may be forged. */
  readonly headers: Readonly<Record<string, HeaderValue>> | undefined;
}

/**
 * Where a message was consumed from, named by the queue only: the routing key and the exchange it came
 * through are the producer's choice, and the headers (a retry copy's original route among them) can be
 * forged by anyone who can publish, so none of them may name a span or a metric series. Every delivery
 * of a queue, retry copies included, shares one name. A server-named or reply queue is temporary: no name.
 */
export function consumeDestination(message: ConsumedFrom): MessagingDestination {
  const { queue, routingKey } = message;
  if (isTemporaryQueue(queue)) return { name: undefined, routingKey, temporary: true };
  return { name: queue, routingKey, temporary: false };
}

/**
 * `error.type`: the error's class name, or its `name` for a plain `Error` that was given one, else
 * `_OTHER` as the conventions ask when nothing better is known.
 */
export function errorTypeOf(error: Error): string {
  const constructorName = (error.constructor as { name?: unknown } | undefined)?.name;
  if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Error') return constructorName;
  return error.name || '_OTHER';
}
