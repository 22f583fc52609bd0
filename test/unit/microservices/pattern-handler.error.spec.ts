import { describe, expect, it } from '@jest/globals';
import { RpcException } from '@nestjs/microservices';
import { MessageDeniedError } from '../../../lib/index.js';
import { classifyHandlerFailure } from '../../../lib/consumer/failure-kind.classifier.js';
import { PatternHandlerError, toHandlerError } from '../../../lib/microservices/pattern-handler.error.js';

describe('toHandlerError: what a pattern handler failed with, as the dispatcher classifies it', () => {
  it("reads a guard's refusal as MessageDeniedError (kind denied), as Nest's RPC filter hands it on or as rethrown by an application filter", () => {
    for (const refusal of [{ status: 'error', message: 'Forbidden resource' }, new RpcException('Forbidden resource')]) {
      const error = toHandlerError(refusal, 'orders.secret');
      expect(error).toBeInstanceOf(MessageDeniedError);
      expect(error.message).toBe('Consumer orders.secret denied the message: a guard refused it');
      expect(classifyHandlerFailure(error)).toBe('denied');
    }
  });

  it('keeps every other failure a handler failure, its message kept', () => {
    const filtered = toHandlerError({ status: 'error', message: 'Internal server error' }, 'orders.total');
    expect(filtered).toBeInstanceOf(PatternHandlerError);
    expect(classifyHandlerFailure(filtered)).toBe('handler');
    const thrown = new RpcException('Forbidden by the tax office');
    expect(toHandlerError(thrown, 'orders.total')).toBe(thrown);
    expect(classifyHandlerFailure(toHandlerError(thrown, 'orders.total'))).toBe('handler');
    // An Error whose text happens to match is the handler's own error, not Nest's refusal object.
    expect(classifyHandlerFailure(toHandlerError(new Error('Forbidden resource'), 'orders.total'))).toBe('handler');
  });
});
