import type { TopologyDefinition } from '../topology/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';

/** Options of {@link MessagingClient}, as given to `ClientsModule.register([{ name, customClass, options }])`. */
export interface MessagingClientOptions {
  /** The broker: an instance, or a factory called at the first `connect()`. */
  readonly transport: MessagingTransport | (() => MessagingTransport);
  /** Start the transport at `connect()` and close it at `close()`. Default `true`. */
  readonly ownsTransport?: boolean;
  /** Asserted when the client starts its transport. Default none. */
  readonly topology?: TopologyDefinition;
  /**
   * Where messages go: a `queue` (through the default exchange), or an `exchange` with the pattern as
   * the routing key (unless `routingKey` maps it). One of the two is required.
   */
  readonly queue?: string;
  readonly exchange?: string;
  /** Routing key for a pattern; default: the pattern itself (`orders.created`, or the JSON of an object pattern). */
  readonly routingKey?: (pattern: string) => string;
  /** How long `send()` waits for the reply. Default 10000 ms. */
  readonly timeoutMs?: number;
  /** Events persist in durable queues. Default `true`. Requests are always transient. */
  readonly persistent?: boolean;
}
