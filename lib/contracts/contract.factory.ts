import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConsumerDefinitionError } from '../errors/index.js';
import type { MessageContract } from './contract.types.js';

/** What {@link defineContract} takes. */
export interface ContractDefinition<TSchema extends StandardSchemaV1> {
  /** Unique message type name, e.g. `orders.placed`. */
  readonly name: string;
  /** A Standard Schema (zod, valibot, arktype, ...) for the payload. */
  readonly schema: TSchema;
  /** Exchange the message is published to. */
  readonly exchange: string;
  /** Routing key; defaults to the contract name. */
  readonly routingKey?: string;
}

/**
 * Defines a message contract. The result is frozen, because producers and consumers in different
 * modules share it and a mutation in one would silently change what the other expects.
 *
 * @example
 * export const OrderPlaced = defineContract({
 *   name: 'orders.placed',
 *   exchange: 'orders',
 *   schema: z.object({ orderId: z.string(), total: z.number().positive() }),
 * });
 */
export function defineContract<TSchema extends StandardSchemaV1>(
  definition: ContractDefinition<TSchema>,
): MessageContract<TSchema> {
  if (!definition.name?.trim()) {
    throw new ConsumerDefinitionError('defineContract: "name" must be a non-empty string');
  }
  if (typeof definition.schema?.['~standard']?.validate !== 'function') {
    throw new ConsumerDefinitionError(
      `defineContract("${definition.name}"): "schema" must implement Standard Schema (zod, valibot, arktype, ...)`,
    );
  }
  return Object.freeze({
    name: definition.name,
    schema: definition.schema,
    exchange: definition.exchange,
    routingKey: definition.routingKey ?? definition.name,
  });
}
