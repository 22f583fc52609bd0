import { afterAll, beforeAll, describe } from '@jest/globals';
import { MemoryTransport, type MessagingTransport } from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { microservicesScenarios } from '../../fixtures/microservices.scenarios.js';

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

function memory(transport: MessagingTransport): MemoryTransport {
  if (!(transport instanceof MemoryTransport)) throw new Error('expected the MemoryTransport');
  return transport;
}

describe('MessagingServer and MessagingClient on MemoryTransport', () => {
  let counter = 0;
  microservicesScenarios(() => ({
    serverTransport: () => new MemoryTransport(),
    // One in-process broker: the client shares the server's transport, which the server owns.
    clientTransport: (server) => ({ transport: server, ownsTransport: false }),
    name: (prefix) => `${prefix}.${++counter}`,
    declare: (topology) => topology,
    loseClientConnection: async (transport) => memory(transport).simulateConnectionLoss(),
    deadLetters: async (transport, queue) => {
      await memory(transport).waitFor((records) => records.published.some((p) => p.routedQueues.includes(queue)));
      return memory(transport).messages(queue).map((m) => ({ ...m.properties.headers }));
    },
    // The memory broker outlives close(), which returns unacked deliveries; both are counted anyway.
    messagesLeft: async (transport, queue) => {
      const depth = memory(transport).queueDepth(queue);
      return depth.ready + depth.unacked;
    },
    release: async () => undefined,
  }));
});
