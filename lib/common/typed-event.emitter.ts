import { Logger } from '@nestjs/common';

/**
 * A small synchronous event emitter typed by an event map (event name → payload). Listeners run in
 * subscription order; one that throws is logged and the others still run. Listener lists are copied on
 * write, so subscribing or unsubscribing during an emit affects the next emit, not the current one.
 */
export class TypedEventEmitter<M extends object> {
  private readonly listeners = new Map<keyof M, Array<(event: never) => void>>();

  constructor(private readonly logger: Logger) {}

  /** Subscribes; returns a function that unsubscribes. */
  on<E extends keyof M>(event: E, listener: (payload: M[E]) => void): () => void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (event: never) => void]);
    return () => this.off(event, listener);
  }

  /** Unsubscribes a listener. */
  off<E extends keyof M>(event: E, listener: (payload: M[E]) => void): void {
    const remaining = (this.listeners.get(event) ?? []).filter((candidate) => candidate !== listener);
    if (remaining.length > 0) this.listeners.set(event, remaining);
    else this.listeners.delete(event);
  }

  /** Whether no event has a listener: per-message paths check this before asking event by event. */
  get silent(): boolean {
    return this.listeners.size === 0;
  }

  /** Whether anyone listens to `event`: emitters skip building the payload when not. */
  listens(event: keyof M): boolean {
    return this.listeners.has(event);
  }

  /** Calls the listeners of `event`. */
  emit<E extends keyof M>(event: E, payload: M[E]): void {
    const listeners = this.listeners.get(event);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        (listener as (payload: M[E]) => void)(payload);
      } catch (error) {
        this.logger.error(`A "${String(event)}" listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
