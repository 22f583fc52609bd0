import type { ParamData } from '@nestjs/common';
import type { ParamsFactory } from '@nestjs/core';

/**
 * The params factory handed to Nest's `ExternalContextCreator`. Nest only resolves parameter
 * decorators (and runs their pipes) when one is given; our decorators are `createParamDecorator`
 * factories that read the `ExecutionContext` themselves, so this is only asked about Nest's HTTP
 * route decorators (`@Body()`, `@Req()`, ...), which mean nothing for a message: they get `undefined`.
 */
export class MessageParamsFactory implements ParamsFactory {
  /** The value of a Nest route parameter decorator on a message handler: there is none. */
  exchangeKeyForValue(_type: number, _data: ParamData, _args: unknown[]): undefined {
    return undefined;
  }
}
