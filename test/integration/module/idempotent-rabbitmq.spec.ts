import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { Injectable, Logger, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  AmqpTransport,
  Consumer,
  defineContract,
  MessageContext,
  MessagingModule,
  Producer,
  RedisInboxStore,
  type TopologyDefinition,
  type InboxClaimStatus,
  type InboxStore,
  type TypedProducer,
} from '../../../lib/index.js';
import { deleteTopology, messageCount } from '../../fixtures/rabbitmq-admin.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { AMQP_URL, closeConnectionsFromBroker, describeWithBroker, uniqueName } from '../../support/broker.js';
import { connectRedis, deleteRedisPrefix, describeWithRedis, uniqueRedisPrefix, type TestRedisClient } from '../../support/redis.js';

// Two instances of one service, each on its own connection; only A's is killed from the broker side.
const CONNECTION_A = uniqueName('inbox-it-a');
const CONNECTION_B = uniqueName('inbox-it-b');
const exchange = uniqueName('inbox-ex');
const queue = uniqueName('inbox-work');
const dlq = uniqueName('inbox-dlq');
const prefix = uniqueRedisPrefix('inbox-it');
const EFFECTS = `${prefix}effects`;

const Charge = defineContract({ name: 'it.charge', exchange, routingKey: 'it.charge', schema: z.object({ seq: z.number().int() }) });
const topology: TopologyDefinition = {
  exchanges: [
    { name: exchange, type: 'topic', durable: false },
    { name: `${exchange}.dlx`, type: 'fanout', durable: false },
  ],
  queues: [
    { name: queue, type: 'quorum', deadLetterExchange: `${exchange}.dlx` },
    { name: dlq, durable: false },
  ],
  bindings: [
    { exchange, queue, routingKey: 'it.#' },
    { exchange: `${exchange}.dlx`, queue: dlq },
  ],
};

