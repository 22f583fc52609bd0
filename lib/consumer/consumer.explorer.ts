import { Injectable } from '@nestjs/common';
import { ProviderMethodsScanner } from '../common/index.js';
import type { ConsumerMetadata } from '../decorators/consumer.decorator.js';
import { ConsumerMetadataAccessor } from './consumer-metadata.accessor.js';

/** A `@Consumer` method as found, before any validation. */
export interface DiscoveredConsumer {
  readonly instance: object;
  readonly methodName: string;
  readonly metadata: ConsumerMetadata;
  /** `Class.method` unless the declaration names it. */
  readonly name: string;
  /** False for request- or transient-scoped providers, which cannot consume. */
  readonly isStatic: boolean;
}

/** Finds every `@Consumer` method among the application's providers and controllers. Discovery only. */
@Injectable()
export class ConsumerExplorer {
  constructor(
    private readonly providers: ProviderMethodsScanner,
    private readonly metadata: ConsumerMetadataAccessor,
  ) {}

  /** Every consumer method, in discovery order. */
  explore(): DiscoveredConsumer[] {
    const found: DiscoveredConsumer[] = [];
    for (const { instance, methodName, method, isStatic } of this.providers.methods()) {
      const metadata = this.metadata.getConsumerMetadata(method);
      if (!metadata) continue;
      const name = metadata.options.name ?? `${instance.constructor.name}.${methodName}`;
      found.push({ instance, methodName, metadata, name, isStatic });
    }
    return found;
  }
}
