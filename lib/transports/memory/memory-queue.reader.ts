import { TransportStateError } from '../../errors/index.js';
import type { QueueReadDelivery, QueueReader } from '../transport.interface.js';
import { inboundMessage, type StoredMessage } from './memory.message.js';
import type { MemoryQueue } from './memory.queue.js';

/**
 * A {@link QueueReader} on the in-memory broker, behaving as an AMQP channel doing `basic.get`: taken
 * messages are out of the queue until acked, and closing the reader (or the transport) puts every
 * unacked one back with `redelivered` set, as RabbitMQ does (see `MemoryQueue.giveBack`: on a quorum
 * queue that return counts as a delivery, exactly as it does for `AmqpQueueReader`).
 */
export class MemoryQueueReader implements QueueReader {
  /** Messages taken and not acked, by the order they were taken. */
  private readonly held = new Map<number, StoredMessage>();
  private closed = false;
  private nextTag = 1;

  /** Ready messages when the session opened. */
  readonly readyAtOpen: number;

  constructor(
    private readonly source: MemoryQueue,
    private readonly onClose: (reader: MemoryQueueReader) => void,
  ) {
    this.readyAtOpen = source.readyCount;
  }

  /** The queue read. */
  get queue(): string {
    return this.source.name;
  }

  /** Takes the head message, or `undefined` when the queue has none ready. */
  async get(): Promise<QueueReadDelivery | undefined> {
    if (this.closed) throw new TransportStateError(`Queue reader on "${this.queue}" is closed`);
    const message = this.source.takeHead();
    if (!message) return undefined;
    const tag = this.nextTag++;
    this.held.set(tag, message);
    return {
      message: inboundMessage(message, this.source.settings.type === 'quorum'),
      ack: () => !this.closed && this.held.delete(tag),
    };
  }

  /** Returns the unacked messages to the queue. Idempotent. */
  async close(): Promise<void> {
    this.closeNow();
  }

  /** Synchronous close, for the transport's own `close()`. */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.source.giveBack([...this.held.values()]);
    this.held.clear();
    this.onClose(this);
  }
}
