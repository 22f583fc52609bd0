import { Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  MESSAGING_CORE_BACKLOG,
  MESSAGING_CORE_DEAD_LETTERS,
  MESSAGING_CORE_EVENTS,
  MESSAGING_CORE_PUBLISHER,
  MESSAGING_CORE_STATUS,
  MESSAGING_CORE_TELEMETRY,
  MESSAGING_CORE_TRANSPORT,
  MESSAGING_OPTIONS,
  ProviderMethodsScanner,
} from '../common/index.js';
import { BacklogMonitor } from '../backlog/backlog.monitor.js';
import { ConsumerHandlerFactory } from '../consumer/consumer-handler.factory.js';
import { ConsumerMetadataAccessor } from '../consumer/consumer-metadata.accessor.js';
import { ConsumerExplorer } from '../consumer/consumer.explorer.js';
import { DeadLetters } from '../dead-letters/index.js';
import { MessagingEventBus } from '../observability/messaging-event.bus.js';
import { MessagingEventExplorer } from '../observability/messaging-event.explorer.js';
import { MessagePublisher } from '../producer/index.js';
import { MemoryTransport } from '../transports/memory/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';
import { MESSAGING_DEFAULTS, type MessagingModuleOptions } from './messaging-module.options.js';
import { MessagingLifecycle } from './messaging.lifecycle.js';
import { MessagingStatus } from './messaging.status.js';
import { loadTelemetry, type MessagingTelemetryHooks } from './telemetry.loader.js';

/** A transport instance as given, a fresh one from a factory, or the embedded broker by default. */
function createTransport(options: MessagingModuleOptions): MessagingTransport {
  const { transport } = options;
  return typeof transport === 'function' ? transport() : (transport ?? new MemoryTransport());
}

/**
 * Internal: what one `forRoot` sets up (transport, publisher, dead letters, discovery and lifecycle). Always global, and
 * exporting only internal tokens, so `forFeature` producers resolve wherever they are registered while
 * the public tokens' visibility follows `isGlobal`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: MESSAGING_CORE_TRANSPORT, useFactory: createTransport, inject: [MESSAGING_OPTIONS] },
    { provide: MESSAGING_CORE_EVENTS, useFactory: () => new MessagingEventBus() },
    {
      provide: MESSAGING_CORE_TELEMETRY,
      useFactory: (options: MessagingModuleOptions, transport: MessagingTransport, events: MessagingEventBus) =>
        loadTelemetry(options.telemetry, transport, events, new Logger('Messaging')),
      inject: [MESSAGING_OPTIONS, MESSAGING_CORE_TRANSPORT, MESSAGING_CORE_EVENTS],
    },
    {
      provide: MESSAGING_CORE_PUBLISHER,
      useFactory: (transport: MessagingTransport, options: MessagingModuleOptions, events: MessagingEventBus, telemetry: MessagingTelemetryHooks | undefined) =>
        new MessagePublisher(transport, options.validateOnPublish ?? MESSAGING_DEFAULTS.validateOnPublish, {
          events,
          // Outermost, so the application's middlewares run inside the publish span and see its headers.
          middleware: telemetry?.publish ? [telemetry.publish, ...(options.publishMiddleware ?? [])] : options.publishMiddleware,
        }),
      inject: [MESSAGING_CORE_TRANSPORT, MESSAGING_OPTIONS, MESSAGING_CORE_EVENTS, MESSAGING_CORE_TELEMETRY],
    },
    MessagingEventExplorer,
    ProviderMethodsScanner,
    ConsumerMetadataAccessor,
    ConsumerHandlerFactory,
    ConsumerExplorer,
    MessagingLifecycle,
    {
      provide: MESSAGING_CORE_DEAD_LETTERS,
      // Redrive follows a message's recorded origin only to queues of the topology the module asserted.
      useFactory: (transport: MessagingTransport, lifecycle: MessagingLifecycle) => new DeadLetters(transport, { topology: () => lifecycle.effectiveTopology }),
      inject: [MESSAGING_CORE_TRANSPORT, MessagingLifecycle],
    },
    { provide: MESSAGING_CORE_STATUS, useClass: MessagingStatus },
    { provide: MESSAGING_CORE_BACKLOG, useClass: BacklogMonitor },
  ],
})
export class MessagingCoreModule {}
