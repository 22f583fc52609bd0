import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { DeadLetters, RedriveInterruptedError } from '../../../lib/dead-letters/index.js';
import type { MessagingTransport, QueueAccess } from '../../../lib/transports/transport.interface.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { amqpHarness, browseAll, deadLetterTopology, seedDeadLetters } from '../../fixtures/queue-access.fixture.js';
import { closeConnectionsFromBroker, describeWithBroker } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
afterEach(() => scope.release());

describeWithBroker('Redrive crash safety on RabbitMQ', () => {
  it('loses nothing when the connection dies between a confirmed publish and its ack', async () => {
    const h = await amqpHarness(scope)();
    const ids = Array.from({ length: 8 }, (_, i) => `c-${i}`);
    await seedDeadLetters(h, 'billing', ids, { kind: 'handler', reason: 'boom', consumer: 'Billing.handle' });
    await browseAll(h.transport, h.names.billing).then((left) => expect(left).toEqual([]));

    // The third confirmed publish kills this test's connection (by name) before the redrive can ack.
    let confirmed = 0;
    const real = h.transport;
    const crashing: MessagingTransport & QueueAccess = {
      kind: real.kind,
      capabilities: real.capabilities,
      start: (topology) => real.start(topology),
      consume: (options, handler) => real.consume(options, handler),
      close: () => real.close(),
      stats: () => real.stats(),
      openQueueReader: (queue) => real.openQueueReader(queue),
      purgeQueue: (queue) => real.purgeQueue(queue),
      publish: async (message) => {
        await real.publish(message);
        if (++confirmed === 3) expect(await closeConnectionsFromBroker(scope.connectionName)).toBeGreaterThan(0);
      },
    };

    const error = await new DeadLetters(crashing, { topology: deadLetterTopology(h.names) }).redrive(h.names.errors, { all: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedriveInterruptedError);
    const { report } = error as RedriveInterruptedError;
    expect(report.moved.length + report.duplicated.length).toBeLessThanOrEqual(3);

    // After the reconnect: every message is in the origin queue or still in the error queue, the one
    // caught mid-move possibly in both; the unmoved ones keep their order.
    const inOrigin = await browseAll(real, h.names.billing);
    const inErrors = await browseAll(real, h.names.errors);
    expect(inOrigin.slice(0, 2)).toEqual(['c-0', 'c-1']);
    expect(new Set([...inOrigin, ...inErrors])).toEqual(new Set(ids));
    expect(inOrigin.length + inErrors.length).toBeGreaterThanOrEqual(ids.length);
    expect(inOrigin.length + inErrors.length).toBeLessThanOrEqual(ids.length + 1);
    expect(inErrors).toEqual(ids.filter((id) => inErrors.includes(id)));

    // Redriving again finishes the job; the duplicate (if any) is now twice in the origin queue, never lost.
    await new DeadLetters(real, { topology: deadLetterTopology(h.names) }).redrive(h.names.errors, { all: true });
    const final = await browseAll(real, h.names.billing);
    expect(new Set(final)).toEqual(new Set(ids));
    expect(await browseAll(real, h.names.errors)).toEqual([]);
  });
});
