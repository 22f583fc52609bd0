import { InvalidOptionsError } from '../../errors/index.js';
import type { AmqpTlsOptions, AmqpTransportOptions } from './amqp-transport.options.js';

const TRANSPORT_KEYS: ReadonlySet<string> = new Set<keyof AmqpTransportOptions>([
  'urls',
  'heartbeatSeconds',
  'reconnectDelayMs',
  'connectTimeoutMs',
  'connectionName',
  'tls',
  'auth',
  'publisher',
  'consumer',
  'closeTimeoutMs',
  'deadLetterRequeueDelayMs',
  'connectionFactory',
  'management',
]);
const PUBLISHER_KEYS: ReadonlySet<string> = new Set([
  'channels',
  'strategy',
  'maxUnconfirmedPerChannel',
  'bufferSize',
  'publishTimeoutMs',
  'whenBlocked',
  'whenBufferFull',
]);
const CONSUMER_KEYS: ReadonlySet<string> = new Set(['connection', 'coalesceAcks']);
const TLS_KEYS: ReadonlySet<string> = new Set<keyof AmqpTlsOptions>([
  'ca',
  'cert',
  'key',
  'passphrase',
  'servername',
  'rejectUnauthorized',
]);

/**
 * Refuses option names the transport does not know. A misspelt or guessed option (`socketOptions`,
 * `tls.rejectUnauthorised`) silently ignored is how a connection ends up unverified or unencrypted
 * without anyone noticing, so it fails at construction instead.
 */
export function assertKnownOptionKeys(options: AmqpTransportOptions): void {
  unknownKeys('AmqpTransport', options, TRANSPORT_KEYS, {
    socketOptions: 'use "tls" (ca, cert, key, passphrase, servername, rejectUnauthorized)',
  });
  if (options.publisher !== undefined) unknownKeys('AmqpTransport "publisher"', options.publisher, PUBLISHER_KEYS);
  if (options.tls !== undefined) unknownKeys('AmqpTransport "tls"', options.tls, TLS_KEYS);
  if (options.consumer !== undefined) unknownKeys('AmqpTransport "consumer"', options.consumer, CONSUMER_KEYS);
}

/** Checks the TLS and auth options' types; the values themselves are Node's to judge at connect. */
export function resolveTlsOptions(options: AmqpTransportOptions): { tls: AmqpTlsOptions | undefined; auth: 'plain' | 'external' } {
  const auth = options.auth ?? 'plain';
  if (auth !== 'plain' && auth !== 'external') {
    throw new InvalidOptionsError(`AmqpTransport: "auth" must be "plain" or "external", got "${String(auth)}"`);
  }
  const tls = options.tls;
  if (tls === undefined) {
    if (auth === 'external') throw new InvalidOptionsError('AmqpTransport: "auth: external" needs "tls" with "cert" and "key"');
    return { tls, auth };
  }
  if (typeof tls !== 'object' || tls === null) throw new InvalidOptionsError('AmqpTransport: "tls" must be an object');
  for (const name of ['cert', 'key'] as const) {
    const value = tls[name];
    if (value !== undefined && !isPem(value)) throw new InvalidOptionsError(`AmqpTransport: "tls.${name}" must be a string or a Buffer`);
  }
  const ca = tls.ca;
  if (ca !== undefined && !(isPem(ca) || (Array.isArray(ca) && ca.every(isPem)))) {
    throw new InvalidOptionsError('AmqpTransport: "tls.ca" must be a string, a Buffer or an array of them');
  }
  for (const name of ['passphrase', 'servername'] as const) {
    if (tls[name] !== undefined && typeof tls[name] !== 'string') {
      throw new InvalidOptionsError(`AmqpTransport: "tls.${name}" must be a string`);
    }
  }
  if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== 'boolean') {
    throw new InvalidOptionsError('AmqpTransport: "tls.rejectUnauthorized" must be a boolean');
  }
  if (auth === 'external' && (tls.cert === undefined || tls.key === undefined)) {
    throw new InvalidOptionsError('AmqpTransport: "auth: external" needs "tls.cert" and "tls.key"');
  }
  // A copy: the caller's object may hold the key and must not be changed later behind the transport's back.
  return { tls: { ...tls }, auth };
}

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function unknownKeys(where: string, value: object, known: ReadonlySet<string>, hints: Record<string, string> = {}): void {
  for (const key of Object.keys(value)) {
    if (known.has(key)) continue;
    const hint = hints[key] ? `; ${hints[key]}` : `; known options: ${[...known].join(', ')}`;
    throw new InvalidOptionsError(`${where}: unknown option "${key}"${hint}`);
  }
}
