/**
 * Why a message could not be processed. `denied`: a guard refused it (see `MessageDeniedError`);
 * `validation` also covers a pipe (or handler) that threw Nest's `BadRequestException`.
 */
export type FailureKind = 'decode' | 'validation' | 'handler' | 'rejected' | 'denied';

/** A processing failure, recorded on the dead-lettered copy of the message. */
export interface DeliveryFailure {
  readonly kind: FailureKind;
  readonly error: Error;
  /** The consumer that failed, `Class.method` or its configured name. */
  readonly consumer: string;
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
} as const;
