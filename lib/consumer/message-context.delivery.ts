import type { RetryOutcome } from '../retry/retry.scheduler.js';
import type { TransportDelivery } from '../transports/transport.interface.js';
import type { MessageContextDelivery } from './message.context.js';

/**
 * The delivery facts a dispatched message's context exposes. A class with a `signal` getter rather than
 * an object literal: the transport may create the signal on first use, most handlers never read it, and
 * a literal with an accessor is slow to build once per message.
 */
export class DispatchedDelivery implements MessageContextDelivery {
  constructor(
    readonly attempt: number,
    private readonly delivery: TransportDelivery,
    /** Schedules a delayed retry; undefined when the consumer has no delayed retries. */
    readonly retry: ((delayMs: number | undefined) => Promise<RetryOutcome>) | undefined,
  ) {}

  /** Aborts when the delivery goes stale. */
  get signal(): AbortSignal {
    return this.delivery.signal;
  }
}
