import { RETRY_HEADERS } from '../retry/retry.headers.js';
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
function isTemporaryQueue(name: string): boolean {
  return name.startsWith('amq.gen-') || name.startsWith('amq.rabbitmq.reply-to');
}

/**
 * Where a message is published: `{exchange}:{routing key}`, just the non-empty one, or `amq.default`
 * when both are empty, as the RabbitMQ conventions spell it.
 */
export function publishDestination(message: Pick<OutboundMessage, 'exchange' | 'routingKey'>): MessagingDestination {
  const { exchange, routingKey } = message;
  if (exchange === '' && isTemporaryQueue(routingKey)) return { name: undefined, routingKey, temporary: true };
  const name = exchange && routingKey ? `${exchange}:${routingKey}` : exchange || routingKey || 'amq.default';
  return { name, routingKey, temporary: false };
}

/** Where a delivery came from, as both the inbound message and the consume events describe it. */
export interface ConsumedFrom {
  readonly exchange: string;
  readonly routingKey: string;
  readonly queue: string;
  readonly headers: Readonly<Record<string, HeaderValue>> | undefined;
}

function headerString(headers: Readonly<Record<string, HeaderValue>> | undefined, key: string): string | undefined {
  const value = headers?.[key];
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString() : undefined;
}

/**
 * The exchange and routing key a delivery is named by. A retry copy arrives through the delay line, so its
 * original exchange and routing key (kept in its headers) name it: every attempt shares one name. Only a
 * copy coming back from the delay line counts; a dead-letter copy keeps these headers but has moved on.
 */
export function consumedRoute(message: ConsumedFrom): { readonly exchange: string; readonly routingKey: string } {
  const { headers } = message;
  if (headers === undefined || headerString(headers, RETRY_HEADERS.target) !== message.queue) return message;
  return {
    exchange: headerString(headers, RETRY_HEADERS.originalExchange) || message.exchange,
    routingKey: headerString(headers, RETRY_HEADERS.originalRoutingKey) || message.routingKey,
  };
}

/**
 * Where a message was consumed from: `{exchange}:{routing key}:{queue}`, empty parts omitted and a routing
 * key equal to the queue written once. A retry copy is named after the original route (see {@link consumedRoute}).
 */
export function consumeDestination(message: ConsumedFrom): MessagingDestination {
  const { exchange, routingKey } = consumedRoute(message);
  if (isTemporaryQueue(message.queue)) return { name: undefined, routingKey, temporary: true };
  const parts = [exchange, routingKey === message.queue ? '' : routingKey, message.queue].filter((part) => part !== '');
  return { name: parts.join(':'), routingKey, temporary: false };
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
