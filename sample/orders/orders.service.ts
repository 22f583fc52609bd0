import { Inject, Injectable } from '@nestjs/common';
import {
  MESSAGING_TRANSPORT,
  MessagePublisher,
  Producer,
  type RpcProducer,
  type RpcResponse,
  type MessagingTransport,
  type SendResult,
  type TypedProducer,
} from '../../lib/index.js';
import { QuotePrice } from '../pricing/pricing.contracts.js';
import { OrderCancelled, OrderPlaced } from './orders.contracts.js';

/** Places orders by publishing `OrderPlaced`; each send resolves once the broker confirmed it. */
@Injectable()
export class OrdersService {
  /** Skips the publish-side check, to play the part of a buggy or foreign producer. */
  private readonly uncheckedPublisher: MessagePublisher;

  constructor(
    @Producer(OrderPlaced) private readonly orderPlaced: TypedProducer<typeof OrderPlaced>,
    @Producer(OrderCancelled) private readonly orderCancelled: TypedProducer<typeof OrderCancelled>,
    @Producer(QuotePrice) private readonly quotePrice: RpcProducer<typeof QuotePrice>,
    @Inject(MESSAGING_TRANSPORT) transport: MessagingTransport,
  ) {
    this.uncheckedPublisher = new MessagePublisher(transport, false);
  }

  /** Asks pricing for a quote and waits for the typed reply (request/reply over direct reply-to). */
  quote(sku: string, quantity: number): Promise<RpcResponse<typeof QuotePrice>> {
    return this.quotePrice.request({ sku, quantity });
  }

  /** Publishes one order. */
  place(orderId: string, customer: string, totalCents: number): Promise<SendResult> {
    return this.orderPlaced.send({ orderId, customer, totalCents }, { correlationId: orderId });
  }

  /** Cancels an order; billing refunds it. */
  cancel(orderId: string, reason: string): Promise<SendResult> {
    return this.orderCancelled.send({ orderId, reason }, { correlationId: orderId });
  }

  /** Publishes an order that breaks the contract; the consumer must dead-letter it with the reason. */
  placeMalformed(orderId: string): Promise<SendResult> {
    return this.uncheckedPublisher.publish(OrderPlaced, { orderId, customer: '', totalCents: -5 }, { correlationId: orderId });
  }
}
