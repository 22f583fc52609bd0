import { describe, expect, it } from '@jest/globals';
import { TopologyError, UnroutableMessageError } from '../../../lib/errors/index.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import { collect, message, routedBy, startTransport } from './memory.helpers.js';

const queues = (...names: string[]): TopologyDefinition['queues'] => names.map((name) => ({ name }));

describe('MemoryTransport routing', () => {
  it('default exchange routes to the queue named by the routing key, and nowhere else', async () => {
    const t = await startTransport({ queues: queues('jobs', 'other') });
    expect(await routedBy(t, message('', 'jobs'))).toEqual(['jobs']);
    expect(await routedBy(t, message('', 'missing'))).toEqual([]);
    expect(t.queueDepth('jobs')).toEqual({ ready: 1, unacked: 0 });
    expect(t.queueDepth('other')).toEqual({ ready: 0, unacked: 0 });
  });

  it('direct exchange matches the key exactly', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'd', type: 'direct' }],
      queues: queues('a', 'b', 'c'),
      bindings: [
        { exchange: 'd', queue: 'a', routingKey: 'red' },
        { exchange: 'd', queue: 'b', routingKey: 'red' },
        { exchange: 'd', queue: 'c', routingKey: 'green' },
        { exchange: 'd', queue: 'c', routingKey: 'red.*' },
      ],
    });
    expect(await routedBy(t, message('d', 'red'))).toEqual(['a', 'b']);
    expect(await routedBy(t, message('d', 'green'))).toEqual(['c']);
    expect(await routedBy(t, message('d', 'red.x'))).toEqual([]);
    expect(await routedBy(t, message('d', 'RED'))).toEqual([]);
  });

  it('topic exchange applies * and # patterns', async () => {
    const t = await startTransport({
      exchanges: [{ name: 't', type: 'topic' }],
      queues: queues('all', 'created', 'eu', 'exact'),
      bindings: [
        { exchange: 't', queue: 'all', routingKey: '#' },
        { exchange: 't', queue: 'created', routingKey: '*.created' },
        { exchange: 't', queue: 'eu', routingKey: 'orders.#.eu' },
        { exchange: 't', queue: 'exact', routingKey: 'orders.created' },
      ],
    });
    expect(await routedBy(t, message('t', 'orders.created'))).toEqual(['all', 'created', 'exact']);
    expect(await routedBy(t, message('t', 'orders.eu'))).toEqual(['all', 'eu']);
    expect(await routedBy(t, message('t', 'orders.paid.x.eu'))).toEqual(['all', 'eu']);
    expect(await routedBy(t, message('t', 'orders.created.eu'))).toEqual(['all', 'eu']);
    expect(await routedBy(t, message('t', ''))).toEqual(['all']);
  });

  it('fanout exchange ignores the routing key', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'f', type: 'fanout' }],
      queues: queues('a', 'b'),
      bindings: [
        { exchange: 'f', queue: 'a', routingKey: 'ignored' },
        { exchange: 'f', queue: 'b' },
      ],
    });
    expect(await routedBy(t, message('f', 'whatever'))).toEqual(['a', 'b']);
  });

  it('headers exchange matches x-match all and any on headers, ignoring the routing key', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'h', type: 'headers' }],
      queues: queues('pdf-reports', 'pdf-or-report', 'has-tenant'),
      bindings: [
        { exchange: 'h', queue: 'pdf-reports', arguments: { format: 'pdf', type: 'report' } },
        { exchange: 'h', queue: 'pdf-or-report', arguments: { 'x-match': 'any', format: 'pdf', type: 'report' } },
        { exchange: 'h', queue: 'has-tenant', arguments: { tenant: null } },
      ],
    });
    const withHeaders = (headers: Record<string, string>): ReturnType<typeof message> => message('h', 'key', {}, { headers });
    expect(await routedBy(t, withHeaders({ format: 'pdf', type: 'report' }))).toEqual(['pdf-reports', 'pdf-or-report']);
    expect(await routedBy(t, withHeaders({ format: 'pdf' }))).toEqual(['pdf-or-report']);
    expect(await routedBy(t, withHeaders({ tenant: 'acme', type: 'report' }))).toEqual(['pdf-or-report', 'has-tenant']);
    expect(await routedBy(t, withHeaders({ format: 'zip' }))).toEqual([]);
    expect(await routedBy(t, message('h', 'key'))).toEqual([]);
  });

  it('built-in amq.* exchanges route with their types', async () => {
    const t = await startTransport({
      queues: queues('d', 't', 'f', 'h', 'm'),
      bindings: [
        { exchange: 'amq.direct', queue: 'd', routingKey: 'k' },
        { exchange: 'amq.topic', queue: 't', routingKey: 'k.*' },
        { exchange: 'amq.fanout', queue: 'f' },
        { exchange: 'amq.headers', queue: 'h', arguments: { a: 1 } },
        { exchange: 'amq.match', queue: 'm', arguments: { 'x-match': 'any', a: 1, b: 2 } },
      ],
    });
    expect(await routedBy(t, message('amq.direct', 'k'))).toEqual(['d']);
    expect(await routedBy(t, message('amq.topic', 'k.x'))).toEqual(['t']);
    expect(await routedBy(t, message('amq.fanout', 'any'))).toEqual(['f']);
    expect(await routedBy(t, message('amq.headers', '', {}, { headers: { a: 1 } }))).toEqual(['h']);
    expect(await routedBy(t, message('amq.match', '', {}, { headers: { b: 2 } }))).toEqual(['m']);
    expect(['', 'amq.direct', 'amq.topic', 'amq.fanout', 'amq.headers', 'amq.match'].every((x) => t.hasExchange(x))).toBe(true);
  });

  it('delivers a message to each queue at most once even when several bindings and paths match', async () => {
    const t = await startTransport({
      exchanges: [
        { name: 't', type: 'topic' },
        { name: 'f', type: 'fanout' },
      ],
      queues: queues('q'),
      bindings: [
        { exchange: 't', queue: 'q', routingKey: 'a.*' },
        { exchange: 't', queue: 'q', routingKey: '#' },
        { exchange: 't', toExchange: 'f' },
        { exchange: 'f', queue: 'q' },
      ],
    });
    expect(await routedBy(t, message('t', 'a.b'))).toEqual(['q']);
    expect(t.queueDepth('q').ready).toBe(1);
  });

  it('follows exchange-to-exchange bindings with the destination exchange type, and survives cycles', async () => {
    const t = await startTransport({
      exchanges: [
        { name: 'edge', type: 'topic' },
        { name: 'orders', type: 'direct' },
        { name: 'audit', type: 'fanout' },
        { name: 'loop', type: 'fanout' },
      ],
      queues: queues('orders.created', 'audit'),
      bindings: [
        { exchange: 'edge', toExchange: 'orders', routingKey: 'orders.#' },
        { exchange: 'edge', toExchange: 'audit', routingKey: '#' },
        { exchange: 'orders', queue: 'orders.created', routingKey: 'orders.created' },
        { exchange: 'audit', queue: 'audit' },
        { exchange: 'audit', toExchange: 'loop' },
        { exchange: 'loop', toExchange: 'audit' },
        { exchange: 'loop', toExchange: 'edge' },
      ],
    });
    expect(await routedBy(t, message('edge', 'orders.created'))).toEqual(['orders.created', 'audit']);
    expect(await routedBy(t, message('edge', 'orders.paid'))).toEqual(['audit']);
    expect(await routedBy(t, message('edge', 'users.created'))).toEqual(['audit']);
  });

  it('sends what an exchange cannot route to its alternate exchange, which may have its own', async () => {
    const t = await startTransport({
      exchanges: [
        { name: 'main', type: 'direct', alternateExchange: 'unrouted' },
        { name: 'unrouted', type: 'direct', alternateExchange: 'last-resort' },
        { name: 'last-resort', type: 'fanout' },
        { name: 'via-args', type: 'direct', arguments: { 'alternate-exchange': 'last-resort' } },
      ],
      queues: queues('main', 'unrouted.known', 'last-resort'),
      bindings: [
        { exchange: 'main', queue: 'main', routingKey: 'known' },
        { exchange: 'unrouted', queue: 'unrouted.known', routingKey: 'typo' },
        { exchange: 'last-resort', queue: 'last-resort' },
      ],
    });
    expect(await routedBy(t, message('main', 'known'))).toEqual(['main']);
    expect(await routedBy(t, message('main', 'typo'))).toEqual(['unrouted.known']);
    expect(await routedBy(t, message('main', 'nothing'))).toEqual(['last-resort']);
    expect(await routedBy(t, message('via-args', 'x'))).toEqual(['last-resort']);
    // Routed through the alternate exchange, so mandatory is satisfied.
    await expect(t.publish(message('main', 'nothing', {}, {}, true))).resolves.toBeUndefined();
  });

  it('does not use the alternate exchange when a binding to another exchange matched', async () => {
    const t = await startTransport({
      exchanges: [
        { name: 'main', type: 'fanout', alternateExchange: 'ae' },
        { name: 'dead-end', type: 'direct' },
        { name: 'ae', type: 'fanout' },
      ],
      queues: queues('ae'),
      bindings: [
        { exchange: 'main', toExchange: 'dead-end' },
        { exchange: 'ae', queue: 'ae' },
      ],
    });
    expect(await routedBy(t, message('main', 'x'))).toEqual([]);
  });

  it('rejects a mandatory unroutable message with UnroutableMessageError and drops a non-mandatory one', async () => {
    const t = await startTransport({ exchanges: [{ name: 'x', type: 'direct' }], queues: queues('q'), bindings: [{ exchange: 'x', queue: 'q', routingKey: 'k' }] });
    const rejection = t.publish(message('x', 'nope', {}, {}, true));
    await expect(rejection).rejects.toBeInstanceOf(UnroutableMessageError);
    await expect(rejection).rejects.toMatchObject({ exchange: 'x', routingKey: 'nope', code: 'MESSAGE_UNROUTABLE' });
    await expect(t.publish(message('x', 'nope'))).resolves.toBeUndefined();
    await expect(t.publish(message('', 'missing-queue', {}, {}, true))).rejects.toBeInstanceOf(UnroutableMessageError);
    expect(t.queueDepth('q').ready).toBe(0);
    expect(t.records.published.map((p) => p.outcome)).toEqual(['returned', 'dropped', 'returned']);
  });

  it('rejects publishing to a missing or internal exchange with TopologyError', async () => {
    const t = await startTransport({
      exchanges: [
        { name: 'public', type: 'fanout' },
        { name: 'hidden', type: 'fanout', internal: true },
      ],
      queues: queues('q'),
      bindings: [
        { exchange: 'public', toExchange: 'hidden' },
        { exchange: 'hidden', queue: 'q' },
      ],
    });
    await expect(t.publish(message('nope', 'k'))).rejects.toThrow(TopologyError);
    await expect(t.publish(message('nope', 'k'))).rejects.toThrow(/no exchange "nope"/);
    await expect(t.publish(message('hidden', 'k'))).rejects.toThrow(/internal/);
    // Reached through an exchange-to-exchange binding an internal exchange routes normally.
    expect(await routedBy(t, message('public', 'k'))).toEqual(['q']);
    expect(t.records.published.map((p) => p.outcome)).toEqual(['failed', 'failed', 'failed', 'routed']);
  });

  it('resolves publish asynchronously, never before publish returns', async () => {
    const t = await startTransport({ queues: queues('q') });
    let settled = false;
    const pending = t.publish(message('', 'q')).then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await pending;
    expect(settled).toBe(true);
  });

  it('stores a copy of the body and properties, unaffected by later changes by the publisher', async () => {
    const t = await startTransport({ queues: queues('q') });
    const outbound = message('', 'q', { n: 1 }, { headers: { h: 'original' } });
    await t.publish(outbound);
    outbound.body.fill(0);
    outbound.properties.headers!['h'] = 'changed';
    const [stored] = t.messages('q');
    expect(stored.payload).toEqual({ n: 1 });
    expect(stored.properties.headers).toEqual({ h: 'original' });
  });

  it('gives each queue its own copy of a fanned-out message', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'f', type: 'fanout' }],
      queues: queues('a', 'b'),
      bindings: [
        { exchange: 'f', queue: 'a' },
        { exchange: 'f', queue: 'b' },
      ],
    });
    await t.publish(message('f', '', { n: 1 }));
    const [a] = t.messages('a');
    const [b] = t.messages('b');
    expect(a.payload).toEqual({ n: 1 });
    expect(b.payload).toEqual({ n: 1 });
    expect(a.body).not.toBe(b.body);
  });

  it('routes by the current topology: a binding declared later is followed, a deleted queue is left out', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'd', type: 'direct' }],
      queues: [{ name: 'a' }, { name: 'temp', autoDelete: true }],
      bindings: [
        { exchange: 'd', queue: 'a', routingKey: 'k' },
        { exchange: 'd', queue: 'temp', routingKey: 'k' },
      ],
    });
    // Routed twice first, so a remembered route would be reused if nothing noticed the changes.
    expect(await routedBy(t, message('d', 'k'))).toEqual(['a', 'temp']);
    expect(await routedBy(t, message('d', 'k'))).toEqual(['a', 'temp']);
    expect(await routedBy(t, message('', 'b'))).toEqual([]);
    await t.start({ queues: [{ name: 'b' }], bindings: [{ exchange: 'd', queue: 'b', routingKey: 'k' }] });
    expect(await routedBy(t, message('d', 'k'))).toEqual(['a', 'temp', 'b']);
    expect(await routedBy(t, message('', 'b'))).toEqual(['b']);
    const consumer = await collect(t, 'temp');
    await consumer.subscription.cancel(); // its last consumer gone, the auto-delete queue is deleted
    expect(t.hasQueue('temp')).toBe(false);
    expect(await routedBy(t, message('d', 'k'))).toEqual(['a', 'b']);
    expect(t.queueDepth('a').ready).toBe(4);
    expect(t.queueDepth('b').ready).toBe(3);
  });

  it('routes a headers exchange by each message own headers, also for the same routing key', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'h', type: 'headers' }],
      queues: [{ name: 'eu' }, { name: 'us' }],
      bindings: [
        { exchange: 'h', queue: 'eu', arguments: { 'x-match': 'all', region: 'eu' } },
        { exchange: 'h', queue: 'us', arguments: { 'x-match': 'all', region: 'us' } },
      ],
    });
    expect(await routedBy(t, message('h', 'same', { n: 1 }, { headers: { region: 'eu' } }))).toEqual(['eu']);
    expect(await routedBy(t, message('h', 'same', { n: 2 }, { headers: { region: 'us' } }))).toEqual(['us']);
  });
});
