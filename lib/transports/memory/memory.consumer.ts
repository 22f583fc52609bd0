import { Logger } from '@nestjs/common';
import { setImmediate as realSetImmediate, clearImmediate as realClearImmediate } from 'node:timers';
import { RingDeque } from '../../common/index.js';
import type { DeliveryHandler } from '../transport.interface.js';
import type { MemoryDelivery } from './memory.delivery.js';

/**
 * One subscription on one queue: its prefetch window and the deliveries assigned to it but not yet
 * handed to its handler.
 *
 * The broker assigns messages synchronously (so prefetch, round-robin and overflow behave as on
 * RabbitMQ, where the queue pushes to a consumer at once) but the handler always runs on a later
 * macrotask, so it is never re-entered from `publish` or `ack`, and a handler that requeues in a loop
 * cannot starve timers. The macrotask comes from `node:timers` rather than the global, which jest's fake
 * timers replace: tests that fake time to drive TTLs still get their deliveries.
 */
export class MemoryConsumer {
  /** Deliveries assigned and not yet settled, including those still waiting in the outbox. */
  private unackedCount = 0;
  private readonly outbox = new RingDeque<MemoryDelivery>();
  private flushHandle: ReturnType<typeof realSetImmediate> | undefined;
  private stopped = false;
  private readonly flushNow = (): void => this.flush();

  constructor(
    readonly name: string,
    /** Unique per transport; used in records. */
    readonly tag: string,
    /** Maximum unsettled deliveries (a positive integer). */
    readonly prefetch: number,
    private readonly handler: DeliveryHandler,
    private readonly onHandOver: (consumer: MemoryConsumer, delivery: MemoryDelivery) => void,
  ) {}

  /** Whether the broker may assign it another message. */
  get hasCapacity(): boolean {
    return !this.stopped && this.unackedCount < this.prefetch;
  }

  /** Whether it still takes deliveries (not cancelled or closed). */
  get active(): boolean {
    return !this.stopped;
  }

  /** Assigns a delivery; the handler sees it on a later macrotask. */
  assign(delivery: MemoryDelivery): void {
    this.unackedCount++;
    this.outbox.push(delivery);
    this.flushHandle ??= realSetImmediate(this.flushNow);
  }

  /** A delivery of this consumer was settled or returned to the queue. */
  release(): void {
    this.unackedCount--;
  }

  /** Takes back the deliveries the handler has not seen yet. */
  takeOutbox(): MemoryDelivery[] {
    return this.outbox.clear();
  }

  /** Stops for good: no more assignments and no more handler calls. */
  stop(): void {
    this.stopped = true;
    if (this.flushHandle) realClearImmediate(this.flushHandle);
    this.flushHandle = undefined;
  }

  private flush(): void {
    this.flushHandle = undefined;
    // Only as many as were waiting: what a handler's own actions assign meanwhile (a requeue, a publish
    // routed back here) waits for the next macrotask, so a handler that loops cannot starve the process.
    // Taken one at a time from the live outbox because a handler may cancel or close, which empties it.
    const due = this.outbox.length;
    for (let handed = 0; handed < due; handed++) {
      const delivery = this.outbox.shift();
      if (!delivery) break;
      this.onHandOver(this, delivery);
      try {
        this.handler(delivery);
      } catch (error) {
        // The contract says handlers never throw; if one does, the message stays unsettled, just as
        // with a broker, and shows up in waitForIdle's report.
        new Logger('MemoryTransport').error(`Consumer ${this.name}: delivery handler threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
