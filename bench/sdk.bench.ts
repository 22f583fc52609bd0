import {
  Injectable,
  Module,
  UseGuards,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import type { Observable } from 'rxjs';
import amqplib from 'amqplib';
import { z } from 'zod';
import {
  AmqpTransport,
  Consumer,
  defineContract,
  MessagingModule,
  Producer,
  type AmqpConsumerTransportOptions,
  type TypedProducer,
} from '../lib/index.js';
import { benchConfig, deferred, payloadOfSize, publishWindowed } from './bench.config.js';
import { brokerPidOf, startCpuWindow, type E2eFigures } from './cpu.usage.js';

const BenchMessage = defineContract({
  name: 'bench.message',
  exchange: '',
  schema: z.object({ seq: z.number().int(), pad: z.string() }),
});

/**
 * The same workload through the SDK: a Nest application with `MessagingModule`, a typed producer whose
 * every send awaits its confirm (validated, serialized, pooled channels) and a `@Consumer` with auto ack
 * (decode, validate, dispatch). `prefetch` undefined keeps the module's default, as a user who sets nothing
 * gets; `consumer` undefined keeps the transport's consumer defaults; `enhancers` puts a guard on the
 * consumer and a global interceptor in the app (both let everything through, as an auth check and a
 * logging interceptor that found nothing to do would), so every message takes Nest's enhancer path.
 * Returns messages per second, first publish to last ack, and the CPU time this process and the broker
 * spent meanwhile.
 */
export async function runSdk(
  queue: string,
  prefetch?: number,
  consumer?: AmqpConsumerTransportOptions,
  concurrency?: number,
  enhancers = false,
): Promise<E2eFigures> {
  const { url, messages, bodyBytes, publishWindow } = benchConfig;
  const done = deferred();
  let received = 0;

  @Injectable()
  class BenchConsumer {
    @Consumer(BenchMessage, { queue, ...(prefetch === undefined ? {} : { prefetch }), ...(concurrency === undefined ? {} : { concurrency }) })
    handle(): void {
      if (++received === messages) done.resolve();
    }
  }
  if (enhancers) UseGuards(AllowGuard)(BenchConsumer);
  const enhancerProviders: Provider[] = enhancers ? [AllowGuard, { provide: APP_INTERCEPTOR, useClass: PassThroughInterceptor }] : [];
  @Injectable()
  class BenchProducer {
    constructor(@Producer(BenchMessage) readonly producer: TypedProducer<typeof BenchMessage>) {}
  }
  @Module({
    imports: [
      MessagingModule.forRoot({
        transport: new AmqpTransport({ urls: url, connectionName: 'bench-sdk', ...(consumer === undefined ? {} : { consumer }) }),
        topology: { queues: [{ name: queue, durable: true }] },
      }),
      MessagingModule.forFeature([BenchMessage]),
    ],
    providers: [BenchConsumer, BenchProducer, ...enhancerProviders],
  })
  class BenchModule {}

  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  const { producer } = app.get(BenchProducer);
  const payloads = Array.from({ length: messages }, (_, i) => payloadOfSize(i, bodyBytes));
  const cpuWindow = startCpuWindow(brokerPidOf(url));
  const started = process.hrtime.bigint();
  await publishWindowed(messages, publishWindow, (i) => producer.send(payloads[i]!, { routingKey: queue }));
  const published = Number(process.hrtime.bigint() - started) / 1e9;
  const receivedByThen = received;
  await done.promise;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuWindow.stop();
  // BENCH_SPLIT=1: where the time goes, publishing or consuming (the slower side sets the pace).
  if (process.env.BENCH_SPLIT === '1') {
    process.stdout.write(`    [sdk prefetch ${prefetch ?? 'default'}] published in ${published.toFixed(2)} s (${receivedByThen} consumed by then), all consumed in ${seconds.toFixed(2)} s\n`);
  }
  await app.close();
  // The module declares `<queue>.error` as the queue's error queue by default: remove both.
  await deleteQueues(url, [queue, `${queue}.error`]);
  return { msgsPerSec: messages / seconds, cpu };
}

/** A guard that admits every message: the cost of the guard path itself. */
@Injectable()
class AllowGuard implements CanActivate {
  canActivate(_context: ExecutionContext): boolean {
    return true;
  }
}

/** A global interceptor that passes the handler's result through untouched. */
@Injectable()
class PassThroughInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

/** Deletes the bench's own queues, one connection of its own; the broker is shared, nothing else is touched. */
export async function deleteQueues(url: string, queues: readonly string[]): Promise<void> {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await connection.close();
  }
}
