import { describe, expect, it } from '@jest/globals';
import { buildConsumerTopology } from '../../../lib/module/consumer-topology.builder.js';
import type { QueueBinding } from '../../../lib/consumer/consumer-binding.types.js';
import { resolveRetryPolicy } from '../../../lib/retry/retry-policy.resolver.js';

const binding = (queue: string, delayed = false): QueueBinding => ({
  queue,
  prefetch: 1,
  concurrency: 1,
  name: `${queue}.consumer`,
  fallback: undefined,
  handlers: new Map([
    ['t', { name: 'h', contract: { name: 't', exchange: 'x', routingKey: 't', schema: {} as never }, ack: 'auto', invoke: () => undefined, retry: resolveRetryPolicy(delayed ? { delayed: [100] } : undefined, 'h'), maxDeliveries: undefined }],
  ]),
});

describe('buildConsumerTopology', () => {
  it('gives consumed queues without a dead-letter setting an error queue of their own type, and leaves the others alone', () => {
    const { topology, delays } = buildConsumerTopology(
      {
        queues: [
          { name: 'classic' },
          { name: 'quorum', type: 'quorum' },
          { name: 'with-dlx', deadLetterExchange: 'dlx' },
          { name: 'opted-out', errorQueue: false },
          { name: 'not-consumed' },
        ],
        exchanges: [{ name: 'dlx', type: 'fanout' }],
      },
      ['classic', 'quorum', 'with-dlx', 'opted-out'].map((queue) => binding(queue)),
      { errorQueues: true },
    );
    expect(delays).toBeUndefined();
    const byName = new Map((topology.queues ?? []).map((queue) => [queue.name, queue]));
    expect(byName.get('classic')?.errorQueue).toBe('classic.error');
    expect(byName.get('classic.error')).toEqual({ name: 'classic.error', durable: true });
    expect(byName.get('quorum.error')).toEqual({ name: 'quorum.error', type: 'quorum' });
    expect(byName.get('with-dlx')?.errorQueue).toBeUndefined();
    expect(byName.has('opted-out.error')).toBe(false);
    expect(byName.has('not-consumed.error')).toBe(false);
  });

  it('declares the delay line only when a handler retries with delays, bound back to those queues', () => {
    const { topology, delays } = buildConsumerTopology({ queues: [{ name: 'a' }, { name: 'b' }] }, [binding('a', true), binding('b')], {
      errorQueues: false,
      delayLine: { prefix: 'line' },
    });
    expect(delays?.prefix).toBe('line');
    const delivery = (topology.bindings ?? []).filter((b) => b.exchange === 'line.v2.deliver').map((b) => b.queue);
    expect(delivery).toEqual(['a']);
  });
});
