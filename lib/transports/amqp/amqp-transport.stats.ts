import type { TransportEvents } from '../transport.events.js';
import type { TransportState, TransportStats } from '../transport.interface.js';
import type { AmqpConsumer } from './amqp.consumer.js';
import type { TopologyChannel } from './amqp-topology.channel.js';
import type { PublisherPool } from './publisher.pool.js';

/** A read-only snapshot for health checks, metrics and tests. */
export interface AmqpTransportStats extends TransportStats {
  readonly blocked: boolean;
  readonly stuckDeliveries: number;
  /**
   * Each connection: `main` (topology, publishers, request/reply) and, once the first consumer opened it,
   * `consume` (consumer channels, with `consumer.connection: 'separate'`). `connected` is true only when
   * every one of them is up.
   */
  readonly connections: { readonly main: boolean; readonly consume?: boolean };
  /**
   * Sends waiting for room because the publish buffer is full (`publisher.whenBufferFull: 'wait'`), not
   * yet counted in `bufferedPublishes`.
   */
  readonly waitingPublishes: number;
  /** Queues of the topology that cannot be declared now (their node is down); retried with a backoff. */
  readonly unavailableQueues: readonly string[];
  /** Channels currently open and set up, by role. */
  readonly channels: { readonly topology: number; readonly publishers: number; readonly consumers: number };
}

/** What {@link collectAmqpStats} reads; all of it owned by the transport. */
export interface AmqpStatsSources {
  readonly state: TransportState;
  readonly connected: boolean;
  /** The consumers' own connection; `undefined` when there is none. */
  readonly consumerConnected: boolean | undefined;
  readonly blocked: boolean;
  readonly events: TransportEvents;
  readonly unavailableQueues: readonly string[];
  readonly publishers: PublisherPool | undefined;
  readonly consumers: Iterable<AmqpConsumer>;
  readonly topologyChannel: TopologyChannel | undefined;
}

/** Builds {@link AmqpTransportStats}; kept apart so the transport class stays about lifecycle. */
export function collectAmqpStats(sources: AmqpStatsSources): AmqpTransportStats {
  const pool = sources.publishers?.stats();
  // A consumer channel outlives cancel() so in-flight deliveries can settle: open channels and
  // registered consumers are different counts.
  let consumers = 0;
  let consumerChannels = 0;
  for (const consumer of sources.consumers) {
    if (consumer.registered) consumers++;
    if (consumer.supervisor.channel) consumerChannels++;
  }
  return {
    state: sources.state,
    connected: sources.connected && sources.consumerConnected !== false,
    connections:
      sources.consumerConnected === undefined
        ? { main: sources.connected }
        : { main: sources.connected, consume: sources.consumerConnected },
    blocked: sources.blocked,
    stuckDeliveries: sources.events.stuckDeliveries,
    unavailableQueues: sources.unavailableQueues,
    waitingPublishes: pool?.waiting ?? 0,
    bufferedPublishes: pool?.buffered ?? 0,
    unconfirmedPublishes: pool?.unconfirmed ?? 0,
    timedOutUnconfirmedPublishes: pool?.timedOut ?? 0,
    consumers,
    channels: {
      topology: sources.topologyChannel?.supervisor.channel ? 1 : 0,
      publishers: pool?.openChannels ?? 0,
      consumers: consumerChannels,
    },
  };
}
