import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { MESSAGING_CORE_PUBLISHER } from '../common/index.js';
import type { MessageContract } from '../contracts/index.js';
import { getProducerToken } from '../decorators/index.js';
import { MessagePublisher, TypedProducer } from '../producer/index.js';
import { isRpcContract, RpcProducer } from '../rpc/index.js';
import { ConfigurableMessagingModule } from './messaging.module-definition.js';

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
 *     MessagingModule.forRoot({ transport: () => new AmqpTransport({ urls: process.env.AMQP_URL! }), topology }),
 *     MessagingModule.forFeature([OrderPlaced]),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({})
export class MessagingModule extends ConfigurableMessagingModule {
  /**
   * Provides a {@link TypedProducer} for each contract (an {@link RpcProducer} for RPC contracts),
   * injectable with `@Producer(Contract)`, and the
   * {@link MessagePublisher}. Works whether or not the root module is global.
   */
  static forFeature(contracts: readonly MessageContract[]): DynamicModule {
    const providers: Provider[] = [
      { provide: MessagePublisher, useExisting: MESSAGING_CORE_PUBLISHER },
      ...contracts.map((contract) => ({
        provide: getProducerToken(contract),
        // An RPC contract's producer also has request(); it still is a TypedProducer.
        useFactory: (publisher: MessagePublisher) =>
          isRpcContract(contract) ? new RpcProducer(contract, publisher) : new TypedProducer(contract, publisher),
        inject: [MESSAGING_CORE_PUBLISHER],
      })),
    ];
    return { module: MessagingProducersModule, providers, exports: providers };
  }
}
