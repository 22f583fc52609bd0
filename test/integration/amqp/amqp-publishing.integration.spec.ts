import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { TopologyError } from '../../../lib/errors/index.js';
import type { AmqpTransport } from '../../../lib/transports/amqp/index.js';
import type { OutboundMessage } from '../../../lib/transports/transport.interface.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue, messageCount } from '../../fixtures/rabbitmq-admin.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
afterEach(() => scope.release());

function message(exchange: string, routingKey: string, id: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { exchange, routingKey, body: Buffer.from(id), properties: { messageId: id }, mandatory: true, ...extra };
}

/** Every publisher channel open: with only one up, everything would go out on it and ordering is not tested. */
function waitForPublisherChannels(amqp: AmqpTransport, count: number): Promise<void> {
  return waitFor(() => amqp.stats().channels.publishers === count, `${count} publisher channels open`);
}

/** Pairs of neighbours (in queue order) whose sequence numbers are reversed. */
function outOfOrderPairs(sequence: readonly number[]): number {
  let pairs = 0;
  for (let i = 1; i < sequence.length; i++) if ((sequence[i] ?? 0) < (sequence[i - 1] ?? 0)) pairs++;
  return pairs;
}

describeWithBroker('AmqpTransport publishing against RabbitMQ', () => {
  it('delivers 500 concurrent sends to one exchange + routing key in send order, with the default options', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    await waitForPublisherChannels(amqp, 2);
    const total = 500;
    await Promise.all(Array.from({ length: total }, (_, i) => amqp.publish(message(exchange, 'order.created', String(i)))));
    await waitFor(() => amqp.stats().unconfirmedPublishes === 0, 'every publish confirmed');
    const received = (await drainQueue(queue)).map((m) => Number(m.content.toString()));
    expect(received).toHaveLength(total);
    expect(outOfOrderPairs(received)).toBe(0);
  });

  it('keeps each of several keys in order when they are sent concurrently and interleaved', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport({ publisher: { channels: 3 } });
    await amqp.start(topology);
    await waitForPublisherChannels(amqp, 3);
    const keys = ['order.a', 'order.b', 'order.c', 'order.d', 'order.e'];
    const perKey = 150;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < perKey; i++) {
      for (const key of keys) sends.push(amqp.publish(message(exchange, key, `${key}:${i}`)));
    }
    // An explicit ordering key spanning two routing keys keeps those in one order too.
    for (let i = 0; i < perKey; i++) {
      const key = i % 2 === 0 ? 'order.x' : 'order.y';
      sends.push(amqp.publish(message(exchange, key, `xy:${i}`, { orderingKey: 'xy' })));
    }
    await Promise.all(sends);
    const received = (await drainQueue(queue)).map((m) => m.content.toString());
    expect(received).toHaveLength(perKey * (keys.length + 1));
    for (const key of [...keys, 'xy']) {
      const sequence = received.filter((id) => id.startsWith(`${key}:`)).map((id) => Number(id.split(':')[1]));
      expect({ key, count: sequence.length, outOfOrder: outOfOrderPairs(sequence) }).toEqual({
        key,
        count: perKey,
        outOfOrder: 0,
      });
    }
  });

  it('fails only the publish to a missing exchange; its 299 neighbours are confirmed and delivered exactly once', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    await waitForPublisherChannels(amqp, 2);
    const missing = uniqueName('amqp.missing');
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) =>
        i === 150
          ? amqp.publish(message(missing, 'order.created', 'bad'))
          : amqp.publish(message(exchange, `order.k${i % 7}`, `m-${i}`)),
      ),
    );
    const rejected = results.flatMap((result, i) => (result.status === 'rejected' ? [{ i, reason: result.reason }] : []));
    expect(rejected.map((r) => r.i)).toEqual([150]);
    expect(rejected[0]?.reason).toBeInstanceOf(TopologyError);
    expect(String((rejected[0]?.reason as Error).message)).toContain(missing);

    // Give a stray re-send time to land before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const counts = new Map<string, number>();
    for (const m of await drainQueue(queue)) {
      const id = String(m.properties.messageId);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.size).toBe(299);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(await messageCount(queue)).toBe(0);
  });
});
