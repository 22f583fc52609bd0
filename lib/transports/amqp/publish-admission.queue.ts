import { PublishBufferFullError } from '../../errors/index.js';
import type { TransportEvents } from '../transport.events.js';
import type { BufferFullPolicy } from './amqp-transport.options.js';
import { PublishBuffer } from './publish.buffer.js';
import type { PublishRequest } from './publish.request.js';

/** What a {@link PublishAdmissionQueue} needs. */
export interface PublishAdmissionOptions {
  readonly policy: BufferFullPolicy;
  /** The publish buffer's bound, reported with `buffer.full`. */
  readonly bufferSize: number;
  readonly events?: TransportEvents;
}

/**
 * The sends that found the publish buffer full, oldest first, waiting for room (policy `wait`). They are
 * not yet given a publisher slot: a key is pinned to a slot only once its message is admitted, so the
 * strategy sees the load of that moment. While anyone waits, every new send queues behind them, even one
 * that could go out at once: admission stays in call order, which keeps each ordering key in order and
 * lets no late send starve an early one.
 *
 * A waiting send holds nothing but its own request; its deadline (`publishTimeoutMs`, from the call)
 * still runs, and {@link remove} takes it out in O(1) when it expires.
 */
export class PublishAdmissionQueue {
  private readonly waiting = new PublishBuffer<PublishRequest>(Number.POSITIVE_INFINITY);

  constructor(private readonly options: PublishAdmissionOptions) {}

  /** Sends waiting for room. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * The buffer is full and `request` cannot be admitted: queues it (policy `wait`), or returns the error
   * to reject it with (policy `fail`). Reports `buffer.full` once per episode when waiting, on every
   * refusal when failing fast.
   */
  refuse(request: PublishRequest): PublishBufferFullError | undefined {
    // Nothing waits under `fail`, so this is every refusal there, and the start of an episode under `wait`.
    if (this.waiting.size === 0) this.options.events?.emit('buffer.full', { limit: this.options.bufferSize });
    if (this.options.policy === 'fail') return new PublishBufferFullError(this.options.bufferSize);
    this.waiting.push(request);
    return undefined;
  }

  /** Queues `request` behind the sends already waiting (it may not overtake them). */
  push(request: PublishRequest): void {
    this.waiting.push(request);
  }

  /** The oldest waiting send. */
  peek(): PublishRequest | undefined {
    return this.waiting.peek();
  }

  /** Takes the oldest waiting send out, to admit it. */
  shift(): PublishRequest | undefined {
    return this.waiting.shift();
  }

  /** Puts a send taken out by {@link shift} back at the front: it could not be admitted after all. */
  putBack(request: PublishRequest): void {
    this.waiting.restore([request]);
  }

  /** Takes out a send that stopped waiting (its deadline passed). */
  remove(request: PublishRequest): void {
    this.waiting.remove(request);
  }

  /** Empties the queue, oldest first (closing gives up on them). */
  drain(): PublishRequest[] {
    return this.waiting.drain();
  }
}
