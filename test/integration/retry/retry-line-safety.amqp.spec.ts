import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  Consumer,
  defineContract,
  FAILURE_HEADERS,
  MessageContext,
  MessagePublisher,
  MessagingModule,
  RETRY_HEADERS,
  TopologyError,
  type ConsumerOptions,
  type MessagingTransport,
  type QueueDefinition,
  type TopologyDefinition,
} from '../../../lib/index.js';
import { DelayTopology } from '../../../lib/retry/delay-topology.builder.js';
import { AmqpTransport } from '../../../lib/transports/amqp/index.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue, messageCount, withAdminChannel } from '../../fixtures/rabbitmq-admin.fixture.js';
import { sleep } from '../../fixtures/wait-for.fixture.js';
import { AMQP_URL, describeWithBroker, rabbitmqctl, uniqueName } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
  await scope.release();
});

/** Polls the broker until `condition` holds (each check is a broker round trip, so no busy loop). */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(200);
  }
}

/** A delay line of its own (unique prefix) with `target` declared as given, started on a transport. */
async function lineWithTarget(target: Partial<QueueDefinition>) {
  const delays = new DelayTopology(1000, uniqueName('safety.line'));
  const name = uniqueName('safety.target');
  const line = delays.topology([name]);
  const topology = scope.declare({ ...line, queues: [...line.queues, { name, ...target }] });
  const transport = scope.transport();
  await transport.start(topology);
  const retry = (delayMs: number, body: string) =>
    transport.publish({
      exchange: delays.entryExchange,
      routingKey: delays.routingKey(delayMs),
      body: Buffer.from(body),
      properties: { headers: { [RETRY_HEADERS.target]: name } },
      mandatory: true,
    });
  return { delays, target: name, retry };
}

describeWithBroker('The delay line never loses a retry (RabbitMQ)', () => {
  it('a retry whose target queue was deleted while it waited is parked in the parking queue, not dropped', async () => {
    const { delays, target, retry } = await lineWithTarget({});
    await retry(600, 'orphan');
    await withAdminChannel((channel) => channel.deleteQueue(target));
    await until(async () => (await messageCount(delays.parkingQueue)) === 1, 'the retry parked', 10_000);
    const [parked] = await drainQueue(delays.parkingQueue);
    expect(parked?.content.toString()).toBe('orphan');
    expect(parked?.properties.headers?.[RETRY_HEADERS.target]).toBe(target);
  });

  it(
    'a retry whose target queue is full (reject-publish) is held by the line and delivered once there is room',
    async () => {
      const { delays, target, retry } = await lineWithTarget({ maxLength: 1, overflow: 'reject-publish' });
      await withAdminChannel(async (channel) => {
        channel.sendToQueue(target, Buffer.from('filler'));
        await channel.checkQueue(target);
      });
      await until(async () => (await messageCount(target)) === 1, 'the filler in the target', 5_000);
      await retry(300, 'held');
      // Long enough for the retry to have reached the full target and been refused.
      await sleep(2_000);
      expect(await messageCount(delays.parkingQueue)).toBe(0);
      expect((await drainQueue(target)).map((m) => m.content.toString())).toEqual(['filler']);
      // RabbitMQ's at-least-once dead-letter worker sends a refused message again after
      // dead_letter_worker_publisher_confirm_timeout (180 s by default; measured 180.5 s on 3.10.8).
      await until(async () => (await messageCount(target)) === 1, 'the held retry delivered', 240_000);
      expect((await drainQueue(target)).map((m) => m.content.toString())).toEqual(['held']);
    },
    300_000,
  );
});

const schema = z.object({ id: z.string() });
type Payload = z.infer<typeof schema>;

/** An app whose consumed queue dead-letters to `dlx` (of `type`), where `dead` is bound with `pattern`. */
async function startApp(
  type: 'topic' | 'fanout',
  queueOptions: Partial<QueueDefinition>,
  pattern: string,
  behaviour: (ctx: MessageContext<Payload>, runs: number) => unknown,
  consumer: Partial<ConsumerOptions>,
) {
  const exchange = uniqueName('safety.ex');
  const queue = uniqueName('safety.q');
  const dlx = uniqueName('safety.dlx');
  const dead = uniqueName('safety.dead');
  const prefix = uniqueName('safety.line');
  const contract = defineContract({ name: `${exchange}.job`, exchange, schema });
  const topology: TopologyDefinition = scope.declare({
    exchanges: [
      { name: exchange, type: 'topic' },
      { name: dlx, type },
    ],
    queues: [{ name: queue, type: 'quorum', deadLetterExchange: dlx, ...queueOptions }, { name: dead }],
    bindings: [
      { exchange, queue, routingKey: 'job.#' },
      { exchange: dlx, queue: dead, routingKey: pattern },
    ],
  });
  let runs = 0;
  @Injectable()
  class SafetyConsumer {
    @Consumer(contract, { queue, ...consumer })
    handle(_payload: Payload, ctx: MessageContext<Payload>): unknown {
      runs++;
      return behaviour(ctx, runs);
    }
  }
  const line = new DelayTopology(1000, prefix).topology([]);
  scope.declare({ exchanges: line.exchanges, queues: line.queues });
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport: scope.transport(), topology, shutdownTimeoutMs: 2_000, retryDelayLine: { prefix } })],
    providers: [SafetyConsumer],
  }).compile();
  apps.push(app);
  await app.init();
  return { dead, runs: () => runs, publisher: app.get(MessagePublisher), contract };
}

