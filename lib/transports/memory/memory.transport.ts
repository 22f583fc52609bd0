import { setImmediate as realSetImmediate } from 'node:timers';
import { ConsumerDefinitionError, InvalidOptionsError, TopologyError, TransportStateError } from '../../errors/index.js';
import { assertConsumerLimit } from '../../common/index.js';
import type { TopologyDefinition } from '../../topology/index.js';
import { TransportEvents } from '../transport.events.js';
import type {
  ConsumeOptions,
  DeliveryHandler,
  InboundMessage,
  MessagingTransport,
  OutboundMessage,
  QueueReader,
  QueueStatus,
  ReplyMessage,
  RequestOptions,
  TransportCapabilities,
  TransportStats,
  TransportSubscription,
} from '../transport.interface.js';
import { MemoryBroker } from './memory.broker.js';
import { MemoryConfirmBatch } from './memory-confirm.batch.js';
import { MemoryConsumer } from './memory.consumer.js';
import { busyReasons } from './memory-idle.waiter.js';
import { MemoryTransportAssertions } from './memory-transport.assertions.js';
import type { MemoryQueue } from './memory.queue.js';
import { MemoryQueueReader } from './memory-queue.reader.js';
import { MemoryReplyRouter } from './memory-reply.router.js';
import { replyOutbound } from '../reply-message.factory.js';
import { MemoryRecorder } from './memory.recorder.js';
import { DEFAULT_MAX_RECORDS, type MemoryTransportOptions } from './memory-transport.options.js';

/** What the in-process broker reports as its address in connection events. */
const MEMORY_URL = 'memory://in-process';

/**
 * An in-process broker with RabbitMQ 0-9-1 semantics, for running without a broker and for tests.
 *
 * It reproduces what the transport contract exposes: the four exchange types plus exchange-to-exchange
 * bindings and alternate exchanges, mandatory returns, publisher confirms (a publish settles on a later
 * macrotask), prefetch and round-robin, requeue with `redelivered` (classic queues: original position;
 * quorum queues as RabbitMQ 3.10: nacked to the tail, returned by a lost channel to the front, counted
 * in `x-delivery-count`, dead-lettered past `x-delivery-limit`), dead-lettering with RabbitMQ 3.10's
 * `x-death` headers and the at-least-once dead-letter strategy of quorum queues, queue and message TTL,
 * length limits with every overflow mode, and redeclaration checks (`PRECONDITION_FAILED` becomes
 * {@link TopologyError}). Broker state outlives `close()`, like a durable broker, so a test can restart
 * an app on the same instance and see redeliveries.
 *
 * Known differences: no priorities, no unbinding, queues are deleted only through `deleteQueue`, nothing
 * is persisted outside the process, and message expiry is paused while the transport is closed (caught
 * up on `start()`); at-least-once dead-letters held for a retry are not counted as busy by `waitForIdle`.
 *
 * On top of the contract it offers an assertion API for tests (see {@link MemoryTransportAssertions}):
 * `records`, `messages`, `queueDepth`, `heldForDeadLetter`, `waitForIdle`, `waitFor`, `purge`,
 * `deleteQueue`, `reset`, and
 * {@link simulateConnectionLoss}. Deliveries and the wait helpers use real timers from `node:timers`, so
 * they work under jest's fake timers; TTLs use the global timers and clock, so fake timers drive them.
 *
 * `InboundMessage.raw` is a frozen `MemoryStoredMessage` snapshot of the stored message.
 */
