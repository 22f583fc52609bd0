import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
} from '@nestjs/common/constants.js';
import type { ApplicationConfig } from '@nestjs/core';

const ENHANCER_KEYS = [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA] as const;

function hasEntries(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/**
 * True when `@UseGuards`, `@UseInterceptors`, `@UsePipes` or `@UseFilters` applies to the method or
 * its class. Read where Nest's own context creators read it: on the method function and on the class.
 */
export function hasLocalEnhancers(instance: object, method: object): boolean {
  const classRefs = new Set<unknown>([instance.constructor, Object.getPrototypeOf(instance)?.constructor]);
  return ENHANCER_KEYS.some(
    (key) =>
      hasEntries(Reflect.getMetadata(key, method)) ||
      [...classRefs].some((classRef) => typeof classRef === 'function' && hasEntries(Reflect.getMetadata(key, classRef))),
  );
}

/**
 * True when the application registered a global guard, interceptor, pipe or filter: `APP_*`
 * providers (Nest copies them into the `ApplicationConfig` right after instantiation, before any
 * `onModuleInit`) or `app.useGlobal*()` calls made before `init()`. Without a config to read, the
 * answer is `true`, so the caller keeps the full Nest pipeline rather than silently skipping globals.
 */
export function hasGlobalEnhancers(config: ApplicationConfig | undefined): boolean {
  if (!config) return true;
  return (
    config.getGlobalGuards().length > 0 ||
    config.getGlobalInterceptors().length > 0 ||
    config.getGlobalPipes().length > 0 ||
    config.getGlobalFilters().length > 0 ||
    config.getGlobalRequestGuards().length > 0 ||
    config.getGlobalRequestInterceptors().length > 0 ||
    config.getGlobalRequestPipes().length > 0 ||
    config.getGlobalRequestFilters().length > 0
  );
}