const alwaysFail = (): never => {
  throw new Error('down');
};

describeWithBroker('Dead-lettering a retried message on RabbitMQ', () => {
  it('refuses at start a retrying queue whose topic dead-letter exchange has no deadLetterRoutingKey', async () => {
    const failure = await startApp('topic', {}, 'job.#', alwaysFail, { retry: { delayed: [100] } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TopologyError);
    expect((failure as Error).message).toMatch(/retries through the delay line and dead-letters to exchange "test\.safety\.dlx\.[^"]+", which routes by routing key/);
  });

  it('exhausted retries reach a topic dead-letter exchange bound to a pattern (deadLetterRoutingKey)', async () => {
    const { dead, runs, publisher, contract } = await startApp('topic', { deadLetterRoutingKey: 'dead.job' }, 'dead.*', alwaysFail, { retry: { delayed: [100, 200] } });
    await publisher.publish(contract, { id: 'a' }, { routingKey: 'job.special' });
    await until(async () => (await messageCount(dead)) === 1, 'the failure dead-lettered', 15_000);
    const [message] = await drainQueue(dead);
    expect(runs()).toBe(3);
    expect(message?.properties.headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'handler', [FAILURE_HEADERS.originalRoutingKey]: 'job.special' });
  });

  it('a manual nack without requeue after a delayed retry reaches the topic dead-letter exchange (deadLetterRoutingKey)', async () => {
    const { dead, runs, publisher, contract } = await startApp(
      'topic',
      { deadLetterRoutingKey: 'dead.job' },
      'dead.*',
      async (ctx, run) => {
        if (run === 1) await ctx.retry({ delayMs: 100 });
        else ctx.nack({ requeue: false });
      },
      { ack: 'manual', retry: { delayed: [100] } },
    );
    await publisher.publish(contract, { id: 'b' }, { routingKey: 'job.special' });
    await until(async () => (await messageCount(dead)) === 1, 'the nacked retry dead-lettered by the broker', 15_000);
    expect(runs()).toBe(2);
  });

  it("the SDK's dead-letter copy of a retried message goes with its original routing key, not the delay line's", async () => {
    const { dead, publisher, contract } = await startApp('fanout', {}, '', alwaysFail, { retry: { delayed: [100] } });
    await publisher.publish(contract, { id: 'c' }, { routingKey: 'job.special' });
    await until(async () => (await messageCount(dead)) === 1, 'the failure dead-lettered', 15_000);
    const [message] = await drainQueue(dead);
    expect(message?.fields.routingKey).toBe('job.special');
  });
});

describeWithBroker('On a vhost whose default queue type is quorum', () => {
  const vhost = uniqueName('quorum-default-vhost');
  const transports: MessagingTransport[] = [];
  beforeAll(async () => {
    await rabbitmqctl(['add_vhost', vhost, '--default-queue-type', 'quorum']);
    await rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  });
  afterAll(async () => {
    await Promise.all(transports.map((transport) => transport.close().catch(() => undefined)));
    await rabbitmqctl(['delete_vhost', vhost]);
  });

  it('every queue gets the type the topology states or defaults to: classic queues stay classic, the delay line is quorum', async () => {
    const url = `${AMQP_URL.replace(/\/$/, '')}/${encodeURIComponent(vhost)}`;
    const transport = new AmqpTransport({ urls: url, heartbeatSeconds: 5, reconnectDelayMs: 100, connectTimeoutMs: 5000, closeTimeoutMs: 5000 });
    transports.push(transport);
    const contract = defineContract({ name: 'qd.job', exchange: 'qd.jobs', schema });
    @Injectable()
    class PlainConsumer {
      @Consumer(contract, { queue: 'qd.plain', retry: { delayed: [100] } })
      handle(): void {}
    }
    const app = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          transport,
          shutdownTimeoutMs: 2_000,
          topology: {
            exchanges: [{ name: 'qd.jobs', type: 'topic' }],
            queues: [{ name: 'qd.plain' }, { name: 'qd.temp', durable: false, exclusive: true, autoDelete: true }, { name: 'qd.replicated', type: 'quorum' }],
            bindings: [{ exchange: 'qd.jobs', queue: 'qd.plain', routingKey: '#' }],
          },
        }),
      ],
      providers: [PlainConsumer],
    }).compile();
    apps.push(app);
    await app.init();
    const stdout = await rabbitmqctl(['list_queues', '-p', vhost, 'name', 'type', '--formatter', 'json']);
    const types = Object.fromEntries((JSON.parse(stdout) as { name: string; type: string }[]).map((row) => [row.name, row.type]));
    expect(types).toMatchObject({ 'qd.plain': 'classic', 'qd.plain.error': 'classic', 'qd.temp': 'classic', 'qd.replicated': 'quorum', 'messaging.retry.v2.parked': 'quorum' });
    const levels = Object.entries(types).filter(([name]) => name.startsWith('messaging.retry.v2.L'));
    expect(levels.length).toBeGreaterThan(0);
    expect(levels.every(([, type]) => type === 'quorum')).toBe(true);
  });
});
