import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { MessageContract } from '../contracts/index.js';
import { getProducerToken, MESSAGING_TRANSPORT } from '../decorators/index.js';
import { MessagePublisher, TypedProducer } from '../producer/index.js';
import { MemoryTransport } from '../transports/memory/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';
import { ConsumerHandlerFactory } from '../consumer/consumer-handler.factory.js';
import { ConsumerExplorer } from './consumer.explorer.js';
import { ConfigurableMessagingModule, MESSAGING_OPTIONS } from './messaging.module-definition.js';
import { MESSAGING_DEFAULTS, type MessagingModuleOptions } from './messaging-module.options.js';
import { MessagingLifecycle } from './messaging.lifecycle.js';

/** Holds the producers registered by one `forFeature` call. */
@Module({})
class MessagingProducersModule {}

/**
 * The messaging module. Configure it once with `forRoot`/`forRootAsync` (global by default), then
 * register the contracts a module produces with `forFeature` to inject their producers with `@Producer`.
 *
 * @example
 * \@Module({
 *   imports: [
 *     MessagingModule.forRoot({ transport: new AmqpTransport({ urls: process.env.AMQP_URL! }), topology }),
 *     MessagingModule.forFeature([OrderPlaced]),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: MESSAGING_TRANSPORT,
      useFactory: (options: MessagingModuleOptions): MessagingTransport => options.transport ?? new MemoryTransport(),
      inject: [MESSAGING_OPTIONS],
    },
    {
      provide: MessagePublisher,
      useFactory: (transport: MessagingTransport, options: MessagingModuleOptions) =>
        new MessagePublisher(transport, options.validateOnPublish ?? MESSAGING_DEFAULTS.validateOnPublish),
      inject: [MESSAGING_TRANSPORT, MESSAGING_OPTIONS],
    },
    ConsumerHandlerFactory,
    ConsumerExplorer,
    MessagingLifecycle,
  ],
  exports: [MESSAGING_TRANSPORT, MessagePublisher],
})
export class MessagingModule extends ConfigurableMessagingModule {
  /** Provides a {@link TypedProducer} for each contract, injectable with `@Producer(Contract)`. */
  static forFeature(contracts: readonly MessageContract[]): DynamicModule {
    const providers: Provider[] = contracts.map((contract) => ({
      provide: getProducerToken(contract),
      useFactory: (publisher: MessagePublisher) => new TypedProducer(contract, publisher),
      inject: [MessagePublisher],
    }));
    return { module: MessagingProducersModule, providers, exports: providers };
  }
}
