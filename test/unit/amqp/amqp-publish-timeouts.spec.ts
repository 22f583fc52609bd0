import { describe, expect, it } from '@jest/globals';
import { PublishBufferFullError, PublishTimeoutError } from '../../../lib/errors/index.js';
import type { AmqpTransportOptions } from '../../../lib/transports/amqp/index.js';
import { outbound, runningFakeTransport } from '../../fixtures/amqp-transport.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import type { FakeBrokerOptions, FakeChannel, FakePublish } from '../../fixtures/fake-amqp.fixture.js';
import { flushMicrotasks, sleep, waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

const running = (options: Partial<AmqpTransportOptions> = {}, brokerOptions: FakeBrokerOptions = { autoConfirm: false }) =>
  runningFakeTransport(hooks, options, brokerOptions);

const body = (i: number | string): Buffer => Buffer.from(`m${i}`);
const bodies = (publishes: readonly FakePublish[]): string[] => publishes.map((p) => p.content.toString());
const caught = (promise: Promise<void>): Promise<unknown> => promise.then(() => 'resolved', (error: unknown) => error);

function only<T>(items: readonly T[], what: string): T {
  const [item] = items;
  if (items.length !== 1 || item === undefined) throw new Error(`expected exactly one ${what}, got ${items.length}`);
  return item;
}

/** The n-th publish on `channel`, oldest first. */
function nth(channel: FakeChannel, n: number): FakePublish {
  const publish = channel.publishes[n];
  if (!publish) throw new Error(`channel ${channel.id} has no publish #${n}`);
  return publish;
}

describe('AmqpTransport publishes that time out before the broker answers (the broker still holds them)', () => {
  // Timings: the deadlines here are 500 ms and every step between two deadlines is a few microtask
  // flushes, so even a machine stalled for a few hundred ms keeps each step inside its deadline.
  it('keeps them counted against their channel: later sends wait in the buffer until the broker answers', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1, maxUnconfirmedPerChannel: 2, publishTimeoutMs: 500 } });
    const channel = only(broker.openConfirmChannels, 'publisher channel');
    const errors = await Promise.all([0, 1].map((i) => caught(transport.publish(outbound({ body: body(i) })))));
    expect(errors.every((error) => error instanceof PublishTimeoutError && error.phase === 'unconfirmed')).toBe(true);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 2, timedOutUnconfirmedPublishes: 2, bufferedPublishes: 0 });

    const later = [2, 3, 4].map((i) => caught(transport.publish(outbound({ body: body(i) }))));
    // The window is still full of what the broker holds: nothing more goes out.
    expect(bodies(channel.publishes)).toEqual(['m0', 'm1']);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 2, timedOutUnconfirmedPublishes: 2, bufferedPublishes: 3 });

    // A late ack frees its room (its caller already has its answer); so does a late nack.
    channel.ackPublish(nth(channel, 0));
    await flushMicrotasks();
    expect(bodies(channel.publishes)).toEqual(['m0', 'm1', 'm2']);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 2, timedOutUnconfirmedPublishes: 1, bufferedPublishes: 2 });
    channel.nackPublish(nth(channel, 1));
    await flushMicrotasks();
    expect(bodies(channel.publishes)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 2, timedOutUnconfirmedPublishes: 0, bufferedPublishes: 1 });

    for (let round = 0; round < 3; round++) {
      for (const publish of channel.unconfirmedPublishes) channel.ackPublish(publish);
      await flushMicrotasks();
    }
    expect(await Promise.all(later)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(bodies(channel.publishes)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 0, timedOutUnconfirmedPublishes: 0, bufferedPublishes: 0 });
  });

  it('with whenBufferFull "fail", a send finding the window full of them fails fast instead of going out', async () => {
    const { broker, transport } = await running({
      publisher: { channels: 1, maxUnconfirmedPerChannel: 1, bufferSize: 0, whenBufferFull: 'fail', publishTimeoutMs: 200 },
    });
    expect(await caught(transport.publish(outbound({ body: body(0) })))).toMatchObject({ phase: 'unconfirmed' });
    expect(await caught(transport.publish(outbound({ body: body(1) })))).toBeInstanceOf(PublishBufferFullError);
    expect(bodies(broker.publishes)).toEqual(['m0']);
  });

  it("keeps their ordering key on their channel, so the key's next message cannot overtake them on another one", async () => {
    const { broker, transport } = await running({
      publisher: { channels: 2, strategy: 'round-robin', publishTimeoutMs: 200 },
    });
    expect(await caught(transport.publish(outbound({ body: body('a'), orderingKey: 'k' })))).toBeInstanceOf(PublishTimeoutError);
    const next = caught(transport.publish(outbound({ body: body('b'), orderingKey: 'k' })));
    const [first] = broker.publishes;
    expect(bodies(first?.channel.publishes ?? [])).toEqual(['ma', 'mb']);
    for (const publish of first?.channel.unconfirmedPublishes ?? []) first?.channel.ackPublish(publish);
    expect(await next).toBe('resolved');
  });

  it('recycles a channel whose timed-out publishes stay unanswered for another publishTimeoutMs: they are released, not re-sent; live ones are re-sent', async () => {
    // Deadlines of 1000 ms: m-late is sent half a deadline after m-old timed out, so the channel is
    // recycled (one deadline after that timeout) about 500 ms after m-late went out and about 500 ms
    // before m-late's own deadline. Both margins are far above a loaded machine's timer lag.
    const { broker, transport } = await running({ publisher: { channels: 1, publishTimeoutMs: 1000 } });
    const first = only(broker.openConfirmChannels, 'publisher channel');
    expect(await caught(transport.publish(outbound({ body: body('-old') })))).toMatchObject({ phase: 'unconfirmed' });
    await sleep(500);
    const late = caught(transport.publish(outbound({ body: body('-late') })));
    expect(bodies(first.publishes)).toEqual(['m-old', 'm-late']);

    await waitFor(() => !first.open, 'the stuck channel is closed', 3000);
    expect(first.closedBy).toBe('client');
    const second = await (async () => {
      await waitFor(() => broker.openConfirmChannels.length === 1 && broker.openConfirmChannels[0] !== first, 'a new channel');
      return only(broker.openConfirmChannels, 'publisher channel');
    })();
    // Only the publish whose caller still waits is sent again (at-least-once); the timed-out one is let go.
    await waitFor(() => second.publishes.length === 1, 'm-late re-sent');
    expect(bodies(second.publishes)).toEqual(['m-late']);
    second.ackPublish(nth(second, 0));
    expect(await late).toBe('resolved');
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 0, timedOutUnconfirmedPublishes: 0 });
    expect(hooks.logger.warnings()).toContainEqual(expect.stringContaining('may or may not have reached'));
  });

  it('a recycled channel whose close the broker never answers keeps what it holds, and no channel replaces it until the close is answered', async () => {
    // connectTimeoutMs (300 ms in the fixture) bounds the wait for the close; the deadline of the send
    // made while the slot is down (1000 ms) covers the few steps up to the close being answered.
    const { broker, transport } = await running({ publisher: { channels: 1, publishTimeoutMs: 1000 } });
    const first = only(broker.openConfirmChannels, 'publisher channel');
    first.hangClose = true;
    expect(await caught(transport.publish(outbound({ body: body(0) })))).toMatchObject({ phase: 'unconfirmed' });
    await waitFor(
      () => hooks.logger.warnings().some((warning) => warning.includes('did not confirm the channel close')),
      'the close given up',
      5000,
    );
    expect(first.open).toBe(true);
    expect(broker.openConfirmChannels).toEqual([first]);
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 1, timedOutUnconfirmedPublishes: 1, channels: { publishers: 0 } });
    const next = caught(transport.publish(outbound({ body: body(1) })));
    expect(transport.stats().bufferedPublishes).toBe(1);
    expect(bodies(broker.publishes)).toEqual(['m0']);

    // The broker answers the close at last (say, its quorum is back): what it held is let go, a new
    // channel opens, and the waiting send goes out on it.
    first.markClosed('client');
    await waitFor(() => broker.openConfirmChannels.length === 1 && broker.openConfirmChannels[0]?.publishes.length === 1, 'm1 sent on a new channel');
    const second = only(broker.openConfirmChannels, 'publisher channel');
    expect(bodies(second.publishes)).toEqual(['m1']);
    second.ackPublish(nth(second, 0));
    expect(await next).toBe('resolved');
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 0, timedOutUnconfirmedPublishes: 0, channels: { publishers: 1 } });
  });

  it('a broker that never confirms: bodies held stay at the bound while the caller keeps sending with timeouts', async () => {
    const channels = 2;
    const maxUnconfirmedPerChannel = 5;
    const bound = channels * maxUnconfirmedPerChannel;
    const { broker, transport } = await running({
      publisher: { channels, maxUnconfirmedPerChannel, bufferSize: 10, publishTimeoutMs: 50 },
    });
    // What the fake amqplib channels hold a callback (and so a body) for: released only by an answer or a close.
    const held = (): number => broker.channels.reduce((sum, channel) => sum + channel.unconfirmedPublishes.length, 0);
    const sends: Promise<unknown>[] = [];
    let maxHeld = 0;
    let maxUnconfirmed = 0;
    for (let round = 0; round < 40; round++) {
      // Keys of their own: spread over both channels (one key's messages all go out on one).
      for (let i = 0; i < 10; i++) {
        sends.push(caught(transport.publish(outbound({ body: body(`${round}.${i}`), orderingKey: `k${i}` }))));
      }
      await sleep(10);
      maxHeld = Math.max(maxHeld, held());
      maxUnconfirmed = Math.max(maxUnconfirmed, transport.stats().unconfirmedPublishes);
    }
    const outcomes = await Promise.all(sends);
    expect(outcomes.every((outcome) => outcome instanceof PublishTimeoutError)).toBe(true);
    expect(maxHeld).toBeLessThanOrEqual(bound);
    expect(maxUnconfirmed).toBeLessThanOrEqual(bound);
    expect(maxUnconfirmed).toBe(bound);
    // Channels were recycled to let go of what the broker never answered, so sending went on.
    expect(broker.channels.filter((channel) => channel.confirmMode).length).toBeGreaterThan(channels);
    expect(broker.publishes.length).toBeGreaterThan(bound);
  });
});
