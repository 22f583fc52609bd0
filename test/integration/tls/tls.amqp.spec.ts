import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  AmqpTransport,
  TlsRequiresAmqpsError,
  TlsVerificationError,
  TransportConnectionError,
  type AmqpTransportOptions,
  type TransportEventName,
} from '../../../lib/index.js';
import { startLoadApp } from '../../fixtures/load-scenario.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { uniqueName } from '../../support/broker.js';
import { describeWithPrivateNodes, PrivateRabbitNode } from '../../support/rabbitmq-node.js';
import { generateTestPki, type TestPki } from '../../support/tls-certs.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
let node: PrivateRabbitNode | undefined;
let pki: TestPki;
const transports: AmqpTransport[] = [];

/** A TLS transport on the private node; `start()`ed by the test. */
function tlsTransport(options: Partial<AmqpTransportOptions>, host = 'localhost'): AmqpTransport {
  const transport = new AmqpTransport({
    urls: `amqps://guest:guest@${host}:${node!.tlsListenerPort}`,
    connectTimeoutMs: 10_000,
    reconnectDelayMs: 200,
    connectionName: uniqueName('tls-conn'),
    ...options,
  });
  transports.push(transport);
  return transport;
}

/** Publishes one message through the transport to a fresh queue and reads it back with a consumer. */
async function roundTrip(transport: AmqpTransport): Promise<void> {
  const queue = uniqueName('tls.q');
  await transport.start({ queues: [{ name: queue, durable: false, autoDelete: true }] });
  const received: string[] = [];
  await transport.consume({ queue, prefetch: 1, consumerName: 'tls' }, (delivery) => {
    received.push(delivery.message.body.toString());
    delivery.ack();
  });
  await transport.publish({ exchange: '', routingKey: queue, body: Buffer.from('over tls'), properties: {}, mandatory: true });
  await waitFor(() => received.length === 1, 'message consumed over TLS', 10_000);
  expect(received).toEqual(['over tls']);
}

