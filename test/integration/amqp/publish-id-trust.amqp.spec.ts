import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { UnroutableMessageError } from '../../../lib/errors/index.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue } from '../../fixtures/rabbitmq-admin.fixture.js';
import { describeWithBroker } from '../../support/broker.js';

jest.setTimeout(30_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
afterEach(() => scope.release());

describeWithBroker("a caller's x-publish-id header on RabbitMQ", () => {
  it('does not hide an unroutable return: the publish still rejects with UnroutableMessageError', async () => {
    const { exchange, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    const sent = amqp.publish({
      exchange,
      routingKey: 'nowhere',
      body: Buffer.from('x'),
      properties: { messageId: 'm1', headers: { 'x-publish-id': 'chosen-by-the-caller' } },
      mandatory: true,
    });
    await expect(sent).rejects.toBeInstanceOf(UnroutableMessageError);
  });

  it('is not sent: the header is the transport\'s own, and a routed message arrives without the caller\'s value', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    await amqp.publish({
      exchange,
      routingKey: 'order.created',
      body: Buffer.from('y'),
      properties: { messageId: 'm2', headers: { 'x-publish-id': 'chosen-by-the-caller', tenant: 'acme' } },
      mandatory: true,
    });
    // The publish resolved on the broker's confirm: the message is in the queue.
    const messages = await drainQueue(queue);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.properties.headers).toEqual({ tenant: 'acme' });
  });
});
