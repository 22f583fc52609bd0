import { afterAll, afterEach, beforeAll, jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import type { MessagingTransport } from '../../../lib/index.js';
import { DelayTopology } from '../../../lib/retry/delay-topology.builder.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { headerTrustScenarios, type HeaderTrustHarness } from '../../fixtures/header-trust.scenarios.js';
import { quorumErrorReadScenarios } from '../../fixtures/quorum-error-reads.scenarios.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue } from '../../fixtures/rabbitmq-admin.fixture.js';
import { describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
  await scope.release();
});

const harness: HeaderTrustHarness = {
  transport: (names) => {
    scope.declare({ queues: names.queues.map((name) => ({ name })), exchanges: names.exchanges.map((name) => ({ name, type: 'topic' as const })) });
    return scope.transport();
  },
  name: uniqueName,
  drain: async (_transport: MessagingTransport, queue: string) => (await drainQueue(queue)).map((m) => ({ headers: { ...(m.properties.headers ?? {}) } })),
  apps,
  delayPrefix: () => {
    const prefix = uniqueName('trust.line');
    const line = new DelayTopology(1000, prefix).topology([]);
    scope.declare({ exchanges: line.exchanges, queues: line.queues });
    return prefix;
  },
};

describeWithBroker('control headers from producers, on RabbitMQ', () => {
  headerTrustScenarios(harness);
});

describeWithBroker('reading a quorum error queue, on RabbitMQ', () => {
  quorumErrorReadScenarios(harness);
});
