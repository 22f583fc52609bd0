import type { TransportDelivery } from '../transports/transport.interface.js';

/**
 * Whether a delivery went stale (it can no longer be settled; the broker delivers it again). Reads the
 * transport's cheap `stale` flag where it has one, so checking does not create a per-delivery signal.
 */
export function isStale(delivery: TransportDelivery): boolean {
  return delivery.stale ?? delivery.signal.aborted;
}

/** Whether a handler's result must be waited for: a promise or any other thenable, as `await` reads it. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}
