import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Injectable, Logger, type INestApplicationContext, type Provider, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  FAILURE_HEADERS,
  InboxTransactionUnsupportedError,
  MemoryInboxStore,
  MemoryTransport,
  MessageContext,
  MessagingModule,
  Producer,
  TypedProducer,
  type AnyMessageContract,
  type InboxClaim,
  type InboxStore,
  type MessagingModuleOptions,
  type TopologyDefinition,
} from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { OrderPlaced as TestOrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { ChargeOnce, DATABASE, OrderPlaced, type Database, type Sql } from './inbox-claim.readme-example.js';

const opened: INestApplicationContext[] = [];
let logger: MutedLogger;
let debug: jest.SpiedFunction<Logger['debug']>;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
  debug?.mockRestore();
  logger?.restore();
});

async function startApp(contract: AnyMessageContract, topology: TopologyDefinition, providers: Array<Type | Provider>, options: Partial<MessagingModuleOptions> = {}) {
  logger = muteNestLogger();
  debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  const transport = new MemoryTransport();
  @Injectable()
  class Sender {
    constructor(@Producer(contract) readonly producer: TypedProducer<AnyMessageContract>) {}
  }
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology, shutdownTimeoutMs: 300, ...options }), MessagingModule.forFeature([contract])],
    providers: [...providers, Sender],
  }).compile();
  await app.init();
  opened.push(app);
  const send = (payload: unknown, messageId: string) => app.get(Sender).producer.send(payload as never, { messageId });
  return { transport, send };
}

type Behaviour = (ctx: MessageContext) => unknown;
/** An idempotent consumer of the test orders contract whose handler does `behaviour`, recording each run's claim. */
function consumerDoing(behaviour: Behaviour, idempotent = true) {
  const claims: Array<InboxClaim | undefined> = [];
  @Injectable()
  class ClaimConsumer {
    @Consumer(TestOrderPlaced, { queue: Q.work, name: 'claims', idempotent })
    async handle(_order: unknown, ctx: MessageContext): Promise<void> {
      claims.push(ctx.inbox);
      await behaviour(ctx);
    }
  }
  return { ClaimConsumer, claims };
}

const order = { orderId: 'o-1', totalCents: 100 };

describe('ctx.inbox: the claim of an idempotent consumer', () => {
  it('exposes key, token and state, held while the handler runs and committed after; undefined on other consumers', async () => {
    const states: string[] = [];
    const { ClaimConsumer, claims } = consumerDoing((ctx) => void states.push(ctx.inbox!.state));
    const { transport, send } = await startApp(TestOrderPlaced, ordersTopology, [ClaimConsumer]);
    await send(order, 'id-1');
    await transport.waitForIdle();
    expect(claims[0]).toMatchObject({ key: 'claims:id-1', consumer: 'claims', messageId: 'id-1', token: expect.any(String), state: 'committed' });
    expect(states).toEqual(['held']);
    await Promise.all(opened.splice(0).map((app) => app.close()));
    const plain = consumerDoing(() => undefined, false);
    const other = await startApp(TestOrderPlaced, ordersTopology, [plain.ClaimConsumer]);
    await other.send(order, 'id-1');
    await other.transport.waitForIdle();
    expect(plain.claims).toEqual([undefined]);
  });

  it('commit() records the id at once: a failure afterwards dead-letters the message, yet its replay is acked as handled', async () => {
    const store = new MemoryInboxStore();
    const commit = jest.spyOn(store, 'commit');
    let runs = 0;
    const { ClaimConsumer } = consumerDoing(async (ctx) => {
      runs++;
      expect(await ctx.inbox!.commit()).toBe(true);
      expect(await ctx.inbox!.commit()).toBe(true); // twice: no second write
      throw new Error('after the commit');
    });
    const { transport, send } = await startApp(TestOrderPlaced, ordersTopology, [ClaimConsumer], { idempotency: { store } });
    await send(order, 'id-1');
    await transport.waitForIdle();
    expect(transport.messages(Q.dlq)).toHaveLength(1);
    await send(order, 'id-1');
    await transport.waitForIdle();
    expect(runs).toBe(1);
    expect(commit).toHaveBeenCalledTimes(1);
  });

  it('release() gives the id back: the message is acked, and its duplicate runs the handler again', async () => {
    const { ClaimConsumer, claims } = consumerDoing(async (ctx) => {
      if (claims.length === 1) expect(await ctx.inbox!.release()).toBe(true);
    });
    const { transport, send } = await startApp(TestOrderPlaced, ordersTopology, [ClaimConsumer]);
    await send(order, 'id-1');
    await transport.waitForIdle();
    await send(order, 'id-1');
    await transport.waitForIdle();
    await send(order, 'id-1');
    await transport.waitForIdle();
    expect(claims.map((claim) => claim?.state)).toEqual(['released', 'committed']);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
    expect(transport.records.acked).toHaveLength(3);
  });

  it('commit(transaction) on a store that cannot take one throws InboxTransactionUnsupportedError, and the message is dead-lettered with it', async () => {
    const { ClaimConsumer } = consumerDoing((ctx) => ctx.inbox!.commit({ tx: 1 }));
    const { transport, send } = await startApp(TestOrderPlaced, ordersTopology, [ClaimConsumer]);
    await send(order, 'id-1');
    await transport.waitForIdle();
    const headers = transport.messages(Q.dlq)[0]?.properties.headers;
    expect(String(headers?.[FAILURE_HEADERS.error])).toBe(InboxTransactionUnsupportedError.name);
  });

  it("commit(transaction) writes through the store's commitInTransaction: kept when the transaction commits, released when it rolls back", async () => {
    /** A store living in "the database": commits written through a transaction apply only when it commits. */
    interface FakeTransaction {
      readonly pending: Array<() => Promise<unknown>>;
    }
    const records = new MemoryInboxStore();
    const store: InboxStore<FakeTransaction> = {
      claim: (...args) => records.claim(...args),
      commit: (...args) => records.commit(...args),
      release: (...args) => records.release(...args),
      renew: (...args) => records.renew(...args),
      commitInTransaction: async (tx, key, token, retentionMs) => {
        tx.pending.push(() => records.commit(key, token, retentionMs));
        return true;
      },
    };
    const outcomes = ['rollback', 'commit'];
    let runs = 0;
    const { ClaimConsumer } = consumerDoing(async (ctx) => {
      runs++;
      const tx: FakeTransaction = { pending: [] };
      await (ctx.inbox as InboxClaim<FakeTransaction>).commit(tx);
      if (outcomes.shift() === 'rollback') throw new Error('the transaction rolled back');
      for (const apply of tx.pending) await apply();
    });
    const { transport, send } = await startApp(TestOrderPlaced, ordersTopology, [ClaimConsumer], { idempotency: { store } });
    for (let i = 0; i < 3; i++) {
      await send(order, 'id-1');
      await transport.waitForIdle();
    }
    expect(runs).toBe(2); // rolled back: released and run again; committed: the third copy is a duplicate
    expect(await records.claim('claims:id-1', 'probe', 1_000)).toBe('done');
  });

  it('a claim whose renewal finds it gone is lost: its signal aborts and a warning says a duplicate may run', async () => {
    const records = new MemoryInboxStore();
    const store: InboxStore = {
      claim: (...args) => records.claim(...args),
      commit: (...args) => records.commit(...args),
      release: (...args) => records.release(...args),
      renew: async () => false,
    };
    const { ClaimConsumer, claims } = consumerDoing(
      (ctx) => new Promise<void>((resolve) => ctx.inbox!.lost.addEventListener('abort', () => resolve(), { once: true })),
    );
    const { transport, send } = await startApp(TestOrderPlaced, ordersTopology, [ClaimConsumer], { idempotency: { store, leaseMs: 30 } });
    await send(order, 'id-1');
    await waitFor(() => claims[0]?.state === 'committed', 'the lost run finished and committed', 5_000);
    await transport.waitForIdle();
    expect(logger.warnings().filter((w) => w.includes('message id-1 lost its inbox claim'))).toHaveLength(1);
  });
});

