import type { StandardSchemaV1 } from '@standard-schema/spec';
import { defineContract } from '../contracts/index.js';
import { ConsumerDefinitionError } from '../errors/index.js';
import type { RpcContract } from './rpc-contract.types.js';

/** Default wait for a reply when neither the contract nor the call sets one. */
export const RPC_DEFAULT_TIMEOUT_MS = 10_000;

/** Where requests of an RPC contract go: through an exchange, or straight to a queue (default exchange). */
export type RpcDestination = { readonly exchange: string; readonly routingKey?: string; readonly queue?: never } | { readonly queue: string; readonly exchange?: never; readonly routingKey?: never };

/** What {@link defineRpcContract} takes. */
export type RpcContractDefinition<TRequest extends StandardSchemaV1, TResponse extends StandardSchemaV1> = RpcDestination & {
  /** Unique request type name, e.g. `pricing.quote`. */
  readonly name: string;
  /** Standard Schema of the request payload. */
  readonly request: TRequest;
  /** Standard Schema of the response. */
  readonly response: TResponse;
  /** Default reply timeout of `request()`, ms. Default 10000. */
  readonly timeoutMs?: number;
};

/**
 * Defines a request/response contract. The producer (`@Producer(C)` → `RpcProducer<typeof C>`) gets
 * `request(payload, { timeoutMs }) → Promise<Response>`; a `@Consumer(C, { queue })` returns the response,
 * validated against `response` before it is sent. A consumer failure comes back to the requester as a
 * `RemoteError`, not as a timeout. Frozen, like every contract.
 *
 * @example
 * export const QuotePrice = defineRpcContract({
 *   name: 'pricing.quote',
 *   queue: 'pricing.quotes',
 *   request: z.object({ sku: z.string(), quantity: z.number().int().positive() }),
 *   response: z.object({ unitCents: z.number().int(), totalCents: z.number().int() }),
 * });
 */
export function defineRpcContract<TRequest extends StandardSchemaV1, TResponse extends StandardSchemaV1>(
  definition: RpcContractDefinition<TRequest, TResponse>,
): RpcContract<TRequest, TResponse> {
  if (typeof definition.response?.['~standard']?.validate !== 'function') {
    throw new ConsumerDefinitionError(`defineRpcContract("${definition.name}"): "response" must implement Standard Schema`);
  }
  const timeoutMs = definition.timeoutMs ?? RPC_DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ConsumerDefinitionError(`defineRpcContract("${definition.name}"): "timeoutMs" must be a positive integer, got ${timeoutMs}`);
  }
  const request =
    definition.queue !== undefined
      ? defineContract({ name: definition.name, schema: definition.request, exchange: '', routingKey: definition.queue })
      : defineContract({ name: definition.name, schema: definition.request, exchange: definition.exchange, routingKey: definition.routingKey });
  return Object.freeze({ ...request, kind: 'rpc', response: definition.response, timeoutMs });
}
