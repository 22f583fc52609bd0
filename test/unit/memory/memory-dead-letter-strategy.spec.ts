import { describe, expect, it } from '@jest/globals';
import { DelayTopology } from '../../../lib/retry/delay-topology.builder.js';
import { RETRY_HEADERS } from '../../../lib/retry/retry.headers.js';
import type { QueueDefinition, TopologyDefinition } from '../../../lib/topology/index.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { message, startTransport } from './memory.helpers.js';

const AT_LEAST_ONCE = { 'x-dead-letter-strategy': 'at-least-once' } as const;

/** `source` (TTL 5 ms) dead-letters through fanout `dlx` into `target`, which holds at most one message. */
function lineTo(source: Partial<QueueDefinition>): TopologyDefinition {
  return {
    exchanges: [{ name: 'dlx', type: 'fanout' }],
    queues: [
      { name: 'source', messageTtl: 5, deadLetterExchange: 'dlx', ...source },
      { name: 'target', maxLength: 1, overflow: 'reject-publish' },
    ],
    bindings: [{ exchange: 'dlx', queue: 'target' }],
  };
}

describe('MemoryTransport x-dead-letter-strategy: at-least-once', () => {
  it('a quorum queue holds an expired message its full target refused, and delivers it once there is room', async () => {
    const t = await startTransport(lineTo({ type: 'quorum', overflow: 'reject-publish', arguments: AT_LEAST_ONCE }), { deadLetterRetryMs: 30 });
    await t.publish(message('', 'target', { n: 'filler' }));
    await t.publish(message('', 'source', { n: 'held' }));
    await waitFor(() => t.heldForDeadLetter('source') === 1, 'the refused dead-letter held by its source', 2000);
    expect(t.messages('target').map((m) => m.payload)).toEqual([{ n: 'filler' }]);
    t.purge('target');
    await waitFor(() => t.messages('target').length === 1, 'the held message delivered', 2000);
    expect(t.messages('target')[0]?.payload).toEqual({ n: 'held' });
    expect(t.messages('target')[0]?.properties.headers?.['x-death']).toMatchObject([{ queue: 'source', reason: 'expired' }]);
    expect(t.heldForDeadLetter('source')).toBe(0);
  });

  it('holds a dead-letter its exchange cannot route, and delivers it once a route exists', async () => {
    const t = await startTransport(
      { exchanges: [{ name: 'dlx', type: 'direct' }], queues: [{ name: 'source', type: 'quorum', messageTtl: 5, deadLetterExchange: 'dlx', overflow: 'reject-publish', arguments: AT_LEAST_ONCE }, { name: 'target' }] },
      { deadLetterRetryMs: 30 },
    );
    await t.publish(message('', 'source', { n: 1 }));
    await waitFor(() => t.heldForDeadLetter('source') === 1, 'the unroutable dead-letter held', 2000);
    await t.start({ bindings: [{ exchange: 'dlx', queue: 'target', routingKey: 'source' }] });
    await waitFor(() => t.messages('target').length === 1, 'delivered once bound', 2000);
    expect(t.heldForDeadLetter('source')).toBe(0);
  });

  it.each([
    ['a classic queue', { arguments: AT_LEAST_ONCE }],
    ['a quorum queue without reject-publish', { type: 'quorum' as const, arguments: AT_LEAST_ONCE }],
    ['a quorum queue without the strategy', { type: 'quorum' as const, overflow: 'reject-publish' as const }],
  ])('%s dead-letters at most once, as RabbitMQ 3.10 does: the refused message is dropped', async (_name, source) => {
    const t = await startTransport(lineTo(source), { deadLetterRetryMs: 10 });
    await t.publish(message('', 'target', { n: 'filler' }));
    await t.publish(message('', 'source', { n: 'dropped' }));
    await waitFor(() => t.records.deadLettered.length === 1, 'dead-lettered once', 2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.heldForDeadLetter('source')).toBe(0);
    t.purge('target');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.messages('target')).toHaveLength(0);
  });
});

describe('MemoryTransport and the retry delay line', () => {
  const delays = new DelayTopology(100, 'line');
  const retryTo = (target: string) => message(delays.entryExchange, delays.routingKey(21), { to: target }, { headers: { [RETRY_HEADERS.target]: target } }, true);

  it('parks a retry whose target queue was deleted in the parking queue (alternate exchange)', async () => {
    const line = delays.topology(['work']);
    const t = await startTransport({ ...line, queues: [...line.queues, { name: 'work' }] });
    t.deleteQueue('work');
    await t.publish(retryTo('work'));
    await waitFor(() => t.messages(delays.parkingQueue).length === 1, 'the retry parked', 2000);
    expect(t.messages(delays.parkingQueue)[0]?.properties.headers?.[RETRY_HEADERS.target]).toBe('work');
  });

  it('holds a retry whose target queue is full in the last level, and delivers it once there is room', async () => {
    const line = delays.topology(['work']);
    const t = await startTransport({ ...line, queues: [...line.queues, { name: 'work', maxLength: 1, overflow: 'reject-publish' }] }, { deadLetterRetryMs: 30 });
    await t.publish(message('', 'work', { n: 'filler' }));
    await t.publish(retryTo('work'));
    // 21 ms ends with level 0 (bit 0 set), the level that hands it to the deliver exchange.
    await waitFor(() => t.heldForDeadLetter(`line.v2.L00`) === 1, "the retry held by level 0", 2000);
    t.purge('work');
    await waitFor(() => t.messages('work').length === 1, 'the retry delivered', 2000);
    expect(t.messages('work')[0]?.payload).toEqual({ to: 'work' });
    expect(t.messages(delays.parkingQueue)).toHaveLength(0);
  });
});
