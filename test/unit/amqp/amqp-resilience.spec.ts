import { describe, expect, it } from '@jest/globals';
import {
  AmqpTransport,
  ConnectionBlockedError,
  InvalidOptionsError,
  PublishTimeoutError,
  TlsRequiresAmqpsError,
  QueueUnavailableError,
  type AmqpTransportOptions,
  type ConnectionBlockedEvent,
  type ConnectionUnblockedEvent,
  type QueueRecoveredEvent,
  type QueueUnavailableEvent,
} from '../../../lib/index.js';
import { amqpManagerOptions } from '../../../lib/transports/amqp/amqp-manager.options.js';
import { resolveAmqpTransportOptions } from '../../../lib/transports/amqp/amqp-transport-options.resolver.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { fakeTransport, ORDERS_TOPOLOGY, outbound } from '../../fixtures/amqp-transport.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

describe('AmqpTransport options: TLS, auth and unknown keys', () => {
  const urls = 'amqps://app:pw@broker.test:5671';

  it('refuses unknown option names instead of ignoring them, with a hint for socketOptions', () => {
    const guessed = { urls, socketOptions: { ca: 'x' } } as unknown as AmqpTransportOptions;
    expect(() => new AmqpTransport(guessed)).toThrow(InvalidOptionsError);
    expect(() => new AmqpTransport(guessed)).toThrow(/unknown option "socketOptions"; use "tls"/);
    const typo = { urls, tls: { rejectUnauthorised: false } } as unknown as AmqpTransportOptions;
    expect(() => new AmqpTransport(typo)).toThrow(/"tls": unknown option "rejectUnauthorised"/);
    const publisherTypo = { urls, publisher: { whenBlock: 'fail' } } as unknown as AmqpTransportOptions;
    expect(() => new AmqpTransport(publisherTypo)).toThrow(/"publisher": unknown option "whenBlock"/);
  });

  it('checks TLS, auth and whenBlocked values', () => {
    const bad = (options: object) => () => new AmqpTransport({ urls, ...options } as AmqpTransportOptions);
    expect(bad({ tls: { ca: 42 } })).toThrow(/"tls.ca" must be/);
    expect(bad({ tls: { rejectUnauthorized: 'no' } })).toThrow(/rejectUnauthorized" must be a boolean/);
    expect(bad({ auth: 'kerberos' })).toThrow(/"auth" must be "plain" or "external"/);
    expect(bad({ auth: 'external' })).toThrow(/needs "tls"/);
    expect(bad({ auth: 'external', tls: { ca: 'x' } })).toThrow(/needs "tls.cert" and "tls.key"/);
    expect(bad({ publisher: { whenBlocked: 'drop' } })).toThrow(/"publisher.whenBlocked" must be "wait" or "fail"/);
  });

  it('refuses tls or auth: external unless every URL is amqps:// (no silent plaintext), naming the URLs without passwords', () => {
    const cert = { cert: 'CERT', key: 'KEY' };
    const refused = [
      { urls: 'amqp://app:pw@broker.test:5672', tls: { ca: 'CA' } },
      { urls: 'amqp://app:pw@broker.test:5672', tls: {} },
      { urls: 'amqp://broker.test:5672', auth: 'external' as const, tls: cert },
      // A cluster list: one plaintext member is enough to send the password (or the session) in clear on a reconnect.
      { urls: ['amqps://app:pw@rabbit-1:5671', 'amqp://app:pw@rabbit-2:5672'], tls: { ca: 'CA' } },
    ];
    for (const options of refused) {
      const error = (() => {
        try {
          new AmqpTransport(options);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(TlsRequiresAmqpsError);
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as TlsRequiresAmqpsError).message).toMatch(/needs amqps:\/\/ URLs.*amqp:\/\/(app:\*\*\*@)?(broker\.test|rabbit-2)/);
      expect((error as TlsRequiresAmqpsError).message).not.toContain(':pw@');
      expect((error as TlsRequiresAmqpsError).plaintextUrls.every((url) => url.startsWith('amqp://'))).toBe(true);
    }
    expect(() => new AmqpTransport({ urls: ['AMQPS://app:pw@rabbit-1:5671', 'amqps://rabbit-2'], tls: { ca: 'CA' } })).not.toThrow();
    expect(() => new AmqpTransport({ urls: 'amqp://app:pw@broker.test:5672' })).not.toThrow();
  });

  it('hands TLS options and EXTERNAL credentials to the connection, and nothing when not asked', () => {
    const resolved = resolveAmqpTransportOptions({
      urls,
      connectionName: 'svc',
      tls: { ca: 'CA', cert: 'CERT', key: 'KEY', passphrase: 'pp', servername: 'broker.test', rejectUnauthorized: true },
      auth: 'external',
    });
    const socket = amqpManagerOptions(resolved).connectionOptions!;
    expect(socket).toMatchObject({ ca: ['CA'], cert: 'CERT', key: 'KEY', passphrase: 'pp', servername: 'broker.test', rejectUnauthorized: true });
    expect(socket.credentials?.mechanism).toBe('EXTERNAL');
    expect(socket.clientProperties).toEqual({ connection_name: 'svc' });
    expect(amqpManagerOptions(resolveAmqpTransportOptions({ urls })).connectionOptions).toBeUndefined();
  });

  it('never shows TLS material in inspect or JSON', async () => {
    const { inspect } = await import('node:util');
    const transport = new AmqpTransport({ urls, tls: { key: 'PRIVATE-KEY-BODY', passphrase: 'PASS-PHRASE' } });
    const shown = `${inspect(transport, { depth: 10 })} ${JSON.stringify(transport)} ${String(transport)}`;
    expect(shown).not.toMatch(/PRIVATE-KEY-BODY|PASS-PHRASE|:pw@/);
  });
});

describe('AmqpTransport: connection.blocked', () => {
  it('surfaces blocked/unblocked as events and stats; whenBlocked "fail" refuses publishes at once', async () => {
    const { broker, transport } = fakeTransport({ publisher: { whenBlocked: 'fail' } });
    hooks.closeAfterTest(() => transport.close());
    const blocked: ConnectionBlockedEvent[] = [];
    const unblocked: ConnectionUnblockedEvent[] = [];
    transport.events.on('connection.blocked', (event) => blocked.push(event));
    transport.events.on('connection.unblocked', (event) => unblocked.push(event));
    await transport.start(ORDERS_TOPOLOGY);

    broker.emit('blocked', { reason: 'low on memory' });
    expect(blocked).toEqual([{ reason: 'low on memory', at: expect.any(Date) }]);
    expect(transport.stats().blocked).toBe(true);
    const error = await transport.publish(outbound()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionBlockedError);
    expect(error).toMatchObject({ code: 'CONNECTION_BLOCKED', reason: 'low on memory', policy: 'fail' });
    expect(hooks.logger.warnings()).toContainEqual(expect.stringContaining('blocked the connection (low on memory)'));

    broker.emit('unblocked');
    expect(unblocked).toHaveLength(1);
    expect(transport.stats().blocked).toBe(false);
    await expect(transport.publish(outbound())).resolves.toBeUndefined();
  });

  it('whenBlocked "wait" (default): a deadline missed while blocked is a ConnectionBlockedError caused by the timeout', async () => {
    const { broker, transport } = fakeTransport({ publisher: { publishTimeoutMs: 50 } }, { autoConfirm: false });
    hooks.closeAfterTest(() => transport.close());
    await transport.start(ORDERS_TOPOLOGY);
    await waitFor(() => transport.stats().channels.publishers === 2, 'publishers up');
    broker.emit('blocked', { reason: 'low on disk' });
    const error = await transport.publish(outbound()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionBlockedError);
    expect((error as ConnectionBlockedError).cause).toBeInstanceOf(PublishTimeoutError);
  });

  it('a lost connection ends the block: the next connection starts unblocked', async () => {
    const { broker, transport } = fakeTransport();
    hooks.closeAfterTest(() => transport.close());
    const unblocked: ConnectionUnblockedEvent[] = [];
    transport.events.on('connection.unblocked', (event) => unblocked.push(event));
    await transport.start(ORDERS_TOPOLOGY);
    broker.emit('blocked', { reason: 'low on memory' });
    broker.killConnection();
    expect(transport.stats().blocked).toBe(false);
    expect(unblocked).toHaveLength(1);
  });
});

describe('AmqpTransport: a queue whose home node is down', () => {
  const homeNodeDown = {
    code: 404,
    text: "NOT_FOUND - home node 'c1@localhost' of durable queue 'audit.q' in vhost '/' is down or inaccessible",
  };

  it('declares the rest, opens publishing, reports the queue and retries it with a backoff until it is back', async () => {
    const { broker, transport } = fakeTransport({ reconnectDelayMs: 10 });
    hooks.closeAfterTest(() => transport.close());
    const unavailable: QueueUnavailableEvent[] = [];
    const recovered: QueueRecoveredEvent[] = [];
    transport.events.on('queue.unavailable', (event) => unavailable.push(event));
    transport.events.on('queue.recovered', (event) => recovered.push(event));
    broker.refuse((call) => (call.kind === 'assertQueue' && call.name === 'audit.q' ? homeNodeDown : undefined));

    await transport.start(ORDERS_TOPOLOGY);
    expect(transport.stats().unavailableQueues).toEqual(['audit.q']);
    expect(unavailable[0]).toMatchObject({ queue: 'audit.q', reason: expect.stringContaining('home node') });
    await expect(transport.publish(outbound())).resolves.toBeUndefined();
    await waitFor(() => unavailable.length >= 2, 'retried', 2_000);
    // The consumer of a reachable queue runs meanwhile.
    const reachable = await transport.consume({ queue: 'orders.q', prefetch: 1, consumerName: 'orders' }, (d) => void d.ack());
    expect(transport.stats().consumers).toBe(1);

    broker.clearRefusals();
    await waitFor(() => recovered.length === 1, 'recovered', 2_000);
    expect(recovered[0]).toMatchObject({ queue: 'audit.q' });
    expect(transport.stats().unavailableQueues).toEqual([]);
    await reachable.cancel();
  });

  it('QueueUnavailableError carries the queue and a code of its own (not TOPOLOGY_INVALID)', () => {
    expect(new QueueUnavailableError('q', 'x')).toMatchObject({ code: 'QUEUE_UNAVAILABLE', queue: 'q' });
  });
});
