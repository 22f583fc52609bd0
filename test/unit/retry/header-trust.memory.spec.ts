import { afterAll, afterEach, beforeAll, describe } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { MemoryTransport, type MessagingTransport } from '../../../lib/index.js';
import { headerTrustScenarios, type HeaderTrustHarness } from '../../fixtures/header-trust.scenarios.js';
import { quorumErrorReadScenarios } from '../../fixtures/quorum-error-reads.scenarios.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

let counter = 0;
const harness: HeaderTrustHarness = {
  transport: () => new MemoryTransport(),
  name: (prefix) => `${prefix}.${++counter}`,
  drain: async (transport: MessagingTransport, queue: string) => {
    const memory = transport as MemoryTransport;
    const messages = memory.messages(queue).map((m) => ({ headers: { ...m.properties.headers } }));
    memory.purge(queue);
    return messages;
  },
  apps,
  delayPrefix: () => 'messaging.retry',
};

describe('control headers from producers, on the memory transport', () => {
  headerTrustScenarios(harness);
});

describe('reading a quorum error queue, on the memory transport', () => {
  quorumErrorReadScenarios(harness);
});
