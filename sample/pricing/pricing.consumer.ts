import { Injectable } from '@nestjs/common';
import { Consumer, type ContractOutput } from '../../lib/index.js';
import { QUEUES } from '../orders/orders.topology.js';
import { QuotePrice } from './pricing.contracts.js';

const PRICE_LIST: Readonly<Record<string, number>> = { 'sku-basic': 1_250, 'sku-pro': 4_900 };

/** Answers price quotes; the return value is the reply, and an unknown SKU comes back as a RemoteError. */
@Injectable()
export class PricingConsumer {
  @Consumer(QuotePrice, { queue: QUEUES.pricing, prefetch: 20 })
  quote(request: ContractOutput<typeof QuotePrice>) {
    const unitCents = PRICE_LIST[request.sku];
    if (unitCents === undefined) throw new Error(`no price for ${request.sku}`);
    return { sku: request.sku, unitCents, totalCents: unitCents * request.quantity };
  }
}
