import { describe, expect, it } from '@jest/globals';
import { PublishBufferFullError, PublishTimeoutError } from '../../../lib/errors/index.js';
import type { AmqpTransportOptions } from '../../../lib/transports/amqp/index.js';
import { outbound, runningFakeTransport } from '../../fixtures/amqp-transport.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import type { FakeBrokerOptions, FakeChannel } from '../../fixtures/fake-amqp.fixture.js';
import { flushMicrotasks } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

const running = (options: Partial<AmqpTransportOptions> = {}, brokerOptions: FakeBrokerOptions = {}) =>
  runningFakeTransport(hooks, options, brokerOptions);

const body = (i: number | string): Buffer => Buffer.from(`m${i}`);
const bodies = (channel: FakeChannel | undefined): string[] => (channel?.publishes ?? []).map((p) => p.content.toString());

/** Acks whatever is in flight on `channels`, `rounds` times over, letting the pool refill them in between. */
async function ackRounds(channels: () => FakeChannel[], rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const channel of channels()) for (const p of channel.unconfirmedPublishes) channel.ackPublish(p);
    await flushMicrotasks();
  }
}

describe('AmqpTransport publish backpressure (whenBufferFull: "wait", the default)', () => {
  it('makes sends wait for room instead of failing, and admits them in call order', async () => {
    const { broker, transport } = await running(
      { publisher: { channels: 1, maxUnconfirmedPerChannel: 1, bufferSize: 2 } },
      { autoConfirm: false },
    );
    const sends = Array.from({ length: 7 }, (_, i) => transport.publish(outbound({ body: body(i) })));
    // One in flight, two buffered, the rest waiting for room.
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 1, bufferedPublishes: 2, waitingPublishes: 4 });
    await ackRounds(() => broker.openConfirmChannels, 7);
    await Promise.all(sends);
    expect(bodies(broker.openConfirmChannels[0])).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 0, bufferedPublishes: 0, waitingPublishes: 0 });
  });

  it('queues a new send behind the waiting ones even when its own channel has room (FIFO among waiters)', async () => {
    const { broker, transport } = await running(
      { publisher: { channels: 2, maxUnconfirmedPerChannel: 1, bufferSize: 1 } },
      { autoConfirm: false },
    );
    // Key a fills its channel and the buffer; a's third send waits.
    const sends = [0, 1, 2].map((i) => transport.publish(outbound({ body: body(`a${i}`), orderingKey: 'a' })));
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 1, bufferedPublishes: 1, waitingPublishes: 1 });
    // The other channel is idle, but b arrives after a waiting send: it may not overtake it.
    sends.push(transport.publish(outbound({ body: body('b0'), orderingKey: 'b' })));
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 1, waitingPublishes: 2 });
    expect(broker.publishes.map((p) => p.content.toString())).toEqual(['ma0']);

    const [c1] = broker.openConfirmChannels;
    const [a0] = c1?.unconfirmedPublishes ?? [];
    if (a0) c1?.ackPublish(a0);
    await flushMicrotasks();
    // Room came back: a1 went out and a2 was admitted to the buffer before b0, which now goes out at once
    // on the idle channel.
    expect(broker.publishes.map((p) => p.content.toString())).toEqual(['ma0', 'ma1', 'mb0']);
    await ackRounds(() => broker.openConfirmChannels, 3);
    await Promise.all(sends);
    expect(bodies(c1)).toEqual(['ma0', 'ma1', 'ma2']);
    expect(bodies(broker.openConfirmChannels[1])).toEqual(['mb0']);
  });

  it('keeps every ordering key in order across channels when many sends wait', async () => {
    const { broker, transport } = await running(
      { publisher: { channels: 2, maxUnconfirmedPerChannel: 2, bufferSize: 3, strategy: 'round-robin' } },
      { autoConfirm: false },
    );
    const keys = ['a', 'b', 'c'];
    const sends = Array.from({ length: 30 }, (_, i) =>
      transport.publish(outbound({ body: body(`${keys[i % 3]}${Math.floor(i / 3)}`), orderingKey: keys[i % 3] })),
    );
    expect(transport.stats().waitingPublishes).toBeGreaterThan(0);
    await ackRounds(() => broker.openConfirmChannels, 30);
    await Promise.all(sends);
    const sent = broker.publishes.map((p) => p.content.toString());
    expect(sent).toHaveLength(30);
    for (const key of keys) {
      expect(sent.filter((b) => b.startsWith(`m${key}`))).toEqual(Array.from({ length: 10 }, (_, i) => `m${key}${i}`));
    }
  });

  it('emits buffer.full once when sends start waiting, not once per waiting send', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1, bufferSize: 1 } }, { autoReconnect: false });
    const full: number[] = [];
    transport.events.on('buffer.full', ({ limit }) => full.push(limit));
    broker.killConnection();
    const sends = Array.from({ length: 4 }, (_, i) => transport.publish(outbound({ body: body(i) })));
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 1, waitingPublishes: 3 });
    expect(full).toEqual([1]);
    broker.reconnect();
    await Promise.all(sends);
    expect(broker.publishes.map((p) => p.content.toString())).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('emits buffer.high-water once, when the buffer reaches half its limit, before buffer.full', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1, bufferSize: 4 } }, { autoReconnect: false });
    const seen: string[] = [];
    transport.events.on('buffer.high-water', ({ buffered, limit }) => seen.push(`high-water ${buffered}/${limit}`));
    transport.events.on('buffer.full', ({ limit }) => seen.push(`full ${limit}`));
    broker.killConnection();
    const sends = Array.from({ length: 6 }, (_, i) => transport.publish(outbound({ body: body(i) })));
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 4, waitingPublishes: 2 });
    expect(seen).toEqual(['high-water 2/4', 'full 4']);
    broker.reconnect();
    await Promise.all(sends);
    expect(seen).toEqual(['high-water 2/4', 'full 4']);
  });

  it('rejects a send whose deadline passes while it waits with PublishTimeoutError("waiting")', async () => {
    // With no buffer at all, a send waits until a channel can take it.
    const { broker, transport } = await running(
      { publisher: { channels: 1, bufferSize: 0, publishTimeoutMs: 60 } },
      { autoReconnect: false },
    );
    broker.killConnection();
    const waiting = transport.publish(outbound({ body: body(0) })).catch((e: unknown) => e);
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 0, waitingPublishes: 1 });
    const error = await waiting;
    expect(error).toBeInstanceOf(PublishTimeoutError);
    expect(error).toMatchObject({ phase: 'waiting', timeoutMs: 60 });
    expect((error as Error).message).toContain('waiting for room in the full publish buffer');
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 0, waitingPublishes: 0 });
  });

  it('after the oldest waiting sends expire, the later ones still go out, in order', async () => {
    const { broker, transport } = await running(
      { publisher: { channels: 1, bufferSize: 0, publishTimeoutMs: 150 } },
      { autoReconnect: false },
    );
    broker.killConnection();
    const early = [0, 1].map((i) => transport.publish(outbound({ body: body(i) })).catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = [2, 3, 4].map((i) => transport.publish(outbound({ body: body(i) })));
    expect((await Promise.all(early)).map((e) => (e as PublishTimeoutError).phase)).toEqual(['waiting', 'waiting']);
    expect(transport.stats().waitingPublishes).toBe(3);
    broker.reconnect();
    await Promise.all(late);
    expect(broker.publishes.map((p) => p.content.toString())).toEqual(['m2', 'm3', 'm4']);
  });

  it('on close, gives the waiting sends until closeTimeoutMs, then rejects them with PublishTimeoutError("waiting")', async () => {
    const { broker, transport } = await running(
      { closeTimeoutMs: 50, publisher: { channels: 1, bufferSize: 1 } },
      { autoReconnect: false },
    );
    broker.killConnection();
    const sends = [0, 1, 2].map((i) => transport.publish(outbound({ body: body(i) })).catch((e: unknown) => e));
    const started = Date.now();
    await transport.close();
    const errors = await Promise.all(sends);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(errors.map((e) => (e as PublishTimeoutError).phase)).toEqual(['buffered', 'waiting', 'waiting']);
    expect(errors.every((e) => e instanceof PublishTimeoutError && e.timeoutMs === 50)).toBe(true);
  });

  it('on close, lets waiting sends through while the connection is up, before closeTimeoutMs', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1, maxUnconfirmedPerChannel: 1, bufferSize: 1 } });
    const sends = Array.from({ length: 5 }, (_, i) => transport.publish(outbound({ body: body(i) })));
    expect(transport.stats().waitingPublishes).toBe(3);
    await transport.close();
    await Promise.all(sends);
    expect(broker.publishes).toHaveLength(5);
  });
});

describe('AmqpTransport publish backpressure (whenBufferFull: "fail")', () => {
  it('rejects at once with PublishBufferFullError and reports buffer.full on each refusal', async () => {
    const { transport } = await running(
      { publisher: { channels: 1, maxUnconfirmedPerChannel: 1, bufferSize: 1, whenBufferFull: 'fail' } },
      { autoConfirm: false },
    );
    const full: number[] = [];
    transport.events.on('buffer.full', ({ limit }) => full.push(limit));
    const accepted = [0, 1].map((i) => transport.publish(outbound({ body: body(i) })).catch((e: unknown) => e));
    await expect(transport.publish(outbound())).rejects.toEqual(new PublishBufferFullError(1));
    await expect(transport.publish(outbound())).rejects.toBeInstanceOf(PublishBufferFullError);
    expect(full).toEqual([1, 1]);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 1, bufferedPublishes: 1, waitingPublishes: 0 });
    void accepted;
  });
});