export class MemoryTransport extends MemoryTransportAssertions implements MessagingTransport {
  /** Name for logs. */
  readonly kind = 'memory';
  /** Same as RabbitMQ's: no native delayed redelivery, delivery counts on quorum queues, ordered publishing. */
  readonly capabilities: TransportCapabilities = {
    delayedRedelivery: false,
    deliveryCount: 'quorum',
    orderedPublishing: true,
    reconnects: true,
  };
  /** Typed events: simulated connection losses, and `delivery.stuck`/`unstuck` reported by the consumer runners. */
  readonly events = new TransportEvents();
  private state: 'new' | 'started' | 'closed' = 'new';
  private readonly subscriptions = new Map<MemoryConsumer, MemoryQueue>();
  private readonly confirms = new MemoryConfirmBatch();
  private consumerCount = 0;
  private readonly readers = new Set<MemoryQueueReader>();
  private readonly replies = new MemoryReplyRouter();

  constructor(options: MemoryTransportOptions = {}) {
    const recorder = new MemoryRecorder(options.maxRecords ?? DEFAULT_MAX_RECORDS);
    const delay = options.deadLetterRequeueDelayMs;
    if (typeof delay === 'number' && !(Number.isFinite(delay) && delay >= 0)) {
      throw new InvalidOptionsError(`MemoryTransport: deadLetterRequeueDelayMs must be a non-negative number, got ${delay}`);
    }
    const retry = options.deadLetterRetryMs;
    if (retry !== undefined && !(Number.isFinite(retry) && retry >= 0)) {
      throw new InvalidOptionsError(`MemoryTransport: deadLetterRetryMs must be a non-negative number, got ${retry}`);
    }
    super(recorder, new MemoryBroker(recorder, typeof delay === 'number' ? () => delay : delay, retry));
  }

  /**
   * Declares the topology (idempotent; all-or-nothing) and opens the transport. Rejects with
   * {@link TopologyError} when a declaration conflicts with the broker's state. May be called again
   * after {@link close}; the broker's messages are still there.
   */
  async start(topology: TopologyDefinition): Promise<void> {
    this.broker.atomically(() => this.broker.registry.declare(topology));
    this.state = 'started';
    for (const queue of this.broker.registry.allQueues()) queue.resume();
    this.events.emit('connection.connected', { url: MEMORY_URL });
  }

