import { afterAll, beforeAll, jest } from '@jest/globals';
import { connect, type ChannelModel } from 'amqplib';
import { AmqpTransport } from '../../../lib/transports/amqp/index.js';
import { toMessageProperties } from '../../../lib/transports/amqp/amqp-message.mapper.js';
import type { MessagingTransport } from '../../../lib/transports/transport.interface.js';
import { describeTransportConformance, type TransportHarness } from '../../conformance/transport.conformance.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { deleteTopology, drainQueue, messageCount } from '../../fixtures/rabbitmq-admin.fixture.js';
import { AMQP_URL, closeConnectionsFromBroker, describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(30_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

/**
 * One admin connection for counting, opened once and kept: a count taken the moment a publish resolves
 * (publish.confirm) must not first spend a connection handshake, time in which a late publish would land.
 */
let counting: Promise<ChannelModel> | undefined;
afterAll(async () => {
  await (await counting)?.close().catch(() => undefined);
});

function openCounting(): Promise<ChannelModel> {
  counting ??= connect(AMQP_URL).then((connection) => connection.on('error', () => undefined));
  return counting;
}

async function readyNow(queue: string): Promise<number> {
  const channel = await (await openCounting()).createChannel();
  channel.on('error', () => undefined);
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Each transport's own connection name, so a broker-side close reaches it and nothing else on the shared broker. */
const connectionNames = new WeakMap<MessagingTransport, string>();
const created: AmqpTransport[] = [];
const queues: string[] = [];
const exchanges: string[] = [];

function createTransport(): AmqpTransport {
  const connectionName = uniqueName('conformance-conn');
  const transport = new AmqpTransport({
    urls: AMQP_URL,
    heartbeatSeconds: 5,
    reconnectDelayMs: 100,
    connectTimeoutMs: 5000,
    closeTimeoutMs: 5000,
    connectionName,
  });
  connectionNames.set(transport, connectionName);
  created.push(transport);
  // Opened while the test still prepares, so the first count is as quick as any.
  void openCounting().catch(() => undefined);
  return transport;
}

const harness: TransportHarness = {
  create: createTransport,
  name: (prefix) => uniqueName(`conf.${prefix}`),
  declare: (topology) => {
    queues.push(...(topology.queues ?? []).map((queue) => queue.name));
    exchanges.push(...(topology.exchanges ?? []).map((exchange) => exchange.name));
    return topology;
  },
  // Another client: a second transport that declares the topology and goes away.
  declareElsewhere: async (_transport, topology) => {
    const other = createTransport();
    await other.start(harness.declare(topology));
    await other.close();
  },
  loseConnection: async (transport) => {
    const name = connectionNames.get(transport);
    if (name === undefined) throw new Error('loseConnection: not a transport of this harness');
    const closed = await closeConnectionsFromBroker(name, 'transport conformance: simulated connection loss');
    if (closed === 0) throw new Error(`loseConnection: the broker lists no connection named ${name}`);
  },
  readyCount: (_transport, queue) => readyNow(queue),
  // With its connection closed, RabbitMQ has put every unacked delivery back: the ready count is all of them.
  countAfterClose: async (transport, queue) => {
    await transport.close();
    return messageCount(queue);
  },
  drain: async (_transport, queue) =>
    (await drainQueue(queue)).map((message) => ({
      body: message.content,
      properties: toMessageProperties(message.properties),
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
      redelivered: message.fields.redelivered,
    })),
  cleanup: async () => {
    await Promise.all(created.splice(0).map((transport) => transport.close()));
    await deleteTopology({ queues: queues.splice(0), exchanges: exchanges.splice(0) });
  },
  quietMs: 300,
  knownFailures: {},
};

describeWithBroker('RabbitMQ (AmqpTransport)', () => describeTransportConformance('amqp', harness));
