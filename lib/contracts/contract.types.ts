import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * A message type, defined once: its name, the schema that gives both its TypeScript type and its
 * runtime validation, and where it is published. Any Standard Schema library works (zod, valibot,
 * arktype, ...), so the SDK never makes you pick ours.
 */
export interface MessageContract<TSchema extends StandardSchemaV1 = StandardSchemaV1> {
  /** Unique message type name, sent as the AMQP `type` property, e.g. `orders.placed`. */
  readonly name: string;
  readonly schema: TSchema;
  /** Exchange the message is published to. */
  readonly exchange: string;
  /** Routing key used unless a send overrides it. */
  readonly routingKey: string;
}

/** The payload a producer must send for a contract (the schema's input type). */
export type ContractInput<C> = C extends MessageContract<infer S> ? StandardSchemaV1.InferInput<S> : never;

/** The payload a consumer receives for a contract (the schema's output type, after its transforms). */
export type ContractOutput<C> = C extends MessageContract<infer S> ? StandardSchemaV1.InferOutput<S> : never;

/** Anything accepted where a contract is expected. */
export type AnyMessageContract = MessageContract<StandardSchemaV1>;
