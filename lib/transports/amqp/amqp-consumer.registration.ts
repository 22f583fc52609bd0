import type { Logger } from '@nestjs/common';
import { TopologyError, TransportConnectionError } from '../../errors/index.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import type { AmqpConsumer } from './amqp.consumer.js';
import { withTimeout } from './promise-timeout.util.js';

/**
 * Registers a new consumer with the connection and, when connected, waits (up to `timeoutMs`) until the
 * broker registered it, so a queue the broker refuses fails the caller with a `TopologyError`. Any other
 * delay is only logged: the consumer keeps trying in the background.
 *
 * @throws TopologyError after unregistering and closing the consumer.
 */
export async function registerConsumer(
  consumer: AmqpConsumer,
  monitor: AmqpConnectionMonitor,
  timeoutMs: number,
  logger: Logger,
  consumerName: string,
): Promise<void> {
  monitor.register(consumer.supervisor);
  if (!monitor.connected) return;
  try {
    await withTimeout(
      consumer.supervisor.waitUntilUp((error) => error instanceof TopologyError),
      timeoutMs,
      () => new TransportConnectionError('consumer not registered in time'),
    );
  } catch (error) {
    if (!(error instanceof TopologyError)) {
      logger.warn(`Consumer "${consumerName}" is not consuming yet; it keeps trying in the background`);
      return;
    }
    monitor.unregister(consumer.supervisor);
    await consumer.close();
    throw error;
  }
}
