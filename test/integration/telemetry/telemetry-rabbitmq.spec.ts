import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { AmqpTransport, Consumer, defineContract, MessagePublisher, MessagingModule, type TopologyDefinition } from '../../../lib/index.js';
import { MessagingLifecycle } from '../../../lib/module/messaging.lifecycle.js';
import { AMQP_URL, describeWithBroker, uniqueName } from '../../support/broker.js';
import { deleteTopology, withAdminChannel } from '../../fixtures/rabbitmq-admin.fixture.js';
import { floodWithRandomRoutes } from '../../fixtures/telemetry-cardinality.scenario.js';
import { GlobalTelemetry } from '../../fixtures/telemetry.fixture.js';

const otel = new GlobalTelemetry();
beforeAll(() => otel.install());
afterAll(() => otel.uninstall());

const apps: INestApplicationContext[] = [];
const topologies: TopologyDefinition[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
  for (const topology of topologies.splice(0)) {
    await deleteTopology({ queues: (topology.queues ?? []).map((q) => q.name), exchanges: (topology.exchanges ?? []).map((e) => e.name) });
  }
  otel.spans.reset();
});

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const traceId = (span: ReadableSpan) => span.spanContext().traceId;

describeWithBroker('OpenTelemetry across RabbitMQ', () => {
  it('the trace context crosses the broker in the headers, through a delayed retry and into the error queue', async () => {
    const exchange = uniqueName('tel.ex');
    const queue = uniqueName('tel.q');
    const Ping = defineContract({ name: 'tel.ping', exchange, routingKey: 'ping', schema: z.object({ n: z.number().int() }) });
    const runs: number[] = [];
    @Injectable()
    class PingConsumer {
      @Consumer(Ping, { queue, retry: { delayed: [50] } })
      handle(_payload: { n: number }): void {
        runs.push(runs.length + 1);
        throw new TypeError('always fails');
      }
    }
    const app = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          transport: new AmqpTransport({ urls: AMQP_URL, connectionName: uniqueName('tel-conn') }),
          topology: { exchanges: [{ name: exchange, type: 'direct', durable: false }], queues: [{ name: queue, durable: false }], bindings: [{ exchange, queue, routingKey: 'ping' }] },
          retryDelayLine: { prefix: uniqueName('tel.retry') },
          telemetry: { linkOrParent: 'parent' },
          shutdownTimeoutMs: 5000,
        }),
      ],
      providers: [PingConsumer],
    }).compile();
    await app.init();
    apps.push(app);
    // Everything the module declared (queue, error queue, delay line) is deleted afterwards.
    topologies.push(app.get(MessagingLifecycle, { strict: false }).effectiveTopology);

    await app.get(MessagePublisher).publish(Ping, { n: 1 });
    const deadline = Date.now() + 10_000;
    while (otel.named('process ').length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    const [publish] = otel.named('publish ');
    const processed = otel.named('process ');
    expect(publish?.kind).toBe(SpanKind.PRODUCER);
    expect(publish?.attributes['messaging.system.name']).toBe('rabbitmq');
    expect(processed).toHaveLength(2);
    for (const span of processed) {
      // Parented by the publish span: only possible if traceparent survived the broker (and the delay line).
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.name).toBe(`process ${queue}`);
      expect(traceId(span)).toBe(traceId(publish!));
      expect(span.parentSpanContext?.spanId).toBe(spanId(publish!));
      expect(span.attributes['error.type']).toBe('TypeError');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
    expect(processed.map((span) => span.attributes['nestjs_messaging.outcome'])).toEqual(['retried', 'dead-lettered']);
    // The error-queue copy still carries the publish span's context for whoever consumes it.
    const copy = await withAdminChannel((channel) => channel.get(`${queue}.error`, { noAck: true }));
    const traceparent = copy ? (copy.properties.headers?.traceparent as unknown) : undefined;
    expect(String(traceparent)).toBe(`00-${traceId(publish!)}-${spanId(publish!)}-01`);
  });

  it('300 messages with random routing keys and forged headers yield two span names and a handful of metric/Prometheus label sets; spans carry server.address/port, no credentials', async () => {
    // Everything the module declared (exchange, queue, error queue) is deleted afterwards, even if a check fails.
    await floodWithRandomRoutes(() => new AmqpTransport({ urls: AMQP_URL, connectionName: uniqueName('tel-card-conn') }), otel, 300, (app, { exchange, queue }) => {
      apps.push(app);
      topologies.push({ exchanges: [{ name: exchange, type: 'topic' }], queues: [{ name: queue }, { name: `${queue}.error` }] });
    });
    const broker = new URL(AMQP_URL);
    const spans = otel.finished();
    expect(spans.length).toBeGreaterThanOrEqual(600);
    for (const span of spans) {
      expect(span.attributes['server.address']).toBe(broker.hostname);
      expect(span.attributes['server.port']).toBe(Number(broker.port || 5672));
    }
    const attributeText = JSON.stringify(spans.map((span) => span.attributes));
    if (broker.password) expect(attributeText).not.toContain(broker.password);
    expect(attributeText).not.toContain(`${broker.username}:`);
  }, 60_000);
});
