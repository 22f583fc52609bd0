import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';

/** One method of one provider or controller instance. */
export interface ProviderMethod {
  readonly instance: object;
  readonly methodName: string;
  readonly method: (...args: never[]) => unknown;
  /** False for request- or transient-scoped providers. */
  readonly isStatic: boolean;
}

/** Walks every method of every provider and controller instance, for the explorers that read decorators. */
@Injectable()
export class ProviderMethodsScanner {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** Every method, in discovery order. */
  *methods(): Generator<ProviderMethod> {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype: object | null = Object.getPrototypeOf(instance);
      if (!prototype) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method: unknown = Reflect.get(instance, methodName);
        if (typeof method !== 'function') continue;
        yield { instance, methodName, method: method as (...args: never[]) => unknown, isStatic: wrapper.isDependencyTreeStatic() };
      }
    }
  }
}
