import { Logger } from '@nestjs/common';
import { RingDeque } from '../../common/index.js';
import { InvalidOptionsError, PublishNackedError, TopologyError, UnroutableMessageError } from '../../errors/index.js';
import { deadLetterByCopy, deadLetterTargetOf } from '../dead-letter.copy.js';
import type { DeadLetterOutcome, DeadLetterRequest, MessageProperties, OutboundMessage } from '../transport.interface.js';
import type { MemoryConsumer } from './memory.consumer.js';
import type { MemoryDelivery, SettleOutcome } from './memory.delivery.js';
import { deadLetterProperties, deathEntries, isDeadLetterCycle } from './memory-dead-letter.headers.js';
import { routeMessage } from './memory-exchange.router.js';
import { MemoryRouteCache } from './memory-route.cache.js';
import { cloneProperties, copyBody, type DeadLetterReason, type StoredMessage } from './memory.message.js';
import type { MemoryQueueHooks } from './memory-queue.hooks.js';
import { MemoryQueue } from './memory.queue.js';
import type { PublishOutcome } from './memory-record.types.js';
import type { MemoryRecorder } from './memory.recorder.js';
import { PendingDeadLetterRecord } from './memory-pending.records.js';
import { DEFAULT_DEAD_LETTER_RETRY_MS, MemoryDeadLetterRetainer, type RetainedDeadLetter } from './memory-dead-letter.retainer.js';
import { MemoryTopologyRegistry } from './memory-topology.registry.js';

/** What a publish did; the transport rejects the publish with `error` when there is one. */
export interface PublishResult {
  readonly outcome: PublishOutcome;
  readonly routedQueues: readonly string[];
  readonly error?: Error;
}

interface PendingDeadLetter {
  readonly queue: MemoryQueue;
  readonly message: StoredMessage;
  readonly reason: DeadLetterReason;
}

/**
 * The broker proper: topology, routing into queues, dead-lettering, and the records of what happened.
 * Everything here is synchronous; the transport adds the asynchrony a real broker has.
 *
 * Dead-letters are routed after the change that caused them has finished (see {@link atomically}), so a
 * dead-letter exchange routing back into the queue being changed never re-enters it half-way through.
 */
export class MemoryBroker implements MemoryQueueHooks {
  readonly registry = new MemoryTopologyRegistry((settings) => new MemoryQueue(settings, this, () => Date.now()));
  private readonly routes = new MemoryRouteCache(this.registry);
  private sequence = 0;
  private readonly pendingDeadLetters = new RingDeque<PendingDeadLetter>();
  private depth = 0;
  private readonly logger = new Logger('MemoryTransport');
  /** At-least-once dead-letters still held by their source queues. */
  readonly retainer: MemoryDeadLetterRetainer;

  /**
   * @param requeueDelayMs Wait before requeueing a delivery whose dead-letter copy was refused, by
   * attempt; the SDK's default backoff when undefined.
   * @param deadLetterRetryMs Wait before an at-least-once dead-letter no queue took is sent again.
   */
  constructor(
    private readonly recorder: MemoryRecorder,
    private readonly requeueDelayMs?: (attempt: number) => number,
    deadLetterRetryMs = DEFAULT_DEAD_LETTER_RETRY_MS,
  ) {
    this.retainer = new MemoryDeadLetterRetainer(deadLetterRetryMs, (held) => this.retryDeadLetter(held));
  }

  /** Runs a change; dead-letters raised during it are routed when the outermost change completes. */
  atomically<T>(change: () => T): T {
    this.enter();
    try {
      return change();
    } finally {
      this.leave();
    }
  }

  /** Opens a change, for hot paths that would otherwise allocate a closure for {@link atomically}. */
  enter(): void {
    this.depth++;
  }

  /** Closes the change {@link enter} opened (call it in a `finally`). */
  leave(): void {
    this.depth--;
    if (this.depth === 0) this.flushDeadLetters();
  }

  /** Routes a message into queues and records the publish. Never throws: failures are part of the result. */
  publish(message: OutboundMessage): PublishResult {
    return this.route(message);
  }

  /** Queues a message a queue gave up; it is routed once the current change completes. */
  deadLetter(queue: MemoryQueue, message: StoredMessage, reason: DeadLetterReason): void {
    this.pendingDeadLetters.push({ queue, message, reason });
    if (this.depth === 0) this.flushDeadLetters();
  }

  /** Records a settle. */
  settled(queue: MemoryQueue, delivery: MemoryDelivery, outcome: SettleOutcome): void {
    if (!this.recorder.enabled) return;
    const { consumer } = delivery;
    const kind = outcome === 'ack' ? 'acked' : 'nacked';
    this.recorder.recordDelivery(kind, delivery.stored, queue.name, consumer.name, consumer.tag, delivery.tag, outcome === 'requeue');
  }

