import type { Attributes } from '@opentelemetry/api';
import { MESSAGING_ATTRIBUTES as ATTR } from './semantic.conventions.js';

/** Default ports of the schemes a transport may connect with, for a URL that names none. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'amqp:': 5672, 'amqps:': 5671, 'nats:': 4222, 'tls:': 4222, 'redis:': 6379, 'rediss:': 6379 };

/**
 * `server.address` and `server.port` of a transport's connection URL: the host and port only, never the
 * user, password, path or query. Empty for an in-process transport (`memory:`) and for a URL that does
 * not parse, so nothing is guessed.
 */
export function serverAttributesOf(url: string): Attributes {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  if (parsed.protocol === 'memory:' || parsed.hostname === '') return {};
  // An IPv6 literal comes bracketed from URL; the conventions want the bare address.
  const address = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? DEFAULT_PORTS[parsed.protocol] : Number(parsed.port);
  return port === undefined ? { [ATTR.serverAddress]: address } : { [ATTR.serverAddress]: address, [ATTR.serverPort]: port };
}
