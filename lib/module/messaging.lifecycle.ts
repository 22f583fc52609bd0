import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { MESSAGING_CORE_TRANSPORT, MESSAGING_OPTIONS } from '../common/index.js';
import { createQueueBindings } from '../consumer/consumer-binding.factory.js';
import type { QueueBinding } from '../consumer/consumer-binding.types.js';
import { ConsumerExplorer } from '../consumer/consumer.explorer.js';
import { ConsumerHandlerFactory } from '../consumer/consumer-handler.factory.js';
import { classifyHandlerFailure } from '../consumer/failure-kind.classifier.js';
import { ConsumerRunner } from '../consumer/consumer.runner.js';
import { MessageDispatcher, type DispatchSettings } from '../consumer/message.dispatcher.js';
import { IdempotentInvokerFactory } from '../idempotency/idempotent-invoker.factory.js';
import { InvalidOptionsError } from '../errors/index.js';
import { findQueue, validateTopology, type TopologyDefinition } from '../topology/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';
import { MESSAGING_DEFAULTS, type MessagingModuleOptions } from './messaging-module.options.js';

/**
 * Drives the transport through the application's life:
 * - init: validate topology and consumers, connect and assert the topology (so providers may publish
 *   from their own bootstrap hooks);
 * - bootstrap: start consuming, once every provider is ready to handle messages; if one consumer cannot
 *   start, the others are stopped and the transport closed before the error propagates, so the process
 *   can exit;
 * - module destroy: stop consuming and let in-flight handlers finish (they may still publish);
 * - before shutdown: close the transport, which waits for outstanding publisher confirms.
 */
@Injectable()
export class MessagingLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private readonly topology: TopologyDefinition;
  private runners: ConsumerRunner[] = [];

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    @Inject(MESSAGING_CORE_TRANSPORT) private readonly transport: MessagingTransport,
    private readonly explorer: ConsumerExplorer,
    private readonly handlers: ConsumerHandlerFactory,
  ) {
    this.topology = options.topology ?? {};
  }

  /** The running consumers, one per queue, for diagnostics. */
  get consumers(): readonly ConsumerRunner[] {
    return this.runners;
  }

  async onModuleInit(): Promise<void> {
    validateTopology(this.topology);
    const settings = this.dispatchSettings();
    const stuckAfterMs = this.options.consumerDefaults?.stuckAfterMs ?? MESSAGING_DEFAULTS.stuckAfterMs;
    if (!Number.isSafeInteger(stuckAfterMs) || stuckAfterMs < 0) {
      throw new InvalidOptionsError(`consumerDefaults.stuckAfterMs must be a non-negative integer, got ${String(stuckAfterMs)}`);
    }
    this.runners = this.bindings().map(
      (binding) => new ConsumerRunner(binding, this.transport, new MessageDispatcher(binding, settings), stuckAfterMs),
    );
    for (const { binding } of this.runners) {
      if (!findQueue(this.topology, binding.queue)?.deadLetterExchange) {
        this.logger.warn(`Queue "${binding.queue}" has no deadLetterExchange: messages that fail in ${binding.name} will be discarded`);
      }
    }
    await this.transport.start(this.topology);
    this.logger.log(`Transport "${this.transport.kind}" started; ${this.runners.length} queue consumer(s) discovered`);
  }

  async onApplicationBootstrap(): Promise<void> {
    const started = await Promise.allSettled(this.runners.map((runner) => runner.start()));
    const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (!failure) return;
    this.logger.error(`A consumer failed to start (${(failure.reason as Error).message}); stopping the others and closing the transport`);
    await this.stopRunners();
    await this.transport.close();
    throw failure.reason;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stopRunners();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.close();
    this.logger.log(`Transport "${this.transport.kind}" closed`);
  }

  private bindings(): QueueBinding[] {
    const defaults = this.options.consumerDefaults;
    const ack = defaults?.ack ?? MESSAGING_DEFAULTS.ack;
    // Per boot, so each boot's default in-memory inbox starts empty.
    const inbox = new IdempotentInvokerFactory(this.options.idempotency, defaults?.idempotent ?? MESSAGING_DEFAULTS.idempotent);
    return createQueueBindings(
      this.explorer.explore(),
      this.topology,
      { prefetch: defaults?.prefetch ?? MESSAGING_DEFAULTS.prefetch, ack },
      ({ instance, methodName, metadata, name }) =>
        inbox.wrap(
          { name, ack: metadata.options.ack ?? ack, idempotent: metadata.options.idempotent },
          this.handlers.create(instance, methodName, { contract: metadata.contract, consumerName: name }),
        ),
    );
  }

  private dispatchSettings(): DispatchSettings {
    const { options } = this;
    return {
      maxMessageBytes: options.maxMessageBytes ?? MESSAGING_DEFAULTS.maxMessageBytes,
      unknownType: options.consumerDefaults?.unknownMessageType ?? MESSAGING_DEFAULTS.unknownMessageType,
      failureHeaders: { stack: options.failureHeaders?.stack ?? MESSAGING_DEFAULTS.failureStack },
      classifyError: classifyHandlerFailure,
    };
  }

  private async stopRunners(): Promise<void> {
    const timeout = this.options.shutdownTimeoutMs ?? MESSAGING_DEFAULTS.shutdownTimeoutMs;
    await Promise.all(this.runners.map((runner) => runner.stop(timeout)));
  }
}
