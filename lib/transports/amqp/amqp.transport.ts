import { Logger } from '@nestjs/common';
import { assertConsumerLimit } from '../../common/index.js';
import { inspect } from 'node:util';
import { ConsumerDefinitionError, TransportStateError } from '../../errors/index.js';
import { validateTopology, type TopologyDefinition } from '../../topology/index.js';
import type {
  ConsumeOptions,
  DeliveryHandler,
  MessagingTransport,
  OutboundMessage,
  InboundMessage,
  QueueReader,
  QueueStatus,
  ReplyMessage,
  RequestOptions,
  TransportCapabilities,
  TransportState,
  TransportSubscription,
} from '../transport.interface.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import type { TopologyChannel } from './amqp-topology.channel.js';
import { startAmqpResources } from './amqp-transport.starter.js';
import type { AmqpConsumer } from './amqp.consumer.js';
import { AmqpConsumerConnection } from './amqp-consumer.connection.js';
import { startAmqpConsumer } from './amqp-consumer.registration.js';
import { AmqpQueueReader, type AmqpQueueAccessDeps } from './amqp-queue.reader.js';
import { collectAmqpStats, type AmqpTransportStats } from './amqp-transport.stats.js';
import type { AmqpTransportOptions, ResolvedAmqpTransportOptions } from './amqp-transport.options.js';
import { resolveAmqpTransportOptions } from './amqp-transport-options.resolver.js';
import { exponentialBackoff, type BackoffPolicy } from './backoff.policy.js';
import { amqpTransportLine, describeAmqpTransport, inspectAmqpTransport, type AmqpTransportDescription } from './amqp-transport.description.js';
import type { PublisherPool } from './publisher.pool.js';
import { releaseAmqpResources } from './amqp-transport.release.js';
import { TransportEvents } from '../transport.events.js';
import { refusalWhileBlocked } from './amqp-blocked.policy.js';
import { TopologyGate } from './topology.gate.js';
import { AmqpManagementCounters } from './amqp-management.counters.js';
import { AmqpOnDemandChannels } from './amqp-on-demand.channels.js';
import { replyOutbound } from '../reply-message.factory.js';

/** Lifecycle of an {@link AmqpTransport}: it starts once and closes once. */
export type AmqpTransportState = TransportState;

export type { AmqpTransportStats } from './amqp-transport.stats.js';

/**
 * RabbitMQ transport. One connection (amqp-connection-manager: several URLs, heartbeats, reconnect)
 * carries supervised channels: one to assert the topology, a pool of confirm channels to publish, and
 * one per consumer. Every channel is reopened, and its part of the topology re-asserted, after a
 * reconnect or after the broker closes it.
 *
 * Publishing is at-least-once: a message whose channel died before the broker confirmed it is sent
 * again, so it may arrive twice (with the same `messageId`). Memory stays bounded while disconnected:
 * see {@link AmqpTransportOptions.publisher}.
 */