describeWithBroker('idempotent consumers on RabbitMQ with RedisInboxStore', () => {
  describeWithRedis('exactly-once side effects under at-least-once delivery', () => {
    let redis: TestRedisClient;
    let logger: MutedLogger;
    let debug: jest.SpiedFunction<Logger['debug']>;
    const apps: INestApplicationContext[] = [];
    let invocations = 0;
    // Instance A's handlers running now; while the broker-side close is on its way (rabbitmqctl can take
    // seconds on a loaded machine, longer than the stream), A's handlers hold on until it lands, so it
    // always lands with deliveries in flight rather than after the stream drained.
    let inFlightA = 0;
    let killLanded: Promise<unknown> | undefined;
    // What the inbox answered, to show that the kill really produced duplicate deliveries.
    const claims: Record<InboxClaimStatus, number> = { claimed: 0, 'in-progress': 0, done: 0 };
    function counting(store: RedisInboxStore): InboxStore {
      return {
        claim: async (...args) => {
          const status = await store.claim(...args);
          claims[status]++;
          return status;
        },
        commit: (...args) => store.commit(...args),
        release: (...args) => store.release(...args),
        renew: (...args) => store.renew(...args),
      };
    }

    async function startInstance(connectionName: string) {
      @Injectable()
      class ChargeConsumer {
        @Consumer(Charge, { queue, prefetch: 50, concurrency: 20, idempotent: true })
        async charge(payload: { seq: number }, ctx: MessageContext): Promise<void> {
          invocations++;
          const onA = connectionName === CONNECTION_A;
          if (onA) inFlightA++;
          try {
            // Slow enough that handlers are in flight when the connection dies, so their messages are redelivered.
            await sleep(20 + (payload.seq % 20));
            if (onA && killLanded) await Promise.race([killLanded, sleep(20_000)]);
            await redis.hIncrBy(EFFECTS, ctx.messageId ?? 'none', 1);
          } finally {
            if (onA) inFlightA--;
          }
        }
      }
      @Injectable()
      class Sender {
        constructor(@Producer(Charge) readonly producer: TypedProducer<typeof Charge>) {}
      }
      const app = await Test.createTestingModule({
        imports: [
          MessagingModule.forRoot({
            transport: () => new AmqpTransport({ urls: AMQP_URL, reconnectDelayMs: 200, connectionName }),
            topology,
            shutdownTimeoutMs: 5_000,
            idempotency: { store: counting(new RedisInboxStore({ client: redis, keyPrefix: `${prefix}inbox:` })), leaseMs: 10_000 },
          }),
          MessagingModule.forFeature([Charge]),
        ],
        providers: [ChargeConsumer, Sender],
      }).compile();
      await app.init();
      apps.push(app);
      return app.get(Sender).producer;
    }

    beforeAll(async () => {
      logger = muteNestLogger();
      debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
      redis = await connectRedis();
    });

    afterAll(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
      await deleteTopology({ queues: [queue, dlq], exchanges: [exchange, `${exchange}.dlx`] });
      await deleteRedisPrefix(redis, prefix);
      await redis.close();
      debug.mockRestore();
      logger.restore();
    });

    it('2,000 messages, a broker-side kill mid-stream, publisher re-sends and a duplicate batch: one side effect per messageId', async () => {
      const producer = await startInstance(CONNECTION_A);
      await startInstance(CONNECTION_B);
      const total = 2_000;
      const idOf = (seq: number) => `${prefix}m-${seq}`;
      const sends: Array<Promise<unknown>> = [];
      // Paced so the stream is still flowing when the broker-side close lands (rabbitmqctl takes a while,
      // and closing both connections of the instance takes a second call).
      let kill: Promise<{ killed: number; inFlightOnA: number }> | undefined;
      for (let seq = 0; seq < total; seq++) {
        sends.push(producer.send({ seq }, { messageId: idOf(seq) }));
        if (seq === 400) {
          kill = closeConnectionsFromBroker(CONNECTION_A, 'test: kill mid-stream').then((killed) => ({ killed, inFlightOnA: inFlightA }));
          killLanded = kill;
        }
        if (seq % 20 === 19) await sleep(70);
      }
      await Promise.all(sends);
      const { killed, inFlightOnA } = await kill!;
      expect(killed).toBe(2); // the main connection and the consumers’ own
      expect(inFlightOnA).toBeGreaterThan(0); // the close landed mid-stream, with A's handlers running

      // An explicit duplicate batch: ids from before the kill, around it, and from the end.
      const duplicates = [...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 200 }, (_, i) => 900 + i), ...Array.from({ length: 100 }, (_, i) => 1_900 + i)];
      await Promise.all(duplicates.map((seq) => producer.send({ seq }, { messageId: idOf(seq) })));

      const duplicateLogs = () => debug.mock.calls.filter((call) => String(call[0]).includes('already handled')).length;
      await waitFor(() => duplicateLogs() >= duplicates.length, 'every explicit duplicate acked as such', 30_000);
      await waitFor(() => invocations >= total, 'every id handled', 30_000);
      let depth = -1;
      for (let i = 0; i < 100 && depth !== 0; i++) {
        depth = await messageCount(queue);
        if (depth !== 0) await sleep(100);
      }
      await sleep(300); // anything still redelivered would show up as a second effect now

      const effects = await redis.hGetAll(EFFECTS);
      expect(Object.keys(effects)).toHaveLength(total);
      const notOnce = Object.entries(effects).filter(([, count]) => count !== '1');
      expect(notOnce).toEqual([]);
      expect(invocations).toBe(total);
      expect(depth).toBe(0);
      // The duplicates were acked, not just held: with both instances closed, nothing is back in the queue.
      await Promise.all(apps.splice(0).map((app) => app.close()));
      expect(await messageCount(queue)).toBe(0);
      expect(await messageCount(dlq)).toBe(0);
      // Each id was claimed once; every other delivery was a duplicate the inbox absorbed: the explicit batch
      // plus the copies the kill produced (redeliveries of in-flight messages, publisher re-sends).
      expect(claims.claimed).toBe(total);
      expect(claims.done).toBe(duplicateLogs());
      expect(claims.done).toBeGreaterThan(duplicates.length);
    }, 90_000);
  });
  describeWithRedis('a handler slower than the lease, its message redelivered to a second instance', () => {
    const slowQueue = uniqueName('inbox-slow');
    const slowExchange = uniqueName('inbox-slow-ex');
    const SLOW_A = uniqueName('inbox-slow-a');
    const SLOW_B = uniqueName('inbox-slow-b');
    const slowPrefix = uniqueRedisPrefix('inbox-slow');
    const Slow = defineContract({ name: 'it.slow', exchange: slowExchange, routingKey: 'it.slow', schema: z.object({ n: z.number() }) });
    const slowTopology: TopologyDefinition = {
      exchanges: [{ name: slowExchange, type: 'topic', durable: false }],
      queues: [{ name: slowQueue, type: 'quorum' }],
      bindings: [{ exchange: slowExchange, queue: slowQueue, routingKey: 'it.#' }],
    };
    const LEASE_MS = 1_000;
    let redis: TestRedisClient;
    let logger: MutedLogger;
    let debug: jest.SpiedFunction<Logger['debug']>;
    const apps: INestApplicationContext[] = [];
    const runs: string[] = [];
    // When instance B first found the id held by A's running handler.
    let bWaitingSince: number | undefined;
    const bClaims: InboxClaimStatus[] = [];

    async function startInstance(instance: 'A' | 'B', connectionName: string, reconnectDelayMs: number) {
      const inner = new RedisInboxStore({ client: redis, keyPrefix: slowPrefix });
      const store: InboxStore = {
        claim: async (...args) => {
          const status = await inner.claim(...args);
          if (instance === 'B') {
            bClaims.push(status);
            if (status === 'in-progress') bWaitingSince ??= Date.now();
          }
          return status;
        },
        commit: (...args) => inner.commit(...args),
        release: (...args) => inner.release(...args),
        renew: (...args) => inner.renew(...args),
      };
      @Injectable()
      class SlowConsumer {
        @Consumer(Slow, { queue: slowQueue, name: 'slow', prefetch: 1, idempotent: true })
        async handle(_payload: { n: number }, ctx: MessageContext): Promise<void> {
          runs.push(instance);
          await redis.hIncrBy(`${slowPrefix}effects`, ctx.messageId ?? 'none', 1);
          if (instance !== 'A') return;
          // A keeps running until B has waited 2.5 leases for it (or 20 s): without renewal, B would claim
          // the lapsed id after one lease and run the handler a second time.
          await waitFor(() => bWaitingSince !== undefined && Date.now() - bWaitingSince > 2.5 * LEASE_MS, 'B waiting 2.5 leases', 20_000);
        }
      }
      @Injectable()
      class Sender {
        constructor(@Producer(Slow) readonly producer: TypedProducer<typeof Slow>) {}
      }
      const app = await Test.createTestingModule({
        imports: [
          MessagingModule.forRoot({
            transport: () => new AmqpTransport({ urls: AMQP_URL, reconnectDelayMs, connectionName }),
            topology: slowTopology,
            shutdownTimeoutMs: 1_000,
            idempotency: { store, leaseMs: LEASE_MS },
          }),
          MessagingModule.forFeature([Slow]),
        ],
        providers: [SlowConsumer, Sender],
      }).compile();
      await app.init();
      apps.push(app);
      return app.get(Sender).producer;
    }

    beforeAll(async () => {
      logger = muteNestLogger();
      debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
      redis = await connectRedis();
    });

    afterAll(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
      await deleteTopology({ queues: [slowQueue, `${slowQueue}.error`], exchanges: [slowExchange] });
      await deleteRedisPrefix(redis, slowPrefix);
      await redis.close();
      debug.mockRestore();
      logger.restore();
    });

    it('B gets the redelivery while A still runs past its lease: B waits, A commits, B acks it as a duplicate; one side effect', async () => {
      // A does not come back within the test, so the broker redelivers to B.
      const producer = await startInstance('A', SLOW_A, 60_000);
      await producer.send({ n: 1 }, { messageId: `${slowPrefix}m-1` });
      await waitFor(() => runs.length === 1, 'A started the handler', 10_000);
      await startInstance('B', SLOW_B, 200);
      expect(await closeConnectionsFromBroker(SLOW_A, 'test: redeliver to B', 'consume')).toBe(1);
      // B settles the redelivery either way: acked as a duplicate, or (without renewal) claimed and run again.
      await waitFor(() => bClaims.includes('done') || runs.includes('B'), 'B settled the redelivery', 30_000);
      for (let i = 0; i < 50 && (await messageCount(slowQueue)) !== 0; i++) await sleep(100);
      expect(bClaims.at(-1)).toBe('done');
      expect(runs).toEqual(['A']);
      expect(await redis.hGetAll(`${slowPrefix}effects`)).toEqual({ [`${slowPrefix}m-1`]: '1' });
      expect(bClaims.filter((status) => status === 'claimed')).toEqual([]);
      expect(Date.now() - bWaitingSince!).toBeGreaterThan(2.5 * LEASE_MS);
      expect(await messageCount(slowQueue)).toBe(0);
      expect(logger.warnings().filter((w) => w.includes('lost its inbox claim'))).toEqual([]);
    }, 60_000);
  });
});
