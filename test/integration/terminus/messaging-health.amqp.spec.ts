import { expect, it } from '@jest/globals';
import { AmqpTransport } from '../../../lib/index.js';
import { startHealthApp } from '../../fixtures/health-app.fixture.js';
import { deleteTopology } from '../../fixtures/rabbitmq-admin.fixture.js';
import { AMQP_URL, closeConnectionsFromBroker, describeWithBroker, uniqueName } from '../../support/broker.js';

const CONNECTION_NAME = uniqueName('health-it-conn');

async function until(condition: () => boolean, description: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithBroker('MessagingHealthIndicator on RabbitMQ', () => {
  it('flips down when the broker closes the connection and back up after the reconnect', async () => {
    const queue = uniqueName('health');
    // Only the queue: the consumer needs nothing else, and no shared exchange name is declared on the shared broker.
    const topology = { queues: [{ name: queue, durable: false, errorQueue: false as const }] };
    const { app, indicator } = await startHealthApp(() => new AmqpTransport({ urls: AMQP_URL, connectionName: CONNECTION_NAME, reconnectDelayMs: 200 }), topology, queue);
    const status = (): string | undefined => indicator.isHealthy().messaging.status;
    try {
      expect(status()).toBe('up');
      // The main connection and the consumers' own one.
      expect(await closeConnectionsFromBroker(CONNECTION_NAME)).toBe(2);
      await until(() => status() === 'down', 'the indicator to report down', 5000);
      expect(indicator.isHealthy().messaging).toMatchObject({ connected: false, issues: ['no broker connection'] });
      await until(() => status() === 'up', 'the indicator to report up again', 20_000);
      expect(indicator.isHealthy().messaging).toMatchObject({ connected: true, consumers: { running: 1, subscribed: 1 } });

      // Losing only the consumers' connection counts as down too: nothing is being consumed.
      expect(await closeConnectionsFromBroker(CONNECTION_NAME, 'test: consumers only', 'consume')).toBe(1);
      await until(() => status() === 'down', 'the indicator to report down (consumers)', 5000);
      await until(() => status() === 'up', 'the indicator to report up again (consumers)', 20_000);
      expect(indicator.isHealthy().messaging).toMatchObject({ connected: true, consumers: { running: 1, subscribed: 1 } });
    } finally {
      await app.close();
      await deleteTopology({ queues: [queue] });
    }
  }, 40_000);
});
