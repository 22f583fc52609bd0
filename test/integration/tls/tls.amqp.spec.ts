import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { AmqpTransport, TlsVerificationError, TransportConnectionError, type AmqpTransportOptions } from '../../../lib/index.js';
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
});
