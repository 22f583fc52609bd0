import type { HeaderValue, MessageProperties } from '../transport.interface.js';
import type { DeadLetterReason, StoredMessage } from './memory.message.js';

type HeaderTable = { [key: string]: HeaderValue };

function isTable(value: HeaderValue): value is HeaderTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value);
}

/** The `x-death` entries of a header table, newest first; anything malformed is ignored. */
export function deathEntries(headers: Readonly<Record<string, HeaderValue>> | undefined): HeaderTable[] {
  const deaths = headers?.['x-death'];
  return Array.isArray(deaths) ? deaths.filter(isTable) : [];
}

/**
 * The properties of the dead-lettered copy of a message, as RabbitMQ builds them:
 * - `expiration` is removed (so the copy does not expire again in the next queue) and kept in the new
 *   `x-death` entry as `original-expiration`;
 * - `x-death` gains an entry for this queue and reason, or, when one already exists, that entry's
 *   `count` grows by one and it moves to the front (its other fields keep their first values);
 * - `x-first-death-*` are set only the first time. There is no `x-last-death-*`: RabbitMQ added those
 *   in 3.13, and this broker matches 3.10, the oldest version the SDK supports (checked against a
 *   real 3.10 by the conformance suite).
 *
 * `time` is truncated to whole seconds because AMQP timestamps have second resolution.
 */
export function deadLetterProperties(message: StoredMessage, reason: DeadLetterReason, now: number): MessageProperties {
  const { expiration, ...properties } = message.properties;
  const headers: HeaderTable = { ...properties.headers };
  const deaths = deathEntries(headers).map((entry) => ({ ...entry }));
  const index = deaths.findIndex((entry) => entry['queue'] === message.queue && entry['reason'] === reason);
  let entry: HeaderTable;
  if (index >= 0) {
    const [previous] = deaths.splice(index, 1);
    const count = typeof previous['count'] === 'number' ? previous['count'] : 0;
    entry = { ...previous, count: count + 1 };
  } else {
    entry = {
      count: 1,
      reason,
      queue: message.queue,
      time: new Date(Math.floor(now / 1000) * 1000),
      exchange: message.exchange,
      'routing-keys': [message.routingKey],
    };
    if (expiration !== undefined) entry['original-expiration'] = String(expiration);
  }
  headers['x-death'] = [entry, ...deaths];
  if (headers['x-first-death-reason'] === undefined) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = message.queue;
    headers['x-first-death-exchange'] = message.exchange;
  }
  return { ...properties, headers };
}

/**
 * Whether dead-lettering into `targetQueue` would close a loop that no consumer takes part in. RabbitMQ
 * drops the message for such a queue instead of letting it circle forever (e.g. a TTL queue whose DLX
 * routes back to itself): there is a cycle when the target already appears in `x-death` and no entry up
 * to and including that one has reason `rejected`. Rejections never count as a cycle because a consumer
 * chose them, which is what makes the usual retry-through-a-delay-queue pattern work.
 *
 * @param deaths The `x-death` entries of the dead-lettered copy, newest first (including this death).
 */
export function isDeadLetterCycle(reason: DeadLetterReason, deaths: readonly HeaderTable[], targetQueue: string): boolean {
  if (reason === 'rejected') return false;
  const index = deaths.findIndex((entry) => entry['queue'] === targetQueue);
  if (index < 0) return false;
  return deaths.slice(0, index + 1).every((entry) => entry['reason'] !== 'rejected');
}
