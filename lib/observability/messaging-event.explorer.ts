import { Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MESSAGING_EVENT_METADATA, ProviderMethodsScanner } from '../common/index.js';
import { ConsumerDefinitionError } from '../errors/index.js';
import type { MessagingEventBus } from './messaging-event.bus.js';
import type { MessagingEventName } from './messaging-events.types.js';

/** Finds `@OnMessagingEvent` methods and subscribes them to the bus. */
@Injectable()
export class MessagingEventExplorer {
  private readonly logger = new Logger('MessagingEvents');

  constructor(
    private readonly providers: ProviderMethodsScanner,
    private readonly reflector: Reflector,
  ) {}

  /** Subscribes every decorated method; returns how many. */
  subscribeAll(bus: MessagingEventBus): number {
    let count = 0;
    for (const { instance, methodName, method, isStatic } of this.providers.methods()) {
      const event = this.reflector.get<MessagingEventName | undefined>(MESSAGING_EVENT_METADATA, method);
      if (!event) continue;
      const name = `${instance.constructor.name}.${methodName}`;
      if (!isStatic) throw new ConsumerDefinitionError(`@OnMessagingEvent ${name}: listeners must live in singleton providers`);
      bus.on(event, (payload) => {
        // Async listeners are allowed; their rejections are logged, never left unhandled.
        const result = Reflect.apply(method, instance, [payload]) as unknown;
        if (result instanceof Promise) result.catch((error: unknown) => this.logger.error(`${name} failed on "${event}": ${(error as Error).message}`));
      });
      count++;
    }
    return count;
  }
}
