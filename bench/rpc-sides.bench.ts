import { Controller, Inject, Injectable, Module, type INestApplicationContext, type INestMicroservice, type PipeTransform, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, MessagePattern, Payload, Transport, type ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { z } from 'zod';
import * as current from '../lib/index.js';
import type { ContractOutput, RpcProducer } from '../lib/index.js';
import { MessagingClient, MessagingServer } from '../lib/microservices/index.js';

/** The library under test: this build, or another build of it (an older commit, for before/after runs). */
export type MessagingLib = typeof current;

/** One side of the RPC bench: call `request(i)` many times, then `close()`. */
export interface RpcSide {
  request(i: number): Promise<number>;
  close(): Promise<void>;
}

/** The same payload and settings for both sides. */
const MultiplyRequest = z.object({ a: z.number(), b: z.number() });
const MultiplyResponse = z.object({ product: z.number() });
/** Prefetch of the responder's queue, both sides. Nest's default `noAck: true` makes the broker ignore it. */
export const RPC_BENCH_PREFETCH = Number(process.env.BENCH_RPC_PREFETCH ?? 200);

/**
 * This SDK: a typed RPC contract, RpcProducer.request → @Consumer, direct reply-to. Two Nest application
 * contexts, each with its own transport (one connection each), as two services would have. Validation
 * as configured by default: the request before sending and on receipt, the response before replying
 * and on receipt (zod, four checks).
 */
export async function sdkSide(url: string, queue: string, lib: MessagingLib = current): Promise<RpcSide> {
  const { AmqpTransport, Consumer, defineRpcContract, MessagingModule, Producer } = lib;
  const Multiply = defineRpcContract({ name: 'bench.multiply', queue, request: MultiplyRequest, response: MultiplyResponse });
  const topology = { queues: [{ name: queue, durable: false, autoDelete: true }] };

  @Injectable()
  class Responder {
    @Consumer(Multiply, { queue, prefetch: RPC_BENCH_PREFETCH })
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
      MessagingModule.forRoot({ transport: () => new AmqpTransport({ urls: url, connectionName: `bench-rpc-sdk-server-${queue}` }), topology }),
      MessagingModule.forFeature([Multiply]),
    ],
    providers: [Responder],
  })
  class ServerModule {}

  @Module({
    imports: [
      MessagingModule.forRoot({ transport: () => new AmqpTransport({ urls: url, connectionName: `bench-rpc-sdk-client-${queue}` }), topology }),
      MessagingModule.forFeature([Multiply]),
    ],
    providers: [Requester],
  })
  class ClientModule {}

  const server: INestApplicationContext = await NestFactory.createApplicationContext(ServerModule, { logger: ['error'] });
  const client: INestApplicationContext = await NestFactory.createApplicationContext(ClientModule, { logger: ['error'] });
  const requester = client.get(Requester);
  return {
    request: async (i) => (await requester.multiply.request({ a: i, b: 2 })).product,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A zod pipe, so Nest's handler validates its request as the SDK's consumer does. */
class ZodPipe implements PipeTransform {
  constructor(private readonly schema: z.ZodType) {}

  transform(value: unknown): unknown {
    return this.schema.parse(value);
  }
}

const NEST_CLIENT = 'BENCH_RMQ_CLIENT';

/** Holds the ClientProxy a client module registers under {@link NEST_CLIENT}. */
@Injectable()
class Requester {
  constructor(@Inject(NEST_CLIENT) readonly client: ClientProxy) {}
}

/**
 * Starts `server`, then the application context of `clientModule` (which provides {@link Requester}),
 * and requests through its ClientProxy, parsing each response with zod.
 */
async function clientSide(server: INestMicroservice, clientModule: Type): Promise<RpcSide> {
  await server.listen();
  const app: INestApplicationContext = await NestFactory.createApplicationContext(clientModule, { logger: ['error'] });
  const { client } = app.get(Requester);
  await client.connect();
  return {
    request: async (i) => MultiplyResponse.parse(await lastValueFrom(client.send('bench.multiply', { a: i, b: 2 }))).product,
    close: async () => {
      await app.close();
      await server.close();
    },
  };
}

/**
 * Nest's own RMQ transport: ClientRMQ.send (in an application context, via ClientsModule) → ServerRMQ
 * @MessagePattern (a microservice), direct reply-to as Nest does it. The handler validates its request
 * with zod (a pipe) and the requester validates the response with zod: two checks, against the SDK's
 * four. Nest's server runs with its default `noAck: true` (at-most-once: no acks, prefetch ignored),
 * the SDK's consumer acks each request after replying.
 */
export async function nestRmqSide(url: string, queue: string): Promise<RpcSide> {
  @Controller()
  class MultiplyController {
    @MessagePattern('bench.multiply')
    multiply(@Payload(new ZodPipe(MultiplyRequest)) request: z.infer<typeof MultiplyRequest>) {
      return { product: request.a * request.b };
    }
  }

  @Module({ controllers: [MultiplyController] })
  class ServerModule {}

  const options = { urls: [url], queue, queueOptions: { durable: false, autoDelete: true }, prefetchCount: RPC_BENCH_PREFETCH };

  @Module({ imports: [ClientsModule.register([{ name: NEST_CLIENT, transport: Transport.RMQ, options }])], providers: [Requester] })
  class ClientModule {}

  const server: INestMicroservice = await NestFactory.createMicroservice(ServerModule, { transport: Transport.RMQ, options: { ...options, noAck: true }, logger: ['error'] });
  return clientSide(server, ClientModule);
}

/**
 * This SDK under Nest's microservices API: ClientProxy `send` (MessagingClient, via ClientsModule) →
 * `@MessagePattern` on a MessagingServer, both on this SDK's AMQP transport. Validation as on Nest's side
 * (a zod pipe on the handler, a parse of the response); the server acks each request after replying.
 */
export async function sdkMicroservicesSide(url: string, queue: string): Promise<RpcSide> {
  const topology = { queues: [{ name: queue, durable: false, autoDelete: true }] };

  @Controller()
  class MultiplyController {
    @MessagePattern('bench.multiply', { queue, prefetch: RPC_BENCH_PREFETCH })
    multiply(@Payload(new ZodPipe(MultiplyRequest)) request: z.infer<typeof MultiplyRequest>) {
      return { product: request.a * request.b };
    }
  }

  @Module({ controllers: [MultiplyController] })
  class ServerModule {}

  const transport = () => new current.AmqpTransport({ urls: url, connectionName: `bench-rpc-sdkms-client-${queue}` });
  @Module({ imports: [ClientsModule.register([{ name: NEST_CLIENT, customClass: MessagingClient, options: { transport, topology, queue } }])], providers: [Requester] })
  class ClientModule {}

  const strategy = new MessagingServer({ transport: () => new current.AmqpTransport({ urls: url, connectionName: `bench-rpc-sdkms-server-${queue}` }), topology });
  const server: INestMicroservice = await NestFactory.createMicroservice(ServerModule, { strategy, logger: ['error'] });
  return clientSide(server, ClientModule);
}
