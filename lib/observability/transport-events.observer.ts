import type { TransportObserver } from '../transports/transport.interface.js';
import type { MessagingEventBus } from './messaging-event.bus.js';

/** Turns what a transport observes about its connection and buffer into messaging events. */
export class TransportEventsObserver implements TransportObserver {
  constructor(private readonly bus: MessagingEventBus) {}

  connected(url: string): void {
    this.bus.emit('connection.connected', { url });
  }

  lost(error: Error | undefined): void {
    this.bus.emit('connection.lost', { error });
  }

  reconnected(url: string, downtimeMs: number): void {
    this.bus.emit('connection.reconnected', { url, downtimeMs });
  }

  blocked(reason: string): void {
    this.bus.emit('connection.blocked', { reason });
  }

  unblocked(): void {
    this.bus.emit('connection.unblocked', {});
  }

  bufferHighWater(buffered: number, limit: number): void {
    this.bus.emit('buffer.high-water', { buffered, limit });
  }

  bufferFull(limit: number): void {
    this.bus.emit('buffer.full', { limit });
  }
}
