import { Logger } from '@nestjs/common';
import { validateMessage, type MessageContract } from '../contracts/index.js';
import { MessageDecodeError } from '../errors/index.js';
import { decodeJson } from '../serialization/index.js';
import type { MessagingTransport, TransportDelivery, TransportSubscription } from '../transports/transport.interface.js';
import type { DeadLetterPublisher } from './dead-letter.publisher.js';
import { DeliverySettlement } from './delivery.settlement.js';
import { classifyHandlerFailure } from './failure-kind.classifier.js';
import { MessageContext } from './message.context.js';

/** A discovered consumer with its options resolved. */
export interface ConsumerBinding {
  readonly name: string;
  readonly contract: MessageContract;
  readonly queue: string;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly ack: 'auto' | 'manual';
  readonly handler: (payload: unknown, context: MessageContext<unknown>) => unknown;
}

/**
 * Runs one consumer: receives deliveries, decodes and validates them, calls the handler with at most
 * `concurrency` in flight, and settles every message exactly once. Nothing that goes wrong with one
 * message (bad JSON, invalid payload, a throwing handler) escapes to the transport or stops the consumer:
 * such messages are dead-lettered with the reason.
 */
export class ConsumerRunner {
  private readonly logger = new Logger('Messaging');
  private subscription?: TransportSubscription;
  private readonly waiting: TransportDelivery[] = [];
  private active = 0;
  private stopping = false;
  private drained?: () => void;

  constructor(
    readonly binding: ConsumerBinding,
    private readonly transport: MessagingTransport,
    private readonly deadLetters: DeadLetterPublisher,
  ) {}

  /** Subscribes to the queue. */
  async start(): Promise<void> {
    const { queue, prefetch, name } = this.binding;
    this.stopping = false;
    this.subscription = await this.transport.consume({ queue, prefetch, consumerName: name }, (delivery) =>
      this.onDelivery(delivery),
    );
    this.logger.log(`Consumer ${name} listening on "${queue}" (prefetch ${prefetch}, concurrency ${this.binding.concurrency}, ack ${this.binding.ack})`);
  }

  /**
   * Stops taking messages and waits for in-flight handlers to finish, up to `timeoutMs`. Messages that
   * were delivered but not started are requeued at once so another instance can take them.
   * Resolves `true` when everything finished in time.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    await this.subscription?.cancel();
    this.subscription = undefined;
    for (const delivery of this.waiting.splice(0)) delivery.nack(true);
    if (this.active === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => (this.drained = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn(`Consumer ${this.binding.name}: ${this.active} handler(s) still running after ${timeoutMs} ms; their messages will be redelivered`);
    }
    return finished;
  }

  private onDelivery(delivery: TransportDelivery): void {
    if (this.stopping) {
      delivery.nack(true);
    } else if (this.active < this.binding.concurrency) {
      void this.run(delivery);
    } else {
      this.waiting.push(delivery);
    }
  }

  private async run(delivery: TransportDelivery): Promise<void> {
    this.active++;
    try {
      await this.process(delivery);
    } catch (error) {
      // process() settles every path itself; reaching here means a settle call threw, which must not kill the loop.
      this.logger.error(`Consumer ${this.binding.name}: unexpected error settling a message: ${(error as Error).message}`);
    } finally {
      this.active--;
      const next = this.waiting.shift();
      if (next) void this.run(next);
      else if (this.active === 0) this.drained?.();
    }
  }

  private async process(delivery: TransportDelivery): Promise<void> {
    const { binding } = this;
    const settlement = new DeliverySettlement(delivery, this.deadLetters);
    let payload: unknown;
    try {
      payload = await validateMessage(binding.contract, decodeJson(delivery.message.body, delivery.message.properties.contentType));
    } catch (error) {
      const kind = error instanceof MessageDecodeError ? 'decode' : 'validation';
      await settlement.deadLetter({ kind, error: error as Error, consumer: binding.name });
      return;
    }
    const context = new MessageContext(payload, delivery.message, binding.contract.name, binding.name, settlement);
    try {
      await binding.handler(payload, context);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (settlement.state === 'pending') {
        await settlement.deadLetter({ kind: classifyHandlerFailure(error), error: failure, consumer: binding.name });
      } else {
        this.logger.error(`Consumer ${binding.name} threw after settling its message (${settlement.state}): ${failure.message}`);
      }
      return;
    }
    if (settlement.state === 'pending') {
      if (binding.ack === 'auto') settlement.ack();
      // Manual mode: the handler may settle later (e.g. after a batch); the slot stays taken until it does.
      else await settlement.done;
    }
  }
}
