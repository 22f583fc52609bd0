import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MessagingModuleOptions } from './messaging-module.options.js';

/** Extra, non-options settings of `forRoot`/`forRootAsync`. */
export interface MessagingModuleExtras {
  /** Register the module globally so producers and the publisher inject anywhere. Default `true`. */
  readonly isGlobal?: boolean;
}

/** Builds `forRoot`/`forRootAsync`; the options land under {@link MESSAGING_OPTIONS}. */
export const {
  ConfigurableModuleClass: ConfigurableMessagingModule,
  MODULE_OPTIONS_TOKEN: MESSAGING_OPTIONS,
  OPTIONS_TYPE: MESSAGING_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MESSAGING_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MessagingModuleOptions>({ moduleName: 'Messaging' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createMessagingOptions')
  .setExtras<MessagingModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
  }))
  .build();