describe('the README example: exactly-once side effects through the application database', () => {
  /** A database double: a unique processed_messages key and a charges table; a transaction applies all or nothing. */
  function fakeDatabase(): Database & { charges: unknown[][]; processed: Set<string> } {
    const processed = new Set<string>();
    const charges: unknown[][] = [];
    return {
      processed,
      charges,
      async transaction(work) {
        const keys: string[] = [];
        const rows: unknown[][] = [];
        const sql: Sql = {
          query: async (text, values) => {
            if (text.startsWith('INSERT INTO processed_messages')) {
              const key = String(values[0]);
              if (processed.has(key) || keys.includes(key)) return { rowCount: 0 };
              keys.push(key);
            } else rows.push(values);
            return { rowCount: 1 };
          },
        };
        const result = await work(sql);
        keys.forEach((key) => processed.add(key));
        charges.push(...rows);
        return result;
      },
    };
  }
  const topology: TopologyDefinition = {
    exchanges: [{ name: 'orders', type: 'topic' }, { name: 'orders.dlx', type: 'fanout' }],
    queues: [{ name: 'billing', deadLetterExchange: 'orders.dlx' }, { name: 'billing.dlq' }],
    bindings: [{ exchange: 'orders', queue: 'billing', routingKey: 'orders.*' }, { exchange: 'orders.dlx', queue: 'billing.dlq' }],
  };

  it('charges once when a run fails after its transaction committed but before the inbox commit, and the message is replayed', async () => {
    const db = fakeDatabase();
    const store = new MemoryInboxStore();
    // The first inbox commit fails, as a crash right after the database transaction would leave it.
    jest.spyOn(store, 'commit').mockRejectedValueOnce(new Error('inbox store unreachable'));
    const { transport, send } = await startApp(OrderPlaced, topology, [ChargeOnce, { provide: DATABASE, useValue: db }], { idempotency: { store } });
    await send({ orderId: 'o-1', totalCents: 500 }, 'm-1');
    await transport.waitForIdle();
    expect(transport.messages('billing.dlq')).toHaveLength(1); // the run failed: the inbox did not record it
    await send({ orderId: 'o-1', totalCents: 500 }, 'm-1'); // the replay runs the handler again
    await transport.waitForIdle();
    await send({ orderId: 'o-1', totalCents: 500 }, 'm-1'); // now a duplicate the inbox absorbs
    await transport.waitForIdle();
    expect(db.charges).toEqual([['o-1', 500]]);
    expect([...db.processed]).toEqual([`${ChargeOnce.name}.charge:m-1`]);
    expect(await store.claim(`${ChargeOnce.name}.charge:m-1`, 'probe', 1_000)).toBe('done');
  });

  it('is the code the README shows', () => {
    const withoutImports = (code: string) =>
      code
        .split('\n')
        .filter((line) => !line.startsWith('import '))
        .join('\n')
        .trim();
    const example = readFileSync(new URL('./inbox-claim.readme-example.ts', import.meta.url), 'utf8');
    const region = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion readme/.exec(example)![1]!;
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => withoutImports(match[1]!));
    expect(blocks).toContain(withoutImports(region));
  });
});
