import { createParamDecorator, type ExecutionContext, type PipeTransform, type Type } from '@nestjs/common';
import { getMessageContext } from '../consumer/message-context.host.js';

/** A pipe as Nest accepts it on a parameter: a class (resolved by DI) or an instance. */
export type MessageParamPipe = Type<PipeTransform> | PipeTransform;

function readProperty(source: unknown, property: string | undefined): unknown {
  if (property === undefined) return source;
  return typeof source === 'object' && source !== null ? Reflect.get(source, property) : undefined;
}

// Built once: each createParamDecorator call mints its own parameter type id.
const payloadParam = createParamDecorator((property: string | undefined, host: ExecutionContext) =>
  readProperty(getMessageContext(host).payload, property),
);
const contextParam = createParamDecorator((_data: unknown, host: ExecutionContext) => getMessageContext(host));
const headersParam = createParamDecorator((name: string | undefined, host: ExecutionContext) =>
  readProperty(getMessageContext(host).headers, name),
);

/**
 * Injects the validated payload of a `@Consumer` handler, or one of its properties, optionally
 * through pipes (run with `type: 'custom'`). A pipe that throws fails the message: a
 * `BadRequestException` (what Nest's built-in pipes throw) dead-letters it as `validation`, any other
 * error as `handler`.
 *
 * @example
 * \@Consumer(OrderPlaced, { queue: 'billing' })
 * charge(\@Payload('orderId', ParseUUIDPipe) orderId: string, \@Ctx() ctx: MessageContext) { ... }
 */
export function Payload(): ParameterDecorator;
export function Payload(...pipes: MessageParamPipe[]): ParameterDecorator;
export function Payload(property: string, ...pipes: MessageParamPipe[]): ParameterDecorator;
export function Payload(...propertyOrPipes: Array<string | MessageParamPipe>): ParameterDecorator {
  return payloadParam(...propertyOrPipes);
}

/**
 * Injects the {@link MessageContext} of a `@Consumer` handler (headers, properties, settle calls).
 *
 * @example
 * handle(\@Ctx() ctx: MessageContext, \@Payload() order: Order) { ... }
 */
export function Ctx(): ParameterDecorator {
  return contextParam();
}

/**
 * Injects the message's application headers, or the value of one header (exact, case-sensitive name;
 * `undefined` when absent). Named like Nest's HTTP `@Headers`; alias one of them if a class needs both.
 *
 * @example
 * handle(\@Payload() order: Order, \@Headers('tenant') tenant: string | undefined) { ... }
 */
export function Headers(name?: string): ParameterDecorator {
  return headersParam(name);
}
