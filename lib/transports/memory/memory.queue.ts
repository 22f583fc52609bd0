import type { MemoryConsumer } from './memory.consumer.js';
import type { QueueSettings } from './memory.declarations.js';
import { MemoryDelivery, type MemoryDeliveryHooks, type SettleOutcome } from './memory.delivery.js';
import { inboundMessage, type MemoryStoredMessage, type StoredMessage } from './memory.message.js';
import type { EnqueueResult, MemoryQueueHooks } from './memory-queue.hooks.js';
import { MemoryUnackedTable } from './memory-unacked.table.js';
import { MemoryConsumerRotation } from './memory-consumer.rotation.js';
import { MemoryExpiryTimer } from './memory-expiry.timer.js';
import { exceedsLimits } from './memory-queue.limits.js';
import { MemoryReadyList } from './memory-ready.list.js';
import { returnToQueue, type ReturnCause } from './memory-return.policy.js';

/**
 * One queue: FIFO ready messages, unacked deliveries, round-robin among consumers, head-of-queue expiry,
 * and length limits. Semantics follow a RabbitMQ classic queue, or a 3.10 quorum queue for returned
 * messages and delivery counting (see {@link returnToQueue}); see the comments on each rule.
 */
export class MemoryQueue {
  private readonly ready = new MemoryReadyList();
  private readonly unacked = new MemoryUnackedTable();
  private readonly consumers = new MemoryConsumerRotation();
  private readonly expiry: MemoryExpiryTimer;
  private running = true;
  private hadConsumer = false;
  private enqueuedTotal = 0;
  private acknowledgedTotal = 0;
  private isDeleted = false;
  private readonly deliveryHooks: MemoryDeliveryHooks = {
    settle: (delivery, outcome) => this.settle(delivery, outcome),
    deadLetter: (delivery, request) => this.hooks.copyToDeadLetter(this, delivery, request),
  };

  constructor(
    readonly settings: QueueSettings,
    private readonly hooks: MemoryQueueHooks,
    private readonly clock: () => number,
  ) {
    this.expiry = new MemoryExpiryTimer(clock, () => this.hooks.atomically(() => this.dispatch()));
  }

  /** The queue's name. */
  get name(): string {
    return this.settings.name;
  }

  /** True once deleted; its remaining unacked deliveries can still be settled, to no effect. */
  get deleted(): boolean {
    return this.isDeleted;
  }

  /** Messages waiting for delivery. */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Messages delivered and not yet settled, including those whose handler has not run yet. */
  get unackedCount(): number {
    return this.unacked.size;
  }

  /** Messages the queue accepted so far (requeues and returns not counted): its arrivals, for `queueStatus`. */
  get enqueued(): number {
    return this.enqueuedTotal;
  }

  /** Deliveries settled for good so far (acked, or rejected without requeue): its departures, for `queueStatus`. */
  get acknowledged(): number {
    return this.acknowledgedTotal;
  }

  /** Active subscriptions. */
  get consumerCount(): number {
    return this.consumers.length;
  }

  /** The ready messages in delivery order. */
  readyMessages(): readonly MemoryStoredMessage[] {
    return this.ready.toArray();
  }

  /**
   * Takes a routed message. As in RabbitMQ: a `reject-publish(-dlx)` queue refuses a message that would
   * take it over its limit, even if a consumer is free; otherwise an empty queue hands the message
   * straight to a free consumer (so TTL 0 and max-length 0 messages still reach a waiting consumer);
   * otherwise it joins the tail and `drop-head` trims the oldest messages.
   */
  enqueue(message: StoredMessage): EnqueueResult {
    if (this.deleted) return 'accepted';
    const { overflow } = this.settings;
    if (overflow !== 'drop-head' && exceedsLimits(this.settings, this.ready.length + 1, this.ready.bytes + message.body.length)) {
      if (overflow === 'reject-publish-dlx') this.hooks.deadLetter(this, message, 'maxlen');
      return 'rejected';
    }
    this.enqueuedTotal++;
    const consumer = this.ready.length === 0 ? this.consumers.pick() : undefined;
    if (consumer) {
      this.deliver(message, consumer);
    } else {
      this.ready.push(message);
      this.trimOverflow();
    }
    this.dispatch();
    return 'accepted';
  }

  /** Adds a subscription and lets it take what is ready. */
  addConsumer(consumer: MemoryConsumer): void {
    this.consumers.add(consumer);
    this.hadConsumer = true;
    this.hooks.atomically(() => this.dispatch());
  }

  /**
   * Removes a subscription. Deliveries its handler has not seen yet go back with the redelivered flag
   * they had, because the application never saw them; those it has seen stay with it for settling.
   */
  removeConsumer(consumer: MemoryConsumer): void {
    consumer.stop();
    if (!this.consumers.remove(consumer)) return;
    this.hooks.atomically(() => {
      for (const delivery of consumer.takeOutbox()) {
        if (!this.unacked.has(delivery)) continue;
        this.unacked.remove(delivery);
        delivery.markStale();
        delivery.stored.redelivered = delivery.wasRedelivered;
        this.takeBack(delivery.stored, 'unseen');
      }
      this.trimOverflow();
      this.dispatch();
    });
    if (this.consumers.length === 0 && this.hadConsumer && this.settings.autoDelete) this.hooks.lastConsumerGone(this);
  }

