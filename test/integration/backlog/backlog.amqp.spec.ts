import { expect, it } from '@jest/globals';
import { AmqpTransport, TopologyError } from '../../../lib/index.js';
import { describeRun, growThenDrain } from '../../fixtures/backlog.scenarios.js';
import { deleteTopology } from '../../fixtures/rabbitmq-admin.fixture.js';
import { AMQP_URL, describeWithBroker, uniqueName } from '../../support/broker.js';

const CONNECTION_NAME = uniqueName('backlog-it-conn');

describeWithBroker('BacklogMonitor on RabbitMQ', () => {
  it('estimates rates within 15% from passive declares: 200/s in, 100/s out, then 40/s in (draining)', async () => {
    const run = await growThenDrain(
      () => new AmqpTransport({ urls: AMQP_URL, connectionName: CONNECTION_NAME }),
      { growMs: 4000, drainMs: 3500 },
      250,
      800,
      ({ queue, exchange }) => deleteTopology({ queues: [queue], exchanges: [exchange] }),
    );
    process.stdout.write(`${describeRun('rabbitmq', run)}\n`);
  }, 30_000);

  it('queueStatus reports ready messages and consumers, and a missing queue as a TopologyError without breaking the transport', async () => {
    const queue = uniqueName('backlog-status');
    const transport = new AmqpTransport({ urls: AMQP_URL, connectionName: CONNECTION_NAME });
    await transport.start({ queues: [{ name: queue, durable: false }] });
    try {
      await transport.publish({ exchange: '', routingKey: queue, body: Buffer.from('{}'), properties: {}, mandatory: true });
      await transport.publish({ exchange: '', routingKey: queue, body: Buffer.from('{}'), properties: {}, mandatory: true });
      expect(await transport.queueStatus(queue)).toEqual({ messages: 2, consumers: 0 });
      await expect(transport.queueStatus(uniqueName('missing'))).rejects.toBeInstanceOf(TopologyError);
      // The probe channel is reopened after the broker closed it for the 404.
      expect(await transport.queueStatus(queue)).toEqual({ messages: 2, consumers: 0 });
    } finally {
      await transport.close();
      await deleteTopology({ queues: [queue] });
    }
  });
});
