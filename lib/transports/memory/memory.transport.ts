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
import { MemoryConsumer } from './memory.consumer.js';
import { busyReasons, pollUntil } from './memory-idle.waiter.js';
import { queuedMessage } from './memory.message.js';
import type { MemoryQueue } from './memory.queue.js';
import { MemoryQueueReader } from './memory-queue.reader.js';
import { MemoryReplyRouter } from './memory-reply.router.js';
import { replyOutbound } from '../reply-message.factory.js';
import type { MemoryQueuedMessage, MemoryRecords, QueueDepth } from './memory-record.types.js';
import { MemoryRecorder } from './memory.recorder.js';
import type { MemoryTransportOptions, WaitForIdleOptions, WaitForOptions } from './memory-transport.options.js';

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
 * `x-death` headers, queue and message TTL, length limits with every overflow mode, and redeclaration
 * checks (`PRECONDITION_FAILED` becomes {@link TopologyError}). Broker state outlives `close()`, like a
 * durable broker, so a test can restart an app on the same instance and see redeliveries.
 *
 * Known differences: no priorities, no unbinding or deletion API, nothing is persisted outside the
 * process, and message expiry is paused while the transport is closed (caught up on `start()`).
 *
 * On top of the contract it offers an assertion API for tests: {@link records}, {@link messages},
 * {@link queueDepth}, {@link waitForIdle}, {@link waitFor}, {@link purge}, {@link reset} and
 * {@link simulateConnectionLoss}. Deliveries and the wait helpers use real timers from `node:timers`, so
 * they work under jest's fake timers; TTLs use the global timers and clock, so fake timers drive them.
 *
 * `InboundMessage.raw` is a frozen `MemoryStoredMessage` snapshot of the stored message.
 */
export class MemoryTransport implements MessagingTransport {
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
  private readonly recorder: MemoryRecorder;
  private readonly broker: MemoryBroker;
  private readonly subscriptions = new Map<MemoryConsumer, MemoryQueue>();
  private readonly pendingConfirms = new Set<Promise<void>>();
  private consumerCount = 0;
  private readonly readers = new Set<MemoryQueueReader>();
  private readonly replies = new MemoryReplyRouter();

