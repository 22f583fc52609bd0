import { TransportStateError } from '../../errors/index.js';
import type { AmqpConnectionLike } from './amqp-connection.types.js';
import type { ConnectionAttachable } from './amqp-connection.monitor.js';

/**
 * Opens once the topology has been asserted on the current connection, and closes again on every new
 * connection. Publisher channels wait on it before their first publish: after a broker-side reset, a
 * publisher channel may be up before the topology channel has re-declared the queues and bindings, and
 * what it published then would be unroutable or land nowhere.
 *
 * Register it with the connection monitor before the topology channel, so it is closed before that
 * channel can report the topology asserted.
 */
export class TopologyGate implements ConnectionAttachable {
  private ready = false;
  private closed = false;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  /** A new connection: its topology is not asserted yet. */
  attach(_connection: AmqpConnectionLike): void {
    this.ready = false;
  }

  detach(): void {
    this.ready = false;
  }

  /** The topology channel asserted the topology on the current connection. */
  open(): void {
    if (this.closed) return;
    this.ready = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Whether the topology is asserted on the current connection right now (lets hot paths skip {@link whenReady}). */
  get isOpen(): boolean {
    return this.ready && !this.closed;
  }

  /**
   * Resolves once the topology is asserted on the current connection. A waiter from a connection that
   * is gone is released by the next connection's assertion; its channel is dead by then, and the
   * channel supervisor discards it.
   */
  whenReady(): Promise<void> {
    if (this.closed) return Promise.reject(new TransportStateError('The transport is closing'));
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Fails every waiter: the transport is closing. */
  close(): void {
    this.closed = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(new TransportStateError('The transport is closing'));
  }
}
