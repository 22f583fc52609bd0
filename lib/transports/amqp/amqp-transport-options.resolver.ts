import { InvalidOptionsError, TlsRequiresAmqpsError } from '../../errors/index.js';
import { defaultRequeueDelayMs } from '../dead-letter.copy.js';
import { redactUrl } from './amqp-url.redactor.js';
import { assertKnownOptionKeys, resolveTlsOptions } from './amqp-tls-options.resolver.js';
import type { AmqpTransportOptions, ResolvedAmqpTransportOptions } from './amqp-transport.options.js';

const DEFAULTS = {
  heartbeatSeconds: 10,
  reconnectDelayMs: 1000,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 10_000,
  channels: 2,
  maxUnconfirmedPerChannel: 1000,
  bufferSize: 10_000,
  publishTimeoutMs: 30_000,
} as const;

/**
 * Applies defaults and checks every option, so a typo fails at construction with a message naming the
 * option instead of surfacing later as a hung publish or a reconnect storm.
 */
export function resolveAmqpTransportOptions(options: AmqpTransportOptions): ResolvedAmqpTransportOptions {
  assertKnownOptionKeys(options);
  const urls = typeof options.urls === 'string' ? [options.urls] : [...(options.urls ?? [])];
  if (urls.length === 0) throw new InvalidOptionsError('AmqpTransport: "urls" must name at least one broker');
  for (const url of urls) checkUrl(url);

  const publisher = options.publisher ?? {};
  const strategy = publisher.strategy ?? 'least-loaded';
  if (strategy !== 'least-loaded' && strategy !== 'round-robin') {
    throw new InvalidOptionsError(
      `AmqpTransport: "publisher.strategy" must be "least-loaded" or "round-robin", got "${String(strategy)}"`,
    );
  }
  if (options.connectionName !== undefined && typeof options.connectionName !== 'string') {
    throw new InvalidOptionsError('AmqpTransport: "connectionName" must be a string');
  }
  if (options.connectionFactory !== undefined && typeof options.connectionFactory !== 'function') {
    throw new InvalidOptionsError('AmqpTransport: "connectionFactory" must be a function');
  }
  const whenBlocked = publisher.whenBlocked ?? 'wait';
  if (whenBlocked !== 'wait' && whenBlocked !== 'fail') {
    throw new InvalidOptionsError(`AmqpTransport: "publisher.whenBlocked" must be "wait" or "fail", got "${String(whenBlocked)}"`);
  }
  const consumer = options.consumer ?? {};
  const consumerConnection = consumer.connection ?? 'separate';
  if (consumerConnection !== 'separate' && consumerConnection !== 'shared') {
    throw new InvalidOptionsError(`AmqpTransport: "consumer.connection" must be "separate" or "shared", got "${String(consumerConnection)}"`);
  }
  const coalesceAcks = consumer.coalesceAcks ?? true;
  if (typeof coalesceAcks !== 'boolean') {
    throw new InvalidOptionsError(`AmqpTransport: "consumer.coalesceAcks" must be a boolean, got ${String(coalesceAcks)}`);
  }
  const whenBufferFull = publisher.whenBufferFull ?? 'wait';
  if (whenBufferFull !== 'wait' && whenBufferFull !== 'fail') {
    throw new InvalidOptionsError(`AmqpTransport: "publisher.whenBufferFull" must be "wait" or "fail", got "${String(whenBufferFull)}"`);
  }
  const { tls, auth } = resolveTlsOptions(options);
  refusePlaintextWithTls(urls, tls !== undefined, auth);
  const requeueDelay = options.deadLetterRequeueDelayMs;
  if (requeueDelay !== undefined && typeof requeueDelay !== 'function') {
    throw new InvalidOptionsError('AmqpTransport: "deadLetterRequeueDelayMs" must be a function of the attempt');
  }

  return {
    urls,
    heartbeatSeconds: integer('heartbeatSeconds', options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds, 0),
    reconnectDelayMs: integer('reconnectDelayMs', options.reconnectDelayMs ?? DEFAULTS.reconnectDelayMs, 1),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 1),
    connectionName: options.connectionName,
    tls,
    auth,
    closeTimeoutMs: integer('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs, 0),
    connectionFactory: options.connectionFactory,
    deadLetterRequeueDelayMs: requeueDelay === undefined ? defaultRequeueDelayMs : saneDelay(requeueDelay),
    consumer: { connection: consumerConnection, coalesceAcks },
    publisher: {
      channels: integer('publisher.channels', publisher.channels ?? DEFAULTS.channels, 1),
      strategy,
      whenBlocked,
      whenBufferFull,
      maxUnconfirmedPerChannel: integer(
        'publisher.maxUnconfirmedPerChannel',
        publisher.maxUnconfirmedPerChannel ?? DEFAULTS.maxUnconfirmedPerChannel,
        1,
      ),
      bufferSize: integer('publisher.bufferSize', publisher.bufferSize ?? DEFAULTS.bufferSize, 0),
      publishTimeoutMs: integer(
        'publisher.publishTimeoutMs',
        publisher.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs,
        1,
      ),
    },
  };
}

/** A user's delay function, made safe for a timer: NaN, infinite or negative answers fall back to the default. */
function saneDelay(delay: (attempt: number) => number): (attempt: number) => number {
  return (attempt) => {
    const ms = delay(attempt);
    return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : defaultRequeueDelayMs(attempt);
  };
}

function integer(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const kind = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new InvalidOptionsError(`AmqpTransport: "${name}" must be ${kind}, got ${String(value)}`);
  }
  return value;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionsError(`AmqpTransport: "${redactUrl(String(url))}" is not a valid URL`);
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new InvalidOptionsError(`AmqpTransport: "${redactUrl(url)}" must use the amqp: or amqps: scheme`);
  }
}

/**
 * amqplib opens TLS only for `amqps:` URLs and silently ignores the TLS socket options on `amqp:` ones, so
 * `tls` with an `amqp://` URL would send the password in plaintext while the code looks secure. Every URL
 * counts: a reconnect rotates through the whole cluster list.
 */
function refusePlaintextWithTls(urls: readonly string[], tls: boolean, auth: 'plain' | 'external'): void {
  if (!tls && auth !== 'external') return;
  const plaintext = urls.filter((url) => new URL(url).protocol !== 'amqps:');
  if (plaintext.length > 0) throw new TlsRequiresAmqpsError(plaintext.map(redactUrl), tls ? 'tls' : 'auth: external');
}
