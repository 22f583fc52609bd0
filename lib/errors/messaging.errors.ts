/**
 * Every error this library raises extends {@link MessagingError}, so callers can tell ours from theirs
 * with one `instanceof` and branch on the stable {@link MessagingError.code} rather than on messages.
 */
export abstract class MessagingError extends Error {
  /** Stable, machine-readable identifier of the failure. */
  abstract readonly code: string;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem found by a contract's schema, in a transport-neutral shape. */
export interface ValidationIssue {
  /** Human readable description from the schema library. */
  readonly message: string;
  /** Dotted path to the offending field, empty for the root. */
  readonly path: string;
}

/** A payload did not satisfy its contract's schema (on publish or on receive). */
export class MessageValidationError extends MessagingError {
  readonly code = 'MESSAGE_VALIDATION_FAILED';

  constructor(
    readonly contract: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(
      `Message does not match contract "${contract}": ` +
        issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '),
    );
  }
}

/** A received body could not be decoded (not valid JSON, wrong content type, ...). */
export class MessageDecodeError extends MessagingError {
  readonly code = 'MESSAGE_DECODE_FAILED';

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Message body could not be decoded: ${reason}`, options);
  }
}

/** A payload could not be serialized (e.g. `undefined`, a function, a BigInt, a cycle). */
export class MessageEncodeError extends MessagingError {
  readonly code = 'MESSAGE_ENCODE_FAILED';

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Message payload could not be encoded: ${reason}`, options);
  }
}

/** The broker returned a mandatory message because no queue was bound to receive it. */
export class UnroutableMessageError extends MessagingError {
  readonly code = 'MESSAGE_UNROUTABLE';

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly replyText = 'NO_ROUTE',
  ) {
    super(`Message to exchange "${exchange}" with routing key "${routingKey}" was not routed to any queue (${replyText})`);
  }
}

/** The broker explicitly refused (nacked) a published message. */
export class PublishNackedError extends MessagingError {
  readonly code = 'PUBLISH_NACKED';

  constructor(readonly exchange: string, readonly routingKey: string) {
    super(`Broker refused message to exchange "${exchange}" with routing key "${routingKey}"`);
  }
}

/** The bounded offline buffer is full; the message was not accepted. */
export class PublishBufferFullError extends MessagingError {
  readonly code = 'PUBLISH_BUFFER_FULL';

  constructor(readonly limit: number) {
    super(`Publish buffer is full (${limit} messages waiting for the broker); message not accepted`);
  }
}

/**
 * A publish was not confirmed by the broker within the configured time. `phase` says how far it got:
 * `waiting` for room in a full publish buffer, `buffered` waiting for a channel (not sent), or
 * `unconfirmed` (sent, no confirm: it may or may not have been delivered).
 */
export class PublishTimeoutError extends MessagingError {
  readonly code = 'PUBLISH_TIMEOUT';

  constructor(readonly timeoutMs: number, readonly phase: 'waiting' | 'buffered' | 'unconfirmed') {
    super(PublishTimeoutError.describe(timeoutMs, phase));
  }

  private static describe(timeoutMs: number, phase: 'waiting' | 'buffered' | 'unconfirmed'): string {
    if (phase === 'waiting') return `Message was not sent within ${timeoutMs} ms: it was still waiting for room in the full publish buffer`;
    if (phase === 'buffered') return `Message was not sent within ${timeoutMs} ms: no broker connection became available`;
    return `Broker did not confirm the message within ${timeoutMs} ms; it may or may not have been delivered`;
  }
}

/** The transport was used before `start()` or after `close()`. */
export class TransportStateError extends MessagingError {
  readonly code = 'TRANSPORT_STATE';

  constructor(message: string) {
    super(message);
  }
}

/** The transport could not reach the broker in time at start-up. */
export class TransportConnectionError extends MessagingError {
  readonly code = 'TRANSPORT_CONNECTION';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The declared topology is inconsistent or was refused by the broker. */
export class TopologyError extends MessagingError {
  readonly code = 'TOPOLOGY_INVALID';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A `@Consumer` or `@Producer` declaration cannot work as written. */
export class ConsumerDefinitionError extends MessagingError {
  readonly code = 'CONSUMER_DEFINITION';

  constructor(message: string) {
    super(message);
  }
}

/** A configuration value or a per-message option is invalid (wrong type, out of range, malformed URL). */
export class InvalidOptionsError extends MessagingError {
  readonly code = 'INVALID_OPTIONS';

