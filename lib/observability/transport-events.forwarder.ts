import type { TransportEventMap, TransportEventName, TransportEvents } from '../transports/transport.events.js';
import type { MessagingEventBus } from './messaging-event.bus.js';

const FORWARDED: readonly TransportEventName[] = [
  'connection.connected',
  'connection.lost',
  'connection.reconnected',
  'connection.blocked',
  'connection.unblocked',
  'buffer.high-water',
  'buffer.full',
  'delivery.stuck',
  'delivery.unstuck',
  'queue.unavailable',
  'queue.recovered',
];

/**
 * Re-emits a transport's own events (connection, buffer, stuck deliveries, unavailable queues) on the
 * module's event bus, so applications subscribe in one place. Returns the function that stops it.
 */
export function forwardTransportEvents(source: TransportEvents, bus: MessagingEventBus): () => void {
  const stops = FORWARDED.map((name) =>
    source.on(name, (event: TransportEventMap[typeof name]) => bus.emit(name, event as never)),
  );
  return () => stops.forEach((stop) => stop());
}