  /** Records a delivery as its handler receives it, from the stored message (the handler owns its copy). */
  handedOver(consumer: MemoryConsumer, delivery: MemoryDelivery): void {
    if (!this.recorder.enabled) return;
    const { stored } = delivery;
    // A quorum redelivery's properties carry x-delivery-count, which only the handler's copy has: copied now, before the handler can change it.
    const message = stored.deliveryCount > 0 ? { ...stored, properties: cloneProperties(delivery.message.properties) } : stored;
    this.recorder.recordDelivery('delivered', message, stored.queue, consumer.name, consumer.tag, delivery.tag, delivery.message.redelivered);
  }

  /** Publishes the failure-recorded copy through the broker, then acks, as the AMQP transport does. */
  copyToDeadLetter(queue: MemoryQueue, delivery: MemoryDelivery, request: DeadLetterRequest): Promise<DeadLetterOutcome> {
    return deadLetterByCopy({
      delivery,
      request,
      target: deadLetterTargetOf(queue.settings),
      publish: async (message) => {
        const { error } = this.publish(message);
        if (error) throw error;
      },
      logger: this.logger,
      ...(this.requeueDelayMs ? { requeueDelayMs: this.requeueDelayMs } : {}),
    });
  }

  /**
   * The client connection closed: unsettled deliveries go back to their queues, exclusive queues are
   * deleted, and expiry stops until the next start.
   */
  connectionClosed(): void {
    const { registry } = this;
    for (const queue of registry.queuesWithDeliveries()) queue.returnUnacked();
    for (const queue of registry.allQueues()) if (queue.settings.exclusive) registry.deleteQueue(queue.name);
    for (const queue of registry.allQueues()) queue.suspend();
  }

  /**
   * The connection dropped and came back: unsettled deliveries go back to their queues, except in the
   * exclusive and auto-delete queues the reconnect re-declared, which start empty.
   */
  connectionLost(): void {
    for (const queue of this.registry.queuesWithDeliveries()) {
      const recreated = queue.settings.exclusive || (queue.settings.autoDelete && queue.consumerCount > 0);
      if (recreated && !queue.deleted) queue.dropAll();
      else queue.returnUnacked();
    }
  }

  /** RabbitMQ deletes an `autoDelete` queue when its last consumer goes. */
  lastConsumerGone(queue: MemoryQueue): void {
    this.registry.deleteQueue(queue.name);
  }

  /** Routes a publish and records it (with the broker's own copy of the message). */
  private route(message: OutboundMessage): PublishResult {
    const { exchange: name, routingKey } = message;
    const exchange = this.registry.exchange(name);
    const expiration = message.properties.expiration;
    let error: Error | undefined;
    if (!exchange) error = new TopologyError(`NOT_FOUND: no exchange "${name}" in the in-memory broker`);
    else if (exchange.internal) error = new TopologyError(`ACCESS_REFUSED: exchange "${name}" is internal and cannot be published to`);
    else if (expiration !== undefined && (!Number.isInteger(expiration) || expiration < 0)) {
      error = new InvalidOptionsError(`Message expiration must be a non-negative integer number of milliseconds, got ${expiration}`);
    }
    if (error || !exchange) {
      return this.recordPublish(message, Buffer.from(message.body), cloneProperties(message.properties), { outcome: 'failed', routedQueues: [], error }, Date.now());
    }

    const body = copyBody(message.body);
    const properties = cloneProperties(message.properties);
    // One clock reading for the enqueue times and the publish record: they happen in the same call.
    const now = Date.now();
    let result: PublishResult;
    this.enter();
    try {
      const route = this.routes.route(exchange, routingKey, properties.headers);
      const accepted = this.enqueueAll(route.queues, name, routingKey, body, properties, now);
      if (route.queues.length === 0) {
        result = message.mandatory ? { outcome: 'returned', routedQueues: [], error: new UnroutableMessageError(name, routingKey) } : DROPPED;
      } else if (accepted) {
        // A queue that refuses a message for being full still counts as a route (no mandatory return), as on RabbitMQ.
        result = { outcome: 'nacked', routedQueues: accepted, error: new PublishNackedError(name, routingKey) };
      } else {
        result = route.routed;
      }
    } finally {
      this.leave();
    }
    return this.recorder.enabled ? this.recordPublish(message, body, properties, result, now) : result;
  }

  /** Records a publish with the broker's own copies of its body and properties. */
  private recordPublish(message: OutboundMessage, body: Buffer, properties: MessageProperties, result: PublishResult, now: number): PublishResult {
    this.recorder.recordPublish(message.exchange, message.routingKey, body, properties, message.mandatory, result.routedQueues, result.outcome, result.error, now);
    return result;
  }