  constructor(message: string) {
    super(message);
  }
}

/** `ack`/`nack`/`reject` was called on a message that was already settled. */
export class MessageAlreadySettledError extends MessagingError {
  readonly code = 'MESSAGE_ALREADY_SETTLED';

  constructor(readonly messageId: string | undefined, readonly settledAs: string) {
    super(`Message ${messageId ?? '(no id)'} was already settled (${settledAs}); each message is settled once`);
  }
}

/**
 * The reason a delivery's `signal` aborts: the channel or connection that delivered it is gone, so it can
 * no longer be settled and the broker will deliver the message again.
 */
export class DeliveryStaleError extends MessagingError {
  readonly code = 'DELIVERY_STALE';

  constructor(readonly queue: string, readonly messageId?: string) {
    const what = messageId === undefined ? 'A delivery' : `The delivery of message ${messageId}`;
    super(`${what} from queue "${queue}" is stale: its channel closed and the broker will deliver it again`);
  }
}

/** A consumed message's body is larger than `maxMessageBytes`; it is dead-lettered unparsed. */
export class MessageTooLargeError extends MessagingError {
  readonly code = 'MESSAGE_TOO_LARGE';

  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`Message body of ${bytes} bytes exceeds maxMessageBytes ${maxBytes}; it was not parsed`);
  }
}

/** No handler of the queue handles the message's `type`. */
export class UnknownMessageTypeError extends MessagingError {
  readonly code = 'UNKNOWN_MESSAGE_TYPE';

  constructor(readonly type: string | undefined, readonly queue: string, readonly handledTypes: readonly string[]) {
    const what = type === undefined ? 'A message without a type' : `Message type "${type}"`;
    super(`${what} has no handler on queue "${queue}" (it handles: ${handledTypes.map((t) => `"${t}"`).join(', ')})`);
  }
}

/** The reason a handler's `ctx.signal` aborts when shutdown stops waiting for it. */
export class ShutdownTimeoutError extends MessagingError {
  readonly code = 'SHUTDOWN_TIMEOUT';

  constructor(readonly consumer: string, readonly timeoutMs: number) {
    super(`${consumer}: shutdown stopped waiting for the handler after ${timeoutMs} ms; its message will be delivered again`);
  }
}

/**
 * A guard refused a message: it returned `false` (Nest then raises `ForbiddenException`, which the
 * consumer translates into this error), or it threw this error itself to give a reason. The consumer
 * dead-letters the message with failure kind `denied`; replaying it without changing the guard's
 * inputs will be refused again.
 */
export class MessageDeniedError extends MessagingError {
  readonly code = 'MESSAGE_DENIED';

  constructor(
    readonly consumer: string,
    reason = 'a guard refused it',
    options?: { cause?: unknown },
  ) {
    super(`Consumer ${consumer} denied the message: ${reason}`, options);
  }
}

/** `getMessageContext` was called on a host that is not a `@Consumer` handler's (e.g. an HTTP request). */
export class NotMessagingContextError extends MessagingError {
  readonly code = 'NOT_MESSAGING_CONTEXT';

  constructor(actualType: string) {
    super(`Expected a messaging execution context, got "${actualType}"; check host.getType() or use isMessagingContext(host) first`);
  }
}

/** `ctx.retry()` was called by a consumer without delayed retries in its retry policy. */
export class RetryUnavailableError extends MessagingError {
  readonly code = 'RETRY_UNAVAILABLE';

  constructor(readonly consumer: string) {
    super(`${consumer}: ctx.retry() needs delayed retries in the consumer's retry policy (retry: { delayed: ... })`);
  }
}

/**
 * `ctx.retry({ delayMs })` asked for a longer wait than the declared delay line can express. Rejected at
 * the call, with the message left unsettled, rather than silently waiting less than asked.
 */
export class RetryDelayTooLongError extends MessagingError {
  readonly code = 'RETRY_DELAY_TOO_LONG';

  constructor(readonly consumer: string, readonly delayMs: number, readonly maxDelayMs: number) {
    super(
      `${consumer}: ctx.retry() asked for a ${delayMs} ms delay, longer than the ${maxDelayMs} ms the retry delay line expresses; ` +
        'raise retryDelayLine.maxDelayMs (or a policy delay) to declare a deeper line',
    );
  }
}

/** A message was delivered more than `maxDeliveries` times without being settled: it is set aside as poison. */
export class PoisonMessageError extends MessagingError {
  readonly code = 'POISON_MESSAGE';

  constructor(readonly deliveries: number, readonly maxDeliveries: number) {
    super(`Delivered ${deliveries} times, more than maxDeliveries ${maxDeliveries}, without being settled; set aside without running the handler again`);
  }
}
