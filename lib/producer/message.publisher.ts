import { checkMessage, validateMessage, type ContractInput, type MessageContract } from '../contracts/index.js';
import { encodeJson, JSON_CONTENT_TYPE } from '../serialization/index.js';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import type { PublishMiddleware } from '../observability/messaging-middleware.types.js';
import { instrumentPublish } from '../observability/publish-events.emitter.js';
import { RequestReplyUnsupportedError, InvalidReplyError, MessageValidationError } from '../errors/index.js';
import { responseContractOf, type RpcContract, type RpcRequestInput, type RpcResponse } from '../rpc/rpc-contract.types.js';
import { readReply } from '../rpc/rpc-reply.codec.js';
import { withRequestDeadline } from '../rpc/rpc-request.deadline.js';
import type { RequestSendOptions } from '../rpc/rpc-request.options.js';
import { describeDestination } from '../transports/pending-request.table.js';
import { supportsRequestReply, type MessagingTransport, type OutboundMessage } from '../transports/transport.interface.js';
import { MessageIdGenerator } from './message-id.generator.js';
import type { SendOptions, SendResult } from './send.options.js';

/** The options of a send given none: shared, so such a send allocates no options object. */
const NO_OPTIONS: SendOptions = Object.freeze({});

/** What the module adds around a publisher's sends: the application's middlewares and the publish events. */
export interface PublisherInstrumentation {
  readonly events?: MessagingEventBus;
  readonly middleware?: readonly PublishMiddleware[];
}

/**
 * Publishes any contract's messages. `TypedProducer` wraps it per contract; inject this class directly
 * when the contract is only known at run time.
 */
export class MessagePublisher {
  private readonly send: (message: OutboundMessage) => Promise<void>;
  private readonly messageIds = new MessageIdGenerator();
  /** Response contracts by RPC contract, built on a contract's first request instead of on every one. */
  private readonly responseContracts = new WeakMap<RpcContract, MessageContract>();

  constructor(
    private readonly transport: MessagingTransport,
    private readonly validateOnPublish: boolean,
    instrumentation: PublisherInstrumentation = {},
  ) {
    this.send = instrumentPublish((message) => this.transport.publish(message), instrumentation.events, instrumentation.middleware);
  }

  /**
   * Validates, serializes and publishes `payload`; resolves once the broker confirmed it. Rejects with
   * `MessageValidationError` before anything is sent when the payload breaks the contract, and with
   * `UnroutableMessageError` when a mandatory message reaches no queue.
   */
  publish<C extends MessageContract>(contract: C, payload: ContractInput<C>, options: SendOptions = NO_OPTIONS): Promise<SendResult> {
    // Not async, and a synchronous schema is checked without a promise: one promise chain per send.
    try {
      // Validation catches callers that bypass the types (JS, `as any`, data from outside);
      // the input, not the parsed output, is sent so the consumer's schema applies its own transforms.
      const checked = this.validateOnPublish ? checkMessage(contract, payload) : undefined;
      if (checked instanceof Promise) return checked.then(() => this.sendChecked(contract, payload, options));
      return this.sendChecked(contract, payload, options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private sendChecked(contract: MessageContract, payload: unknown, options: SendOptions): Promise<SendResult> {
    const messageId = options.messageId ?? this.messageIds.next();
    return this.send(this.outbound(contract, payload, messageId, options)).then(() => ({ messageId }));
  }

  /**
   * Sends a request of an RPC contract and resolves with the reply, validated against the contract's
   * response schema. See `RpcProducer.request` for the rejections.
   */
  async request<C extends RpcContract>(contract: C, payload: RpcRequestInput<C>, options: RequestSendOptions = {}): Promise<RpcResponse<C>> {
    const { transport } = this;
    if (!supportsRequestReply(transport)) throw new RequestReplyUnsupportedError(transport.kind);
    if (this.validateOnPublish) await validateMessage(contract, payload);
    const timeoutMs = options.timeoutMs ?? contract.timeoutMs;
    const message = this.outbound(contract, payload, options.messageId ?? this.messageIds.next(), {
      ...options,
      persistent: options.persistent ?? false,
      expiration: options.expiration ?? timeoutMs,
      // The responder retries the request only while this requester still waits for the answer.
      headers: withRequestDeadline(options.headers, Date.now() + timeoutMs),
    });
    const destination = `${contract.name} at ${describeDestination(message)}`;
    const reply = await transport.request(message, { timeoutMs });
    const value = readReply(reply, destination);
    try {
      return (await validateMessage(this.responseContractFor(contract), value)) as RpcResponse<C>;
    } catch (error) {
      if (error instanceof MessageValidationError) throw new InvalidReplyError(destination, error.message, { cause: error });
      throw error;
    }
  }

  private responseContractFor(contract: RpcContract): MessageContract {
    let response = this.responseContracts.get(contract);
    if (response === undefined) {
      response = responseContractOf(contract);
      this.responseContracts.set(contract, response);
    }
    return response;
  }

  private outbound(contract: MessageContract, payload: unknown, messageId: string, options: SendOptions): OutboundMessage {
    return {
      exchange: contract.exchange,
      routingKey: options.routingKey ?? contract.routingKey,
      body: encodeJson(payload),
      mandatory: options.mandatory ?? true,
      orderingKey: options.orderingKey,
      properties: {
        messageId,
        correlationId: options.correlationId,
        replyTo: options.replyTo,
        contentType: JSON_CONTENT_TYPE,
        type: contract.name,
        // Date.now() rather than a Date per message: this runs for every send.
        timestamp: Math.floor((options.timestamp?.getTime() ?? Date.now()) / 1000),
        persistent: options.persistent ?? true,
        expiration: options.expiration,
        priority: options.priority,
        headers: options.headers ? { ...options.headers } : undefined,
      },
    };
  }
}
