import { Logger } from '@nestjs/common';
import { TypedEventEmitter } from '../common/typed-event.emitter.js';
import type { MessagingEventMap } from './messaging-events.types.js';

/**
 * The module's typed event surface. Inject it to subscribe (`events.on('message.dead-lettered', ...)`),
 * or decorate a provider method with `@OnMessagingEvent(...)`. Emitters check `listens` first, so an
 * event nobody listens to costs one map lookup and builds no payload.
 */
export class MessagingEventBus extends TypedEventEmitter<MessagingEventMap> {
  constructor() {
    super(new Logger('MessagingEvents'));
  }
}
