import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ConsumerRunner } from '../consumer/consumer.runner.js';
import { MESSAGING_TRANSPORT } from '../decorators/index.js';
import { findQueue, validateTopology, type TopologyDefinition } from '../topology/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';
import { ConsumerExplorer } from './consumer.explorer.js';
import { MESSAGING_OPTIONS } from './messaging.module-definition.js';
import { MESSAGING_DEFAULTS, type MessagingModuleOptions } from './messaging-module.options.js';

/**
 * Drives the transport through the application's life:
 * - init: validate topology and consumers, connect and assert the topology (so providers may publish
 *   from their own bootstrap hooks);
 * - bootstrap: start consuming, once every provider is ready to handle messages;
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
    @Inject(MESSAGING_TRANSPORT) private readonly transport: MessagingTransport,
    private readonly explorer: ConsumerExplorer,
  ) {
    this.topology = options.topology ?? {};
  }

  /** The running consumers, for diagnostics. */
  get consumers(): readonly ConsumerRunner[] {
    return this.runners;
  }

  async onModuleInit(): Promise<void> {
    validateTopology(this.topology);
    this.runners = this.explorer
      .explore(this.options, this.topology)
      .map((binding) => new ConsumerRunner(binding, this.transport));
    for (const runner of this.runners) {
      if (!findQueue(this.topology, runner.binding.queue)?.deadLetterExchange) {
        this.logger.warn(`Queue "${runner.binding.queue}" has no deadLetterExchange: messages that fail in ${runner.binding.name} will be discarded`);
      }
    }
    await this.transport.start(this.topology);
    this.logger.log(`Transport "${this.transport.kind}" started; ${this.runners.length} consumer(s) discovered`);
  }

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.start()));
  }

  async onModuleDestroy(): Promise<void> {
    const timeout = this.options.shutdownTimeoutMs ?? MESSAGING_DEFAULTS.shutdownTimeoutMs;
    await Promise.all(this.runners.map((runner) => runner.stop(timeout)));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.close();
    this.logger.log(`Transport "${this.transport.kind}" closed`);
  }
}
