// Nest's own RMQ transport (Nest 11): a microservice with manual ack (noAck: false) and an
// @EventPattern handler that acks, fed by ClientRMQ.emit, which resolves on the publisher confirm.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, Ctx, EventPattern, Payload, Transport } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { deferred, fail, payloadOfSize, publishWindowed, report, settings, startWindow, withQueue } from './peer.shared.mjs';

async function run() {
  const { url, queue, messages, bodyBytes, window, prefetch } = settings;
  const done = deferred();
  let received = 0;
  class BenchController {
    handle(_payload, context) {
      context.getChannelRef().ack(context.getMessage());
      if (++received === messages) done.resolve();
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(BenchController.prototype, 'handle');
  EventPattern('bench')(BenchController.prototype, 'handle', descriptor);
  Payload()(BenchController.prototype, 'handle', 0);
  Ctx()(BenchController.prototype, 'handle', 1);
  Controller()(BenchController);
  class BenchModule {}
  Module({ controllers: [BenchController] })(BenchModule);
  const common = { urls: [url], queue, queueOptions: { durable: true }, persistent: true };
  const server = { ...common, noAck: false, prefetchCount: prefetch };
  const app = await NestFactory.createMicroservice(BenchModule, { transport: Transport.RMQ, options: server, logger: ['error'] });
  await app.listen();
  const client = ClientProxyFactory.create({ transport: Transport.RMQ, options: common });
  await client.connect();
  const payloads = Array.from({ length: messages }, (_, i) => payloadOfSize(i, bodyBytes));
  const timed = startWindow();
  await publishWindowed(messages, window, (i) => lastValueFrom(client.emit('bench', payloads[i]), { defaultValue: undefined }));
  await done.promise;
  const figures = timed.stop();
  await client.close();
  await app.close();
  return figures;
}

withQueue(run).then(report, fail);
