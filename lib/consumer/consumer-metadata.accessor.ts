import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CONSUMER_METADATA } from '../common/index.js';
import type { ConsumerMetadata } from '../decorators/consumer.decorator.js';

/** Reads what `@Consumer` recorded on a method; the one place that knows the metadata key. */
@Injectable()
export class ConsumerMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** The declaration on `method`, or undefined when it is not a consumer. */
  getConsumerMetadata(method: (...args: never[]) => unknown): ConsumerMetadata | undefined {
    return this.reflector.get<ConsumerMetadata | undefined>(CONSUMER_METADATA, method);
  }
}
