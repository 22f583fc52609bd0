import { Logger } from '@nestjs/common';
import type { MessagingEventListener, MessagingEventMap, MessagingEventName } from './messaging-events.types.js';

type AnyListener = (event: never) => void;

/**
 * The module's typed event surface. Inject it to subscribe (`events.on('message.dead-lettered', ...)`),
 * or decorate a provider method with `@OnMessagingEvent(...)`. Emitters check {@link listens} first, so
 * an event nobody listens to costs one map lookup and builds no payload.
 */
export class MessagingEventBus {
  private readonly logger = new Logger('MessagingEvents');
  private readonly listeners = new Map<MessagingEventName, AnyListener[]>();

  /** Subscribes; returns a function that unsubscribes. */
  on<E extends MessagingEventName>(event: E, listener: MessagingEventListener<E>): () => void {
    const current = this.listeners.get(event) ?? [];
    // Copied on write, so an emit in progress keeps iterating the list it started with.
    this.listeners.set(event, [...current, listener as AnyListener]);
    return () => this.off(event, listener);
  }

  /** Unsubscribes a listener. */
  off<E extends MessagingEventName>(event: E, listener: MessagingEventListener<E>): void {
    const remaining = (this.listeners.get(event) ?? []).filter((candidate) => candidate !== listener);
    if (remaining.length > 0) this.listeners.set(event, remaining);
    else this.listeners.delete(event);
  }

  /** Whether anyone listens to `event`: emitters skip building the payload when not. */
  listens(event: MessagingEventName): boolean {
    return this.listeners.has(event);
  }

  /** Calls the listeners of `event`; one that throws is logged and the others still run. */
  emit<E extends MessagingEventName>(event: E, payload: MessagingEventMap[E]): void {
    const listeners = this.listeners.get(event);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        (listener as MessagingEventListener<E>)(payload);
      } catch (error) {
        this.logger.error(`A "${event}" listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
