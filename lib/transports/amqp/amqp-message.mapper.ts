import { PUBLISH_ID_HEADER } from './publish.request.js';
import { InvalidOptionsError } from '../../errors/index.js';
import type { HeaderValue, MessageProperties, OutboundMessage } from '../transport.interface.js';
import type { AmqpMessagePropertiesLike, AmqpPublishOptions } from './amqp-connection.types.js';

/**
 * The `basic.publish` options for a message. `messageId` is passed separately because the transport
 * guarantees every message has one: it is how a `basic.return` is matched to its publish.
 *
 * @throws RangeError for property values the broker would answer by closing the channel (a negative or
 * fractional expiration, a priority outside 0-255): re-sending such a message would close every
 * channel it is tried on, so it is refused up front.
 */
export function toPublishOptions(
  message: OutboundMessage,
  messageId: string,
): AmqpPublishOptions & { messageId: string } {
  const p = message.properties;
  checkInteger('expiration', p.expiration, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('priority', p.priority, 0, 255);
  checkInteger('timestamp', p.timestamp, 0, Number.MAX_SAFE_INTEGER);
  const options: AmqpPublishOptions & { messageId: string } = { mandatory: message.mandatory, messageId };
  if (p.persistent !== undefined) options.persistent = p.persistent;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.replyTo !== undefined) options.replyTo = p.replyTo;
  if (p.contentType !== undefined) options.contentType = p.contentType;
  if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding;
  if (p.type !== undefined) options.type = p.type;
  if (p.timestamp !== undefined) options.timestamp = p.timestamp;
  if (p.appId !== undefined) options.appId = p.appId;
  if (p.userId !== undefined) options.userId = p.userId;
  if (p.expiration !== undefined) options.expiration = String(p.expiration);
  if (p.priority !== undefined) options.priority = p.priority;
  // The publish id is the transport's own (it matches basic.return to its publish): a caller's would hide a return.
  if (p.headers !== undefined) options.headers = definedEntries(p.headers, PUBLISH_ID_HEADER);
  return options;
}

/**
 * {@link MessageProperties} from amqplib's decoded properties, leaving out everything absent. Runs once
 * per consumed message: plain assignments and one pass over the headers, no helper closures or
 * intermediate tables.
 */
export function toMessageProperties(raw: AmqpMessagePropertiesLike): MessageProperties {
  const properties: MessageProperties = {};
  if (typeof raw.messageId === 'string') properties.messageId = raw.messageId;
  if (typeof raw.correlationId === 'string') properties.correlationId = raw.correlationId;
  if (typeof raw.replyTo === 'string') properties.replyTo = raw.replyTo;
  if (typeof raw.contentType === 'string') properties.contentType = raw.contentType;
  if (typeof raw.contentEncoding === 'string') properties.contentEncoding = raw.contentEncoding;
  if (typeof raw.type === 'string') properties.type = raw.type;
  if (typeof raw.appId === 'string') properties.appId = raw.appId;
  if (typeof raw.userId === 'string') properties.userId = raw.userId;
  if (typeof raw.timestamp === 'number') properties.timestamp = raw.timestamp;
  if (typeof raw.priority === 'number') properties.priority = raw.priority;
  if (raw.expiration !== undefined) {
    const expiration = parseExpiration(raw.expiration);
    if (expiration !== undefined) properties.expiration = expiration;
  }
  if (raw.deliveryMode === 2) properties.persistent = true;
  else if (raw.deliveryMode === 1) properties.persistent = false;
  // The publish id only matches basic.return to its publish; consumers see the headers the producer set.
  if (isRecord(raw.headers)) properties.headers = fromFieldTable(raw.headers, PUBLISH_ID_HEADER);
  return properties;
}

/**
 * amqplib decodes most field values into plain JavaScript ones, but an AMQP timestamp (as in the broker's
 * `x-death[].time`) arrives as `{ '!': 'timestamp', value: <seconds> }`; it becomes a `Date`, as the
 * in-memory transport and {@link HeaderValue} have it. Nested tables and arrays are converted too.
 */
function fromFieldValue(value: unknown): HeaderValue {
  // Most header values are strings and numbers: answered before any of the object checks.
  if (typeof value !== 'object' || value === null) return value as HeaderValue;
  if (Array.isArray(value)) return value.map(fromFieldValue);
  if (Buffer.isBuffer(value) || value instanceof Date) return value as HeaderValue;
  const table = value as Record<string, unknown>;
  if (table['!'] === 'timestamp' && typeof table['value'] === 'number') return new Date(table['value'] * 1000);
  return fromFieldTable(table, undefined);
}

/** A converted copy of a field table without its `undefined` entries (no AMQP encoding) and `skip`. */
function fromFieldTable(table: Record<string, unknown>, skip: string | undefined): Record<string, HeaderValue> {
  const result: Record<string, HeaderValue> = {};
  for (const key in table) {
    if (key === skip || !Object.hasOwn(table, key)) continue;
    const value = table[key];
    if (value !== undefined) result[key] = fromFieldValue(value);
  }
  return result;
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(`Message property "${name}" must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** AMQP carries the per-message TTL as a decimal string. */
function parseExpiration(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** Copies a header table without its `undefined` entries, which have no AMQP encoding, and `skip`. */
function definedEntries<V>(headers: Record<string, V>, skip: string): Record<string, V> {
  const result: Record<string, V> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined && key !== skip) result[key] = value;
  }
  return result;
}
