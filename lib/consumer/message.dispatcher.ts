import { Logger } from '@nestjs/common';
import { checkMessage } from '../contracts/index.js';
import { MessageDecodeError, MessageTooLargeError, PoisonMessageError, RetryDelayTooLongError, UnknownMessageTypeError } from '../errors/index.js';
import { decideRetry } from '../retry/retry-policy.resolver.js';
import { retryHistory } from '../retry/retry.headers.js';
import type { RetryScheduler } from '../retry/retry.scheduler.js';
import { decodeJson } from '../serialization/index.js';
import type { InboundMessage, TransportDelivery } from '../transports/transport.interface.js';
import type { HandlerBinding, QueueBinding } from './consumer-binding.types.js';
import type { FailureKind } from './delivery-failure.types.js';
import { DeliverySettlement } from './delivery.settlement.js';
import type { FailureHeaderOptions } from './failure.headers.js';
import { MessageContext, type MessageContextDelivery } from './message.context.js';
import { DispatchedDelivery } from './message-context.delivery.js';
import { RedeliveryTracker } from './redelivery.tracker.js';
import { UntrustedRetryDelivery, type DelayLineCheck } from './untrusted-retry.delivery.js';
import { settleHandlerFailure } from './handler-failure.settler.js';
import { isStale, isThenable } from './stale-delivery.check.js';
import type { ConsumeEvents } from '../observability/consume-events.emitter.js';
import { composeConsume, type ConsumeMiddleware, type ConsumeMiddlewareContext } from '../observability/messaging-middleware.types.js';

/** What to do with a message whose `type` no handler of its queue handles. */
export type UnknownTypePolicy = 'dead-letter' | 'ack';

/** How a dispatcher treats what it cannot hand to a handler. */
export interface DispatchSettings {
  /** Larger bodies are dead-lettered with kind `oversized`, before any parsing. */
  readonly maxMessageBytes: number;
  readonly unknownType: UnknownTypePolicy;
  readonly failureHeaders: FailureHeaderOptions;
  /**
   * Maps an error thrown by the handler (or its enhancers) to a failure kind; `handler` when it returns
   * undefined. Lets the Nest integration report a guard's denial as `denied`.
   */
  readonly classifyError?: (error: unknown) => FailureKind | undefined;
  /** Sends messages on delayed retries; undefined when no handler of the queue retries with delays. */
  readonly retryScheduler?: RetryScheduler;
  /**
   * When nobody waits any more for what `consumer` makes of `message` (an RPC request's requester gives
   * up), in ms since the epoch; undefined: no deadline. No retry is made that would run after it.
   */
  readonly deadlineOf?: (message: InboundMessage, consumer: string) => number | undefined;
  /** Emits the consume events. */
  readonly events?: ConsumeEvents;
  /** Runs around the processing of every delivery. */
  readonly middleware?: readonly ConsumeMiddleware[];
}

/** A settle call's promise as the dispatcher returns it: done once settled, the outcome dropped. */
function settled(settling: Promise<unknown>): Promise<void> {
  return settling.then(() => undefined);
}

/**
 * Takes one delivery of a queue through the pipeline: route by `type` → poison check → size check →
 * decode → validate against the handler's contract → invoke (with immediate retries) → settle (ack,
 * delayed retry or dead-letter). Every path settles the message exactly once, and no failure escapes:
 * bad input is dead-lettered with the reason, never dropped and never fatal.
 */
export class MessageDispatcher {
  private readonly logger = new Logger('Messaging');
  private readonly single: HandlerBinding | undefined;
  private readonly tracker = new RedeliveryTracker();
  private readonly fromDelayLine: DelayLineCheck | undefined;

  constructor(
    private readonly binding: QueueBinding,
    private readonly settings: DispatchSettings,
  ) {
    this.single = binding.handlers.size === 1 ? [...binding.handlers.values()][0] : undefined;
    const scheduler = settings.retryScheduler;
    this.fromDelayLine = scheduler && ((exchange) => scheduler.isDelayLineExchange(exchange));
  }

