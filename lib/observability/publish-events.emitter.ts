import { UnroutableMessageError } from '../errors/index.js';
import type { OutboundMessage } from '../transports/transport.interface.js';
import type { MessagingEventBus } from './messaging-event.bus.js';
import type { PublishedMessageInfo } from './messaging-events.types.js';
import { composePublish, type PublishMiddleware } from './messaging-middleware.types.js';

const PUBLISH_EVENTS = ['publish.sent', 'publish.confirmed', 'publish.returned', 'publish.failed'] as const;

function publishedMessageInfo(message: OutboundMessage): PublishedMessageInfo {
  const { properties } = message;
  return {
    exchange: message.exchange,
    routingKey: message.routingKey,
    messageId: properties.messageId,
    type: properties.type,
    correlationId: properties.correlationId,
    bodyBytes: message.body.length,
    headers: properties.headers,
  };
}

/** Whether anyone listens to a publish event; a plain loop, as it runs on every publish. */
function listensToPublish(bus: MessagingEventBus): boolean {
  if (bus.silent) return false;
  for (const event of PUBLISH_EVENTS) if (bus.listens(event)) return true;
  return false;
}

/**
 * The publish path around the transport: the application's publish middlewares, then the publish events.
 * With no middleware and no listener, a publish goes straight to the transport.
 */
export function instrumentPublish(
  send: (message: OutboundMessage) => Promise<void>,
  bus: MessagingEventBus | undefined,
  middleware: readonly PublishMiddleware[] = [],
): (message: OutboundMessage) => Promise<void> {
  const emitting = bus
    ? async (message: OutboundMessage): Promise<void> => {
        const info = publishedMessageInfo(message);
        const started = performance.now();
        if (bus.listens('publish.sent')) bus.emit('publish.sent', { message: info });
        try {
          await send(message);
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          // A return is its own outcome, not also a failure, so counts per outcome add up to the sends.
          if (failure instanceof UnroutableMessageError) bus.emit('publish.returned', { message: info, error: failure });
          else bus.emit('publish.failed', { message: info, error: failure, durationMs: performance.now() - started });
          throw error;
        }
        bus.emit('publish.confirmed', { message: info, durationMs: performance.now() - started });
      }
    : undefined;
  // Decided per publish (listeners come and go); without one the send is the transport's own promise.
  const observed =
    bus && emitting ? (message: OutboundMessage): Promise<void> => (listensToPublish(bus) ? emitting(message) : send(message)) : send;
  return middleware.length > 0 ? composePublish(middleware, observed) : observed;
}
