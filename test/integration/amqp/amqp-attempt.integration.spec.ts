import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { RETRY_ATTEMPT_HEADER } from '../../../lib/transports/delivery-attempt.js';
import type { HeaderValue } from '../../../lib/transports/transport.interface.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(30_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
afterEach(() => scope.release());

/**
 * Publishes one message to a fresh queue of `type`, requeues it (nack with requeue) until it has been
 * delivered `deliveries` times, acks the last delivery, and returns each delivery's attempt.
 */
async function attemptsOver(type: 'classic' | 'quorum', deliveries: number, headers: Record<string, HeaderValue> = {}) {
  const queue = uniqueName(`attempt.${type}`);
  const topology = scope.declare({ queues: [{ name: queue, type }] });
  const amqp = scope.transport();
  await amqp.start(topology);
  const seen: Array<{ attempt: number; redelivered: boolean }> = [];
  await amqp.consume({ queue, prefetch: 1, consumerName: 'attempts' }, (delivery) => {
    seen.push({ attempt: delivery.attempt, redelivered: delivery.message.redelivered });
    if (seen.length < deliveries) delivery.nack(true);
    else delivery.ack();
  });
  await amqp.publish({ exchange: '', routingKey: queue, body: Buffer.from('x'), properties: { headers }, mandatory: true });
  await waitFor(() => seen.length === deliveries, `${deliveries} deliveries`, 10_000);
  return seen;
}

describeWithBroker('delivery attempt on RabbitMQ', () => {
  it('classic queue: 1 on the first delivery, 2 on a requeued redelivery (the broker only says "redelivered")', async () => {
    expect(await attemptsOver('classic', 3)).toEqual([
      { attempt: 1, redelivered: false },
      { attempt: 2, redelivered: true },
      { attempt: 2, redelivered: true },
    ]);
  });

  it('quorum queue: counts every requeue through x-delivery-count (1, 2, 3)', async () => {
    expect((await attemptsOver('quorum', 3)).map((d) => d.attempt)).toEqual([1, 2, 3]);
  });

  it(`adds the retries recorded in ${RETRY_ATTEMPT_HEADER} to the broker's count`, async () => {
    expect((await attemptsOver('classic', 2, { [RETRY_ATTEMPT_HEADER]: 2 })).map((d) => d.attempt)).toEqual([3, 4]);
    expect((await attemptsOver('quorum', 3, { [RETRY_ATTEMPT_HEADER]: 2 })).map((d) => d.attempt)).toEqual([3, 4, 5]);
  });
});
