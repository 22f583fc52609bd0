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
      };
    }

    async function startInstance(connectionName: string) {
      @Injectable()
      class ChargeConsumer {
        @Consumer(Charge, { queue, prefetch: 50, concurrency: 20, idempotent: true })
        async charge(payload: { seq: number }, ctx: MessageContext): Promise<void> {
          invocations++;
          // Slow enough that handlers are in flight when the connection dies, so their messages are redelivered.
          await sleep(20 + (payload.seq % 20));
          await redis.hIncrBy(EFFECTS, ctx.messageId ?? 'none', 1);
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
      let kill: Promise<{ killed: number; handledBefore: number }> | undefined;
      for (let seq = 0; seq < total; seq++) {
        sends.push(producer.send({ seq }, { messageId: idOf(seq) }));
        if (seq === 400) {
          kill = closeConnectionsFromBroker(CONNECTION_A, 'test: kill mid-stream').then((killed) => ({ killed, handledBefore: invocations }));
        }
        if (seq % 20 === 19) await sleep(70);
      }
      await Promise.all(sends);
      const { killed, handledBefore } = await kill!;
      expect(killed).toBe(2); // the main connection and the consumers’ own
      expect(handledBefore).toBeLessThan(total); // the close landed mid-stream

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
});
