import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import {
  Consumer,
  defineContract,
  MemoryTransport,
  MessageContext,
  MessagePublisher,
  MessagingModule,
  type MessagingModuleOptions,
  type TopologyDefinition,
} from '../../../lib/index.js';
import { GlobalTelemetry } from '../../fixtures/telemetry.fixture.js';

const Order = defineContract({ name: 'order.placed', exchange: 'tel.orders', routingKey: 'order.placed', schema: z.object({ n: z.number().int() }) });
type OrderPayload = z.infer<typeof Order.schema>;
const WORK = 'tel.work';
const ERRORS = 'tel.work.error';
const topology: TopologyDefinition = {
  exchanges: [{ name: 'tel.orders', type: 'topic' }],
  queues: [{ name: WORK }],
  bindings: [{ exchange: 'tel.orders', queue: WORK, routingKey: 'order.*' }],
};

const otel = new GlobalTelemetry();
beforeAll(() => otel.install());
afterAll(() => otel.uninstall());

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
  otel.spans.reset();
});

class PaymentDeclined extends Error {}

async function start(behaviour: (payload: OrderPayload, ctx: MessageContext<OrderPayload>) => unknown, module: Partial<MessagingModuleOptions> = {}) {
  const transport = new MemoryTransport();
  @Injectable()
  class OrderConsumer {
    @Consumer(Order, { queue: WORK })
    async handle(payload: OrderPayload, ctx: MessageContext<OrderPayload>): Promise<unknown> {
      // An application span: it must nest under the process span.
      return trace.getTracer('app').startActiveSpan('handle order', async (span) => {
        try {
          return await behaviour(payload, ctx);
        } finally {
          span.end();
        }
      });
    }
  }
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology, shutdownTimeoutMs: 500, ...module })],
    providers: [OrderConsumer],
  }).compile();
  await app.init();
  opened.push(app);
  return { transport, publisher: app.get(MessagePublisher) };
}

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const traceId = (span: ReadableSpan) => span.spanContext().traceId;

