import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { connect } from 'amqplib';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PublishBufferFullError, PublishTimeoutError } from '../../../lib/errors/index.js';
import { AmqpTransport } from '../../../lib/transports/amqp/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { uniqueName } from '../../support/broker.js';
import { PrivateRabbitCluster } from '../../support/rabbitmq-cluster.js';
import { describeWithPrivateNodes } from '../../support/rabbitmq-node.js';

jest.setTimeout(300_000);

// Retained memory, not allocation noise: measured after a full collection.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

let logger: MutedLogger;
let cluster: PrivateRabbitCluster | undefined;
let transport: AmqpTransport | undefined;
const queue = uniqueName('never-confirmed');

function report(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** What became of a send, as a string (see the send loop). */
function outcomeOf(error: unknown): string {
  if (error instanceof PublishTimeoutError) return `timeout:${error.phase}`;
  if (error instanceof PublishBufferFullError) return 'buffer-full';
  return `other:${String(error)}`;
}

/** Bytes of every ArrayBuffer alive after a full GC: where message bodies (Buffers) live. */
function retainedBuffers(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

describeWithPrivateNodes('publishing to a RabbitMQ quorum queue that lost its quorum (the broker never confirms)', () => {
  beforeAll(async () => {
    logger = muteNestLogger();
    const started = Date.now();
    cluster = await PrivateRabbitCluster.start('ntmnc');
    report(`[never-confirmed] 3 nodes booted and joined in ${Date.now() - started} ms`);
    const [first, second, third] = cluster.nodes;
    // Declared (and shown to confirm) while all three members are up, then two of them are stopped: the
    // queue's one remaining member can never commit a publish, and the broker never answers it.
    const connection = await connect(first!.url);
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      channel.sendToQueue(queue, Buffer.from('while the quorum holds'));
      await channel.waitForConfirms();
      await Promise.all([second!.stop(), third!.stop()]);
      channel.sendToQueue(queue, Buffer.from('without quorum'));
      const answered = await Promise.race([channel.waitForConfirms().then(() => 'confirmed', () => 'nacked'), sleep(3000).then(() => 'none')]);
      // The premise of the test: had this been confirmed or nacked, nothing below would mean anything.
      expect(answered).toBe('none');
    } finally {
      await connection.close().catch(() => undefined);
    }
  }, 300_000);

  afterAll(async () => {
    await transport?.close().catch(() => undefined);
    await cluster?.destroy();
    logger?.restore();
  }, 90_000);

  it('the in-flight bound holds, later sends fail fast instead of going out, and retained memory stays flat while the caller keeps sending', async () => {
    const maxUnconfirmedPerChannel = 20;
    const bodySize = 256 * 1024;
    transport = new AmqpTransport({
      urls: cluster!.nodes[0]!.url,
      reconnectDelayMs: 200,
      connectTimeoutMs: 5000,
      closeTimeoutMs: 1000,
      publisher: { channels: 1, maxUnconfirmedPerChannel, bufferSize: 10, whenBufferFull: 'fail', publishTimeoutMs: 1000 },
    });
    await transport.start({});
    const amqp = transport;

    const sends: Promise<string>[] = [];
    const memory: number[] = [];
    let maxUnconfirmed = 0;
    let sawHeldWindow = false;
    const started = Date.now();
    // 50 sends a second of 256 KB each, each with a 1 s deadline, for 14 s: about 175 MB offered. Before
    // the fix, every timeout freed room for another body that amqplib kept (about 5 MB a second).
    for (let tick = 0; Date.now() - started < 14_000; tick++) {
      for (let i = 0; i < 5; i++) {
        const body = Buffer.alloc(bodySize, tick % 256);
        // Only the outcome is kept: an error made inside publish() keeps its call's frames, body included,
        // until its stack is read, and keeping hundreds of them would measure the test, not the transport.
        sends.push(amqp.publish({ exchange: '', routingKey: queue, body, properties: {}, mandatory: false }).then(() => 'confirmed', outcomeOf));
      }
      await sleep(100);
      const stats = amqp.stats();
      maxUnconfirmed = Math.max(maxUnconfirmed, stats.unconfirmedPublishes);
      if (stats.unconfirmedPublishes === maxUnconfirmedPerChannel && (stats.timedOutUnconfirmedPublishes ?? 0) > 0) sawHeldWindow = true;
      // Sampled once a second from the third second on, when the first window has timed out and been recycled.
      if (tick % 10 === 0 && Date.now() - started > 3000) memory.push(retainedBuffers());
    }
    const outcomes = await Promise.all(sends);
    const warnings = logger.warnings();
    const recycles = warnings.filter((warning) => warning.includes('may or may not have reached their queues')).length;
    const count = (outcome: string): number => outcomes.filter((o) => o === outcome).length;
    const timedOutInFlight = count('timeout:unconfirmed');
    const refused = count('buffer-full');
    const [baseline = 0, ...later] = memory;
    const growth = Math.max(0, ...later.map((sample) => sample - baseline));
    report(
      `[never-confirmed] ${sends.length} sends: ${timedOutInFlight} timed out in flight, ${count('timeout:buffered')} in the ` +
        `buffer, ${refused} refused (buffer full); ${recycles} channel recycle(s); max unconfirmed ${maxUnconfirmed}; ` +
        `retained ArrayBuffers ${memory.map((m) => (m / 2 ** 20).toFixed(1)).join(', ')} MB; warnings:\n  ${warnings.join('\n  ')}`,
    );

    expect(outcomes.filter((o) => !/^timeout:|^buffer-full$/.test(o))).toEqual([]);
    // The bound holds and is reached: timed-out publishes the broker still holds keep their room.
    expect(maxUnconfirmed).toBe(maxUnconfirmedPerChannel);
    expect(sawHeldWindow).toBe(true);
    // The channel was recycled once its timed-out publishes stayed unanswered for another deadline, but
    // RabbitMQ (3.10), while the queue has no quorum, does not answer the channel close either: the
    // channel keeps what it holds and no new one opens until it does. So no second window went out.
    expect(recycles).toBeGreaterThanOrEqual(1);
    expect(warnings).toContainEqual(expect.stringContaining('did not confirm the channel close'));
    expect(timedOutInFlight).toBe(maxUnconfirmedPerChannel);
    expect(refused).toBeGreaterThan(0);
    expect(amqp.stats()).toMatchObject({
      unconfirmedPublishes: maxUnconfirmedPerChannel,
      timedOutUnconfirmedPublishes: maxUnconfirmedPerChannel,
      channels: { publishers: 0 },
    });
    // Flat: what may be alive at a sample is the window (20 bodies), its encoded copies waiting in the
    // socket (the broker stopped reading), the buffer (10) and the tick's new sends (5): 55 × 256 KB,
    // 13.75 MB, over a baseline that may hold none of it (samples swung by 12.5 MB). 24 MB leaves room
    // for the rest of the process; before the fix the retained bodies grew by about 5 MB every second.
    expect(memory.length).toBeGreaterThanOrEqual(8);
    expect(growth).toBeLessThan(24 * 2 ** 20);
  });

  it('once the quorum is back, the broker answers: the held publishes are released, a new channel opens and sends are confirmed again', async () => {
    const amqp = transport!;
    await cluster!.nodes[1]!.start();
    await waitFor(() => amqp.stats().unconfirmedPublishes === 0 && amqp.stats().channels.publishers === 1, 'held publishes released', 90_000);
    expect(amqp.stats().timedOutUnconfirmedPublishes).toBe(0);
    // The quorum queue may take a moment to elect a leader: a send that times out meanwhile is retried.
    let confirmed = false;
    for (let attempt = 0; attempt < 30 && !confirmed; attempt++) {
      confirmed = await amqp.publish({ exchange: '', routingKey: queue, body: Buffer.from('after'), properties: {}, mandatory: false }).then(
        () => true,
        () => false,
      );
    }
    expect(confirmed).toBe(true);
  });
});
