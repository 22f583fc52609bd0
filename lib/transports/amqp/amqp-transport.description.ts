import { inspect } from 'node:util';
import type { AmqpTransportStats } from './amqp-transport.stats.js';
import { redactUrl } from './amqp-url.redactor.js';

/**
 * What `JSON.stringify` and `util.inspect` show of an `AmqpTransport`: kind, masked URLs and stats.
 * Never the connection objects, which hold the password (and are circular).
 */
export interface AmqpTransportDescription {
  readonly kind: string;
  readonly urls: string[];
  readonly connectionName: string | undefined;
  readonly stats: AmqpTransportStats;
}

/** Builds the {@link AmqpTransportDescription} of a transport from its settings and current stats. */
export function describeAmqpTransport(
  kind: string,
  options: { readonly urls: readonly string[]; readonly connectionName?: string | undefined },
  stats: AmqpTransportStats,
): AmqpTransportDescription {
  return { kind, urls: options.urls.map(redactUrl), connectionName: options.connectionName, stats };
}

/** The one-line form of `toString()`: masked URLs and the state. */
export function amqpTransportLine(urls: readonly string[], state: string): string {
  return `AmqpTransport(${urls.map(redactUrl).join(', ')}; ${state})`;
}

/** The `util.inspect` form: the description on one line. */
export function inspectAmqpTransport(description: AmqpTransportDescription): string {
  return `AmqpTransport ${inspect(description, { depth: 4, breakLength: Infinity })}`;
}
