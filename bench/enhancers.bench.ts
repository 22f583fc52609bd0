import 'reflect-metadata';
import {
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplicationContext,
  type NestInterceptor,
  type PipeTransform,
  type Provider,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { APP_INTERCEPTOR, ExternalContextCreator, NestFactory } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { ConsumerHandlerFactory, type ConsumerInvoker } from '../lib/consumer/consumer-handler.factory.js';
import type { DeliverySettlement } from '../lib/consumer/delivery.settlement.js';
import { MessageParamsFactory } from '../lib/consumer/message-params.factory.js';
import {
  Consumer,
  Ctx,
  defineContract,
  MemoryTransport,
  MessageContext,
  MESSAGING_CONTEXT_TYPE,
  MessagingModule,
  Payload,
  Producer,
  type ContractOutput,
  type TopologyDefinition,
  type TypedProducer,
} from '../lib/index.js';
import { publishWindowed } from './bench.config.js';

/**
 * Per-message cost of the ways a `@Consumer` method can be called: the old direct call, Nest's
 * ExternalContextCreator with nothing to run, the shipped path without enhancers, one global
 * interceptor, and a guard + pipe + interceptor. Measured at the invoker (the call alone) and through
 * the module on the memory transport (publish → decode → validate → call → ack). Rounds interleave the
 * variants, rotating their order, so machine drift hits each alike.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const CALLS = Number(process.env.BENCH_CALLS ?? 100_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5_000);

const Tick = defineContract({ name: 'bench.tick', exchange: 'bench', schema: z.object({ id: z.number().int(), note: z.string() }) });
type TickPayload = ContractOutput<typeof Tick>;

const topology: TopologyDefinition = {
  exchanges: [{ name: 'bench', type: 'direct' }],
  queues: [{ name: 'bench.plain' }, { name: 'bench.enhanced' }],
  bindings: [
    { exchange: 'bench', queue: 'bench.plain', routingKey: 'plain' },
    { exchange: 'bench', queue: 'bench.enhanced', routingKey: 'enhanced' },
  ],
};

@Injectable()
class Passthrough implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Injectable()
class Allow implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class Identity implements PipeTransform<unknown, unknown> {
  transform(value: unknown): unknown {
    return value;
  }
}

@Injectable()
class PlainConsumer {
  handled = 0;
  @Consumer(Tick, { queue: 'bench.plain', prefetch: 200 })
  handle(_tick: TickPayload, _ctx: MessageContext<TickPayload>): void {
    this.handled++;
  }
}

@Injectable()
class EnhancedConsumer {
  handled = 0;
  @UseGuards(Allow)
  @UseInterceptors(Passthrough)
  @Consumer(Tick, { queue: 'bench.enhanced', prefetch: 200, params: 'decorated' })
  handle(@Payload(Identity) _tick: TickPayload, @Ctx() _ctx: MessageContext<TickPayload>): void {
    this.handled++;
  }
}

@Injectable()
class Sender {
  constructor(@Producer(Tick) readonly producer: TypedProducer<typeof Tick>) {}
}

async function boot(providers: Provider[]): Promise<{ app: INestApplicationContext; transport: MemoryTransport }> {
  const transport = new MemoryTransport();
  @Module({
    imports: [MessagingModule.forRoot({ transport, topology }), MessagingModule.forFeature([Tick])],
    providers: [...providers, Sender],
  })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  return { app, transport };
}

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)! };
}

/** Runs each variant once per round, in a rotated order; returns ns (or µs) per operation per variant. */
async function interleave(variants: Array<[string, () => Promise<number>]>): Promise<Map<string, number[]>> {
  const results = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (const [, run] of variants) await run(); // warm-up: JIT, caches
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < variants.length; i++) {
      const [name, run] = variants[(i + round) % variants.length]!;
      results.get(name)!.push(await run());
    }
  }
  return results;
}

