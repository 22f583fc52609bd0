import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MessageContract } from '../contracts/index.js';

/**
 * A request/response pair, defined once: a {@link MessageContract} for the request (so `@Consumer`,
 * validation and routing work as for any message) plus the schema of the response the consumer returns.
 */
export interface RpcContract<TRequest extends StandardSchemaV1 = StandardSchemaV1, TResponse extends StandardSchemaV1 = StandardSchemaV1>
  extends MessageContract<TRequest> {
  /** Marks the contract as request/reply: its consumer's return value is the reply. */
  readonly kind: 'rpc';
  /** Schema of the response, validated by the responder before replying and by the requester on receipt. */
  readonly response: TResponse;
  /** Default `timeoutMs` of `request()` for this contract. */
  readonly timeoutMs: number;
}

/** What the requester sends (the request schema's input type). */
export type RpcRequestInput<C> = C extends RpcContract<infer Q, StandardSchemaV1> ? StandardSchemaV1.InferInput<Q> : never;

/** What the consumer returns (the response schema's input type). */
export type RpcResponseInput<C> = C extends RpcContract<StandardSchemaV1, infer R> ? StandardSchemaV1.InferInput<R> : never;

/** What `request()` resolves with (the response schema's output type, after its transforms). */
export type RpcResponse<C> = C extends RpcContract<StandardSchemaV1, infer R> ? StandardSchemaV1.InferOutput<R> : never;

/**
 * The contract a reply of `contract` is validated against, by the responder before replying and by the
 * requester on receipt: the response schema, named `<name> (response)` so validation errors say which side.
 */
export function responseContractOf(contract: RpcContract): MessageContract {
  return { name: `${contract.name} (response)`, schema: contract.response, exchange: '', routingKey: '' };
}

/** Whether a contract is a request/response contract made by `defineRpcContract`. */
export function isRpcContract(contract: MessageContract): contract is RpcContract {
  return (contract as Partial<RpcContract>).kind === 'rpc';
}
