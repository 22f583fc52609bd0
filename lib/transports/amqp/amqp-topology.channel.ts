import type { Logger } from '@nestjs/common';
import { TopologyError, TransportConnectionError } from '../../errors/index.js';
import type { TopologyDefinition } from '../../topology/index.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import type { AmqpChannelLike } from './amqp-connection.types.js';
import { assertTopology } from './amqp-topology.asserter.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { withTimeout } from './promise-timeout.util.js';
import type { TopologyGate } from './topology.gate.js';

/** What the topology channel declares and whom it tells. */
export interface TopologyChannelOptions {
  readonly topology: TopologyDefinition;
  readonly gate: TopologyGate;
  readonly closeTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
}

/**
 * The supervised channel that declares the whole topology on every connection and then opens the
 * {@link TopologyGate} publishers wait on.
 */
export function createTopologyChannel(options: TopologyChannelOptions): ChannelSupervisor<AmqpChannelLike> {
  return new ChannelSupervisor<AmqpChannelLike>({
    name: 'topology channel',
    open: (connection) => connection.createChannel(),
    setup: (channel) => assertTopology(channel, options.topology),
    closeTimeoutMs: options.closeTimeoutMs,
    backoff: options.backoff,
    logger: options.logger,
    onUp: () => options.gate.open(),
  });
}

/**
 * Registers the gate and the topology channel with the monitor and waits (up to `timeoutMs`) for the
 * first assertion. The channel is handed over before waiting so the caller can close it on failure.
 *
 * @throws TopologyError when the broker refuses part of the topology.
 * @throws TransportConnectionError when it is not asserted in time.
 */
export async function startTopologyChannel(
  monitor: AmqpConnectionMonitor,
  options: TopologyChannelOptions & { readonly timeoutMs: number },
  created: (channel: ChannelSupervisor<AmqpChannelLike>) => void,
): Promise<void> {
  const channel = createTopologyChannel(options);
  created(channel);
  // The gate first: each new connection closes it before the topology channel can reopen it.
  monitor.register(options.gate);
  monitor.register(channel);
  await withTimeout(
    channel.waitUntilUp((error) => error instanceof TopologyError),
    options.timeoutMs,
    () => new TransportConnectionError(`The topology could not be asserted within ${options.timeoutMs} ms`),
  );
}
