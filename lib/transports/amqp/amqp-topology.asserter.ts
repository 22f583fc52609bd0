import { QueueUnavailableError, TopologyError } from '../../errors/index.js';
import type {
  BindingDefinition,
  ExchangeDefinition,
  QueueDefinition,
  TopologyDefinition,
} from '../../topology/index.js';
import type {
  AmqpAssertExchangeOptions,
  AmqpAssertQueueOptions,
  AmqpChannelLike,
} from './amqp-connection.types.js';
import { amqpReplyCode, errorMessage } from './error-message.util.js';

/**
 * Declares a topology on one channel: exchanges first, then queues, then bindings (which need both
 * ends to exist). Declarations run one at a time because a refusal closes the channel: going one by one
 * is what lets the error name the object the broker refused.
 *
 * @throws QueueUnavailableError when a queue's home node is down (a cluster state, retried by callers).
 * @throws TopologyError when the broker refuses a declaration (e.g. PRECONDITION_FAILED because the
 * object exists with other arguments). Client-side failures, such as the connection dropping midway,
 * are rethrown unchanged since they say nothing about the topology.
 */
export async function assertTopology(channel: AmqpChannelLike, topology: TopologyDefinition): Promise<void> {
  await assertExchanges(channel, topology.exchanges ?? []);
  for (const queue of topology.queues ?? []) {
    await refusalAsTopologyError(`queue "${queue.name}"`, () => channel.assertQueue(queue.name, queueOptions(queue)), queue.name);
  }
  for (const binding of topology.bindings ?? []) {
    await assertBinding(channel, binding);
  }
}

/** Declares exchanges only; what a publisher channel needs before it publishes. */
export async function assertExchanges(
  channel: AmqpChannelLike,
  exchanges: readonly ExchangeDefinition[],
): Promise<void> {
  for (const exchange of exchanges) {
    await refusalAsTopologyError(`exchange "${exchange.name}"`, () =>
      channel.assertExchange(exchange.name, exchange.type, exchangeOptions(exchange)),
    );
  }
}

function exchangeOptions(exchange: ExchangeDefinition): AmqpAssertExchangeOptions {
  const options: AmqpAssertExchangeOptions = {
    durable: exchange.durable ?? true,
    autoDelete: exchange.autoDelete ?? false,
    internal: exchange.internal ?? false,
    arguments: { ...exchange.arguments },
  };
  if (exchange.alternateExchange !== undefined) options.alternateExchange = exchange.alternateExchange;
  return options;
}

function queueOptions(queue: QueueDefinition): AmqpAssertQueueOptions {
  // Typed fields are applied after the free-form arguments so they win when both name the same x-arg.
  const args: Record<string, unknown> = { ...queue.arguments };
  // The type is always stated: on a vhost whose default queue type is quorum an unstated type makes a
  // quorum queue (and an exclusive or auto-delete one fails). RabbitMQ 3.10 redeclares a queue made
  // without the argument with an explicit `classic` without complaint.
  args['x-queue-type'] = queue.type ?? args['x-queue-type'] ?? 'classic';
  if (queue.maxLengthBytes !== undefined) args['x-max-length-bytes'] = queue.maxLengthBytes;
  if (queue.overflow !== undefined) args['x-overflow'] = queue.overflow;

  const options: AmqpAssertQueueOptions = {
    durable: queue.durable ?? true,
    exclusive: queue.exclusive ?? false,
    autoDelete: queue.autoDelete ?? false,
    arguments: args,
  };
  if (queue.messageTtl !== undefined) options.messageTtl = queue.messageTtl;
  if (queue.maxLength !== undefined) options.maxLength = queue.maxLength;
  if (queue.deadLetterExchange !== undefined) options.deadLetterExchange = queue.deadLetterExchange;
  if (queue.deadLetterRoutingKey !== undefined) options.deadLetterRoutingKey = queue.deadLetterRoutingKey;
  return options;
}

async function assertBinding(channel: AmqpChannelLike, binding: BindingDefinition): Promise<void> {
  const routingKey = binding.routingKey ?? '';
  const args = { ...binding.arguments };
  if (binding.queue !== undefined) {
    const queue = binding.queue;
    await refusalAsTopologyError(`binding "${binding.exchange}" -> queue "${queue}" ("${routingKey}")`, () =>
      channel.bindQueue(queue, binding.exchange, routingKey, args),
    );
  } else if (binding.toExchange !== undefined) {
    const destination = binding.toExchange;
    await refusalAsTopologyError(`binding "${binding.exchange}" -> exchange "${destination}" ("${routingKey}")`, () =>
      channel.bindExchange(destination, binding.exchange, routingKey, args),
    );
  }
}

async function refusalAsTopologyError(what: string, declare: () => Promise<unknown>, queue?: string): Promise<void> {
  try {
    await declare();
  } catch (error) {
    if (amqpReplyCode(error) === undefined) throw error;
    // A classic queue's home node being down is a state of the cluster, not a mistake in the topology.
    if (queue !== undefined && amqpReplyCode(error) === 404 && /home node .* is down or inaccessible/.test(errorMessage(error))) {
      throw new QueueUnavailableError(queue, `Queue "${queue}" is unavailable: ${errorMessage(error)}`, { cause: error });
    }
    throw new TopologyError(`RabbitMQ refused to declare ${what}: ${errorMessage(error)}`, { cause: error });
  }
}
