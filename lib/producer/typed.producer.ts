import type { ContractInput, MessageContract } from '../contracts/index.js';
import type { MessagePublisher } from './message.publisher.js';
import type { SendOptions, SendResult } from './send.options.js';

/**
 * Sends messages of one contract. `send` only accepts the contract's payload type, so a wrong shape
 * is a compile error; at run time it is validated again before it leaves the process.
 */
export class TypedProducer<C extends MessageContract> {
  constructor(
    /** The contract this producer sends. */
    readonly contract: C,
    private readonly publisher: MessagePublisher,
  ) {}

  /** Publishes one message and resolves once the broker confirmed it. */
  send(payload: ContractInput<C>, options?: SendOptions): Promise<SendResult> {
    return this.publisher.publish(this.contract, payload, options);
  }
}