export class AmqpTransport implements MessagingTransport {
  /** Names this transport in logs. */
  readonly kind = 'amqp';
  /** RabbitMQ without plugins: delay queues for delayed retry, delivery counts on quorum queues. */
  readonly capabilities: TransportCapabilities = {
    delayedRedelivery: false,
    deliveryCount: 'quorum',
    orderedPublishing: true,
    reconnects: true,
  };
  /** #private: it holds the broker URLs, passwords included, which must not be reachable from outside. */
  readonly #options: ResolvedAmqpTransportOptions;
  /**
   * Typed events: `connection.blocked`/`unblocked` (broker alarms), `queue.unavailable`/`recovered` (a
   * queue's node is down), `delivery.stuck`/`unstuck` (reported by the module's consumers).
   */
  readonly events = new TransportEvents();
  private readonly logger = new Logger('AmqpTransport');
  private readonly backoff: BackoffPolicy;
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly readers = new Set<AmqpQueueReader>();
  private state: AmqpTransportState = 'created';
  private topology: TopologyDefinition = {};
  /** #private: the connection manager inside it holds the broker URLs. */
  #monitor: AmqpConnectionMonitor | undefined;
  private readonly topologyGate = new TopologyGate();
  private readonly onDemand: AmqpOnDemandChannels;
  private readonly consumerConnection: AmqpConsumerConnection;
  private topologyChannel: TopologyChannel | undefined;
  private publishers: PublisherPool | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @throws TypeError or RangeError naming the first invalid option. */
  constructor(options: AmqpTransportOptions) {
    this.#options = resolveAmqpTransportOptions(options);
    this.backoff = exponentialBackoff(this.#options.reconnectDelayMs);
    const management = options.management && new AmqpManagementCounters(options.management, this.#options.urls[0], this.logger);
    this.onDemand = new AmqpOnDemandChannels({ gate: this.topologyGate, timeoutMs: this.#options.connectTimeoutMs, backoff: this.backoff, logger: this.logger, management });
    this.consumerConnection = new AmqpConsumerConnection({ options: this.#options, backoff: this.backoff, events: this.events });
  }

  /**
   * Connects (waiting up to `connectTimeoutMs`) and asserts the whole topology; both happen again on
   * every reconnect. A transport starts once; after a failed start it is closed.
   *
   * @throws TopologyError when the topology is invalid or the broker refuses part of it.
   * @throws TransportConnectionError when no broker answers in time or the credentials are refused.
   */
  start(topology: TopologyDefinition): Promise<void> {
    if (this.state !== 'created') {
      return Promise.reject(new TransportStateError(`AmqpTransport cannot start: it is ${this.state}`));
    }
    this.state = 'starting';
    this.starting = this.startOnce(topology);
    return this.starting;
  }

  /**
   * Resolves once the broker confirms the message. Rejects with `PublishNackedError` (broker refused it),
   * `UnroutableMessageError` (mandatory and no queue bound), `PublishBufferFullError` (buffer
   * full, at once, under `publisher.whenBufferFull: 'fail'`; by default a send waits for room),
   * `PublishTimeoutError` (not confirmed within `publisher.publishTimeoutMs`),
   * `TopologyError` (exchange does not exist) or `TransportStateError` (not running).
   */
  publish(message: OutboundMessage): Promise<void> {
    if (this.state !== 'running' || !this.publishers) {
      return Promise.reject(new TransportStateError(`AmqpTransport cannot publish: it is ${this.state}`));
    }
    // A deadline missed while blocked becomes a ConnectionBlockedError inside the pool (`timeoutUnderBlock`).
    const refusal = refusalWhileBlocked(this.#options.publisher.whenBlocked, this.#monitor?.blockedReason);
    return refusal ? Promise.reject(refusal) : this.publishers.publish(message);
  }

  /**
   * Starts a consumer that survives reconnects, on the consumers' connection (opened with the first one
   * unless `consumer.connection` is `shared`). When connected, waits (up to `connectTimeoutMs`) for the
   * consumer to be registered, so a queue the broker refuses fails here with a `TopologyError`.
   */
  async consume(options: ConsumeOptions, handler: DeliveryHandler): Promise<TransportSubscription> {
    const main = this.#monitor;
    if (this.state !== 'running' || !main) {
      throw new TransportStateError(`AmqpTransport cannot consume: it is ${this.state}`);
    }
    if (!options.queue) throw new ConsumerDefinitionError(`Consumer "${options.consumerName}" names no queue`);
    assertConsumerLimit(options.prefetch, `Consumer "${options.consumerName}": prefetch`);
    const monitor = await this.consumerConnection.monitorFor(main);
    if (this.state !== 'running') throw new TransportStateError(`AmqpTransport cannot consume: it is ${this.state}`);
    return startAmqpConsumer(
      {
        options: this.#options,
        topology: this.topology,
        backoff: this.backoff,
        logger: this.logger,
        publish: (message) => this.publish(message),
        monitor,
        consumers: this.consumers,
      },
      options,
      handler,
    );
  }

  /**
   * Stops accepting publishes, waits up to `closeTimeoutMs` for buffered and unconfirmed ones to settle
   * (failing the rest with `PublishTimeoutError`), then closes consumer, publisher and topology channels
   * and the connection. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  // --- queue access (optional SPI), implemented in amqp-queue.reader.ts ---

  /**
   * Opens a {@link QueueReader}: `basic.get` with manual acks on a channel of its own, never reopened.
   * @throws TopologyError when the queue does not exist; TransportStateError when not running.
   */
  async openQueueReader(queue: string): Promise<QueueReader> {
    const reader = await AmqpQueueReader.open(queue, this.queueAccessDeps('read a queue'), (r) => this.readers.delete(r));
    this.readers.add(reader);
    return reader;
  }

  /** `queue.purge` on a short-lived channel; resolves with how many ready messages were removed. */
  async purgeQueue(queue: string): Promise<number> {
    return AmqpQueueReader.purge(queue, this.queueAccessDeps('purge a queue'));
  }

  private queueAccessDeps(operation: string): AmqpQueueAccessDeps {
    const monitor = this.#monitor;
    if (this.state !== 'running' || !monitor) throw new TransportStateError(`AmqpTransport cannot ${operation}: it is ${this.state}`);
    return { monitor, timeoutMs: this.#options.connectTimeoutMs, backoff: this.backoff, logger: this.logger };
  }

  // --- end of queue access ---

  // --- request/reply and queue status (optional SPI), on channels opened on first use ---

  /**
   * Sends a request on the dedicated request channel (direct reply-to) and resolves with its reply.
   * Rejects with `RequestTimeoutError`, `RequestInterruptedError` (the request channel or connection
   * closed while waiting), `UnroutableMessageError` or `TransportStateError`.
   */
  async request(message: OutboundMessage, options: RequestOptions): Promise<InboundMessage> {
    return this.onDemand.request(this.queueAccessDeps('send a request').monitor, message, options);
  }

  /** Replies to a delivered request's address on the reply channel (unconfirmed: see AmqpReplySender). */
  async reply(request: InboundMessage, reply: ReplyMessage): Promise<void> {
    const message = replyOutbound(request, reply);
    await this.onDemand.reply(this.queueAccessDeps('send a reply').monitor, message);
  }

  /**
   * Ready messages and consumers of a queue, by a passive `queue.declare` on a channel of its own.
   * @throws TopologyError when the queue does not exist; TransportStateError when not running.
   */
  async queueStatus(queue: string): Promise<QueueStatus> {
    return this.onDemand.queueStatus(this.queueAccessDeps('check a queue').monitor, queue);
  }


  /** Counters for observability; cheap enough to call per request. */
  stats(): AmqpTransportStats {
    return collectAmqpStats({
      state: this.state,
      connected: this.#monitor?.connected ?? false,
      consumerConnected: this.consumerConnection.connected,
      blocked: this.#monitor?.blockedReason !== undefined,
      events: this.events,
      unavailableQueues: this.topologyChannel?.unavailableQueues ?? [],
      publishers: this.publishers,
      consumers: this.consumers,
      topologyChannel: this.topologyChannel,
    });
  }

  /** A description without secrets: the broker URLs with their passwords masked. */
  toString(): string {
    return amqpTransportLine(this.#options.urls, this.state);
  }

  /** What `JSON.stringify` shows: kind, masked URLs and {@link stats}, never the connection objects. */
  toJSON(): AmqpTransportDescription {
    return describeAmqpTransport(this.kind, this.#options, this.stats());
  }

  /** What `util.inspect` and `console.log` show: the same as {@link toJSON}. */
  [inspect.custom](): string {
    return inspectAmqpTransport(this.toJSON());
  }

  private async startOnce(topology: TopologyDefinition): Promise<void> {
    try {
      validateTopology(topology);
      this.topology = topology;
      const { topologyGate: gate, backoff, logger, events } = this;
      await startAmqpResources({ options: this.#options, topology, gate, backoff, logger, events }, {
        monitor: (monitor) => (this.#monitor = monitor),
        topologyChannel: (channel) => (this.topologyChannel = channel),
        publishers: (pool) => (this.publishers = pool),
      });
      this.state = 'running';
    } catch (error) {
      this.state = 'closing';
      await this.release();
      this.state = 'closed';
      throw error;
    }
  }

  private async closeOnce(): Promise<void> {
    // A start in progress is bounded by its own timeouts; closing halfway through it would race it.
    await this.starting?.catch(() => undefined);
    if (this.state === 'closed' || this.state === 'created') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing';
    await this.publishers?.settle(this.#options.closeTimeoutMs);
    await this.release();
    this.state = 'closed';
    this.logger.log('Closed');
  }

  private release(): Promise<void> {
    return releaseAmqpResources({
      gate: this.topologyGate,
      consumers: this.consumers,
      consumerConnection: this.consumerConnection,
      readers: this.readers,
      onDemand: this.onDemand,
      publishers: this.publishers,
      topologyChannel: this.topologyChannel,
      monitor: this.#monitor,
      timeoutMs: this.#options.connectTimeoutMs,
      logger: this.logger,
    });
  }
}
