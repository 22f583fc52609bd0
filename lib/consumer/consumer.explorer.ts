import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
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
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: ConsumerMetadataAccessor,
  ) {}

  /** Every consumer method, in discovery order. */
  explore(): DiscoveredConsumer[] {
    const found: DiscoveredConsumer[] = [];
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype: object | null = Object.getPrototypeOf(instance);
      if (!prototype) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method: unknown = Reflect.get(instance, methodName);
        if (typeof method !== 'function') continue;
        const metadata = this.metadata.getConsumerMetadata(method as (...args: never[]) => unknown);
        if (!metadata) continue;
        const name = metadata.options.name ?? `${instance.constructor.name}.${methodName}`;
        found.push({ instance, methodName, metadata, name, isStatic: wrapper.isDependencyTreeStatic() });
      }
    }
    return found;
  }
}
