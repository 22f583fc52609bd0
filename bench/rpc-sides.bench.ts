import { Controller, Injectable, Module, type INestApplicationContext, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Transport, type ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { z } from 'zod';
import { AmqpTransport, Consumer, defineRpcContract, MessagingModule, Producer, type ContractOutput, type RpcProducer } from '../lib/index.js';

/** One side of the RPC bench: call `request(i)` many times, then `close()`. */
export interface RpcSide {
  request(i: number): Promise<number>;
  close(): Promise<void>;
}

/** This SDK: a typed RPC contract (zod on both sides), RpcProducer.request → @Consumer, direct reply-to. */
export async function sdkSide(url: string, queue: string): Promise<RpcSide> {
  const Multiply = defineRpcContract({
    name: 'bench.multiply',
    queue,
    request: z.object({ a: z.number(), b: z.number() }),
    response: z.object({ product: z.number() }),
  });

  @Injectable()
  class Responder {
    @Consumer(Multiply, { queue, prefetch: 200 })
    multiply(request: ContractOutput<typeof Multiply>) {
      return { product: request.a * request.b };
    }
  }

  @Injectable()
  class Requester {
    constructor(@Producer(Multiply) readonly multiply: RpcProducer<typeof Multiply>) {}
  }

  @Module({
    imports: [
      MessagingModule.forRoot({
        transport: () => new AmqpTransport({ urls: url, connectionName: `bench-rpc-sdk-${queue}` }),
        topology: { queues: [{ name: queue, durable: false, autoDelete: true }] },
      }),
      MessagingModule.forFeature([Multiply]),
    ],
    providers: [Responder, Requester],
  })
  class SdkModule {}

  const app: INestApplicationContext = await NestFactory.createApplicationContext(SdkModule, { logger: ['error'] });
  const requester = app.get(Requester);
  return {
    request: async (i) => (await requester.multiply.request({ a: i, b: 2 })).product,
    close: () => app.close(),
  };
}

/** Nest's own RMQ transport: ClientRMQ.send → ServerRMQ @MessagePattern, direct reply-to as Nest does it. */
export async function nestRmqSide(url: string, queue: string): Promise<RpcSide> {
  @Controller()
  class MultiplyController {
    @MessagePattern('bench.multiply')
    multiply(request: { a: number; b: number }) {
      return { product: request.a * request.b };
    }
  }

  @Module({ controllers: [MultiplyController] })
  class NestModule {}

  const options = { urls: [url], queue, queueOptions: { durable: false, autoDelete: true }, prefetchCount: 200 };
  const server: INestMicroservice = await NestFactory.createMicroservice(NestModule, { transport: Transport.RMQ, options: { ...options, noAck: true }, logger: ['error'] });
  await server.listen();
  const client: ClientProxy = ClientProxyFactory.create({ transport: Transport.RMQ, options });
  await client.connect();
  return {
    request: async (i) => (await lastValueFrom(client.send<{ product: number }>('bench.multiply', { a: i, b: 2 }))).product,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