  /** Settles a delivery; `false` when it is no longer outstanding. */
  settle(delivery: MemoryDelivery, outcome: SettleOutcome): boolean {
    if (!this.unacked.has(delivery)) return false;
    const message = delivery.stored;
    this.hooks.enter();
    try {
      this.unacked.remove(delivery);
      if (outcome !== 'requeue') this.acknowledgedTotal++;
      this.hooks.settled(this, delivery, outcome);
      if (this.deleted) return true;
      if (outcome === 'requeue') {
        message.redelivered = true;
        this.takeBack(message, 'requeue');
        this.trimOverflow();
      } else if (outcome === 'reject') {
        this.hooks.deadLetter(this, message, 'rejected');
      }
      this.dispatch();
    } finally {
      this.hooks.leave();
    }
    return true;
  }

  /**
   * Returns every outstanding delivery to the queue with `redelivered` set and invalidates its handle, as
   * a broker does when the delivering channel closes. Consumers stay subscribed. A deleted queue simply
   * forgets them.
   */
  returnUnacked(): void {
    for (const consumer of this.consumers.all()) consumer.takeOutbox();
    if (this.unacked.size === 0) return;
    this.hooks.atomically(() => {
      for (const delivery of this.unacked.takeAll()) {
        if (this.deleted) continue;
        delivery.stored.redelivered = true;
        this.takeBack(delivery.stored, 'lost');
      }
      this.trimOverflow();
      this.dispatch();
    });
  }

  /** Drops every message, ready and unacked, without dead-lettering (the queue was recreated). */
  dropAll(): number {
    for (const consumer of this.consumers.all()) consumer.takeOutbox();
    return this.unacked.takeAll().length + this.purge();
  }

  /** Removes the ready messages (not the unacked ones) without dead-lettering, like AMQP `queue.purge`. */
  purge(): number {
    const removed = this.ready.clear().length;
    this.scheduleExpiry();
    return removed;
  }

  // --- queue reader support (dead-letter redrive) ---

  /**
   * Takes the head ready message out for a queue reader (AMQP `basic.get`): it is no longer ready, and
   * the reader holds it until it acks it or gives it back. Expired heads are dead-lettered first.
   */
  takeHead(): StoredMessage | undefined {
    if (this.deleted) return undefined;
    return this.hooks.atomically(() => {
      this.expireHead();
      const head = this.ready.shift();
      this.scheduleExpiry();
      return head;
    });
  }

  /**
   * Returns messages a reader took and did not ack, flagged redelivered, as RabbitMQ does when the
   * reader's channel closes: a classic queue puts them back in their original positions; a quorum queue
   * counts the return as a delivery (`x-delivery-count`, up to its delivery limit) and serves them first.
   */
  giveBack(messages: readonly StoredMessage[]): void {
    if (this.deleted || messages.length === 0) return;
    this.hooks.atomically(() => {
      for (const message of messages) {
        message.redelivered = true;
        this.takeBack(message, 'lost');
      }
      this.trimOverflow();
      this.dispatch();
    });
  }

  // --- end of queue reader support ---

  /** Stops the expiry timer while the transport is closed. */
  suspend(): void {
    this.running = false;
    this.scheduleExpiry();
  }

  /** Restarts expiry, dead-lettering at once whatever expired in the meantime. */
  resume(): void {
    this.running = true;
    this.hooks.atomically(() => this.dispatch());
  }

  /** Deletes the queue: ready messages are lost and consumers stop; unacked deliveries settle to no effect. */
  delete(): void {
    this.isDeleted = true;
    for (const consumer of this.consumers.clear()) consumer.stop();
    this.ready.clear();
    this.scheduleExpiry();
  }

  /** Returns a delivered message to the queue, or dead-letters it past a quorum queue's delivery limit. */
  private takeBack(message: StoredMessage, cause: ReturnCause): void {
    if (returnToQueue(this.settings, this.ready, message, cause) === 'delivery_limit') {
      this.hooks.deadLetter(this, message, 'delivery_limit');
    }
  }

  /** `drop-head`: dead-letter the oldest ready messages until the queue is back within its limits. */
  private trimOverflow(): void {
    if (this.settings.overflow !== 'drop-head') return;
    while (this.ready.length > 0 && exceedsLimits(this.settings, this.ready.length, this.ready.bytes)) {
      const dropped = this.ready.shift();
      if (dropped) this.hooks.deadLetter(this, dropped, 'maxlen');
    }
  }

  private deliver(message: StoredMessage, consumer: MemoryConsumer): void {
    const delivery = new MemoryDelivery(inboundMessage(message), this.unacked.newTag(), this.deliveryHooks, message, consumer, this.settings.type === 'quorum');
    this.unacked.add(delivery);
    consumer.assign(delivery);
  }

  /**
   * Expires, then delivers from the head while a consumer has room. Only the head is checked for expiry,
   * as RabbitMQ does: a message with a short `expiration` behind a longer-lived one waits for it.
   */
  private dispatch(): void {
    if (this.deleted) return;
    for (;;) {
      this.expireHead();
      const head = this.ready.peek();
      const consumer = head && this.consumers.pick();
      if (!head || !consumer) break;
      this.ready.shift();
      this.deliver(head, consumer);
    }
    this.scheduleExpiry();
  }

  private expireHead(): void {
    // Most messages never expire: read the clock only for a head that can.
    if (this.ready.peek()?.expiresAt === undefined) return;
    const now = this.clock();
    for (let head = this.ready.peek(); head?.expiresAt !== undefined && head.expiresAt <= now; head = this.ready.peek()) {
      this.ready.shift();
      this.hooks.deadLetter(this, head, 'expired');
    }
  }

  private scheduleExpiry(): void {
    this.expiry.set(this.running && !this.deleted ? this.ready.peek()?.expiresAt : undefined);
  }
}
