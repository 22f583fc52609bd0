import { describe, expect, it } from '@jest/globals';
import { SpanKind, type Attributes, type BatchObservableResult, type Observable } from '@opentelemetry/api';
import { RETRY_HEADERS } from '../../../lib/retry/retry.headers.js';
import { DestinationTargets } from '../../../lib/telemetry/destination.targets.js';
import { MetricTallies } from '../../../lib/telemetry/metric.tallies.js';

const delivery = (queue: string, exchange: string, routingKey: string, headers?: Record<string, string | Buffer>) => ({ queue, exchange, routingKey, headers });

describe('destination targets', () => {
  it('a publish target carries the span name, the static span attributes and the metric attribute set, built once', () => {
    const targets = new DestinationTargets('rabbitmq');
    const target = targets.publish('orders', 'order.placed');
    expect(targets.publish('orders', 'order.placed')).toBe(target);
    expect(target.spanName).toBe('publish orders');
    expect(target.spanOptions.kind).toBe(SpanKind.PRODUCER);
    // The routing key is set per span by the middleware, never part of the target.
    expect(target.spanOptions.attributes).toEqual({
      'messaging.system.name': 'rabbitmq',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders',
    });
    expect(target.metricAttributes).toEqual({
      'messaging.system.name': 'rabbitmq',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders',
    });
    expect(Object.isFrozen(target.spanOptions.attributes)).toBe(true);
    expect(target.metricAttributesFailed('TypeError')).toBe(target.metricAttributesFailed('TypeError'));
    expect(target.metricAttributesFailed('TypeError')['error.type']).toBe('TypeError');
  });

  it('a temporary reply queue has no destination name', () => {
    const target = new DestinationTargets('rabbitmq').publish('', 'amq.rabbitmq.reply-to.g1h2');
    expect(target.spanName).toBe('publish');
    expect(target.spanOptions.attributes).toMatchObject({ 'messaging.destination.temporary': true });
    expect(target.metricAttributes['messaging.destination.name']).toBeUndefined();
  });

  it('targets follow the exchange (publish) and the queue (process), never the routing key or a header', () => {
    const targets = new DestinationTargets('rabbitmq');
    const published = targets.publish('orders', 'order.placed');
    expect(targets.publish('orders', 'order.42.shipped')).toBe(published);
    expect(targets.publish('', 'work').spanName).toBe('publish amq.default');
    const original = targets.consume(delivery('work', 'orders', 'order.placed'));
    expect(original.spanName).toBe('process work');
    expect(original.spanOptions.kind).toBe(SpanKind.CONSUMER);
    // A retry copy, and a forged one naming any original route, share the queue's target.
    const forged = delivery('work', 'anything', 'rk.random', {
      [RETRY_HEADERS.target]: Buffer.from('work'),
      [RETRY_HEADERS.originalExchange]: 'ex.forged',
      [RETRY_HEADERS.originalRoutingKey]: 'rk.forged',
    });
    expect(targets.consume(forged)).toBe(original);
    expect(targets.consume(delivery('work.error', '', 'work.error', { [RETRY_HEADERS.target]: 'work' })).spanName).toBe('process work.error');
  });

  it('spans carry server.address and server.port of the connected broker, never its credentials; a new broker rebuilds the targets', () => {
    const targets = new DestinationTargets('rabbitmq');
    targets.useServer('amqp://user:s3cret@rabbit-1.internal:5673/vhost?heartbeat=5');
    const target = targets.publish('orders', 'k');
    expect(target.spanOptions.attributes).toMatchObject({ 'server.address': 'rabbit-1.internal', 'server.port': 5673 });
    expect(JSON.stringify(target.spanOptions.attributes)).not.toMatch(/user|s3cret|vhost|heartbeat/);
    expect(target.metricAttributes['server.address']).toBeUndefined();
    targets.useServer('amqps://[::1]');
    expect(targets.publish('orders', 'k').spanOptions.attributes).toMatchObject({ 'server.address': '::1', 'server.port': 5671 });
    targets.useServer('memory://in-process');
    expect(targets.consume(delivery('work', '', 'work')).spanOptions.attributes?.['server.address']).toBeUndefined();
  });

  it('an inbound message finds the same target as the consume events describing it', () => {
    const targets = new DestinationTargets('memory');
    const fromEvent = targets.consume(delivery('work', 'orders', 'order.placed', {}));
    const message = { queue: 'work', exchange: 'orders', routingKey: 'order.placed', body: Buffer.alloc(0), redelivered: false, raw: undefined, properties: { headers: {} } };
    expect(targets.delivery(message)).toBe(fromEvent);
  });
});

describe('metric tallies', () => {
  it('count per key and report every series at collection, zeros included', () => {
    const instrument = {} as Observable;
    const tallies = new MetricTallies(instrument);
    const attributes: Attributes = { 'messaging.destination.name': 'a' };
    tallies.of('a', attributes).value++;
    tallies.of('a', attributes).value++;
    tallies.of('b', { 'messaging.destination.name': 'b' });
    const observed: Array<[number, Attributes | undefined]> = [];
    tallies.observe({ observe: (_instrument: Observable, value: number, attrs?: Attributes) => observed.push([value, attrs]) } as BatchObservableResult);
    expect(observed).toEqual([
      [2, attributes],
      [0, { 'messaging.destination.name': 'b' }],
    ]);
  });
});
