import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { AmqpTransport } from '../../../lib/index.js';
import { uniqueName } from '../../support/broker.js';
import { describeWithPrivateNodes, freePort, PrivateRabbitNode } from '../../support/rabbitmq-node.js';

let node: PrivateRabbitNode | undefined;
let managementUrl = '';

// The shared broker has the management plugin off, and must stay so: a private node of this suite's own
// has it on.
describeWithPrivateNodes('BacklogMonitor with the RabbitMQ management API (private node)', () => {
  beforeAll(async () => {
    const port = await freePort();
    node = await PrivateRabbitNode.create({
      prefix: 'ntmmgmt',
      plugins: ['rabbitmq_management'],
      extraConfig: [`management.tcp.port = ${port}`, 'management.tcp.ip = 127.0.0.1'],
    });
    await node.start(120_000);
    managementUrl = `http://guest:guest@127.0.0.1:${port}`;
    // The HTTP listener comes up a moment after AMQP.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/api/overview`, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } }).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('the management API did not come up');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 180_000);

  afterAll(async () => {
    await node?.destroy();
  }, 60_000);

  it('queueStatus adds the counters, and without a reachable API answers from the passive declare alone', async () => {
    const queue = uniqueName('mgmt-status');
    const withApi = new AmqpTransport({ urls: node!.url, management: { url: managementUrl } });
    const unreachable = new AmqpTransport({ urls: node!.url, management: { url: `http://guest:guest@127.0.0.1:${await freePort()}`, timeoutMs: 500 } });
    await withApi.start({ queues: [{ name: queue, durable: false }] });
    await unreachable.start({});
    try {
      for (let n = 0; n < 3; n++) await withApi.publish({ exchange: '', routingKey: queue, body: Buffer.from('{}'), properties: {}, mandatory: true });
      const deadline = Date.now() + 10_000;
      let status = await withApi.queueStatus(queue);
      while (status.enqueued !== 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = await withApi.queueStatus(queue);
      }
      expect(status).toEqual({ messages: 3, consumers: 0, enqueued: 3, acknowledged: 0 });
      expect(await unreachable.queueStatus(queue)).toEqual({ messages: 3, consumers: 0 });
    } finally {
      await unreachable.close();
      await withApi.close();
    }
  }, 30_000);
});
