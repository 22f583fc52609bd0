/**
 * Why a message could not be processed:
 * - `decode`: the body is not JSON (or declares another content type);
 * - `oversized`: the body is larger than `maxMessageBytes`, so it was not parsed;
 * - `validation`: the payload breaks its contract, or a pipe (or the handler) threw Nest's `BadRequestException`;
 * - `unknown-type`: no handler of the queue handles the message's `type`;
 * - `handler`: the handler threw;
 * - `denied`: a guard refused the message (see `MessageDeniedError`);
 * - `rejected`: the handler refused it with `ctx.reject()`;
 * - `poison`: it was delivered more than `maxDeliveries` times without being settled (it keeps crashing
 *   or hanging its consumer), so it was set aside without running the handler again.
 */
export type FailureKind = 'decode' | 'oversized' | 'validation' | 'unknown-type' | 'handler' | 'denied' | 'rejected' | 'poison';

/** A processing failure, recorded on the dead-lettered copy of the message. */
export interface DeliveryFailure {
  readonly kind: FailureKind;
  readonly error: Error;
  /** The consumer that failed, `Class.method` or its configured name. */
  readonly consumer: string;
  /** Attempts made in all, when retries were involved (recorded as `x-failure-attempts`). */
  readonly attempts?: number;
}

/** Header names written on dead-lettered messages; stable so operators can filter and replay on them. */
export const FAILURE_HEADERS = {
  kind: 'x-failure-kind',
  reason: 'x-failure-reason',
  error: 'x-failure-error',
  issues: 'x-failure-issues',
  stack: 'x-failure-stack',
  at: 'x-failure-at',
  queue: 'x-failure-queue',
  consumer: 'x-failure-consumer',
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
  /** Attempts made before giving up, when the consumer retries. */
  attempts: 'x-failure-attempts',
} as const;
