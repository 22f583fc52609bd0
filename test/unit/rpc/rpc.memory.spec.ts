import { afterAll, beforeAll, describe } from '@jest/globals';
import { MemoryTransport, type MessagingTransport } from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { rpcScenarios } from '../../fixtures/rpc.scenarios.js';

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

function memory(transport: MessagingTransport): MemoryTransport {
  if (!(transport instanceof MemoryTransport)) throw new Error('expected the MemoryTransport');
  return transport;
}

describe('typed RPC on MemoryTransport', () => {
  let counter = 0;
  rpcScenarios(() => ({
    transport: () => new MemoryTransport(),
    name: (prefix) => `${prefix}.${++counter}`,
    declare: (topology) => topology,
    loseConnection: async (transport) => memory(transport).simulateConnectionLoss(),
    deadLetters: async (transport, queue) => {
      await memory(transport).waitFor((records) => records.published.some((p) => p.routedQueues.includes(queue)));
      return memory(transport).messages(queue).map((m) => ({ ...m.properties.headers }));
    },
    release: async () => undefined,
  }));
});
