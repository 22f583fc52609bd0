import type { Logger } from '@nestjs/common';
import { TransportConnectionError } from '../../errors/index.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import type { AmqpConsumer } from './amqp.consumer.js';
import type { AmqpQueueReader } from './amqp-queue.reader.js';
import type { TopologyChannel } from './amqp-topology.channel.js';
import { errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';
import type { PublisherPool } from './publisher.pool.js';
import type { TopologyGate } from './topology.gate.js';

/** Everything a transport holds open, in the order it must be released. */
export interface AmqpTransportResources {
  readonly gate: TopologyGate;
  readonly consumers: Iterable<AmqpConsumer>;
  /** The consumers' own connection, closed once their channels are. */
  readonly consumerConnection: { close(): Promise<void> };
  readonly readers: Iterable<AmqpQueueReader>;
  /** The request channel and queue probe, when they were opened. */
  readonly onDemand: { close(): Promise<void> };
  readonly publishers: PublisherPool | undefined;
  readonly topologyChannel: TopologyChannel | undefined;
  readonly monitor: AmqpConnectionMonitor | undefined;
  /** Longest wait for the connection close. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** Closes every channel, consumers first, then the connection; never throws. */
export async function releaseAmqpResources(resources: AmqpTransportResources): Promise<void> {
  resources.gate.close();
  await Promise.all([...resources.consumers].map((consumer) => consumer.close()));
  await Promise.all([...resources.readers].map((reader) => reader.close()));
  await resources.onDemand.close();
  await resources.publishers?.close();
  await resources.topologyChannel?.close();
  try {
    // Bounded like a connect: a broker that vanished mid-close must not hang the application's shutdown.
    await withTimeout(
      Promise.all([resources.consumerConnection.close(), resources.monitor?.close()]),
      resources.timeoutMs,
      () => new TransportConnectionError('the connection did not close in time'),
    );
  } catch (error) {
    resources.logger.warn(`Closing the RabbitMQ connection: ${errorMessage(error)}`);
  }
}
