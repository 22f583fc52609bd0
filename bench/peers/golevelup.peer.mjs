// @golevelup/nestjs-rabbitmq 9 (Nest 11): a @RabbitSubscribe handler (auto ack on return) and
// AmqpConnection.publish, which resolves on the publisher confirm. Decorators are applied by hand
// because this file is plain JavaScript, outside the SDK's TypeScript build.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AmqpConnection, RabbitMQModule, RabbitSubscribe } from '@golevelup/nestjs-rabbitmq';
import { deferred, fail, payloadOfSize, publishWindowed, report, settings, startWindow, withQueue } from './peer.shared.mjs';

async function run() {
  const { url, queue, messages, bodyBytes, window, prefetch } = settings;
  const done = deferred();
  let received = 0;
  class Handler {
    async handle() {
      if (++received === messages) done.resolve();
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Handler.prototype, 'handle');
  RabbitSubscribe({ queue, createQueueIfNotExists: true, queueOptions: { durable: true } })(Handler.prototype, 'handle', descriptor);
  Injectable()(Handler);
  class BenchModule {}
  Module({
    imports: [RabbitMQModule.forRoot({ uri: url, ...(prefetch === undefined ? {} : { prefetchCount: prefetch }), connectionInitOptions: { wait: true } })],
    providers: [Handler],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  await app.init();
  const connection = app.get(AmqpConnection);
  const payloads = Array.from({ length: messages }, (_, i) => payloadOfSize(i, bodyBytes));
  const timed = startWindow();
  await publishWindowed(messages, window, (i) => connection.publish('', queue, payloads[i], { persistent: true }));
  await done.promise;
  const figures = timed.stop();
  await app.close();
  return figures;
}

withQueue(run).then(report, fail);
