import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ConsumerHandlerFactory } from '../consumer/consumer-handler.factory.js';
import type { ConsumerBinding } from '../consumer/consumer.runner.js';
import { CONSUMER_METADATA, type ConsumerMetadata } from '../decorators/index.js';
import { ConsumerDefinitionError } from '../errors/index.js';
import { findQueue, type TopologyDefinition } from '../topology/index.js';
import { MESSAGING_DEFAULTS, type MessagingModuleOptions } from './messaging-module.options.js';

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConsumerDefinitionError(`${what} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Finds every `@Consumer` method among the application's providers and controllers and checks each
 * declaration against the topology, so a typo in a queue name fails at start, not at the first message.
 */
@Injectable()
export class ConsumerExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly handlers: ConsumerHandlerFactory,
  ) {}

  /** Returns one binding per consumer method, validated. */
  explore(options: MessagingModuleOptions, topology: TopologyDefinition): ConsumerBinding[] {
    const bindings: ConsumerBinding[] = [];
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype: object | null = Object.getPrototypeOf(instance);
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler: unknown = Reflect.get(instance, method);
        if (typeof handler !== 'function') continue;
        const metadata = this.reflector.get<ConsumerMetadata | undefined>(CONSUMER_METADATA, handler);
        if (!metadata) continue;
        const name = metadata.options.name ?? `${instance.constructor.name}.${method}`;
        if (!wrapper.isDependencyTreeStatic()) {
          throw new ConsumerDefinitionError(`@Consumer ${name}: consumers must live in singleton providers, not request- or transient-scoped ones`);
        }
        const invoke = this.handlers.create(instance, method, { contract: metadata.contract, consumerName: name });
        bindings.push(this.bind(name, metadata, options, topology, invoke));
      }
    }
    this.checkQueuesAreUnique(bindings);
    return bindings;
  }

  private bind(
    name: string,
    { contract, options }: ConsumerMetadata,
    moduleOptions: MessagingModuleOptions,
    topology: TopologyDefinition,
    handler: ConsumerBinding['handler'],
  ): ConsumerBinding {
    if (!findQueue(topology, options.queue)) {
      throw new ConsumerDefinitionError(`@Consumer ${name}: queue "${options.queue}" is not declared in the topology`);
    }
    const prefetch = positiveInteger(options.prefetch ?? moduleOptions.consumerDefaults?.prefetch ?? MESSAGING_DEFAULTS.prefetch, `@Consumer ${name}: prefetch`);
    const concurrency = positiveInteger(options.concurrency ?? prefetch, `@Consumer ${name}: concurrency`);
    if (concurrency > prefetch) {
      throw new ConsumerDefinitionError(
        `@Consumer ${name}: concurrency ${concurrency} exceeds prefetch ${prefetch}; the broker never hands out more than prefetch messages at once`,
      );
    }
    const ack = options.ack ?? moduleOptions.consumerDefaults?.ack ?? MESSAGING_DEFAULTS.ack;
    return { name, contract, queue: options.queue, prefetch, concurrency, ack, handler };
  }

  private checkQueuesAreUnique(bindings: readonly ConsumerBinding[]): void {
    const byQueue = new Map<string, string>();
    for (const binding of bindings) {
      const other = byQueue.get(binding.queue);
      if (other) {
        throw new ConsumerDefinitionError(
          `@Consumer ${binding.name} and ${other} both consume queue "${binding.queue}"; give each its own queue (bind both to the exchange)`,
        );
      }
      byQueue.set(binding.queue, binding.name);
    }
  }
}
