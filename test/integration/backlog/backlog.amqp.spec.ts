import { expect, it } from '@jest/globals';
import { AmqpTransport, TopologyError } from '../../../lib/index.js';
import { describeInstancesRun, steadyStandingBacklog, threeInstancesGrowThenDrain } from '../../fixtures/backlog-instances.scenarios.js';
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

  it('three apps (three connections) consuming one queue, each with its own monitor, all report the queue-wide rates within 15% while growing (200/s in, 120/s out) and draining (60/s in) (no management plugin: consumer-share)', async () => {
    const run = await threeInstancesGrowThenDrain(
      () => new AmqpTransport({ urls: AMQP_URL, connectionName: CONNECTION_NAME }),
      ({ queue, exchange }) => deleteTopology({ queues: [queue], exchanges: [exchange] }),
    );
    process.stdout.write(`${describeInstancesRun('rabbitmq', run)}\n`);
    // The shared broker has no management plugin: a passive declare gives no counters.
    expect([...run.growing.reported, ...run.draining.reported].map((b) => b.rateSource)).toEqual(Array(6).fill('consumer-share'));
  }, 30_000);

  it('a steady standing backlog with a short wait (about 1.5 s) stays within a 5 s SLO', async () => {
    const { backlog } = await steadyStandingBacklog(
      () => new AmqpTransport({ urls: AMQP_URL, connectionName: CONNECTION_NAME }),
      ({ queue, exchange }) => deleteTopology({ queues: [queue], exchanges: [exchange] }),
    );
    process.stdout.write(`rabbitmq, standing backlog: depth=${backlog.depth} r=${backlog.arrivalRate.toFixed(1)} s=${backlog.serviceRate.toFixed(1)} wait=${backlog.expectedWaitSeconds?.toFixed(2)} s trend=${backlog.trend}\n`);
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
