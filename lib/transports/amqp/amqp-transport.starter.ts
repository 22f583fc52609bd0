import type { Logger } from '@nestjs/common';
import type { TopologyDefinition } from '../../topology/index.js';
import type { TransportEvents } from '../transport.events.js';
import { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import { createAmqpManager } from './amqp-manager.options.js';
import { startTopologyChannel, type TopologyChannel } from './amqp-topology.channel.js';
import type { ResolvedAmqpTransportOptions } from './amqp-transport.options.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { PublisherPool } from './publisher.pool.js';
import type { TopologyGate } from './topology.gate.js';

/** What a transport's start needs, all owned by the transport. */
export interface AmqpStartDeps {
  readonly options: ResolvedAmqpTransportOptions;
  readonly topology: TopologyDefinition;
  readonly gate: TopologyGate;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  readonly events: TransportEvents;
}

/** Each resource as soon as it exists, so a start that fails midway can release what it made. */
export interface AmqpStartSink {
  monitor(monitor: AmqpConnectionMonitor): void;
  topologyChannel(channel: TopologyChannel): void;
  publishers(pool: PublisherPool): void;
}

/**
 * The start sequence: connect (up to `connectTimeoutMs`, refused credentials and certificates fail at
 * once), assert the topology on its channel, then attach the publisher pool, which waits for the
 * topology gate on every connection.
 */
export async function startAmqpResources(deps: AmqpStartDeps, sink: AmqpStartSink): Promise<void> {
  const { options, topology, gate, backoff, logger, events } = deps;
  const timeoutMs = options.connectTimeoutMs;
  const monitor = new AmqpConnectionMonitor(createAmqpManager(options), options.urls, backoff, logger, events);
  sink.monitor(monitor);
  await monitor.connect(timeoutMs);
  await startTopologyChannel(
    monitor,
    { topology, gate, closeTimeoutMs: timeoutMs, timeoutMs, backoff, logger, events },
    (channel) => sink.topologyChannel(channel),
  );
  const publishers = new PublisherPool({
    publisher: options.publisher,
    exchanges: topology.exchanges ?? [],
    topologyGate: gate,
    brokerTimeoutMs: timeoutMs,
    backoff,
    logger,
    events,
    blockedReason: () => monitor.blockedReason,
  });
  sink.publishers(publishers);
  for (const attachable of publishers.attachables) monitor.register(attachable);
}