  /**
   * Processes one delivery; `shutdown` aborts when shutdown stops waiting for handlers. Returns a promise
   * only when something on the way was asynchronous (a middleware, an async schema, a handler that
   * returns a promise, a manual ack, a failure): a synchronous handler on a synchronous schema is taken
   * through and acked without allocating a promise.
   */
  dispatch(received: TransportDelivery, shutdown?: AbortSignal): Promise<void> | undefined {
    // Retry headers count only on a message back from the SDK's delay line, never a producer's claim.
    const delivery = UntrustedRetryDelivery.check(received, this.fromDelayLine);
    const middleware = this.settings.middleware;
    if (!middleware?.length) {
      const events = this.observedEvents();
      return this.run(delivery, new DeliverySettlement(delivery, this.settings.failureHeaders, events), events, shutdown, undefined);
    }
    const context: ConsumeMiddlewareContext = { message: delivery.message, attempt: delivery.attempt, outcome: 'pending', error: undefined, consumer: undefined };
    return composeConsume(middleware, (traced) => this.traced(delivery, shutdown, traced))(context);
  }

  private observedEvents(): ConsumeEvents | undefined {
    return this.settings.events?.observed ? this.settings.events : undefined;
  }

  private async traced(delivery: TransportDelivery, shutdown: AbortSignal | undefined, traced: ConsumeMiddlewareContext): Promise<void> {
    const events = this.observedEvents();
    const settlement = new DeliverySettlement(delivery, this.settings.failureHeaders, events);
    try {
      await this.run(delivery, settlement, events, shutdown, traced);
    } finally {
      traced.outcome = settlement.state;
    }
  }

  private run(
    delivery: TransportDelivery,
    settlement: DeliverySettlement,
    events: ConsumeEvents | undefined,
    shutdown: AbortSignal | undefined,
    traced: ConsumeMiddlewareContext | undefined,
  ): Promise<void> | undefined {
    const { message } = delivery;
    const handler = this.route(message);
    settlement.consumer = handler?.name ?? this.binding.name;
    if (traced) traced.consumer = settlement.consumer;
    events?.received(delivery, settlement.consumer);
    if (!handler) return this.onUnknownType(settlement, message);
    // Only redelivered messages are counted, so only they need forgetting once settled for good. A
    // requeue is not for good (the message comes back, and must keep counting towards maxDeliveries), nor
    // is a settlement on a stale delivery, which did not reach the broker.
    if (message.redelivered) void settlement.done.then(() => isStale(delivery) || settlement.state === 'requeued' || this.tracker.forget(message));
    const deliveries = handler.maxDeliveries === undefined ? 0 : this.tracker.deliveries(delivery);
    if (handler.maxDeliveries !== undefined && deliveries > handler.maxDeliveries) {
      return settled(settlement.deadLetter({ kind: 'poison', error: new PoisonMessageError(deliveries, handler.maxDeliveries), consumer: handler.name }));
    }
    if (message.body.length > this.settings.maxMessageBytes) {
      return settled(settlement.deadLetter({ kind: 'oversized', error: new MessageTooLargeError(message.body.length, this.settings.maxMessageBytes), consumer: handler.name }));
    }
    let payload: unknown;
    try {
      payload = checkMessage(handler.contract, decodeJson(message.body, message.properties.contentType));
    } catch (error) {
      return this.refuse(settlement, handler, error);
    }
    if (payload instanceof Promise) {
      return payload.then(
        (valid: unknown) => this.handle(handler, valid, delivery, settlement, events, shutdown, traced),
        (error: unknown) => this.refuse(settlement, handler, error),
      );
    }
    return this.handle(handler, payload, delivery, settlement, events, shutdown, traced);
  }

  /** Dead-letters a message that could not be decoded or broke its contract. */
  private refuse(settlement: DeliverySettlement, handler: HandlerBinding, error: unknown): Promise<void> {
    const kind = error instanceof MessageDecodeError ? 'decode' : 'validation';
    return settled(settlement.deadLetter({ kind, error: error as Error, consumer: handler.name }));
  }

  private handle(
    handler: HandlerBinding,
    payload: unknown,
    delivery: TransportDelivery,
    settlement: DeliverySettlement,
    events: ConsumeEvents | undefined,
    shutdown: AbortSignal | undefined,
    traced: ConsumeMiddlewareContext | undefined,
  ): Promise<void> | undefined {
    // Stale while validating: the broker delivers it again, so the handler must not run for this copy.
    if (isStale(delivery)) return undefined;
    if (!events && !traced) {
      const outcome = this.invoke(handler, payload, delivery, settlement, shutdown, 0);
      return outcome instanceof Promise ? settled(outcome) : undefined;
    }
    const started = events ? performance.now() : 0;
    const handled = (error: Error | undefined): void => {
      if (traced && error) traced.error = error;
      events?.handled(delivery, handler.name, settlement.attempt, performance.now() - started, settlement.state, error);
    };
    const outcome = this.invoke(handler, payload, delivery, settlement, shutdown, 0);
    if (outcome instanceof Promise) return outcome.then(handled);
    handled(outcome);
    return undefined;
  }

