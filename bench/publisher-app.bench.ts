import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { AmqpTransport, MessagingModule, Producer, type MessageContract, type TypedProducer } from '../lib/index.js';
import { createAmqpConnectionManager, type AmqpConnectionFactory } from '../lib/testing/index.js';
import { disableNagle } from '../lib/transports/amqp/socket-no-delay.js';
import { benchConfig } from './bench.config.js';
import { deleteQueues } from './sdk.bench.js';

/** The SDK's connection with TCP_NODELAY set on every socket it opens (the library leaves Nagle on for publishing). */
export const noDelayFactory: AmqpConnectionFactory = (urls, options) => {
  const manager = createAmqpConnectionManager(urls, options);
  manager.on('connect', () => disableNagle(manager.connection));
  return manager;
};

/** A publish-only Nest app of the publish benches: its producer, the queue it sends to, and its teardown. */
export interface PublisherApp<C extends MessageContract> {
  readonly producer: TypedProducer<C>;
  /** A fresh durable queue named after the bench, declared by the module; send with it as routing key. */
  readonly queue: string;
  /** Closes the app and deletes its queues (the queue and the `.error` queue the module may declare). */
  close(): Promise<void>;
}

/**
 * Starts the Nest module with default options (TCP_NODELAY when `noDelay`) and a typed producer of
 * `contract`, on a fresh durable queue `bench.<kind>.sdk.<id>`, as the publish-only benches measure it.
 */
export async function startPublisherApp<C extends MessageContract>(contract: C, kind: string, noDelay = false): Promise<PublisherApp<C>> {
  const queue = `bench.${kind}.sdk.${randomUUID().slice(0, 8)}`;
  @Injectable()
  class BenchProducer {
    constructor(@Producer(contract) readonly producer: TypedProducer<C>) {}
  }
  @Module({
    imports: [
      MessagingModule.forRoot({
        transport: new AmqpTransport({ urls: benchConfig.url, connectionName: `bench-${kind}`, ...(noDelay ? { connectionFactory: noDelayFactory } : {}) }),
        topology: { queues: [{ name: queue, durable: true }] },
      }),
      MessagingModule.forFeature([contract]),
    ],
    providers: [BenchProducer],
  })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  return {
    producer: app.get(BenchProducer).producer,
    queue,
    close: async () => {
      await app.close();
      await deleteQueues(benchConfig.url, [queue, `${queue}.error`]);
    },
  };
}
