import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import {
  MESSAGING_CORE_BACKLOG,
  MESSAGING_CORE_DEAD_LETTERS,
  MESSAGING_CORE_EVENTS,
  MESSAGING_CORE_PUBLISHER,
  MESSAGING_CORE_STATUS,
  MESSAGING_CORE_TRANSPORT,
  MESSAGING_OPTIONS,
  MESSAGING_TRANSPORT,
} from '../common/index.js';
import { BacklogMonitor } from '../backlog/backlog.monitor.js';
import { DeadLetters } from '../dead-letters/index.js';
import { MessagingEventBus } from '../observability/messaging-event.bus.js';
import { MessagePublisher } from '../producer/index.js';
import { MessagingCoreModule } from './messaging-core.module.js';
import { MessagingStatus } from './messaging.status.js';
import type { MessagingModuleOptions } from './messaging-module.options.js';

/** Extra, non-options settings of `forRoot`/`forRootAsync`. */
export interface MessagingModuleExtras {
  /**
   * Make `MessagePublisher` and the transport injectable everywhere. Default `true`. With `false` they are
   * injectable where the root module is imported; `forFeature` producers resolve either way.
   */
  readonly isGlobal?: boolean;
}

/** The public tokens, re-provided from the core module so their visibility follows `isGlobal`. */
const PUBLIC_PROVIDERS: Provider[] = [
  { provide: MessagePublisher, useExisting: MESSAGING_CORE_PUBLISHER },
  { provide: MESSAGING_TRANSPORT, useExisting: MESSAGING_CORE_TRANSPORT },
  { provide: DeadLetters, useExisting: MESSAGING_CORE_DEAD_LETTERS },
  { provide: MessagingEventBus, useExisting: MESSAGING_CORE_EVENTS },
  { provide: MessagingStatus, useExisting: MESSAGING_CORE_STATUS },
  { provide: BacklogMonitor, useExisting: MESSAGING_CORE_BACKLOG },
];

/**
 * The module `forRoot` returns imports an always-global core module that holds the transport, the
 * publisher and the lifecycle, and re-exports the public tokens with the visibility `isGlobal` asks for.
 */
function splitIntoCore(definition: DynamicModule, extras: MessagingModuleExtras): DynamicModule {
  const core: DynamicModule = {
    module: MessagingCoreModule,
    global: true,
    imports: definition.imports ?? [],
    providers: definition.providers ?? [],
    exports: [
      MESSAGING_OPTIONS,
      MESSAGING_CORE_PUBLISHER,
      MESSAGING_CORE_TRANSPORT,
      MESSAGING_CORE_DEAD_LETTERS,
      MESSAGING_CORE_EVENTS,
      MESSAGING_CORE_STATUS,
      MESSAGING_CORE_BACKLOG,
    ],
  };
  return {
    module: definition.module,
    global: extras.isGlobal ?? true,
    imports: [core],
    providers: PUBLIC_PROVIDERS,
    exports: [MessagePublisher, MESSAGING_TRANSPORT, DeadLetters, MessagingEventBus, MessagingStatus, BacklogMonitor],
  };
}

/** Builds `forRoot`/`forRootAsync`; the options land under {@link MESSAGING_OPTIONS}. */
export const {
  ConfigurableModuleClass: ConfigurableMessagingModule,
  OPTIONS_TYPE: MESSAGING_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MESSAGING_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MessagingModuleOptions>({ moduleName: 'Messaging', optionsInjectionToken: MESSAGING_OPTIONS })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createMessagingOptions')
  .setExtras<MessagingModuleExtras>({ isGlobal: true }, splitIntoCore)
  .build();

export { MESSAGING_OPTIONS };