function report(title: string, unit: string, results: Map<string, number[]>, baseline: string): void {
  const base = stats(results.get(baseline)!).median;
  process.stdout.write(`\n${title}\n`);
  for (const [name, values] of results) {
    const { median, min, max } = stats(values);
    process.stdout.write(
      `  ${name.padEnd(42)} median ${median.toFixed(1).padStart(8)} ${unit}  min ${min.toFixed(1).padStart(8)}  max ${max.toFixed(1).padStart(8)}  (+${(median - base).toFixed(1)} ${unit} vs ${baseline})\n`,
    );
  }
}

function timeInvoker(invoke: ConsumerInvoker): () => Promise<number> {
  const payload: TickPayload = { id: 1, note: 'x' };
  const message = { body: Buffer.alloc(0), properties: {}, exchange: 'bench', routingKey: 'plain', queue: 'bench.plain', redelivered: false, raw: null };
  // The settlement is never touched by these handlers.
  const context = new MessageContext(payload, message, Tick.name, 'bench', {} as DeliverySettlement);
  return async () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await invoke(payload, context);
    return Number(process.hrtime.bigint() - started) / CALLS;
  };
}

function timeThroughModule(transport: MemoryTransport, producer: TypedProducer<typeof Tick>, routingKey: string): () => Promise<number> {
  return async () => {
    const started = process.hrtime.bigint();
    await publishWindowed(MESSAGES, 200, (i) => producer.send({ id: i, note: 'x' }, { routingKey }));
    await transport.waitForIdle({ timeoutMs: 60_000 });
    return Number(process.hrtime.bigint() - started) / 1000 / MESSAGES;
  };
}

async function main(): Promise<void> {
  process.stdout.write(`enhancers bench: ${ROUNDS} rounds (+1 warm-up), ${CALLS} invoker calls / ${MESSAGES} messages per variant per round\n`);
  const plainApp = await boot([PlainConsumer, EnhancedConsumer, Allow, Passthrough, Identity]);
  const globalApp = await boot([PlainConsumer, EnhancedConsumer, Allow, Identity, { provide: APP_INTERCEPTOR, useClass: Passthrough }]);
  const meta = { contract: Tick, consumerName: 'bench' };

  const plain = plainApp.app.get(PlainConsumer);
  const method = plain.handle as (...args: unknown[]) => unknown;
  const contextCreator = plainApp.app.get(ExternalContextCreator);
  const forced = contextCreator.create(plain, method, 'handle', ROUTE_ARGS_METADATA, new MessageParamsFactory(), undefined, undefined, undefined, MESSAGING_CONTEXT_TYPE);
  const factoryOf = (app: INestApplicationContext) => app.get(ConsumerHandlerFactory);

  const invokers = await interleave([
    ['direct call (old path)', timeInvoker(async (p, c) => Reflect.apply(method, plain, [p, c]))],
    ['context creator, no enhancers (forced)', timeInvoker(async (p, c) => contextCreator.transformToResult(await forced(p, c)))],
    ['factory, no enhancers (shipped: direct)', timeInvoker(factoryOf(plainApp.app).create(plain, 'handle', meta))],
    ['factory, one global interceptor', timeInvoker(factoryOf(globalApp.app).create(globalApp.app.get(PlainConsumer), 'handle', meta))],
    ['factory, guard + @Payload(pipe) + interceptor', timeInvoker(factoryOf(plainApp.app).create(plainApp.app.get(EnhancedConsumer), 'handle', meta))],
  ]);
  report('Invoker, ns per call', 'ns', invokers, 'direct call (old path)');

  const plainSender = plainApp.app.get(Sender).producer;
  const globalSender = globalApp.app.get(Sender).producer;
  const throughModule = await interleave([
    ['no enhancers (direct)', timeThroughModule(plainApp.transport, plainSender, 'plain')],
    ['one global interceptor', timeThroughModule(globalApp.transport, globalSender, 'plain')],
    ['guard + @Payload(pipe) + interceptor', timeThroughModule(plainApp.transport, plainSender, 'enhanced')],
  ]);
  report('Through the module on the memory transport, µs per message (publish → ack)', 'µs', throughModule, 'no enhancers (direct)');

  await plainApp.app.close();
  await globalApp.app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
