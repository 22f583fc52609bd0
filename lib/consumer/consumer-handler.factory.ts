import { ForbiddenException, Injectable, Logger } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ExternalContextCreator } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { MessageContract } from '../contracts/index.js';
import { ConsumerDefinitionError, MessageDeniedError } from '../errors/index.js';
import type { MessageContext } from './message.context.js';
import { MessageParamsFactory } from './message-params.factory.js';
import { MESSAGING_CONTEXT_TYPE } from './messaging-context.type.js';
import { hasGlobalEnhancers, hasLocalEnhancers } from './nest-enhancers.detector.js';

/** What {@link ConsumerHandlerFactory.create} needs to know about the consumer besides its method. */
export interface ConsumerHandlerMeta {
  /** The contract the payload was validated against. */
  readonly contract: MessageContract;
  /** The consumer's name (`Class.method` unless configured), used in errors and logs. */
  readonly consumerName: string;
}

/**
 * Calls one consumer method for one message: its (unwrapped) result, or a promise of it, rejecting (or
 * throwing, for a method called directly) with its failure.
 */
export type ConsumerInvoker = (payload: unknown, context: MessageContext) => unknown;

type Method = (...args: unknown[]) => unknown;

// The message Nest's guards consumer puts on the ForbiddenException it raises when a guard says no.
// It is the only way to tell a denial apart from the exception object alone.
const GUARD_DENIAL_MESSAGE = 'Forbidden resource';

/**
 * Turns a `@Consumer` method into the function the consumer runner calls, through Nest's
 * `ExternalContextCreator` with context type `'messaging'`: method- and class-level
 * `@UseGuards`/`@UseInterceptors`/`@UsePipes`/`@UseFilters`, the global `APP_*` enhancers and the
 * `@Payload`/`@Ctx`/`@Headers` parameter decorators all apply. Raw handler arguments are always
 * `(payload, context)`, so a method without parameter decorators receives exactly those.
 *
 * Outcomes, which the runner turns into settlements:
 * - resolves: the handler, an interceptor (e.g. `catchError`) or an exception filter produced a
 *   value. In `auto` mode the message is acked unless something already settled it through the
 *   context; in `manual` mode nothing changes (the handler or filter settles).
 * - rejects with `MessageDeniedError`: a guard returned `false` and no filter handled the resulting
 *   `ForbiddenException`; the runner dead-letters it as `denied`.
 * - rejects with anything else (a handler error, a pipe error, a filter rethrowing or returning
 *   `undefined`, which Nest reads as "not handled"): dead-lettered as for any handler error, unless
 *   it was already settled.
 *
 * When no enhancer and no parameter decorator applies (nothing on the method or class, no global
 * enhancer registered), the method is called directly: the Nest pipeline would only add cost.
 */
@Injectable()
export class ConsumerHandlerFactory {
  private readonly logger = new Logger('Messaging');
  private readonly paramsFactory = new MessageParamsFactory();

  constructor(private readonly contextCreator: ExternalContextCreator) {}

  /** Builds the invoker of `instance[methodName]`. Call it once per consumer, at start. */
  create(instance: object, methodName: string, meta: ConsumerHandlerMeta): ConsumerInvoker {
    const method: unknown = Reflect.get(instance, methodName);
    if (typeof method !== 'function') {
      throw new ConsumerDefinitionError(`@Consumer ${meta.consumerName}: "${methodName}" is not a method`);
    }
    const callback = method as Method;
    if (!this.needsNestPipeline(instance, callback, methodName)) {
      this.logger.debug(`Consumer ${meta.consumerName}: no enhancer or parameter decorator applies; called directly`);
      // Not async: a synchronous method stays synchronous (and may throw), so the dispatcher can settle it
      // without a promise; a promise or Observable it returns is waited for all the same.
      return (payload, context) => {
        const result: unknown = Reflect.apply(callback, instance, [payload, context]);
        // Same reading of an Observable result as Nest's pipeline, so both paths settle alike.
        return isObservable(result) ? lastValueFrom(result) : result;
      };
    }
    const handler = this.contextCreator.create(
      instance,
      callback,
      methodName,
      ROUTE_ARGS_METADATA,
      this.paramsFactory,
      undefined,
      undefined,
      undefined,
      MESSAGING_CONTEXT_TYPE,
    );
    return async (payload, context) => {
      try {
        // A filter's result is not unwrapped by Nest; an RPC-style filter returns `throwError(...)`.
        return await this.contextCreator.transformToResult(await handler(payload, context));
      } catch (error) {
        throw toDenial(error, meta.consumerName);
      }
    };
  }

  private needsNestPipeline(instance: object, callback: Method, methodName: string): boolean {
    if (hasLocalEnhancers(instance, callback)) return true;
    const { argsLength } = this.contextCreator.getMetadata(instance, methodName, ROUTE_ARGS_METADATA, this.paramsFactory, MESSAGING_CONTEXT_TYPE);
    if (argsLength > 0) return true;
    // Not part of the typed API; when a Nest version moves it, hasGlobalEnhancers(undefined) keeps the full pipeline.
    return hasGlobalEnhancers(this.contextCreator['container']?.applicationConfig);
  }
}

function toDenial(error: unknown, consumerName: string): unknown {
  if (error instanceof ForbiddenException && error.message === GUARD_DENIAL_MESSAGE) {
    return new MessageDeniedError(consumerName, 'a guard refused it', { cause: error });
  }
  return error;
}