  /**
   * Routes the message and resolves on a later macrotask, like a publisher confirm. Rejects with
   * {@link TopologyError} for a missing or internal exchange, `UnroutableMessageError` for an
   * unroutable mandatory message, `PublishNackedError` when a full `reject-publish(-dlx)` queue
   * refused it, and {@link TransportStateError} when not started.
   */
  publish(message: OutboundMessage): Promise<void> {
    // Not async: a plain function returning the confirm saves a promise and a microtask per publish.
    try {
      this.assertStarted('publish');
      // Direct reply-to: a reply goes to its requester's address, never into a queue (see request()).
      if (MemoryReplyRouter.isReply(message)) {
        this.replies.deliver(message);
        return new Promise<void>((resolve) => realSetImmediate(resolve));
      }
      return this.confirms.confirm(this.broker.publish(message).error);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Subscribes a handler to a queue. Rejects with {@link TopologyError} when the queue does not exist and
   * {@link ConsumerDefinitionError} for a prefetch that is not a positive integer.
   */
  async consume(options: ConsumeOptions, handler: DeliveryHandler): Promise<TransportSubscription> {
    this.assertStarted('consume');
    assertConsumerLimit(options.prefetch, `Consumer ${options.consumerName}: prefetch`);
    const queue = this.broker.registry.queue(options.queue);
    if (!queue) throw new TopologyError(`NOT_FOUND: no queue "${options.queue}" in the in-memory broker`);
    const tag = `${options.consumerName}#${++this.consumerCount}`;
    const consumer = new MemoryConsumer(options.consumerName, tag, options.prefetch, handler, (c, d) => this.broker.handedOver(c, d));
    this.subscriptions.set(consumer, queue);
    queue.addConsumer(consumer);
    return { cancel: async () => this.unsubscribe(consumer) };
  }

  /**
   * Closes like a client connection: waits for pending confirms, stops every subscription, returns every
   * unsettled delivery to its queue with `redelivered` set (their handles then return `false`), deletes
   * exclusive queues and auto-delete queues that lost their consumers, and stops expiry timers.
   */
  async close(): Promise<void> {
    if (this.state !== 'started') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    this.replies.connectionLost('the transport closed');
    await this.confirms.settled();
    for (const consumer of [...this.subscriptions.keys()]) this.unsubscribe(consumer);
    for (const reader of [...this.readers]) reader.closeNow();
    this.broker.connectionClosed();
  }

  // --- queue access (optional SPI) ---

  /** Opens a reader taking messages off a queue like `basic.get`; see {@link QueueReader}. */
  async openQueueReader(queue: string): Promise<QueueReader> {
    this.assertStarted('read a queue');
    const reader = new MemoryQueueReader(this.requireQueue(queue), (closed) => this.readers.delete(closed));
    this.readers.add(reader);
    return reader;
  }

  /** The SPI form of {@link purge}. */
  async purgeQueue(queue: string): Promise<number> {
    this.assertStarted('purge a queue');
    return this.purge(queue);
  }

  // --- end of queue access ---

  /**
   * Ready messages and consumers of a queue, as a passive declare reports them, plus the queue's exact
   * `enqueued` and `acknowledged` counters (all clients of this broker); see {@link QueueStatus}.
   */
  async queueStatus(queue: string): Promise<QueueStatus> {
    this.assertStarted('check a queue');
    const found = this.requireQueue(queue);
    return { messages: found.readyCount, consumers: found.consumerCount, enqueued: found.enqueued, acknowledged: found.acknowledged };
  }

  // --- request/reply (optional SPI), direct reply-to semantics in memory-reply.router.ts ---

  /** Publishes a request with this transport's reply address and resolves with its reply; see {@link RequestReply}. */
  async request(message: OutboundMessage, options: RequestOptions): Promise<InboundMessage> {
    this.assertStarted('send a request');
    return this.replies.request(message, options, (request) => this.publish(request));
  }

  /** Replies to a delivered request (not mandatory; dropped when its address is gone). */
  async reply(request: InboundMessage, reply: ReplyMessage): Promise<void> {
    this.assertStarted('reply');
    await this.publish(replyOutbound(request, reply));
  }

  // --- end of request/reply ---

  /** State and counters; an in-process broker is connected whenever it runs and never buffers. */
  stats(): TransportStats {
    const state = this.state === 'new' ? 'created' : this.state === 'started' ? 'running' : 'closed';
    return {
      state,
      connected: this.state === 'started',
      bufferedPublishes: 0,
      unconfirmedPublishes: this.confirms.pending,
      consumers: this.subscriptions.size,
      stuckDeliveries: this.events.stuckDeliveries,
    };
  }

  /**
   * Test helper: a connection drop followed by an immediate reconnect. Every unsettled delivery returns
   * to its queue with `redelivered` set and its handle stops working (`ack` returns `false`); the
   * subscriptions stay and receive those messages again. Exclusive and auto-delete queues, which the
   * broker would have deleted and the reconnect re-declared, lose their messages.
   */
  simulateConnectionLoss(): void {
    this.assertStarted('simulateConnectionLoss');
    this.events.emit('connection.lost', { error: new Error('simulated connection loss') });
    this.replies.connectionLost('connection lost');
    this.broker.connectionLost();
    this.events.emit('connection.reconnected', { url: MEMORY_URL, downtimeMs: 0 });
  }

  protected busy(): string[] {
    return busyReasons(this.broker.registry.queuesWithDeliveries(), this.confirms.pending);
  }

  private unsubscribe(consumer: MemoryConsumer): void {
    const queue = this.subscriptions.get(consumer);
    if (!queue) return;
    this.subscriptions.delete(consumer);
    queue.removeConsumer(consumer);
  }

  private assertStarted(operation: string): void {
    if (this.state !== 'started') {
      throw new TransportStateError(
        `MemoryTransport: cannot ${operation} ${this.state === 'new' ? 'before start()' : 'after close()'}`,
      );
    }
  }
}