describe('OpenTelemetry tracing on the memory transport', () => {
  it('with no option: a PRODUCER publish span, its context in the headers, a CONSUMER process span linked to it', async () => {
    const { transport, publisher } = await start(() => undefined);
    const { messageId } = await publisher.publish(Order, { n: 1 }, { correlationId: 'conv-1' });
    await transport.waitForIdle();

    const [publish] = otel.named('publish ');
    const [processing] = otel.named('process ');
    expect(publish?.name).toBe('publish tel.orders');
    expect(publish?.kind).toBe(SpanKind.PRODUCER);
    expect(publish?.attributes).toMatchObject({
      'messaging.system.name': 'memory',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'tel.orders',
      'rabbitmq.destination.routing_key': 'order.placed',
      'messaging.message.id': messageId,
      'messaging.message.conversation_id': 'conv-1',
      'nestjs_messaging.message.type': 'order.placed',
    });
    expect(publish?.attributes['messaging.message.body.size']).toBeUndefined();

    const delivered = transport.records.delivered[0]!;
    expect(delivered.properties.headers?.traceparent).toBe(`00-${traceId(publish!)}-${spanId(publish!)}-01`);

    expect(processing?.name).toBe('process tel.work');
    expect(processing?.kind).toBe(SpanKind.CONSUMER);
    expect(processing?.attributes).toMatchObject({
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'tel.work',
      'messaging.message.id': messageId,
      'nestjs_messaging.outcome': 'acked',
      'nestjs_messaging.attempt': 1,
      'nestjs_messaging.consumer': 'OrderConsumer.handle',
    });
    // Link, not parent (the default): a new trace that points at the producer's span.
    expect(processing?.links.map((link) => link.context.spanId)).toEqual([spanId(publish!)]);
    expect(processing?.parentSpanContext).toBeUndefined();
    expect(traceId(processing!)).not.toBe(traceId(publish!));
    expect(processing?.status.code).not.toBe(SpanStatusCode.ERROR);

    const [handler] = otel.named('handle order');
    expect(handler?.parentSpanContext?.spanId).toBe(spanId(processing!));
    expect(traceId(handler!)).toBe(traceId(processing!));
  });

  it('parent mode: the process span is a child of the publish span, in the same trace; the body size is opt-in', async () => {
    const { transport, publisher } = await start(() => undefined, { telemetry: { linkOrParent: 'parent', captureBodySize: true } });
    await trace.getTracer('app').startActiveSpan('request', async (request) => {
      await publisher.publish(Order, { n: 2 });
      request.end();
    });
    await transport.waitForIdle();
    const [request] = otel.named('request');
    const [publish] = otel.named('publish ');
    const [processing] = otel.named('process ');
    expect(publish?.parentSpanContext?.spanId).toBe(spanId(request!));
    expect(processing?.parentSpanContext?.spanId).toBe(spanId(publish!));
    expect(traceId(processing!)).toBe(traceId(request!));
    expect(processing?.links).toEqual([]);
    expect(publish?.attributes['messaging.message.body.size']).toBe(Buffer.byteLength(JSON.stringify({ n: 2 })));
  });

  it('the same trace continues across a delayed retry and into the dead-letter copy', async () => {
    const { transport, publisher } = await start(
      () => {
        throw new PaymentDeclined('declined');
      },
      { retry: { delayed: [10] }, telemetry: { linkOrParent: 'parent' } },
    );
    await publisher.publish(Order, { n: 3 });
    // Idle does not cover the delay line (no consumer there): wait for the copy in the error queue first.
    await transport.waitFor((records) => records.published.some((p) => p.routedQueues.includes(ERRORS)), { timeoutMs: 3000 });
    await transport.waitForIdle();

    const [publish] = otel.named('publish ');
    const attempts = otel.named('process ');
    expect(attempts).toHaveLength(2);
    const [first, second] = attempts as [ReadableSpan, ReadableSpan];
    // Both deliveries, the original and the retry copy from the delay line, are children of the one publish.
    for (const span of attempts) {
      expect(span.name).toBe('process tel.work');
      expect(traceId(span)).toBe(traceId(publish!));
      expect(span.parentSpanContext?.spanId).toBe(spanId(publish!));
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('PaymentDeclined');
    }
    expect(first.attributes).toMatchObject({ 'nestjs_messaging.outcome': 'retried', 'nestjs_messaging.attempt': 1 });
    expect(first.events.map((event) => event.name)).toContain('nestjs_messaging.retry_scheduled');
    expect(first.events.find((event) => event.name === 'nestjs_messaging.retry_scheduled')?.attributes).toMatchObject({ 'nestjs_messaging.retry.delay_ms': 10 });
    expect(second.attributes).toMatchObject({ 'nestjs_messaging.outcome': 'dead-lettered', 'nestjs_messaging.attempt': 2, 'nestjs_messaging.failure.kind': 'handler' });
    expect(second.events.find((event) => event.name === 'nestjs_messaging.dead_lettered')?.attributes).toMatchObject({
      'nestjs_messaging.failure.kind': 'handler',
      'nestjs_messaging.dead_letter.outcome': 'dead-lettered',
    });

    // The dead-letter copy carries the publish span's context on: whoever consumes it continues the trace.
    const [copy] = transport.messages(ERRORS);
    expect(copy?.properties.headers?.traceparent).toBe(`00-${traceId(publish!)}-${spanId(publish!)}-01`);
  });

  it('a message dead-lettered before any handler ran records the failure kind as error.type', async () => {
    const { transport } = await start(() => undefined);
    await transport.publish({ exchange: 'tel.orders', routingKey: 'order.placed', body: Buffer.from('{not json'), mandatory: true, properties: { type: 'order.placed', contentType: 'application/json' } });
    await transport.waitForIdle();
    const [processing] = otel.named('process ');
    expect(processing?.links).toEqual([]);
    expect(processing?.status.code).toBe(SpanStatusCode.ERROR);
    expect(processing?.attributes).toMatchObject({ 'error.type': 'decode', 'nestjs_messaging.outcome': 'dead-lettered', 'nestjs_messaging.failure.kind': 'decode' });
  });

  it('a failed publish ends its span with error.type and an ERROR status', async () => {
    const { publisher } = await start(() => undefined);
    await expect(publisher.publish(Order, { n: 4 }, { routingKey: 'nobody.listens' })).rejects.toThrow();
    const [publish] = otel.named('publish ');
    expect(publish?.status.code).toBe(SpanStatusCode.ERROR);
    expect(publish?.attributes['error.type']).toBe('UnroutableMessageError');
  });

  it('a tracer provider passed in is used instead of the global one', async () => {
    const own = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(own)] });
    const { transport, publisher } = await start(() => undefined, { telemetry: { tracerProvider } });
    await publisher.publish(Order, { n: 5 });
    await transport.waitForIdle();
    expect(own.getFinishedSpans().map((span) => span.name).sort()).toEqual(['process tel.work', 'publish tel.orders']);
    expect(otel.named('publish ')).toEqual([]);
    await tracerProvider.shutdown();
  });

  it('telemetry: false records nothing and adds no header', async () => {
    const { transport, publisher } = await start(() => undefined, { telemetry: false });
    await publisher.publish(Order, { n: 6 });
    await transport.waitForIdle();
    expect(otel.named('publish ')).toEqual([]);
    expect(otel.named('process ')).toEqual([]);
    expect(transport.records.delivered[0]?.properties.headers?.traceparent).toBeUndefined();
  });
});
