import { Logger } from '@nestjs/common';
import { Server, type MessageHandler, type ReadPacket } from '@nestjs/microservices';
import { finalize, isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { HandlerInvoker } from '../consumer/consumer-binding.types.js';
import { ConsumerRunner } from '../consumer/consumer.runner.js';
import type { DiscoveredConsumer } from '../consumer/consumer.explorer.js';
import { classifyHandlerFailure } from '../consumer/failure-kind.classifier.js';
import { ConsumerDefinitionError } from '../errors/index.js';
import { createConsumerRunners } from '../module/consumer-runners.factory.js';
import { MESSAGING_DEFAULTS } from '../module/messaging-module.options.js';
import { RpcResponder } from '../rpc/rpc.responder.js';
import { supportsRequestReply, type MessagingTransport } from '../transports/transport.interface.js';
import { MESSAGING_TRANSPORT_ID } from './microservices.constants.js';
import type { MessagingPatternExtras, MessagingServerOptions } from './messaging-server.options.js';
import { MessagingRpcContext } from './messaging-rpc.context.js';
import { passthroughSchema } from './passthrough.schema.js';
import { toHandlerError } from './pattern-handler.error.js';

/** Status values {@link MessagingServer} reports on `status`. */
export type MessagingServerStatus = 'connected' | 'disconnected';

/**
 * A Nest microservice transport strategy on this library's transports (`AmqpTransport`,
 * `MemoryTransport`, ...): `NestFactory.createMicroservice(App, { strategy: new MessagingServer(...) })`
 * or `app.connectMicroservice({ strategy })` in a hybrid app.
 *
 * `@EventPattern` and `@MessagePattern` handlers consume queues (the server's `queue`, or per handler
 * through extras) through the same pipeline as `@Consumer`: size check, JSON decode, routing by `type`
 * (the pattern), settlement and never-lost dead-lettering with the failure recorded. Nest's own
 * enhancers run around them (`getType() === 'rpc'`). Success acks; an error dead-letters, also for event
 * handlers, whose errors Nest would otherwise swallow: the server propagates them and awaits the result.
 * A request (`MessagingClient.send`) gets the handler's result, or a `RemoteError`, as its reply.
 * Dispatch goes through Nest's processing hooks, so Nest's tracing sees every message.
 */
export class MessagingServer extends Server<Record<string, never>, MessagingServerStatus> {
  /** Our transport id; match it in `@EventPattern(pattern, MESSAGING_TRANSPORT_ID)` to bind a handler here only. */
  override transportId = MESSAGING_TRANSPORT_ID;
  /** Handler errors are ours to settle (dead-letter), so Nest must hand them over rather than log them. */
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger('MessagingServer');
  private transport: MessagingTransport | undefined;
  private runners: ConsumerRunner[] = [];

  constructor(private readonly options: MessagingServerOptions) {
    super();
  }

  /** Starts the transport (when owned), validates the handlers' queues, and starts consuming. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      this._status$.next('connected');
      callback();
    } catch (error) {
      await this.stop().catch(() => undefined);
      callback(error);
    }
  }

  /** Stops consuming (in-flight handlers finish, up to `shutdownTimeoutMs`) and closes an owned transport. */
  async close(): Promise<void> {
    await this.stop();
    this._status$.next('disconnected');
  }

  /** This server emits no events of its own; watch `status` instead. */
  on(): void {
    this.logger.warn('MessagingServer emits no events; subscribe to `status` instead');
  }

  /** The transport this server consumes from. */
  unwrap<T>(): T {
    if (!this.transport) throw new ConsumerDefinitionError('MessagingServer is not listening yet');
    return this.transport as T;
  }

  /**
   * Runs an event handler and awaits its result, stream included, as Nest's Kafka server does, so a
   * failure reaches the dispatcher (which dead-letters) instead of only Nest's log.
   */
  override async handleEvent(pattern: string, packet: ReadPacket, context: MessagingRpcContext): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new ConsumerDefinitionError(`MessagingServer: no event handler for pattern "${pattern}"`);
    await this.withProcessingHooks(context, async (runEndHook) => {
      const result: unknown = await handler(packet.data, context);
      if (isObservable(result)) await lastValueFrom(result.pipe(finalize(runEndHook)), { defaultValue: undefined });
      else runEndHook();
    });
  }

  private async start(): Promise<void> {
    const { options } = this;
    const transport = typeof options.transport === 'function' ? options.transport() : options.transport;
    this.transport = transport;
    const handlers = this.getHandlers();
    const responder = supportsRequestReply(transport) ? new RpcResponder(transport) : undefined;
    this.responder = responder;
    const { runners, topology } = createConsumerRunners({
      transport,
      declared: options.topology ?? {},
      discovered: [...handlers].map(([pattern, handler]) => this.describe(pattern, handler)),
      defaults: {
        prefetch: options.prefetch ?? MESSAGING_DEFAULTS.prefetch,
        ack: options.ack ?? MESSAGING_DEFAULTS.ack,
        retry: options.retry,
        maxDeliveries: options.maxDeliveries ?? MESSAGING_DEFAULTS.maxDeliveries,
      },
      invokerFor: ({ name }) => this.invokerFor(name),
      settings: {
        maxMessageBytes: options.maxMessageBytes ?? MESSAGING_DEFAULTS.maxMessageBytes,
        unknownType: options.unknownMessageType ?? MESSAGING_DEFAULTS.unknownMessageType,
        failureHeaders: { stack: options.failureHeaders?.stack ?? MESSAGING_DEFAULTS.failureStack },
        classifyError: classifyHandlerFailure,
      },
      topology: { errorQueues: options.errorQueues ?? MESSAGING_DEFAULTS.errorQueues, delayLine: options.retryDelayLine },
      stuckAfterMs: MESSAGING_DEFAULTS.stuckAfterMs,
      responder,
      // @MessagePattern handlers answer requests; @EventPattern handlers never reply.
      answers: ({ name }) => this.getHandlerByPattern(name)?.isEventHandler === false,
      logger: this.logger,
    });
    if ((options.ownsTransport ?? true) || transport.stats().state === 'created') await transport.start(topology);
    this.runners = runners;
    await Promise.all(this.runners.map((runner) => runner.start()));
    this.logger.log(`Listening on ${this.runners.length} queue(s) of the "${transport.kind}" transport for ${handlers.size} pattern(s)`);
  }

  private responder: RpcResponder | undefined;

  private async stop(): Promise<void> {
    const timeout = this.options.shutdownTimeoutMs ?? MESSAGING_DEFAULTS.shutdownTimeoutMs;
    const runners = this.runners.splice(0);
    await Promise.all(runners.map((runner) => runner.stop(timeout)));
    if (this.options.ownsTransport ?? true) await this.transport?.close();
  }

  /** A pattern handler as the binding factory sees a `@Consumer`: its pattern is the message type. */
  private describe(pattern: string, handler: MessageHandler): DiscoveredConsumer {
    const extras = (handler.extras ?? {}) as MessagingPatternExtras;
    const queue = extras.queue ?? this.options.queue;
    if (!queue) throw new ConsumerDefinitionError(`Pattern "${pattern}": no queue (set the server's "queue" or the handler's extras.queue)`);
    return {
      instance: handler,
      methodName: pattern,
      name: pattern,
      isStatic: true,
      metadata: {
        contract: { name: pattern, schema: passthroughSchema, exchange: '', routingKey: pattern },
        options: { queue, prefetch: extras.prefetch, concurrency: extras.concurrency, ack: extras.ack },
      },
    };
  }

  private invokerFor(pattern: string): HandlerInvoker {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new ConsumerDefinitionError(`MessagingServer: no handler for pattern "${pattern}"`);
    if (handler.isEventHandler) {
      return (payload, context) => this.handleEvent(pattern, { pattern, data: payload }, new MessagingRpcContext(context, pattern));
    }
    const request: HandlerInvoker = (payload, context) => this.runRequest(handler, payload, new MessagingRpcContext(context, pattern));
    // Resolved lazily (the responder exists once the transport is known), then wrapped once per responder, not per message.
    let wrapped: { readonly responder: RpcResponder; readonly invoke: HandlerInvoker } | undefined;
    return (payload, context) => {
      const responder = this.responder;
      if (!responder) return request(payload, context);
      if (wrapped?.responder !== responder) wrapped = { responder, invoke: responder.wrapInvoker(request, undefined) };
      return wrapped.invoke(payload, context);
    };
  }

  /** Runs a request handler through Nest's request hooks and resolves with its last response value. */
  private runRequest(handler: MessageHandler, payload: unknown, context: MessagingRpcContext): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let last: unknown;
      const produce = async (): Promise<Observable<unknown>> => {
        try {
          return this.transformToObservable(await handler(payload, context)) as Observable<unknown>;
        } catch (error) {
          return throwError(() => error);
        }
      };
      this.handleRequest(context, produce, (packet) => {
        if (packet.err !== undefined) reject(toHandlerError(packet.err, context.getPattern()));
        else if (packet.isDisposed) resolve(packet.response ?? last);
        else last = packet.response;
      });
    });
  }

  /** `runWithProcessingHooks`, awaited even when a start hook does not return the promise it is given. */
  private withProcessingHooks(context: MessagingRpcContext, fn: (runEndHook: () => void) => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const started: unknown = this.runWithProcessingHooks(context, async (runEndHook) => {
        try {
          await fn(runEndHook);
          resolve();
        } catch (error) {
          reject(toHandlerError(error, context.getPattern()));
          throw error;
        }
      });
      // The rejection was handed on above; this copy only must not go unhandled.
      if (started instanceof Promise) started.catch(() => undefined);
    });
  }
}
