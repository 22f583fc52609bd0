import { Injectable, Logger } from '@nestjs/common';
import { Consumer, MessageContext, type ContractOutput } from '../../lib/index.js';
import { PaymentCaptured } from '../orders/orders.contracts.js';
import { QUEUES } from '../orders/orders.topology.js';
import { SampleStats } from '../sample.stats.js';

/** Ships paid orders, acknowledging by hand once the parcel is booked (manual ack). */
@Injectable()
export class ShippingConsumer {
  private readonly logger = new Logger(ShippingConsumer.name);

  constructor(private readonly stats: SampleStats) {}

  @Consumer(PaymentCaptured, { queue: QUEUES.shipping, ack: 'manual', prefetch: 5 })
  async ship(payment: ContractOutput<typeof PaymentCaptured>, ctx: MessageContext): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.stats.isOurs(payment.orderId) && payment.orderId.endsWith('-3') && ctx.attempt === 1) {
      // A transient fault: the retry policy runs the handler again and the second attempt succeeds.
      this.stats.transientFailures.push(payment.orderId);
      throw new Error('carrier API timed out');
    }
    if (this.stats.isOurs(payment.orderId)) this.stats.shipped.push(payment.orderId);
    this.logger.log(`shipped ${payment.orderId} (message ${ctx.messageId}, attempt ${ctx.attempt})`);
    ctx.ack();
  }
}
