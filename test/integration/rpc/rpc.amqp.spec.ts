import { afterAll, beforeAll, jest } from '@jest/globals';
import { toMessageProperties } from '../../../lib/transports/amqp/amqp-message.mapper.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue } from '../../fixtures/rabbitmq-admin.fixture.js';
import { rpcScenarios } from '../../fixtures/rpc.scenarios.js';
import { waitUntil } from '../../conformance/conformance.helpers.js';
import { closeConnectionsFromBroker, describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

describeWithBroker('typed RPC on AmqpTransport against RabbitMQ (direct reply-to)', () => {
  rpcScenarios(() => {
    const scope = new BrokerTestScope();
    return {
      transport: () => scope.transport(),
      name: (prefix) => uniqueName(`rpc.${prefix}`),
      declare: (topology) => scope.declare(topology),
      loseConnection: async () => {
        const closed = await closeConnectionsFromBroker(scope.connectionName, 'rpc test: simulated connection loss');
        if (closed === 0) throw new Error('no connection to close');
      },
      deadLetters: async (_transport, queue) => {
        const found: Array<Record<string, unknown>> = [];
        await waitUntil(async () => {
          found.push(...(await drainQueue(queue)).map((m) => ({ ...toMessageProperties(m.properties).headers })));
          return found.length > 0;
        }, 'a dead-lettered request');
        return found;
      },
      release: () => scope.release(),
    };
  });
});