  constructor(options: MemoryTransportOptions = {}) {
    this.recorder = new MemoryRecorder(options.maxRecords ?? 10_000);
    const delay = options.deadLetterRequeueDelayMs;
    if (typeof delay === 'number' && !(Number.isFinite(delay) && delay >= 0)) {
      throw new InvalidOptionsError(`MemoryTransport: deadLetterRequeueDelayMs must be a non-negative number, got ${delay}`);
    }
    this.broker = new MemoryBroker(this.recorder, typeof delay === 'number' ? () => delay : delay);
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
  async publish(message: OutboundMessage): Promise<void> {
    this.assertStarted('publish');
    // Direct reply-to: a reply goes to its requester's address, never into a queue (see request()).
    if (MemoryReplyRouter.isReply(message)) {
      this.replies.deliver(message);
      return new Promise<void>((resolve) => realSetImmediate(resolve));
    }
    const { error } = this.broker.publish(message);
    const confirm = new Promise<void>((resolve, reject) => realSetImmediate(() => (error ? reject(error) : resolve())));
    this.pendingConfirms.add(confirm);
    const forget = (): void => void this.pendingConfirms.delete(confirm);
    confirm.then(forget, forget);
    return confirm;
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
    await Promise.allSettled([...this.pendingConfirms]);
    for (const consumer of [...this.subscriptions.keys()]) this.unsubscribe(consumer);
    for (const reader of [...this.readers]) reader.closeNow();
    const { registry } = this.broker;
    for (const queue of registry.queuesWithDeliveries()) queue.returnUnacked();
    for (const queue of registry.allQueues()) if (queue.settings.exclusive) registry.deleteQueue(queue.name);
    for (const queue of registry.allQueues()) queue.suspend();
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

  /** Ready messages and consumers of a queue, as a passive declare reports them; see {@link QueueStatus}. */
  async queueStatus(queue: string): Promise<QueueStatus> {
    this.assertStarted('check a queue');
    const found = this.requireQueue(queue);
    return { messages: found.readyCount, consumers: found.consumerCount };
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
      unconfirmedPublishes: this.pendingConfirms.size,
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
    for (const queue of this.broker.registry.queuesWithDeliveries()) {
      const recreated = queue.settings.exclusive || (queue.settings.autoDelete && queue.consumerCount > 0);
      if (recreated && !queue.deleted) queue.dropAll();
      else queue.returnUnacked();
    }
    this.events.emit('connection.reconnected', { url: MEMORY_URL, downtimeMs: 0 });
  }

  /** Everything recorded so far (oldest first), as a snapshot that later activity does not change. */
  get records(): MemoryRecords {
    return this.recorder.snapshot();
  }

  /** The ready (not delivered) messages of a queue, in delivery order. Throws {@link TopologyError} for an unknown queue. */
  messages(queue: string): MemoryQueuedMessage[] {
    return this.requireQueue(queue).readyMessages().map(queuedMessage);
  }

  /** Ready and unacked message counts of a queue. Throws {@link TopologyError} for an unknown queue. */
  queueDepth(queue: string): QueueDepth {
    const found = this.requireQueue(queue);
    return { ready: found.readyCount, unacked: found.unackedCount };
  }

  /** Whether the broker has an exchange of that name (built-ins included). */
  hasExchange(name: string): boolean {
    return this.broker.registry.exchange(name) !== undefined;
  }

  /** Whether the broker has a queue of that name. */
  hasQueue(name: string): boolean {
    return this.broker.registry.hasQueue(name);
  }

  /**
   * Removes a queue's ready messages without dead-lettering them, like AMQP `queue.purge`; unacked
   * deliveries are untouched. Returns how many were removed.
   */
  purge(queue: string): number {
    return this.requireQueue(queue).purge();
  }

  /** Forgets all records and purges every queue; the topology and subscriptions stay. */
  reset(): void {
    this.recorder.clear();
    for (const queue of this.broker.registry.allQueues()) queue.purge();
  }

  /**
   * Resolves once the broker is idle: no ready message in a queue that has an active consumer, nothing
   * unacked, no publish awaiting its confirm, and still so over a few checks a timer turn apart (so a
   * handler's deferred follow-up publish is waited for). Rejects after `timeoutMs` (default 5000) with an
   * Error listing which queues are busy and how.
   */
  waitForIdle(options: WaitForIdleOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return pollUntil(() => this.busy().length === 0, {
      timeoutMs,
      stableChecks: options.stableChecks ?? 3,
      onTimeout: () => new Error(`MemoryTransport was not idle after ${timeoutMs} ms: ${this.busy().join('; ')}`),
    });
  }

  /**
   * Resolves with the records once `predicate` holds for them, checking now and then about every
   * millisecond; rejects after `timeoutMs` (default 5000) with what was recorded and what is busy.
   *
   * @example await transport.waitFor((r) => r.acked.filter((a) => a.queue === 'billing').length >= 3);
   */
  async waitFor(predicate: (records: MemoryRecords) => boolean, options: WaitForOptions = {}): Promise<MemoryRecords> {
    const timeoutMs = options.timeoutMs ?? 5000;
    let records = this.records;
    await pollUntil(() => predicate((records = this.records)), {
      timeoutMs,
      stableChecks: 1,
      onTimeout: () => {
        const busy = this.busy();
        const what = options.description ? ` for ${options.description}` : '';
        return new Error(
          `MemoryTransport.waitFor timed out after ${timeoutMs} ms${what}; recorded: ${this.recorder.summary()}; ` +
            (busy.length > 0 ? `busy: ${busy.join('; ')}` : 'broker idle'),
        );
      },
    });
    return records;
  }

  private busy(): string[] {
    return busyReasons(this.broker.registry.queuesWithDeliveries(), this.pendingConfirms.size);
  }

  private unsubscribe(consumer: MemoryConsumer): void {
    const queue = this.subscriptions.get(consumer);
    if (!queue) return;
    this.subscriptions.delete(consumer);
    queue.removeConsumer(consumer);
  }

  private requireQueue(name: string): MemoryQueue {
    const queue = this.broker.registry.queue(name);
    if (!queue) throw new TopologyError(`NOT_FOUND: no queue "${name}" in the in-memory broker`);
    return queue;
  }

  private assertStarted(operation: string): void {
    if (this.state !== 'started') {
      throw new TransportStateError(
        `MemoryTransport: cannot ${operation} ${this.state === 'new' ? 'before start()' : 'after close()'}`,
      );
    }
  }
}
