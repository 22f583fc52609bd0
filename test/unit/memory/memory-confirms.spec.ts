import { describe, expect, it } from '@jest/globals';
import { setImmediate as realSetImmediate } from 'node:timers';
import { PublishNackedError, TopologyError } from '../../../lib/errors/index.js';
import { message, startTransport } from './memory.helpers.js';

describe('MemoryTransport publisher confirms (batched per loop turn)', () => {
  it('settles every publish on a later macrotask, in publish order, failures included', async () => {
    const t = await startTransport({ queues: [{ name: 'q', maxLength: 1, overflow: 'reject-publish' }] });
    const settled: string[] = [];
    const track = (name: string, publishing: Promise<void>) =>
      publishing.then(
        () => settled.push(`${name} ok`),
        (error: Error) => settled.push(`${name} ${error.constructor.name}`),
      );
    const all = [
      track('a', t.publish(message('', 'q', { n: 1 }))),
      track('b', t.publish(message('', 'q', { n: 2 }))),
      track('c', t.publish(message('missing', 'q', { n: 3 }))),
    ];
    expect(t.stats().unconfirmedPublishes).toBe(3);
    await Promise.resolve();
    expect(settled).toEqual([]);
    await Promise.all(all);
    expect(settled).toEqual(['a ok', `b ${PublishNackedError.name}`, `c ${TopologyError.name}`]);
    expect(t.stats().unconfirmedPublishes).toBe(0);
  });

  it('keeps publish order across a failure between successful publishes', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    const settled: string[] = [];
    const track = (name: string, publishing: Promise<void>) =>
      publishing.then(
        () => settled.push(`${name} ok`),
        (error: Error) => settled.push(`${name} ${error.constructor.name}`),
      );
    await Promise.all([
      track('a', t.publish(message('', 'q', { n: 1 }))),
      track('b', t.publish(message('', 'q', { n: 2 }))),
      track('c', t.publish(message('missing', 'q', { n: 3 }))),
      track('d', t.publish(message('', 'q', { n: 4 }))),
    ]);
    expect(settled).toEqual(['a ok', 'b ok', `c ${TopologyError.name}`, 'd ok']);
  });

  it('puts a publish made while a batch is being confirmed into the next batch', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    const order: string[] = [];
    let inner: Promise<void> | undefined;
    const outer = t.publish(message('', 'q', { n: 1 })).then(() => {
      order.push('outer');
      inner = t.publish(message('', 'q', { n: 2 })).then(() => void order.push('inner'));
      // The inner confirm is not due in the same turn as the batch that confirmed `outer`.
      realSetImmediate(() => order.push('turn after outer'));
    });
    await outer;
    expect(order).toEqual(['outer']);
    await inner;
    // Confirmed by its own batch on the next turn (scheduled before the probe), not by the one that confirmed `outer`.
    expect(order).toEqual(['outer', 'inner']);
    await new Promise<void>((resolve) => realSetImmediate(resolve));
    expect(order).toEqual(['outer', 'inner', 'turn after outer']);
  });

  it('waits for pending confirms on close', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    let confirmed = false;
    const publishing = t.publish(message('', 'q', { n: 1 })).then(() => void (confirmed = true));
    await t.close();
    expect(confirmed).toBe(true);
    await publishing;
  });
});
