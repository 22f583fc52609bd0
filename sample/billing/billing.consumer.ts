import { Injectable, Logger } from '@nestjs/common';
import { Consumer, Producer, type ContractOutput, type TypedProducer } from '../../lib/index.js';
import { OrderCancelled, OrderPlaced, PaymentCaptured } from '../orders/orders.contracts.js';
import { QUEUES } from '../orders/orders.topology.js';
import { SampleStats } from '../sample.stats.js';

/** Card limit of the pretend payment provider: above it, the charge is declined. */
export const CARD_LIMIT_CENTS = 100_000;

/**
 * Charges placed orders (auto ack): returning acks the message, throwing dead-letters it with the
 * error recorded. Publishes `PaymentCaptured` for shipping.
 */
@Injectable()
export class BillingConsumer {
  private readonly logger = new Logger(BillingConsumer.name);

  constructor(
    @Producer(PaymentCaptured) private readonly paymentCaptured: TypedProducer<typeof PaymentCaptured>,
    private readonly stats: SampleStats,
  ) {}

  @Consumer(OrderPlaced, { queue: QUEUES.billing, prefetch: 20 })
  async charge(order: ContractOutput<typeof OrderPlaced>): Promise<void> {
    if (order.totalCents > CARD_LIMIT_CENTS) {
      throw new Error(`card declined: ${order.totalCents} cents is over the ${CARD_LIMIT_CENTS} limit`);
    }
    await this.paymentCaptured.send(
      { orderId: order.orderId, amountCents: order.totalCents, capturedAt: new Date().toISOString() },
      { correlationId: order.orderId },
    );
    if (this.stats.isOurs(order.orderId)) this.stats.charged.push(order.orderId);
    this.logger.log(`charged ${order.customer} ${(order.totalCents / 100).toFixed(2)} for ${order.orderId}`);
  }

  /** A second contract on the same queue: cancellations are routed here by their type. */
  @Consumer(OrderCancelled, { queue: QUEUES.billing })
  refund(cancelled: ContractOutput<typeof OrderCancelled>): void {
    if (this.stats.isOurs(cancelled.orderId)) this.stats.refunded.push(cancelled.orderId);
    this.logger.log(`refunded ${cancelled.orderId} (${cancelled.reason})`);
  }
}