describeWithPrivateNodes('amqps:// against a private node with a TLS listener', () => {
  beforeAll(async () => {
    logger = muteNestLogger();
    node = await PrivateRabbitNode.create({
      prefix: 'ntmtls',
      tls: true,
      plugins: ['rabbitmq_auth_mechanism_ssl'],
      extraConfig: [
        'ssl_options.cacertfile = {dir}/certs/ca.pem',
        'ssl_options.certfile = {dir}/certs/server.pem',
        'ssl_options.keyfile = {dir}/certs/server.key',
        // Client certificates are checked when presented (mutual TLS) but not required, so one listener
        // serves both the server-only and the mutual tests.
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = false',
        'auth_mechanisms.1 = PLAIN',
        'auth_mechanisms.2 = AMQPLAIN',
        'auth_mechanisms.3 = EXTERNAL',
        'ssl_cert_login_from = common_name',
      ],
    });
    pki = await generateTestPki(`${node.dir}/certs`);
    await node.chown();
    await node.start(120_000);
  }, 150_000);
  afterEach(async () => {
    for (const transport of transports.splice(0)) await transport.close().catch(() => undefined);
  });
  afterAll(async () => {
    await node?.destroy();
    logger?.restore();
  }, 60_000);

  it('trusts the broker through tls.ca and publishes and consumes', async () => {
    await roundTrip(tlsTransport({ tls: { ca: pki.ca } }));
  });

  it('checks the certificate against tls.servername when the URL names an IP address', async () => {
    await roundTrip(tlsTransport({ tls: { ca: pki.ca, servername: 'broker.test' } }, '127.0.0.1'));
    const wrongName = tlsTransport({ tls: { ca: pki.ca, servername: 'not-the-broker.example' } }, '127.0.0.1');
    const error = await wrongName.start({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsVerificationError);
    expect(error).toMatchObject({ tlsCode: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('a certificate that fails verification is fatal at once with TlsVerificationError, not retried until connectTimeoutMs', async () => {
    for (const tls of [undefined, { ca: pki.otherCa }]) {
      const transport = tlsTransport(tls ? { tls } : {});
      const started = Date.now();
      const error = await transport.start({}).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(TlsVerificationError);
      expect(error).toBeInstanceOf(TransportConnectionError);
      expect((error as TlsVerificationError).tlsCode).toMatch(/SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)/);
      expect(elapsed).toBeLessThan(3_000);
      expect(transport.stats().state).toBe('closed');
    }
  });

  it('rejectUnauthorized: false connects without verifying (throwaway setups only)', async () => {
    await roundTrip(tlsTransport({ tls: { rejectUnauthorized: false } }));
  });

  it('mutual TLS with EXTERNAL authentication: the broker logs the client in from its certificate, no password sent', async () => {
    const transport = new AmqpTransport({
      urls: `amqps://localhost:${node!.tlsListenerPort}`,
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
      auth: 'external',
      connectionName: uniqueName('tls-external'),
    });
    transports.push(transport);
    await roundTrip(transport);
    const connections = await node!.ctl(['list_connections', '--no-table-headers', 'auth_mechanism', 'user', 'ssl', 'peer_cert_subject']);
    expect(connections).toMatch(/EXTERNAL\tguest\ttrue\tCN=guest/);
  });

  it('tls or auth: external with an amqp:// URL (alone or in a cluster list) is refused: nothing connects in plaintext', async () => {
    const name = uniqueName('tls-plain');
    const plain = `127.0.0.1:${node!.port}`;
    const attempts: AmqpTransportOptions[] = [
      { urls: `amqp://guest:guest@${plain}`, tls: { ca: pki.ca } },
      { urls: [`amqp://guest:guest@${plain}`, `amqps://guest:guest@localhost:${node!.tlsListenerPort}`], tls: { ca: pki.ca } },
      { urls: `amqp://${plain}`, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }, auth: 'external' },
    ];
    const outcomes: unknown[] = [];
    for (const options of attempts) {
      outcomes.push(
        await (async () => {
          const transport = new AmqpTransport({ ...options, connectionName: `${name}-refused`, connectTimeoutMs: 5_000 });
          transports.push(transport);
          await transport.start({});
          return 'started';
        })().catch((e: unknown) => e),
      );
    }
    // A control on the same listing: a TLS connection of the same test is seen, with ssl = true.
    const control = tlsTransport({ tls: { ca: pki.ca }, connectionName: `${name}-control` });
    await control.start({});
    const listing = await node!.ctl(['list_connections', '--no-table-headers', 'ssl', 'client_properties']);
    const ours = listing.split('\n').filter((line) => line.includes(name));
    expect(ours.filter((line) => line.includes(`${name}-refused`))).toEqual([]);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^true\t.*-control/);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(TlsRequiresAmqpsError);
  });

  it('credentials never appear in logs, errors, events, util.inspect or JSON: a failing and a succeeding run, scanned', async () => {
    const user = `ntm-leak-${randomBytes(3).toString('hex')}`;
    const password = `Pw-${randomBytes(12).toString('hex')}`;
    const passphrase = `Pp-${randomBytes(12).toString('hex')}`;
    // A line from the middle of the client's private key: any leak of the key shows it.
    const keyLine = pki.clientKey.split('\n')[5]!;
    await node!.ctl(['add_user', user, password]);
    await node!.ctl(['set_permissions', user, '.*', '.*', '.*']);
    const captured: string[] = [];
    const keep = (value: unknown): void => {
      captured.push(typeof value === 'string' ? value : inspect(value, { depth: 10, showHidden: true }));
      if (value instanceof Error) captured.push(String(value.stack), JSON.stringify(value));
    };
    const spies = (['log', 'warn', 'error', 'debug', 'verbose', 'fatal'] as const).map((level) =>
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => args.forEach(keep)),
    );
    // Every event of the map, connection.* and buffer.* (URLs, raw errors) included: typed as a Record over
    // TransportEventName, so an event added to the map fails typecheck until it is scanned here too.
    const everyEvent: Record<TransportEventName, true> = {
      'connection.connected': true,
      'connection.lost': true,
      'connection.reconnected': true,
      'connection.blocked': true,
      'connection.unblocked': true,
      'buffer.high-water': true,
      'buffer.full': true,
      'delivery.stuck': true,
      'delivery.unstuck': true,
      'queue.unavailable': true,
      'queue.recovered': true,
    };
    const allEvents = Object.keys(everyEvent) as TransportEventName[];
    const seenEvents = new Set<TransportEventName>();
    const watch = (transport: AmqpTransport): void => {
      for (const name of allEvents) {
        transport.events.on(name, (event) => {
          seenEvents.add(name);
          keep(event);
        });
      }
    };
    const showTransport = (transport: AmqpTransport): void => {
      keep(inspect(transport, { depth: 10 }));
      keep(JSON.stringify(transport));
      keep(String(transport));
      keep(transport.stats());
    };
    try {
      // Failing runs: wrong password, unverifiable certificate (with a client key and passphrase set),
      // nothing listening.
      const failing: Array<{ url: string; options: Partial<AmqpTransportOptions> }> = [
        { url: `amqp://${user}:${password}-wrong@127.0.0.1:${node!.port}`, options: {} },
        {
          url: `amqps://${user}:${password}@localhost:${node!.tlsListenerPort}`,
          options: { tls: { ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey, passphrase } },
        },
        { url: `amqp://${user}:${password}@127.0.0.1:1`, options: { connectTimeoutMs: 800 } },
      ];
      for (const { url, options } of failing) {
        const transport = new AmqpTransport({ urls: url, reconnectDelayMs: 100, ...options });
        watch(transport);
        const error = await transport.start({}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TransportConnectionError);
        keep(error);
        showTransport(transport);
      }

      // A succeeding run through the Nest module, with a broker-side kill so reconnect logs happen too.
      const app = await startLoadApp({
        urls: [`amqps://${user}:${password}@localhost:${node!.tlsListenerPort}`],
        transport: { tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, passphrase } },
      });
      try {
        watch(app.transport);
        const result = await app.run(300, {
          during: async (progress) => {
            while (progress() < 100) await new Promise((resolve) => setTimeout(resolve, 5));
            const listing = await node!.ctl(['list_connections', '--no-table-headers', 'pid', 'user']);
            for (const line of listing.split('\n').filter((l) => l.includes(user))) {
              await node!.ctl(['close_connection', line.split('\t')[0]!, 'leak test']);
            }
          },
        });
        expect(result.lost).toBe(0);
        expect(result.confirmed).toBe(300);
        showTransport(app.transport);
      } finally {
        await app.close();
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const everything = captured.join('\n');
    // The scan did see the events that carry a URL or a raw error (the kill's), not just the quiet ones.
    expect([...seenEvents]).toEqual(expect.arrayContaining(['connection.lost', 'connection.reconnected']));
    expect(everything).toContain(user);
    expect(everything).toMatch(/Reconnected to RabbitMQ/);
    for (const secret of [password, passphrase, keyLine]) expect(everything).not.toContain(secret);
  });
});
