import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import { activeProcessSpan } from './consume-tracing.middleware.js';
import { LIBRARY_ATTRIBUTES, LIBRARY_EVENTS } from './semantic.conventions.js';

/**
 * Records retries and dead-letters on the `process` span of the delivery they concern. The consume events
 * are emitted synchronously while the delivery is processed, inside the span's context, so the span is
 * the one in the active context; without a context manager there is none and only the outcome is kept.
 * Returns a function that unsubscribes.
 */
export function annotateProcessSpans(events: MessagingEventBus): () => void {
  const offRetried = events.on('message.retried', (event) => {
    activeProcessSpan()?.span.addEvent(LIBRARY_EVENTS.retryScheduled, {
      [LIBRARY_ATTRIBUTES.attempt]: event.attempt,
      [LIBRARY_ATTRIBUTES.retryDelayMs]: event.delayMs,
    });
  });
  const offDeadLettered = events.on('message.dead-lettered', (event) => {
    const state = activeProcessSpan();
    if (!state) return;
    state.failureKind = event.kind;
    state.span.setAttribute(LIBRARY_ATTRIBUTES.failureKind, event.kind);
    state.span.addEvent(LIBRARY_EVENTS.deadLettered, {
      [LIBRARY_ATTRIBUTES.failureKind]: event.kind,
      [LIBRARY_ATTRIBUTES.deadLetterReason]: event.reason,
      [LIBRARY_ATTRIBUTES.deadLetterOutcome]: event.outcome,
    });
  });
  return () => {
    offRetried();
    offDeadLettered();
  };
}
