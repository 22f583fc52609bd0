import { SetMetadata } from '@nestjs/common';
import type { ContractOutput, MessageContract } from '../contracts/index.js';
import type { MessageContext } from '../consumer/message.context.js';
import type { RetryPolicy } from '../retry/retry-policy.types.js';
import { CONSUMER_METADATA } from '../common/index.js';
import type { RpcContract, RpcResponseInput } from '../rpc/rpc-contract.types.js';

/** How a consumer acknowledges: by itself on success/failure, or only when the handler says so. */
export type AckMode = 'auto' | 'manual';

/** Options of {@link Consumer}. */
export interface ConsumerOptions {
  /**
   * Queue to consume from; it must be declared in the module's topology. Several handlers may consume one
   * queue, each for a different contract: messages are routed to them by their `type` (the contract name).
   */
  readonly queue: string;
  /**
   * Unacknowledged messages the broker may hand this queue's consumer at once. A queue-level setting:
   * all handlers of one queue share it, so those that set it must agree. Default: the module's
   * `consumerDefaults.prefetch`, else 200 (`MESSAGING_DEFAULTS.prefetch`).
   */
  readonly prefetch?: number;
  /** Handlers of this queue running at the same time (queue-level, like `prefetch`). Default: `prefetch`; cannot exceed it. */
  readonly concurrency?: number;
  /**
   * `auto` (default): ack when the handler resolves, dead-letter with the error when it throws.
   * `manual`: the handler settles through `ctx.ack()`, `ctx.nack()` or `ctx.reject()`; a throw before
   * settling still dead-letters.
   */
  readonly ack?: AckMode;
  /** Name for logs; default `ClassName.method`. */
  readonly name?: string;
  /**
   * Also take messages of any type no other handler of the queue handles (validated against this
   * contract like any other), e.g. a dead-letter queue auditor or a queue fed by foreign producers. At most
   * one handler per queue. Default `false`: such messages are dead-lettered with kind `unknown-type`.
   */
  readonly acceptsAnyType?: boolean;
  /**
   * How this handler's failures are retried, replacing the module's `retry` (`false`: never). Decode,
   * validation, unknown-type, denied and rejected failures are never retried.
   */
  readonly retry?: RetryPolicy | false;
  /**
   * Deliveries after which a message that keeps coming back unsettled (it crashes or hangs the consumer)
   * is set aside as poison, dead-lettered with kind `poison`, without running the handler again.
   * Default: the module's `maxDeliveries` (20). `false` turns the check off.
   */
  readonly maxDeliveries?: number | false;
  /**
   * How the method takes its arguments, for the compile-time check only.
   * `positional` (default): `(payload, ctx)`, and a payload parameter that does not match the contract
   * is a compile error. `decorated`: the method picks its arguments with `@Payload()`, `@Ctx()` and
   * `@Headers()` in any order, which the type checker cannot follow, so the check is off.
   */
  readonly params?: 'positional' | 'decorated';
  /**
   * Handle each `messageId` at most once for this consumer (the inbox): a duplicate of a message already
   * handled is acked without calling the handler, and one being handled right now waits for that run.
   * Needs `ack: 'auto'`. Default: `consumerDefaults.idempotent` (false). See `MessagingModuleOptions.idempotency`.
   */
  readonly idempotent?: boolean;
}

/** What `@Consumer` records on a method, read back by the explorer. */
export interface ConsumerMetadata {
  readonly contract: MessageContract;
  readonly options: ConsumerOptions;
}

/** What a consumer method returns: the response for an RPC contract (sent as the reply), anything otherwise. */
export type ConsumerResult<C extends MessageContract> = C extends RpcContract ? RpcResponseInput<C> | Promise<RpcResponseInput<C>> : unknown;

/** The signature a consumer method must have for contract `C`. */
export type ConsumerHandler<C extends MessageContract> = (
  payload: ContractOutput<C>,
  context: MessageContext<ContractOutput<C>>,
) => ConsumerResult<C>;

/** The methods `@Consumer` accepts: contract-checked positional handlers unless `params: 'decorated'`. */
export type ConsumerMethod<C extends MessageContract, O extends ConsumerOptions> = O extends { readonly params: 'decorated' }
  ? (...args: never[]) => unknown
  : ConsumerHandler<C>;

/**
 * Marks a provider method as the consumer of a contract on a queue. The method receives the validated,
 * typed payload and a {@link MessageContext}; a method whose payload parameter does not match the
 * contract is a compile error. With `params: 'decorated'` it takes `@Payload()`, `@Ctx()` and
 * `@Headers()` parameters instead. Nest's guards, interceptors, pipes and filters apply (context
 * type `'messaging'`).
 *
 * @example
 * \@Consumer(OrderPlaced, { queue: 'billing.orders', prefetch: 20 })
 * async charge(order: ContractOutput<typeof OrderPlaced>, ctx: MessageContext) { ... }
 */
export function Consumer<C extends MessageContract, const O extends ConsumerOptions = ConsumerOptions>(
  contract: C,
  options: O,
): <H extends ConsumerMethod<C, O>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<H>) => void {
  const metadata: ConsumerMetadata = { contract, options: { ...options } };
  const setMetadata = SetMetadata(CONSUMER_METADATA, metadata);
  // Generic over the method's own type so a handler taking fewer parameters, or returning anything,
  // still matches, while a payload parameter the contract cannot satisfy is a compile error.
  return <H extends ConsumerMethod<C, O>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<H>) => {
    setMetadata(target, key, descriptor);
  };
}
