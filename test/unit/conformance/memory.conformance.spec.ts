import { afterAll, beforeAll } from '@jest/globals';
import { MemoryTransport } from '../../../lib/transports/memory/index.js';
import type { MessagingTransport } from '../../../lib/transports/transport.interface.js';
import { describeTransportConformance, type TransportHarness } from '../../conformance/transport.conformance.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

function memory(transport: MessagingTransport): MemoryTransport {
  if (!(transport instanceof MemoryTransport)) throw new Error('the memory harness only drives MemoryTransport');
  return transport;
}

const created: MemoryTransport[] = [];
let counter = 0;

/** Each transport is its own broker, so names need only be unique within a test. */
const harness: TransportHarness = {
  // A short requeue delay keeps the 'requeued' dead-letter case fast; the default backoff starts at 1 s.
  create: () => {
    const transport = new MemoryTransport({ deadLetterRequeueDelayMs: 10 });
    created.push(transport);
    return transport;
  },
  name: (prefix) => `${prefix}.${++counter}`,
  declare: (topology) => topology,
  // The memory broker outlives close(), so another "client" declaring first is a start and close.
  declareElsewhere: async (transport, topology) => {
    await transport.start(topology);
    await transport.close();
  },
  loseConnection: async (transport) => memory(transport).simulateConnectionLoss(),
  readyCount: async (transport, queue) => memory(transport).queueDepth(queue).ready,
  // The memory broker outlives close(), which returns unsettled deliveries; unacked is counted anyway.
  countAfterClose: async (transport, queue) => {
    await transport.close();
    const depth = memory(transport).queueDepth(queue);
    return depth.ready + depth.unacked;
  },
  drain: async (transport, queue) => {
    const messages = memory(transport).messages(queue);
    memory(transport).purge(queue);
    return messages;
  },
  cleanup: async () => {
    await Promise.all(created.splice(0).map((transport) => transport.close()));
  },
  quietMs: 20,
};

describeTransportConformance('memory', harness);
