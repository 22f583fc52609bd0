import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { PublishTimeoutError } from '../../../lib/errors/index.js';
import { coalesceSocketWrites, disableNagle } from '../../../lib/transports/amqp/socket-no-delay.js';
import type { InboundMessage } from '../../../lib/transports/transport.interface.js';
import { fakeTransport, ORDERS_TOPOLOGY } from '../../fixtures/amqp-transport.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

installAmqpTestHooks();

function requestMessage(replyTo = 'amq.rabbitmq.reply-to.abc', correlationId = 'c-1'): InboundMessage {
  return { body: Buffer.from('{}'), properties: { replyTo, correlationId, messageId: 'm-1' }, exchange: '', routingKey: 'orders.q', queue: 'orders.q', redelivered: false, raw: undefined };
}

describe('AmqpTransport replies', () => {
  it('go out on a channel of their own without confirms: default exchange, the reply address, transient, not mandatory', async () => {
    const { broker, transport } = fakeTransport({}, { autoConfirm: false });
    await transport.start(ORDERS_TOPOLOGY);
    // Resolves without any confirm (autoConfirm is off): a reply has nothing to wait for.
    await transport.reply(requestMessage(), { body: Buffer.from('"ok"'), properties: { contentType: 'application/json', headers: { 'x-rpc-status': 'ok' } } });
    const [reply] = broker.publishes;
    expect(reply?.channel.confirmMode).toBe(false);
    expect(reply).toMatchObject({ exchange: '', routingKey: 'amq.rabbitmq.reply-to.abc' });
    expect(reply?.options).toMatchObject({ correlationId: 'c-1', persistent: false, mandatory: false, contentType: 'application/json', headers: { 'x-rpc-status': 'ok' } });
    expect(reply?.options.messageId).toBeUndefined();
    // One reply channel, reused.
    await transport.reply(requestMessage('amq.rabbitmq.reply-to.abc', 'c-2'), { body: Buffer.from('1'), properties: {} });
    expect(new Set(broker.publishes.map((publish) => publish.channel))).toEqual(new Set([reply?.channel]));
    await transport.close();
  });

  it('wait for the reply channel while the connection is down, and are sent once it is back', async () => {
    const { broker, transport } = fakeTransport({}, { autoReconnect: false });
    await transport.start(ORDERS_TOPOLOGY);
    await transport.reply(requestMessage(), { body: Buffer.from('1'), properties: {} });
    broker.killConnection();
    const waiting = transport.reply(requestMessage('amq.rabbitmq.reply-to.abc', 'c-2'), { body: Buffer.from('2'), properties: {} });
    broker.reconnect();
    await waiting;
    await waitFor(() => broker.publishes.length === 2, 'the reply after the reconnect');
    expect(broker.publishes[1]?.options.correlationId).toBe('c-2');
    expect(broker.publishes[1]?.channel).not.toBe(broker.publishes[0]?.channel);
    await transport.close();
  });

  it('fail with PublishTimeoutError when the reply channel does not come back in time', async () => {
    const { broker, transport } = fakeTransport({ connectTimeoutMs: 50 }, { autoReconnect: false });
    await transport.start(ORDERS_TOPOLOGY);
    await transport.reply(requestMessage(), { body: Buffer.from('1'), properties: {} });
    broker.killConnection();
    await expect(transport.reply(requestMessage(), { body: Buffer.from('2'), properties: {} })).rejects.toBeInstanceOf(PublishTimeoutError);
    await transport.close();
  });
});

/** A socket that records what reaches the kernel: one entry per flush of its corked writes. */
class FakeSocket extends EventEmitter {
  noDelay = false;
  readonly flushes: string[][] = [];
  private corked = 0;
  private pending: string[] = [];

  setNoDelay(noDelay: boolean): this {
    this.noDelay = noDelay;
    return this;
  }

  write(chunk: string): boolean {
    this.pending.push(chunk);
    if (this.corked === 0) this.flush();
    return true;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0) this.flush();
  }

  private flush(): void {
    if (this.pending.length > 0) this.flushes.push(this.pending);
    this.pending = [];
  }
}

/** Lets the current tick end and the event loop pass its I/O phase once. */
const nextIoTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each([
  { name: 'disableNagle', wrap: disableNagle, noDelay: true },
  { name: 'coalesceSocketWrites', wrap: coalesceSocketWrites, noDelay: false },
])('$name', ({ wrap, noDelay }) => {
  it(`sends the frames written in one tick together, before the next I/O (Nagle ${noDelay ? 'off' : 'left on'})`, async () => {
    const socket = new FakeSocket();
    wrap({ connection: { stream: socket } });
    wrap({ connection: { stream: socket } });
    expect(socket.noDelay).toBe(noDelay);
    socket.write('a');
    socket.write('b');
    socket.write('c');
    expect(socket.flushes).toEqual([]);
    await nextIoTurn();
    socket.write('d');
    await nextIoTurn();
    expect(socket.flushes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('leaves anything that is not an amqplib connection alone', () => {
    expect(() => wrap(undefined)).not.toThrow();
    expect(() => wrap({ connection: {} })).not.toThrow();
  });
});

describe('coalesceSocketWrites then disableNagle', () => {
  it('is neither undone nor doubled by a later disableNagle on the same connection', async () => {
    const socket = new FakeSocket();
    coalesceSocketWrites({ connection: { stream: socket } });
    disableNagle({ connection: { stream: socket } });
    expect(socket.noDelay).toBe(true);
    socket.write('a');
    socket.write('b');
    await nextIoTurn();
    socket.write('c');
    await nextIoTurn();
    expect(socket.flushes).toEqual([['a', 'b'], ['c']]);
  });
});
