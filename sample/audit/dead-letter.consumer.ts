import { Injectable, Logger } from '@nestjs/common';
import { Consumer, FAILURE_HEADERS, MessageContext } from '../../lib/index.js';
import { DeadLetter } from '../orders/orders.contracts.js';
import { QUEUES } from '../orders/orders.topology.js';
import { SampleStats } from '../sample.stats.js';

/** Reads the dead-letter queue and reports why each message landed there. */
@Injectable()
export class DeadLetterConsumer {
  private readonly logger = new Logger(DeadLetterConsumer.name);

  constructor(private readonly stats: SampleStats) {}

  @Consumer(DeadLetter, { queue: QUEUES.deadLetters, acceptsAnyType: true })
  audit(payload: unknown, ctx: MessageContext): void {
    const kind = String(ctx.headers[FAILURE_HEADERS.kind] ?? 'broker');
    const reason = String(ctx.headers[FAILURE_HEADERS.reason] ?? 'no reason recorded');
    const orderId = ctx.correlationId ?? '?';
    const attempts = ctx.headers[FAILURE_HEADERS.attempts];
    if (this.stats.isOurs(orderId)) this.stats.deadLetters.push({ orderId, kind, reason, attempts: typeof attempts === 'number' ? attempts : undefined });
    this.logger.warn(`dead letter ${orderId} [${kind}]: ${reason} payload=${JSON.stringify(payload)}`);
  }
}
