import { SetMetadata } from '@nestjs/common';
import { MESSAGING_EVENT_METADATA } from '../common/index.js';
import type { MessagingEventMap, MessagingEventName } from './messaging-events.types.js';

/**
 * Subscribes a provider method to a messaging event; the method receives the event's payload. Methods
 * are found at start, like `@Consumer`s; a singleton provider is required.
 *
 * @example
 * \\@OnMessagingEvent('message.dead-lettered')
 * alert(event: MessagingEventMap['message.dead-lettered']) { ... }
 */
export function OnMessagingEvent<E extends MessagingEventName>(
  event: E,
): (target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<(payload: MessagingEventMap[E]) => unknown>) => void {
  const setMetadata = SetMetadata(MESSAGING_EVENT_METADATA, event);
  return (target, key, descriptor) => {
    setMetadata(target, key, descriptor);
  };
}
