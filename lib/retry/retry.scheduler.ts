import { Logger } from '@nestjs/common';
import { defaultRequeueDelayMs, moveByCopy } from '../transports/dead-letter.copy.js';
import type { MessagingTransport, OutboundMessage, TransportDelivery } from '../transports/transport.interface.js';
import type { DelayTopology } from './delay-topology.builder.js';
import { retryCopyHeaders } from './retry.headers.js';

/** Where a scheduled retry left the message. */
export type RetryOutcome = 'scheduled' | 'requeued' | 'stale';

/**
 * Sends a failed message on a delayed retry: a confirmed copy, carrying its retry history, goes into the
 * delay line and comes back to the queue it failed on; only then is the original acked. The hop is
 * publish-then-ack, so a crash in between duplicates the message, never loses it; and while it waits
 * it holds no consumer slot and no prefetch.
 */
export class RetryScheduler {
  private readonly logger = new Logger('Messaging');
  private lineExchanges: ReadonlySet<string> | undefined;

  constructor(
    private readonly transport: MessagingTransport,
    private readonly delays: DelayTopology,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Whether a message arriving through `exchange` came back from the delay line (the exchange its last
   * hop was dead-lettered to is one of the line's): only such a message carries a retry history the SDK wrote.
   */
  isDelayLineExchange(exchange: string): boolean {
    this.lineExchanges ??= new Set(this.delays.topology([]).exchanges.map((definition) => definition.name));
    return this.lineExchanges.has(exchange);
  }

  /** The longest delay the declared delay line can express. */
  get maxDelayMs(): number {
    return this.delays.maxDelayMs;
  }

  /**
   * Schedules the retry of `delivery` after `delayMs`. `failedAttempt` is the attempt that just failed.
   * When the copy cannot be published the original is requeued after a backoff instead: never lost.
   */
  async schedule(delivery: TransportDelivery, failedAttempt: number, error: Error, delayMs: number, consumer: string): Promise<RetryOutcome> {
    const { message } = delivery;
    if (delivery.signal.aborted) return 'stale';
    const delay = Math.min(Math.max(0, Math.round(delayMs)), this.delays.maxDelayMs);
    const { expiration: _notCarried, ...properties } = message.properties;
    const copy: OutboundMessage = {
      exchange: this.delays.entryExchange,
      routingKey: this.delays.routingKey(delay),
      body: message.body,
      properties: { ...properties, headers: retryCopyHeaders(message, failedAttempt, error, delay, this.now()) },
      mandatory: true,
    };
    const moved = await moveByCopy(delivery, copy, (m) => this.transport.publish(m), () => defaultRequeueDelayMs(failedAttempt), (publishError, waitMs) =>
      this.logger.error(
        `${consumer}: attempt ${failedAttempt} of message ${message.properties.messageId ?? '(no id)'} failed (${error.message}), ` +
          `and its retry could not be scheduled (${publishError.message}); requeueing it in ${waitMs} ms`,
      ),
    );
    if (moved !== 'moved') return moved === 'requeued' ? 'requeued' : 'stale';
    this.logger.warn(`${consumer}: attempt ${failedAttempt} of message ${message.properties.messageId ?? '(no id)'} failed (${error.message}); retrying in ${delay} ms`);
    return 'scheduled';
  }
}
