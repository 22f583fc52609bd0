// The README's "Idempotent consumers" example, compiled by `npm run typecheck` and run by inbox-claim.spec.ts,
// which also checks that the README shows this code (between the markers; imports differ only in their paths).
import { z } from 'zod';
import { Inject, Injectable } from '@nestjs/common';
import { Consumer, defineContract, MessageContext, type ContractOutput } from '../../../lib/index.js';

/** The Quick start's contract. */
export const OrderPlaced = defineContract({
  name: 'orders.placed',
  exchange: 'orders',
  schema: z.object({ orderId: z.string(), totalCents: z.number().int().positive() }),
});

// #region readme
/** The slice of your database client this uses (pg, Prisma, TypeORM, Knex all have one). */
export interface Sql {
  query(text: string, values: unknown[]): Promise<{ rowCount: number | null }>;
}
export interface Database {
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
}
export const DATABASE = Symbol('DATABASE');

@Injectable()
export class ChargeOnce {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  @Consumer(OrderPlaced, { queue: 'billing', idempotent: true })
  async charge(order: ContractOutput<typeof OrderPlaced>, ctx: MessageContext): Promise<void> {
    const claim = ctx.inbox; // set for every message with a messageId on an idempotent consumer
    if (!claim) throw new Error('no messageId: cannot charge exactly once');
    await this.db.transaction(async (sql) => {
      // The dedupe row and the charge commit together or not at all: a re-run after a crash finds the row.
      const { rowCount } = await sql.query('INSERT INTO processed_messages (key) VALUES ($1) ON CONFLICT DO NOTHING', [claim.key]);
      if (rowCount === 0) return; // an earlier run charged it and crashed before the inbox commit
      await sql.query('INSERT INTO charges (order_id, cents) VALUES ($1, $2)', [order.orderId, order.totalCents]);
    });
    await claim.commit(); // the inbox records it now: later work in this handler cannot cause a re-run
  }
}
// #endregion readme
