import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { messageCount } from '../../fixtures/rabbitmq-admin.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { describeWithBroker } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
afterEach(() => scope.release());

describeWithBroker('AMQP ack coalescing against RabbitMQ', () => {
  it('acks everything exactly once when handlers finish out of order, some requeueing: queue empty, nothing redelivered twice', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    const count = 3000;
    const received = new Map<string, number>();
    let requeued = 0;
    await amqp.consume({ queue, prefetch: 200, consumerName: 'coalescing-it' }, (delivery) => {
      const id = delivery.message.properties.messageId ?? '';
      received.set(id, (received.get(id) ?? 0) + 1);
      const settle = (): void => {
        // Every 97th message is requeued once: a nack in the middle of runs of acks.
        if (Number(id) % 97 === 0 && !delivery.message.redelivered) {
          requeued++;
          delivery.nack(true);
        } else {
          delivery.ack();
        }
      };
      // Out-of-order completion: some synchronously, some after a microtask, some after a timer.
      const mode = Number(id) % 3;
      if (mode === 0) settle();
      else if (mode === 1) queueMicrotask(settle);
      else setTimeout(settle, Number(id) % 7);
    });

    for (let start = 0; start < count; start += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, count - start) }, (_, i) =>
          amqp.publish({ exchange, routingKey: 'order.created', mandatory: true, body: Buffer.from('{}'), properties: { messageId: String(start + i), persistent: true } }),
        ),
      );
    }
    const expected = count + Math.ceil(count / 97);
    await waitFor(() => [...received.values()].reduce((a, b) => a + b, 0) >= expected, `${expected} deliveries`, 30_000);
    // Anything acked wrongly (or not at all) would come back; give it a moment to show.
    await sleep(300);
    expect(received.size).toBe(count);
    expect(requeued).toBe(Math.ceil(count / 97));
    expect([...received].filter(([id, times]) => times !== (Number(id) % 97 === 0 ? 2 : 1))).toEqual([]);
    expect(await messageCount(queue)).toBe(0);
    // Closing returns whatever is still unacked to the queue: there must be nothing.
    await amqp.close();
    expect(await messageCount(queue)).toBe(0);
  });
});