  /**
   * Runs the handler, again in process for each immediate retry its policy allows; its last error, or a
   * promise of it when the handler (or its settling) was asynchronous.
   */
  private invoke(
    handler: HandlerBinding,
    payload: unknown,
    delivery: TransportDelivery,
    settlement: DeliverySettlement,
    shutdown: AbortSignal | undefined,
    immediate: number,
  ): Error | undefined | Promise<Error | undefined> {
    const attempt = delivery.attempt + immediate;
    settlement.attempt = attempt;
    const shown = delivery instanceof UntrustedRetryDelivery ? delivery.original : delivery.message;
    const context = new MessageContext(payload, shown, handler.contract.name, handler.name, settlement, this.contextDelivery(handler, delivery, settlement, attempt), shutdown);
    let result: unknown;
    try {
      result = handler.invoke(payload, context);
    } catch (thrown) {
      return this.failed(handler, payload, delivery, settlement, shutdown, immediate, thrown);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => this.succeeded(handler, settlement),
        (thrown: unknown) => this.failed(handler, payload, delivery, settlement, shutdown, immediate, thrown),
      );
    }
    return this.succeeded(handler, settlement);
  }

  private succeeded(handler: HandlerBinding, settlement: DeliverySettlement): undefined | Promise<undefined> {
    if (settlement.state !== 'pending') return undefined;
    if (handler.ack === 'auto') {
      settlement.ack();
      return undefined;
    }
    // Manual mode: the handler may settle later (e.g. after a batch); the slot stays taken until it does.
    return settlement.done.then(() => undefined);
  }

  private async failed(
    handler: HandlerBinding,
    payload: unknown,
    delivery: TransportDelivery,
    settlement: DeliverySettlement,
    shutdown: AbortSignal | undefined,
    immediate: number,
    thrown: unknown,
  ): Promise<Error | undefined> {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const next = await settleHandlerFailure(this.settings, this.logger, settlement, handler, thrown, error, delivery, delivery.attempt + immediate, immediate);
    if (next === 'run-again' && !isStale(delivery)) return this.invoke(handler, payload, delivery, settlement, shutdown, immediate + 1);
    return error;
  }

  private contextDelivery(handler: HandlerBinding, delivery: TransportDelivery, settlement: DeliverySettlement, attempt: number): MessageContextDelivery {
    const scheduler = this.settings.retryScheduler;
    if (!scheduler || !handler.retry.delayed) return new DispatchedDelivery(attempt, delivery, undefined);
    return new DispatchedDelivery(attempt, delivery, (delayMs) => {
      // Waiting less than asked would break the handler's contract with whatever told it "not before".
      if (delayMs !== undefined && delayMs > scheduler.maxDelayMs) return Promise.reject(new RetryDelayTooLongError(handler.name, delayMs, scheduler.maxDelayMs));
      const planned = decideRetry(handler.retry, undefined, Number.MAX_SAFE_INTEGER, retryHistory(delivery.message.properties.headers).delays.length);
      const wait = delayMs ?? (planned.action === 'delayed' ? planned.delayMs : handler.retry.delayed?.maxDelayMs ?? 0);
      return settlement.retry(() => scheduler.schedule(delivery, attempt, new Error('retry requested by the handler'), wait, handler.name));
    });
  }

  /**
   * The handler for the message's `type`, else the queue's `acceptsAnyType` handler. A message without a
   * type also goes to a queue's only handler, so producers that do not set it (other stacks, older
   * versions) still reach a single-contract queue.
   */
  private route(message: InboundMessage): HandlerBinding | undefined {
    const type = message.properties.type;
    const typed = type ? this.binding.handlers.get(type) : undefined;
    return typed ?? this.binding.fallback ?? (type ? undefined : this.single);
  }

  private onUnknownType(settlement: DeliverySettlement, message: InboundMessage): Promise<void> {
    const error = new UnknownMessageTypeError(message.properties.type, this.binding.queue, [...this.binding.handlers.keys()]);
    if (this.settings.unknownType === 'ack') {
      this.logger.warn(`${error.message}; acknowledged and dropped (unknownMessageType: 'ack')`);
      try {
        settlement.ack();
      } catch (thrown) {
        return Promise.reject(thrown as Error);
      }
      return Promise.resolve();
    }
    return settled(settlement.deadLetter({ kind: 'unknown-type', error, consumer: this.binding.name }));
  }
}
