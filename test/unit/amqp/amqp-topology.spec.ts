import { describe, expect, it } from '@jest/globals';
import { TopologyError } from '../../../lib/errors/index.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import { fakeTransport, ORDERS_TOPOLOGY } from '../../fixtures/amqp-transport.fixture.js';
import type { FakeAmqpBroker, FakeChannel } from '../../fixtures/fake-amqp.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

async function started(topology: TopologyDefinition): Promise<{ broker: FakeAmqpBroker; topologyChannel: FakeChannel }> {
  const { broker, transport } = fakeTransport();
  hooks.closeAfterTest(() => transport.close());
  await transport.start(topology);
  const topologyChannel = broker.channels.find((channel) => !channel.confirmMode);
  if (!topologyChannel) throw new Error('no topology channel');
  return { broker, topologyChannel };
}

describe('AmqpTransport topology mapping', () => {
  it('maps exchanges with durable by default and their options and arguments', async () => {
    const { topologyChannel } = await started({
      exchanges: [
        { name: 'a', type: 'topic' },
        {
          name: 'b',
          type: 'headers',
          durable: false,
          autoDelete: true,
          internal: true,
          alternateExchange: 'a',
          arguments: { 'x-custom': 1 },
        },
      ],
    });
    expect(topologyChannel.callsOf('assertExchange')).toEqual([
      {
        kind: 'assertExchange',
        name: 'a',
        type: 'topic',
        options: { durable: true, autoDelete: false, internal: false, arguments: {} },
      },
      {
        kind: 'assertExchange',
        name: 'b',
        type: 'headers',
        options: { durable: false, autoDelete: true, internal: true, alternateExchange: 'a', arguments: { 'x-custom': 1 } },
      },
    ]);
  });

  it('maps queues: quorum type, TTL, length limits, overflow, dead-lettering and raw arguments', async () => {
    const { topologyChannel } = await started({
      exchanges: [{ name: 'dlx', type: 'direct' }],
      queues: [
        { name: 'plain' },
        {
          name: 'full',
          type: 'quorum',
          messageTtl: 60_000,
          maxLength: 100,
          maxLengthBytes: 1_000_000,
          overflow: 'reject-publish',
          deadLetterExchange: 'dlx',
          deadLetterRoutingKey: 'dead',
          // Nothing here binds 'dlx'; the flag is validation-only and must not reach the broker.
          deadLetterRoutedElsewhere: true,
          arguments: { 'x-delivery-limit': 5 },
        },
        { name: 'temp', durable: false, exclusive: true, autoDelete: true },
      ],
    });
    expect(topologyChannel.callsOf('assertQueue')).toEqual([
      { kind: 'assertQueue', name: 'plain', options: { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-queue-type': 'classic' } } },
      {
        kind: 'assertQueue',
        name: 'full',
        options: {
          durable: true,
          exclusive: false,
          autoDelete: false,
          messageTtl: 60_000,
          maxLength: 100,
          deadLetterExchange: 'dlx',
          deadLetterRoutingKey: 'dead',
          arguments: {
            'x-delivery-limit': 5,
            'x-queue-type': 'quorum',
            'x-max-length-bytes': 1_000_000,
            'x-overflow': 'reject-publish',
          },
        },
      },
      { kind: 'assertQueue', name: 'temp', options: { durable: false, exclusive: true, autoDelete: true, arguments: { 'x-queue-type': 'classic' } } },
    ]);
  });

  it('declares exchanges, then queues, then queue and exchange bindings with keys and arguments', async () => {
    const { topologyChannel } = await started({
      exchanges: [
        { name: 'src', type: 'headers' },
        { name: 'dst', type: 'fanout' },
      ],
      queues: [{ name: 'q' }],
      bindings: [
        { exchange: 'src', queue: 'q', arguments: { 'x-match': 'all', kind: 'a' } },
        { exchange: 'src', toExchange: 'dst', routingKey: 'k' },
      ],
    });
    expect(topologyChannel.calls.map((call) => call.kind)).toEqual([
      'assertExchange',
      'assertExchange',
      'assertQueue',
      'bindQueue',
      'bindExchange',
    ]);
    expect(topologyChannel.callsOf('bindQueue')[0]).toEqual({
      kind: 'bindQueue',
      queue: 'q',
      source: 'src',
      pattern: '',
      args: { 'x-match': 'all', kind: 'a' },
    });
    expect(topologyChannel.callsOf('bindExchange')[0]).toEqual({
      kind: 'bindExchange',
      destination: 'dst',
      source: 'src',
      pattern: 'k',
      args: {},
    });
  });

  it('rejects start with a TopologyError naming the object the broker refused, and releases everything', async () => {
    const { broker, transport } = fakeTransport();
    broker.refuse((call) =>
      call.kind === 'assertQueue' && call.name === 'orders.q'
        ? { code: 406, text: "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl'" }
        : undefined,
    );
    const error = await transport.start(ORDERS_TOPOLOGY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as Error).message).toContain('queue "orders.q"');
    expect((error as Error).message).toContain('PRECONDITION_FAILED');
    expect(broker.closed).toBe(true);
    expect(broker.openChannels).toHaveLength(0);
    expect(transport.stats().state).toBe('closed');
  });

  it('rejects an invalid topology before connecting', async () => {
    const { broker, transport } = fakeTransport();
    await expect(transport.start({ queues: [{ name: 'q' }, { name: 'q' }] })).rejects.toThrow(TopologyError);
    expect(broker.connections).toHaveLength(0);
  });

  it('re-asserts the full topology on every reconnect', async () => {
    const { broker, transport } = fakeTransport();
    hooks.closeAfterTest(() => transport.close());
    await transport.start(ORDERS_TOPOLOGY);
    broker.killConnection();
    await waitFor(() => transport.stats().channels.topology === 1 && broker.connections.length === 2, 'reconnect');
    const fresh = broker.connections[1]?.channels.find((channel) => !channel.confirmMode);
    expect(fresh?.callsOf('assertQueue').map((call) => call.name)).toEqual(['orders.q', 'orders.dlq', 'audit.q']);
    expect(fresh?.callsOf('bindQueue')).toHaveLength(3);
  });

  it('has publisher channels declare the exchanges before they publish', async () => {
    const { broker, transport } = fakeTransport();
    hooks.closeAfterTest(() => transport.close());
    await transport.start(ORDERS_TOPOLOGY);
    await waitFor(() => transport.stats().channels.publishers === 2, 'publisher channels');
    expect(broker.openConfirmChannels).toHaveLength(2);
    for (const channel of broker.openConfirmChannels) {
      expect(channel.calls.map((call) => call.kind)).toEqual(['assertExchange', 'assertExchange']);
    }
  });

  it('keeps retrying a refused re-assertion after a reconnect instead of giving up', async () => {
    const { broker, transport } = fakeTransport();
    hooks.closeAfterTest(() => transport.close());
    await transport.start(ORDERS_TOPOLOGY);
    const refusal = { code: 406, text: 'PRECONDITION_FAILED' };
    broker.refuse((call) => (call.kind === 'assertExchange' && call.name === 'orders.dlx' ? refusal : undefined));
    broker.killConnection();
    await waitFor(() => hooks.logger.warnings().some((w) => w.includes('topology channel') && w.includes('orders.dlx')), 'retry warning');
    broker.clearRefusals();
    await waitFor(() => transport.stats().channels.topology === 1, 'topology channel back up');
  });
});
