import { Logger } from '@nestjs/common';
import { validateMessage } from '../contracts/index.js';
import { MessageDecodeError, MessageTooLargeError, UnknownMessageTypeError } from '../errors/index.js';
import { decodeJson } from '../serialization/index.js';
import type { InboundMessage, TransportDelivery } from '../transports/transport.interface.js';
import type { HandlerBinding, QueueBinding } from './consumer-binding.types.js';
import type { FailureKind } from './delivery-failure.types.js';
import { DeliverySettlement } from './delivery.settlement.js';
import type { FailureHeaderOptions } from './failure.headers.js';
import { MessageContext } from './message.context.js';

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
}

/**
 * Takes one delivery of a queue through the pipeline: size check → decode → route by `type` → validate
 * against the handler's contract → invoke → settle. Every path settles the message exactly once, and no
 * failure escapes: bad input is dead-lettered with the reason, never dropped and never fatal.
 */
export class MessageDispatcher {
  private readonly logger = new Logger('Messaging');
  private readonly single: HandlerBinding | undefined;

  constructor(
    private readonly binding: QueueBinding,
    private readonly settings: DispatchSettings,
  ) {
    this.single = binding.handlers.size === 1 ? [...binding.handlers.values()][0] : undefined;
  }

  /** Processes one delivery; `shutdown` aborts when shutdown stops waiting for handlers. */
  async dispatch(delivery: TransportDelivery, shutdown?: AbortSignal): Promise<void> {
    const { message } = delivery;
    const settlement = new DeliverySettlement(delivery, this.settings.failureHeaders);
    const handler = this.route(message);
    if (!handler) {
      await this.onUnknownType(settlement, message);
      return;
    }
    let payload: unknown;
    try {
      if (message.body.length > this.settings.maxMessageBytes) {
        await settlement.deadLetter({ kind: 'oversized', error: new MessageTooLargeError(message.body.length, this.settings.maxMessageBytes), consumer: handler.name });
        return;
      }
      payload = await validateMessage(handler.contract, decodeJson(message.body, message.properties.contentType));
    } catch (error) {
      const kind = error instanceof MessageDecodeError ? 'decode' : 'validation';
      await settlement.deadLetter({ kind, error: error as Error, consumer: handler.name });
      return;
    }
    // Stale while validating: the broker delivers it again, so the handler must not run for this copy.
    if (delivery.signal.aborted) return;
    const context = new MessageContext(payload, message, handler.contract.name, handler.name, settlement, delivery, shutdown);
    try {
      await handler.invoke(payload, context);
    } catch (error) {
      await this.onHandlerError(settlement, handler, error);
      return;
    }
    if (settlement.state === 'pending') {
      if (handler.ack === 'auto') settlement.ack();
      // Manual mode: the handler may settle later (e.g. after a batch); the slot stays taken until it does.
      else await settlement.done;
    }
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

  private async onUnknownType(settlement: DeliverySettlement, message: InboundMessage): Promise<void> {
    const error = new UnknownMessageTypeError(message.properties.type, this.binding.queue, [...this.binding.handlers.keys()]);
    if (this.settings.unknownType === 'ack') {
      this.logger.warn(`${error.message}; acknowledged and dropped (unknownMessageType: 'ack')`);
      settlement.ack();
      return;
    }
    await settlement.deadLetter({ kind: 'unknown-type', error, consumer: this.binding.name });
  }

  private async onHandlerError(settlement: DeliverySettlement, handler: HandlerBinding, thrown: unknown): Promise<void> {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    if (settlement.state !== 'pending') {
      this.logger.error(`Consumer ${handler.name} threw after settling its message (${settlement.state}): ${error.message}`);
      return;
    }
    const kind = this.settings.classifyError?.(thrown) ?? 'handler';
    await settlement.deadLetter({ kind, error, consumer: handler.name });
  }
}
