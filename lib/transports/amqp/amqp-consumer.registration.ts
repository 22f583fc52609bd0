import type { Logger } from '@nestjs/common';
import { TopologyError, TransportConnectionError } from '../../errors/index.js';
import type { TopologyDefinition } from '../../topology/index.js';
import type { ConsumeOptions, DeliveryHandler, OutboundMessage } from '../transport.interface.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import { AmqpConsumer } from './amqp.consumer.js';
import type { ResolvedAmqpTransportOptions } from './amqp-transport.options.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { withTimeout } from './promise-timeout.util.js';

/** What a new consumer is made from; all of it owned by the transport. */
export interface AmqpConsumerStartDeps {
  readonly options: ResolvedAmqpTransportOptions;
  readonly topology: TopologyDefinition;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  /** The transport's confirmed publish, for dead-letter copies. */
  readonly publish: (message: OutboundMessage) => Promise<void>;
  /** The connection the consumer's channel lives on. */
  readonly monitor: AmqpConnectionMonitor;
  /** The transport's consumers: the new one is added, and removed again if the broker refuses it. */
  readonly consumers: Set<AmqpConsumer>;
}

/**
 * Creates a consumer on `deps.monitor`'s connection and registers it (see {@link registerConsumer}).
 * @throws TopologyError when the broker refuses the queue.
 */
export async function startAmqpConsumer(deps: AmqpConsumerStartDeps, consume: ConsumeOptions, handler: DeliveryHandler): Promise<AmqpConsumer> {
  const { options, logger } = deps;
  const consumer = new AmqpConsumer({
    consume,
    handler,
    topology: deps.topology,
    brokerTimeoutMs: options.connectTimeoutMs,
    backoff: deps.backoff,
    logger,
    publish: deps.publish,
    requeueDelayMs: options.deadLetterRequeueDelayMs,
    coalesceAcks: options.consumer.coalesceAcks,
  });
  deps.consumers.add(consumer);
  try {
    await registerConsumer(consumer, deps.monitor, options.connectTimeoutMs, logger, consume.consumerName);
  } catch (error) {
    deps.consumers.delete(consumer);
    throw error;
  }
  return consumer;
}

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
