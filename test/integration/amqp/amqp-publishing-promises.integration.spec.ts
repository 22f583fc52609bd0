import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import type { AmqpTransport } from '../../../lib/transports/amqp/index.js';
import type { OutboundMessage } from '../../../lib/transports/transport.interface.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue, withAdminChannel } from '../../fixtures/rabbitmq-admin.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { closeConnectionsFromBroker, describeWithBroker } from '../../support/broker.js';

jest.setTimeout(90_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
afterEach(() => scope.release());

function message(exchange: string, id: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { exchange, routingKey: 'order.created', body: Buffer.from(id), properties: { messageId: id }, mandatory: true, ...extra };
}

/** The order in which each id first reached the queue (re-sends after a connection loss may add duplicates). */
function firstOccurrences(ids: readonly number[]): number[] {
  const seen = new Set<number>();
  return ids.filter((id) => !seen.has(id) && seen.add(id) !== undefined);
}

/** Pairs of neighbours whose sequence numbers are reversed. */
function outOfOrderPairs(sequence: readonly number[]): number {
  let pairs = 0;
  for (let i = 1; i < sequence.length; i++) if ((sequence[i] ?? 0) < (sequence[i - 1] ?? 0)) pairs++;
  return pairs;
}

const publisherChannelsUp = (amqp: AmqpTransport, count: number): Promise<void> =>
  waitFor(() => amqp.stats().channels.publishers === count, `${count} publisher channels open`);

/** The README's promises about publishing across faults and under backpressure, held on the real broker. */
describeWithBroker('AmqpTransport publishing promises on RabbitMQ', () => {
  it('after a reconnect, publishing waits until the topology is re-asserted: sends made meanwhile reach a queue that was deleted while connected', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport({ reconnectDelayMs: 300 });
    await amqp.start(topology);
    await publisherChannelsUp(amqp, 2);
    // An operator (or an auto-delete) removes the queue; the transport notices nothing until it reconnects.
    await withAdminChannel((channel) => channel.deleteQueue(queue));
    await closeConnectionsFromBroker(scope.connectionName, 'test: reconnect re-asserts before publishing', 'main');
    await waitFor(() => !amqp.stats().connected, 'the transport saw the connection go');
    // Mandatory sends made while disconnected: published before the queue and its binding are back,
    // they would be returned as unroutable (UnroutableMessageError).
    const sends = Array.from({ length: 50 }, (_, i) => amqp.publish(message(exchange, `after-reset-${i}`)));
    await Promise.all(sends);
    const received = (await drainQueue(queue)).map((m) => m.content.toString());
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `after-reset-${i}`));
  });

  it('sends waiting for room are admitted in call order (each on its own ordering key, one channel, a tiny in-flight bound)', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport({ publisher: { channels: 1, maxUnconfirmedPerChannel: 4, bufferSize: 4, whenBufferFull: 'wait' } });
    await amqp.start(topology);
    await publisherChannelsUp(amqp, 1);
    const total = 1000;
    // Distinct ordering keys: per-key ordering promises nothing here, only the admission order does.
    // Sends keep arriving while confirms free room (a pause every 25), so a late send has the chance to
    // overtake the ones already waiting; admission must not let it.
    let sawWaiting = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      sends.push(amqp.publish(message(exchange, String(i), { orderingKey: `key-${i}` })));
      sawWaiting = Math.max(sawWaiting, amqp.stats().waitingPublishes);
      if (i % 25 === 24) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(sends);
    expect(sawWaiting).toBeGreaterThan(20);
    const received = (await drainQueue(queue)).map((m) => Number(m.content.toString()));
    expect(received).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('re-sends after a connection loss keep their order: each id first reaches the queue in send order, none missing', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport({ reconnectDelayMs: 200 });
    await amqp.start(topology);
    await publisherChannelsUp(amqp, 2);
    let next = 0;
    let stop = false;
    let confirmed = 0;
    let outstanding = 0;
    const failures: unknown[] = [];
    const sends: Promise<void>[] = [];
    // One key (the default: exchange + routing key). Sends keep coming without waiting for each other (up
    // to 1,000 outstanding), so while the connection is down the later ones queue up behind the ones
    // whose confirm was lost: those must go out again first.
    const pump = async (): Promise<void> => {
      while (!stop) {
        if (outstanding >= 1000) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          continue;
        }
        outstanding++;
        const id = next++;
        sends.push(
          amqp.publish(message(exchange, String(id))).then(
            () => void (confirmed++, outstanding--),
            (error: unknown) => void (failures.push(error), outstanding--),
          ),
        );
        if (id % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const pumping = pump();
    await waitFor(() => confirmed >= 2000, '2,000 confirmed before the loss', 30_000);
    // Sampled until the transport sees the loss: what was still unconfirmed just before it (to be re-sent).
    let unconfirmedAtLoss = 0;
    const sampler = setInterval(() => {
      const stats = amqp.stats();
      if (stats.connected) unconfirmedAtLoss = stats.unconfirmedPublishes;
    }, 1);
    const closing = closeConnectionsFromBroker(scope.connectionName, 'test: re-sends keep their order', 'main');
    await waitFor(() => !amqp.stats().connected, 'the transport saw the connection go', 30_000).finally(() => clearInterval(sampler));
    await closing;
    await waitFor(() => amqp.stats().connected, 'reconnected', 30_000);
    const afterReconnect = confirmed;
    await waitFor(() => confirmed >= afterReconnect + 2000, '2,000 more confirmed after the reconnect', 30_000);
    stop = true;
    await pumping;
    await Promise.all(sends);
    expect(failures).toEqual([]);
    const ids = (await drainQueue(queue)).map((m) => Number(m.content.toString()));
    const first = firstOccurrences(ids);
    // Something was in flight when the connection went, so re-sends happened.
    expect(unconfirmedAtLoss).toBeGreaterThan(0);
    expect(first).toHaveLength(next);
    expect(outOfOrderPairs(first)).toBe(0);
  });
});
