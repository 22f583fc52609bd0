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
    expect(target.spanName).toBe('publish orders:order.placed');
    expect(target.spanOptions.kind).toBe(SpanKind.PRODUCER);
    expect(target.spanOptions.attributes).toEqual({
      'messaging.system.name': 'rabbitmq',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders:order.placed',
      'rabbitmq.destination.routing_key': 'order.placed',
    });
    expect(target.metricAttributes).toEqual({
      'messaging.system.name': 'rabbitmq',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders:order.placed',
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

  it('a retry copy back from the delay line shares the target of its original route; a dead-letter copy does not', () => {
    const targets = new DestinationTargets('rabbitmq');
    const original = targets.consume(delivery('work', 'orders', 'order.placed'));
    expect(original.spanName).toBe('process orders:order.placed:work');
    expect(original.spanOptions.kind).toBe(SpanKind.CONSUMER);
    const retried = delivery('work', 'retry.delay', 'work', {
      [RETRY_HEADERS.target]: Buffer.from('work'),
      [RETRY_HEADERS.originalExchange]: 'orders',
      [RETRY_HEADERS.originalRoutingKey]: 'order.placed',
    });
    expect(targets.consume(retried)).toBe(original);
    const deadLettered = delivery('work.error', '', 'work.error', { [RETRY_HEADERS.target]: 'work', [RETRY_HEADERS.originalExchange]: 'orders' });
    expect(targets.consume(deadLettered).spanName).toBe('process work.error');
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
