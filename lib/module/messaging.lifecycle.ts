import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { MESSAGING_CORE_EVENTS, MESSAGING_CORE_TELEMETRY, MESSAGING_CORE_TRANSPORT, MESSAGING_OPTIONS } from '../common/index.js';
import { ConsumeEvents } from '../observability/consume-events.emitter.js';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import { MessagingEventExplorer } from '../observability/messaging-event.explorer.js';
import { forwardTransportEvents } from '../observability/transport-events.forwarder.js';
import { ConsumerExplorer } from '../consumer/consumer.explorer.js';
import { ConsumerHandlerFactory } from '../consumer/consumer-handler.factory.js';
import { classifyHandlerFailure } from '../consumer/failure-kind.classifier.js';
import { ConsumerRunner } from '../consumer/consumer.runner.js';
import { IdempotentInvokerFactory } from '../idempotency/idempotent-invoker.factory.js';
import type { InboxHealthReport } from '../idempotency/inbox-health.monitor.js';
import type { TopologyDefinition } from '../topology/index.js';
import { createConsumerRunners } from './consumer-runners.factory.js';
import { isRpcContract, responseContractOf } from '../rpc/rpc-contract.types.js';
import { RpcResponder } from '../rpc/rpc.responder.js';
import { supportsRequestReply, type MessagingTransport } from '../transports/transport.interface.js';
import { InvalidOptionsError } from '../errors/index.js';
import { MESSAGING_DEFAULTS, type MessagingModuleOptions } from './messaging-module.options.js';
import type { MessagingTelemetryHooks } from './telemetry.loader.js';

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
  private readonly declared: TopologyDefinition;
  private topology: TopologyDefinition = {};
  private runners: ConsumerRunner[] = [];
  private stopForwarding: (() => void) | undefined;
  private inbox: IdempotentInvokerFactory | undefined;
  /** Answers RPC requests; absent when the transport cannot reply. */
  private readonly responder: RpcResponder | undefined;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    @Inject(MESSAGING_CORE_TRANSPORT) private readonly transport: MessagingTransport,
    @Inject(MESSAGING_CORE_EVENTS) private readonly events: MessagingEventBus,
    private readonly eventListeners: MessagingEventExplorer,
    private readonly explorer: ConsumerExplorer,
    private readonly handlers: ConsumerHandlerFactory,
    @Inject(MESSAGING_CORE_TELEMETRY) private readonly telemetry: MessagingTelemetryHooks | undefined,
  ) {
    this.declared = options.topology ?? {};
    this.responder = supportsRequestReply(transport) ? new RpcResponder(transport) : undefined;
  }

  /** The running consumers, one per queue, for diagnostics. */
  get consumers(): readonly ConsumerRunner[] {
    return this.runners;
  }

  /** The inbox store's last sampled health; `undefined` without idempotent consumers or a store `health()`. */
  get inboxHealth(): InboxHealthReport | undefined {
    return this.inbox?.health;
  }

  /** The topology asserted on the broker: the declared one plus error queues and the retry delay line. */
  get effectiveTopology(): TopologyDefinition {
    return this.topology;
  }

  async onModuleInit(): Promise<void> {
    this.eventListeners.subscribeAll(this.events);
    const { options } = this;
    const defaults = options.consumerDefaults;
    const ack = defaults?.ack ?? MESSAGING_DEFAULTS.ack;
    // Per boot, so each boot's default in-memory inbox starts empty.
    const inbox = new IdempotentInvokerFactory(options.idempotency, defaults?.idempotent ?? MESSAGING_DEFAULTS.idempotent);
    this.inbox = inbox;
    const { runners, topology } = createConsumerRunners({
      transport: this.transport,
      declared: this.declared,
      discovered: this.explorer.explore(),
      defaults: {
        prefetch: defaults?.prefetch ?? MESSAGING_DEFAULTS.prefetch,
        ack,
        retry: options.retry,
        maxDeliveries: options.maxDeliveries ?? MESSAGING_DEFAULTS.maxDeliveries,
      },
      invokerFor: ({ instance, methodName, metadata, name }) => {
        const { contract } = metadata;
        const invoker = this.handlers.create(instance, methodName, { contract, consumerName: name });
        // An RPC contract's handler returns the reply: validated against the response schema and sent before the ack.
        const replying =
          isRpcContract(contract) && this.responder
            ? this.responder.wrapInvoker(invoker, responseContractOf(contract))
            : invoker;
        return inbox.wrap({ name, ack: metadata.options.ack ?? ack, idempotent: metadata.options.idempotent }, replying);
      },
      settings: {
        maxMessageBytes: options.maxMessageBytes ?? MESSAGING_DEFAULTS.maxMessageBytes,
        unknownType: defaults?.unknownMessageType ?? MESSAGING_DEFAULTS.unknownMessageType,
        failureHeaders: { stack: options.failureHeaders?.stack ?? MESSAGING_DEFAULTS.failureStack },
        classifyError: classifyHandlerFailure,
        events: new ConsumeEvents(this.events),
        // Outermost, so the application's middlewares and handlers run inside the process span.
        middleware: this.telemetry?.consume ? [this.telemetry.consume, ...(options.consumeMiddleware ?? [])] : options.consumeMiddleware,
      },
      topology: { errorQueues: options.errorQueues ?? MESSAGING_DEFAULTS.errorQueues, delayLine: options.retryDelayLine },
      stuckAfterMs: this.stuckAfterMs(),
      responder: this.responder,
      answers: ({ metadata }) => isRpcContract(metadata.contract),
      logger: this.logger,
    });
    this.runners = runners;
    this.topology = topology;
    if (this.transport.events) this.stopForwarding = forwardTransportEvents(this.transport.events, this.events);
    await this.transport.start(topology);
    this.logger.log(`Transport "${this.transport.kind}" started; ${this.runners.length} queue consumer(s) discovered`);
  }

  async onApplicationBootstrap(): Promise<void> {
    const started = await Promise.allSettled(this.runners.map((runner) => runner.start()));
    const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (!failure) {
      this.inbox?.startHealthChecks();
      return;
    }
    this.logger.error(`A consumer failed to start (${(failure.reason as Error).message}); stopping the others and closing the transport`);
    await this.stopRunners();
    await this.transport.close();
    throw failure.reason;
  }

  async onModuleDestroy(): Promise<void> {
    await this.inbox?.stopHealthChecks();
    await this.stopRunners();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.close();
    this.telemetry?.close();
    this.stopForwarding?.();
    this.logger.log(`Transport "${this.transport.kind}" closed`);
  }

  private stuckAfterMs(): number {
    const stuckAfterMs = this.options.consumerDefaults?.stuckAfterMs ?? MESSAGING_DEFAULTS.stuckAfterMs;
    if (!Number.isSafeInteger(stuckAfterMs) || stuckAfterMs < 0) {
      throw new InvalidOptionsError(`consumerDefaults.stuckAfterMs must be a non-negative integer, got ${String(stuckAfterMs)}`);
    }
    return stuckAfterMs;
  }

  private async stopRunners(): Promise<void> {
    const timeout = this.options.shutdownTimeoutMs ?? MESSAGING_DEFAULTS.shutdownTimeoutMs;
    await Promise.all(this.runners.map((runner) => runner.stop(timeout)));
  }
}
