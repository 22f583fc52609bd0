import type { MessagePublisher } from '../producer/message.publisher.js';
import { TypedProducer } from '../producer/typed.producer.js';
import type { RpcContract, RpcRequestInput, RpcResponse } from './rpc-contract.types.js';
import type { RequestSendOptions } from './rpc-request.options.js';

/**
 * The producer of an RPC contract (`@Producer(C)` after `MessagingModule.forFeature([C])`): `request`
 * sends a typed request and resolves with the typed, validated response; `send` (inherited) publishes a
 * request without waiting for any answer.
 */
export class RpcProducer<C extends RpcContract> extends TypedProducer<C> {
  constructor(
    contract: C,
    private readonly rpcPublisher: MessagePublisher,
  ) {
    super(contract, rpcPublisher);
  }

  /**
   * Sends a request and resolves with the responder's validated reply. Rejects with `RemoteError` (the
   * responder failed: handler error, invalid request, guard, ...), `RequestTimeoutError`,
   * `RequestInterruptedError` (the connection dropped while waiting), `UnroutableMessageError` (nobody
   * consumes the request), `MessageValidationError` (the request, before sending), `InvalidReplyError`.
   */
  request(payload: RpcRequestInput<C>, options?: RequestSendOptions): Promise<RpcResponse<C>> {
    return this.rpcPublisher.request(this.contract, payload, options);
  }
}
