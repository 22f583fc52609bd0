import { afterAll, beforeAll, jest } from '@jest/globals';
import { toMessageProperties } from '../../../lib/transports/amqp/amqp-message.mapper.js';
import { waitUntil } from '../../conformance/conformance.helpers.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { microservicesScenarios } from '../../fixtures/microservices.scenarios.js';
import { drainQueue, messageCount } from '../../fixtures/rabbitmq-admin.fixture.js';
import { closeConnectionsFromBroker, describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

describeWithBroker('MessagingServer and MessagingClient on AmqpTransport against RabbitMQ', () => {
  microservicesScenarios(() => {
    const serverScope = new BrokerTestScope();
    const clientScope = new BrokerTestScope();
    return {
      serverTransport: () => serverScope.transport(),
      // The client has a connection of its own (its own name), so killing it leaves the server alone.
      clientTransport: () => ({ transport: clientScope.transport(), ownsTransport: true }),
      name: (prefix) => uniqueName(prefix),
      declare: (topology) => serverScope.declare(topology),
      loseClientConnection: async () => {
        const closed = await closeConnectionsFromBroker(clientScope.connectionName, 'microservices test: simulated connection loss');
        if (closed === 0) throw new Error('no client connection to close');
      },
      deadLetters: async (_transport, queue) => {
        const found: Array<Record<string, unknown>> = [];
        await waitUntil(async () => {
          found.push(...(await drainQueue(queue)).map((m) => ({ ...toMessageProperties(m.properties).headers })));
          return found.length > 0;
        }, 'a dead letter');
        return found;
      },
      // Called with the apps closed: RabbitMQ has put back whatever was unacked, so the ready count is all.
      messagesLeft: (_transport, queue) => messageCount(queue),
      release: async () => {
        await clientScope.release();
        await serverScope.release();
      },
    };
  });
});
