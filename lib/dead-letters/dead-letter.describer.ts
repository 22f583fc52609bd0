import { FAILURE_HEADERS } from '../consumer/delivery-failure.types.js';
import type { HeaderValue, InboundMessage } from '../transports/transport.interface.js';
import type { BrokerDeath, DeadLetterEntry, DeadLetterFailure, DeadLetterMessage } from './dead-letter.types.js';
import { REDRIVE_HEADERS } from './redrive.headers.js';

type HeaderTable = { [key: string]: HeaderValue };

function text(value: HeaderValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  // amqplib decodes long strings it cannot tell from bytes as Buffers.
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

function isTable(value: HeaderValue | undefined): value is HeaderTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value);
}

/** AMQP timestamps arrive as Dates from the memory broker and as seconds from some clients. */
function time(value: HeaderValue | undefined): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value < 1e11 ? value * 1000 : value);
  if (typeof value === 'string') {
    const parsed = new Date(value);
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
  }
  return undefined;
}

function failureOf(headers: Readonly<Record<string, HeaderValue>>): DeadLetterFailure | undefined {
  const failure: DeadLetterFailure = {
    kind: text(headers[FAILURE_HEADERS.kind]),
    reason: text(headers[FAILURE_HEADERS.reason]),
    error: text(headers[FAILURE_HEADERS.error]),
    issues: text(headers[FAILURE_HEADERS.issues]),
    at: text(headers[FAILURE_HEADERS.at]),
    queue: text(headers[FAILURE_HEADERS.queue]),
    consumer: text(headers[FAILURE_HEADERS.consumer]),
  };
  return Object.values(failure).some((value) => value !== undefined) ? failure : undefined;
}

function deathOf(headers: Readonly<Record<string, HeaderValue>>): BrokerDeath | undefined {
  const deaths = headers['x-death'];
  const newest = Array.isArray(deaths) ? deaths.find(isTable) : undefined;
  if (!newest) return undefined;
  const keys = newest['routing-keys'];
  return {
    reason: text(newest['reason']) ?? 'unknown',
    queue: text(newest['queue']) ?? '',
    exchange: text(newest['exchange']),
    routingKeys: Array.isArray(keys) ? keys.map(text).filter((key): key is string => key !== undefined) : [],
    count: typeof newest['count'] === 'number' ? newest['count'] : 1,
    time: time(newest['time']),
    firstQueue: text(headers['x-first-death-queue']),
  };
}

/** Printable text, or base64 when the body is binary (so a terminal never receives control bytes). */
function preview(body: Buffer, chars: number): string {
  const head = body.subarray(0, chars * 4).toString('utf8');
  const binary = head.includes('\uFFFD') || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(head);
  if (binary) return `base64:${body.subarray(0, Math.ceil((chars * 3) / 4)).toString('base64')}`;
  const clipped = [...head].slice(0, chars).join('').replace(/\s+/g, ' ');
  return clipped.length < head.length || body.length > chars * 4 ? `${clipped}…` : clipped;
}

/**
 * The queue a message failed on: the SDK's `x-failure-queue`, else where the broker first dead-lettered
 * it. Redrive needs the queue itself, not the exchange: re-publishing to the original exchange would
 * also deliver a second copy to every other queue bound there.
 */
function originQueue(failure: DeadLetterFailure | undefined, death: BrokerDeath | undefined): string | undefined {
  const candidates = [failure?.queue, death?.firstQueue, death?.queue];
  return candidates.find((queue) => queue !== undefined && queue !== '');
}

/** Describes one dead-lettered message for listing; `position` is its place in the queue. */
export function describeDeadLetter(message: InboundMessage, position: number, previewChars = 120): DeadLetterEntry {
  const headers = message.properties.headers ?? {};
  const failure = failureOf(headers);
  const death = deathOf(headers);
  const count = headers[REDRIVE_HEADERS.count];
  return {
    position,
    messageId: message.properties.messageId,
    type: message.properties.type,
    failure,
    death,
    originQueue: originQueue(failure, death),
    originalExchange: text(headers[FAILURE_HEADERS.originalExchange]) ?? text(headers['x-first-death-exchange']) ?? death?.exchange,
    originalRoutingKey: text(headers[FAILURE_HEADERS.originalRoutingKey]) ?? death?.routingKeys[0],
    failedAt: time(failure?.at) ?? death?.time,
    redriveCount: typeof count === 'number' && Number.isSafeInteger(count) && count > 0 ? count : 0,
    size: message.body.length,
    bodyPreview: preview(message.body, previewChars),
    contentType: message.properties.contentType,
  };
}

/** The entry plus the whole message, for a detailed look at one message. */
export function describeDeadLetterMessage(message: InboundMessage, position: number): DeadLetterMessage {
  return {
    ...describeDeadLetter(message, position),
    body: Buffer.from(message.body),
    properties: message.properties,
    headers: message.properties.headers ?? {},
  };
}
