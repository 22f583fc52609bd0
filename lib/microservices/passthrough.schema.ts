import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * A Standard Schema that accepts any decoded JSON value as it is: Nest pattern handlers have no contract
 * (their pipes validate), but they go through the same dispatcher as `@Consumer` handlers, which validates.
 */
export const passthroughSchema: StandardSchemaV1<unknown, unknown> = Object.freeze({
  '~standard': Object.freeze({ version: 1 as const, vendor: 'nestjs-typed-messaging', validate: (value: unknown) => ({ value }) }),
});
