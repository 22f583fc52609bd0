import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { InvalidOptionsError, RequestReplyUnsupportedError } from '../errors/index.js';
import { RPC_DEFAULT_TIMEOUT_MS } from '../rpc/rpc-contract.factory.js';
import { readReply } from '../rpc/rpc-reply.codec.js';
import { withRequestDeadline } from '../rpc/rpc-request.deadline.js';
import { encodeJson, JSON_CONTENT_TYPE } from '../serialization/index.js';
import { describeDestination } from '../transports/pending-request.table.js';
import { supportsRequestReply, type MessagingTransport, type OutboundMessage } from '../transports/transport.interface.js';
import type { MessagingClientOptions } from './messaging-client.options.js';

/** Status values {@link MessagingClient} reports on `status` (typed `string` there, as `ClientsModule` expects). */
export type MessagingClientStatus = 'connected' | 'disconnected';

/**
 * A Nest `ClientProxy` on this library's transports, for
 * `ClientsModule.register([{ name: 'ORDERS', customClass: MessagingClient, options: { transport, queue } }])`.
 *
 * - `emit(pattern, data)` publishes with publisher confirms (mandatory): the observable completes once
 *   the broker took the message, or errors with the typed publish error (`UnroutableMessageError`, ...).
 * - `send(pattern, data)` is request/reply over direct reply-to: it emits the handler's result, or errors
 *   with `RemoteError` (the handler failed), `RequestTimeoutError`, `RequestInterruptedError` (the
 *   connection dropped while waiting) or `UnroutableMessageError`.
 * - Packet metadata set by a `setOnDispatchHook` hook travels as message headers.
 */
export class MessagingClient extends ClientProxy {
  private readonly logger = new Logger('MessagingClient');
  private readonly options: MessagingClientOptions;
  private transport: MessagingTransport | undefined;
  private connecting: Promise<MessagingTransport> | undefined;

  constructor(options: MessagingClientOptions) {
    super();
    if (options.queue === undefined && options.exchange === undefined) {
      throw new InvalidOptionsError('MessagingClient: set "queue" or "exchange"');
    }
    this.options = options;
  }

  /** Starts the transport once (when owned); later calls share the first. */
  connect(): Promise<MessagingTransport> {
    this.connecting ??= this.start();
    return this.connecting;
  }

  /** Closes an owned transport (after its outstanding confirms). */
  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    const transport = await connecting?.catch(() => undefined);
    if (transport && (this.options.ownsTransport ?? true)) await transport.close();
    this._status$.next('disconnected');
  }

  /** The transport. */
  unwrap<T>(): T {
    if (!this.transport) throw new InvalidOptionsError('MessagingClient is not connected yet');
    return this.transport as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let cancelled = false;
    const settle = (result: WritePacket): void => {
      if (!cancelled) callback(result);
    };
    void this.request(packet).then(
      (response) => settle({ response, isDisposed: true }),
      (error: unknown) => settle({ err: error }),
    );
    // An unsubscribe cannot recall the request; the reply is just ignored when it comes.
    return () => {
      cancelled = true;
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const transport = await this.connect();
    await transport.publish(this.outbound(packet, this.options.persistent ?? true));
    return undefined as T;
  }

  private async request(packet: ReadPacket): Promise<unknown> {
    const transport = await this.connect();
    if (!supportsRequestReply(transport)) throw new RequestReplyUnsupportedError(transport.kind);
    const message = this.outbound(packet, false);
    const timeoutMs = this.options.timeoutMs ?? RPC_DEFAULT_TIMEOUT_MS;
    // The deadline header lets the server retry the request only while this client still waits.
    const properties = { ...message.properties, expiration: timeoutMs, headers: withRequestDeadline(message.properties.headers, Date.now() + timeoutMs) };
    const reply = await transport.request({ ...message, properties }, { timeoutMs });
    return readReply(reply, `${message.properties.type ?? 'request'} at ${describeDestination(message)}`);
  }

  private async start(): Promise<MessagingTransport> {
    const { transport: given, ownsTransport, topology } = this.options;
    const transport = typeof given === 'function' ? given() : given;
    this.transport = transport;
    if ((ownsTransport ?? true) || transport.stats().state === 'created') await transport.start(topology ?? {});
    this.logger.log(`Connected through the "${transport.kind}" transport`);
    this._status$.next('connected');
    return transport;
  }

  private outbound(packet: ReadPacket, persistent: boolean): OutboundMessage {
    const pattern = this.normalizePattern(packet.pattern);
    const { queue, exchange, routingKey } = this.options;
    return {
      exchange: queue !== undefined ? '' : (exchange ?? ''),
      routingKey: queue ?? (routingKey ? routingKey(pattern) : pattern),
      body: encodeJson(packet.data),
      mandatory: true,
      properties: {
        messageId: randomUUID(),
        type: pattern,
        contentType: JSON_CONTENT_TYPE,
        timestamp: Math.floor(Date.now() / 1000),
        persistent,
        headers: packet.metadata ? { ...packet.metadata } : undefined,
      },
    };
  }
}