  /**
   * Stores a copy in each queue. `body` and `properties` are the broker's own copies already: the first
   * queue keeps them and any further queue gets its own, so no two queues share a mutable object.
   * Returns `undefined` when every queue took the message, else the names of those that did.
   */
  private enqueueAll(
    queues: readonly MemoryQueue[],
    exchange: string,
    routingKey: string,
    body: Buffer,
    properties: MessageProperties,
    now: number,
  ): string[] | undefined {
    let accepted: string[] | undefined;
    for (let index = 0; index < queues.length; index++) {
      const queue = queues[index] as MemoryQueue;
      const ttl = earliest(queue.settings.messageTtl, properties.expiration);
      const stored: StoredMessage = {
        sequence: ++this.sequence,
        queue: queue.name,
        exchange,
        routingKey,
        body: index === 0 ? body : copyBody(body),
        properties: index === 0 ? properties : cloneProperties(properties),
        redelivered: false,
        deliveryCount: 0,
        enqueuedAt: now,
        expiresAt: ttl === undefined ? undefined : now + ttl,
      };
      if (queue.enqueue(stored) === 'accepted') {
        accepted?.push(queue.name);
      } else {
        accepted ??= queues.slice(0, index).map((earlier) => earlier.name);
      }
    }
    return accepted;
  }

  private flushDeadLetters(): void {
    this.depth++;
    try {
      for (let next = this.pendingDeadLetters.shift(); next; next = this.pendingDeadLetters.shift()) this.routeDeadLetter(next);
    } finally {
      this.depth--;
    }
  }

  /**
   * Sends a message to its queue's dead-letter exchange with the dead-letter routing key (or its own),
   * skipping queues that would form a consumer-free cycle. Without a dead-letter exchange the message is
   * discarded, and a dead-letter exchange that routes nowhere discards it too, as on RabbitMQ, unless the
   * queue dead-letters at least once: then what no queue took stays held and is sent again later.
   */
  private routeDeadLetter({ queue, message, reason }: PendingDeadLetter): void {
    const exchange = queue.settings.deadLetterExchange;
    const routingKey = exchange === undefined ? undefined : (queue.settings.deadLetterRoutingKey ?? message.routingKey);
    let dead: RetainedDeadLetter | undefined;
    if (exchange !== undefined && routingKey !== undefined) {
      dead = { queue, message, reason, exchange, routingKey, properties: deadLetterProperties(message, reason, Date.now()), delivered: new Set<string>() };
      if (!this.sendDeadLetter(dead) && queue.settings.deadLetterStrategy === 'at-least-once') this.retainer.hold(dead);
    }
    if (this.recorder.enabled) this.recordDeadLetter(dead ?? { queue, message, reason, exchange, routingKey, properties: message.properties, delivered: new Set() });
  }

  /** One attempt to deliver a dead-letter to the queues that have not taken it yet; true once all did. */
  private sendDeadLetter(held: RetainedDeadLetter): boolean {
    const { queue, reason, exchange, routingKey, properties, delivered } = held;
    const deaths = deathEntries(properties.headers);
    const queues = routeMessage(this.registry, exchange, { routingKey, headers: properties.headers }).filter((name) => {
      const cycle = isDeadLetterCycle(reason, deaths, name);
      if (cycle) this.logger.warn(`Dead-letter cycle: message from "${queue.name}" (${reason}) dropped instead of entering "${name}" again`);
      return !cycle;
    });
    const pending = queues.filter((name) => !delivered.has(name));
    const route = this.routes.routeOf(pending);
    const accepted = this.enqueueAll(route.queues, exchange, routingKey, held.message.body, cloneProperties(properties), Date.now()) ?? route.names;
    for (const name of accepted) delivered.add(name);
    return queues.length > 0 && accepted.length === pending.length;
  }

  /** A later attempt of an at-least-once dead-letter (see {@link MemoryDeadLetterRetainer}). */
  private retryDeadLetter(held: RetainedDeadLetter): boolean {
    const before = held.delivered.size;
    const done = this.atomically(() => this.sendDeadLetter(held));
    if (held.delivered.size > before && this.recorder.enabled) this.recordDeadLetter(held);
    return done;
  }

  private recordDeadLetter(dead: Omit<RetainedDeadLetter, 'exchange' | 'routingKey'> & { readonly exchange: string | undefined; readonly routingKey: string | undefined }): void {
    const { queue, message, reason, exchange, routingKey, properties, delivered } = dead;
    const fields = { sourceQueue: queue.name, reason, targetExchange: exchange, targetRoutingKey: routingKey, routedQueues: [...delivered], originalExchange: message.exchange, originalRoutingKey: message.routingKey, properties };
    this.recorder.record('deadLettered', new PendingDeadLetterRecord(fields, message.body));
  }
}

/** What a non-mandatory publish that reached no queue reports; shared, as it carries nothing of its own. */
const DROPPED: PublishResult = Object.freeze({ outcome: 'dropped', routedQueues: Object.freeze([]) });

/** The sooner of two optional TTLs. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}
