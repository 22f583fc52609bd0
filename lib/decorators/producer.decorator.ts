import { Inject } from '@nestjs/common';
import type { MessageContract } from '../contracts/index.js';

/**
 * The injection token of a contract's producer. Readable on purpose: when a producer was not registered
 * with `MessagingModule.forFeature`, Nest's "can't resolve dependencies" error shows this string.
 */
export function getProducerToken(contract: MessageContract): string {
  return `MessagingProducer<${contract.name}>`;
}

/**
 * Injects the typed producer of a contract. Register the contract with
 * `MessagingModule.forFeature([Contract])` in the module that injects it.
 *
 * @example
 * constructor(\@Producer(OrderPlaced) private readonly orders: TypedProducer<typeof OrderPlaced>) {}
 */
export function Producer(contract: MessageContract): PropertyDecorator & ParameterDecorator {
  return Inject(getProducerToken(contract));
}
