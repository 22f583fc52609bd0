import { RETRY_HEADERS } from '../retry/retry.headers.js';
import { recordedRetries } from '../transports/delivery-attempt.js';
import type { DeadLetterOutcome, DeadLetterRequest, HeaderValue, InboundMessage, TransportDelivery } from '../transports/transport.interface.js';

const RETRY_HEADER_NAMES: readonly string[] = Object.values(RETRY_HEADERS);

/** Tells the delay line's exchanges (see `RetryScheduler.isDelayLineExchange`). */
export type DelayLineCheck = (exchange: string) => boolean;

/**
 * Whether a message came back through the SDK's delay line: dead-lettered out of it (so its exchange is
 * one of the line's, and the line's deliver exchange handed it over) to the queue its retry target
 * names. Only then are its retry headers the SDK's own record. (A producer allowed to publish into the
 * delay line itself can still forge them: authenticating the SDK's headers is a separate matter; this
 * keeps an ordinary producer's headers from steering retries.)
 */
export function isRetryReturn(message: InboundMessage, fromDelayLine: DelayLineCheck | undefined): boolean {
  return fromDelayLine !== undefined && message.properties.headers?.[RETRY_HEADERS.target] === message.queue && fromDelayLine(message.exchange);
}

/**
 * A delivery whose retry headers (`x-retry-*`, the retry target) did not come from the SDK's delay line,
 * seen without them: its attempt drops the retries `x-retry-attempt` claims, the retry policy sees no
 * history, and retry and dead-letter copies do not carry the claimed history on. The handler still sees
 * the headers as sent (see {@link original}).
 */
export class UntrustedRetryDelivery implements TransportDelivery {
  readonly message: InboundMessage;
  readonly attempt: number;

  private constructor(
    private readonly inner: TransportDelivery,
    /** The message as delivered, headers untouched: what the handler's context shows. */
    readonly original: InboundMessage,
  ) {
    const headers: Record<string, HeaderValue> = { ...original.properties.headers };
    for (const name of RETRY_HEADER_NAMES) delete headers[name];
    this.message = { ...original, properties: { ...original.properties, headers } };
    this.attempt = Math.max(1, inner.attempt - recordedRetries(original.properties.headers));
  }

  /**
   * `delivery` itself when its retry headers can be believed or it has none (the common case costs no
   * allocation), else the delivery seen without them.
   */
  static check(delivery: TransportDelivery, fromDelayLine: DelayLineCheck | undefined): TransportDelivery {
    const headers = delivery.message.properties.headers;
    if (headers === undefined || !RETRY_HEADER_NAMES.some((name) => headers[name] !== undefined)) return delivery;
    if (isRetryReturn(delivery.message, fromDelayLine)) return delivery;
    return new UntrustedRetryDelivery(delivery, delivery.message);
  }

  get deliveryCount(): number | undefined {
    return this.inner.deliveryCount;
  }

  get signal(): AbortSignal {
    return this.inner.signal;
  }

  get stale(): boolean | undefined {
    return this.inner.stale;
  }

  ack(): boolean {
    return this.inner.ack();
  }

  nack(requeue: boolean): boolean {
    return this.inner.nack(requeue);
  }

  /** Dead-letters the original, its claimed retry history removed from the copy. */
  deadLetter(request: DeadLetterRequest): Promise<DeadLetterOutcome> {
    const headers: Record<string, HeaderValue> = {};
    for (const name of RETRY_HEADER_NAMES) headers[name] = undefined;
    return this.inner.deadLetter({ ...request, headers: { ...headers, ...request.headers } });
  }
}
