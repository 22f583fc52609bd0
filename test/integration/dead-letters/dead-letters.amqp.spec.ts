import { afterAll, beforeAll, jest } from '@jest/globals';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { deadLetterScenarios } from '../../fixtures/dead-letters.scenarios.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { amqpHarness } from '../../fixtures/queue-access.fixture.js';
import { describeWithBroker } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

describeWithBroker('DeadLetters and the queue reader on AmqpTransport against RabbitMQ', () => {
  deadLetterScenarios(amqpHarness(new BrokerTestScope()));
});
