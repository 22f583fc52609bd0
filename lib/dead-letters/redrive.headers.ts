import type { HeaderValue, MessageProperties } from '../transports/transport.interface.js';
import { RETRY_HEADERS } from '../retry/retry.headers.js';
import { DELIVERY_COUNT_HEADER } from '../transports/delivery-attempt.js';
import type { DeadLetterEntry } from './dead-letter.types.js';

/**
 * Headers a redriven message carries instead of its failure headers, so a message that fails again is
 * recognisable as one that was already redriven, and how often.
 */
export const REDRIVE_HEADERS = {
  /** How many times the message was redriven, this time included. */
  count: 'x-redrive-count',
  /** ISO time of the latest redrive. */
  at: 'x-redriven-at',
  /** The dead-letter queue it was redriven from. */
  from: 'x-redriven-from',
  /** `x-failure-kind` of the failure redriven, or `broker:<reason>` for a broker dead-lettering. */
  lastFailureKind: 'x-last-failure-kind',
  /** `x-failure-reason` of the failure redriven (clipped). */
  lastFailureReason: 'x-last-failure-reason',
} as const;

const MAX_REASON = 512;

/**
 * Headers not copied onto the redriven message:
 * - `x-failure-*`: the copy has not failed (yet); a new failure writes fresh ones;
 * - `x-death`, `x-first-death-*`, `x-last-death-*`: RabbitMQ 3.x trusts a client-set `x-death` and would
 *   see the message cycling through the same queue, and drop it, if it expired or was rejected there again;
 * - the SDK's retry history (`RETRY_HEADERS`): an operator's redrive restarts the message's retry budget;
 * - `x-delivery-count`: the error queue's count, which reading the queue raises too; it must not make
 *   the message look delivered many times where it lands.
 */
const RETRY_HEADER_NAMES = new Set<string>([...Object.values(RETRY_HEADERS), DELIVERY_COUNT_HEADER]);

function dropped(name: string): boolean {
  return name.startsWith('x-failure-') || name === 'x-death' || name.startsWith('x-first-death-') || name.startsWith('x-last-death-') || RETRY_HEADER_NAMES.has(name);
}

/** The properties of the redriven copy of a dead-lettered message. */
export function redrivenProperties(properties: MessageProperties, entry: DeadLetterEntry, from: string, now: Date): MessageProperties {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(properties.headers ?? {})) {
    if (!dropped(name)) headers[name] = value;
  }
  headers[REDRIVE_HEADERS.count] = entry.redriveCount + 1;
  headers[REDRIVE_HEADERS.at] = now.toISOString();
  headers[REDRIVE_HEADERS.from] = from;
  const kind = entry.failure?.kind ?? (entry.death ? `broker:${entry.death.reason}` : undefined);
  if (kind !== undefined) headers[REDRIVE_HEADERS.lastFailureKind] = kind;
  const reason = entry.failure?.reason;
  if (reason !== undefined) headers[REDRIVE_HEADERS.lastFailureReason] = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
  // A per-message TTL would start counting again in the origin queue; dead-letter copies carry none anyway.
  const { expiration: _noTtl, ...rest } = properties;
  return { ...rest, headers };
}
