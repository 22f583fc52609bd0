import { Module } from '@nestjs/common';
import { AmqpTransport, exponential, MemoryTransport, MessagingModule, type MessagingTransport } from '../lib/index.js';
import { MessagingPrometheusModule } from '../lib/prometheus/index.js';
import { DeadLetterConsumer } from './audit/dead-letter.consumer.js';
import { BillingConsumer } from './billing/billing.consumer.js';
import { OrderCancelled, OrderPlaced, PaymentCaptured } from './orders/orders.contracts.js';
import { OrdersService } from './orders/orders.service.js';
import { ordersTopology } from './orders/orders.topology.js';
import { PricingConsumer } from './pricing/pricing.consumer.js';
import { QuotePrice } from './pricing/pricing.contracts.js';
import { SampleStats } from './sample.stats.js';
import { ShippingConsumer } from './shipping/shipping.consumer.js';
import { BacklogPrinter } from './observability/backlog.printer.js';

/** RabbitMQ when `AMQP_URL` is set, the embedded in-memory broker otherwise. */
function createTransport(): MessagingTransport {
  const url = process.env.AMQP_URL;
  // Two connections show up in the management UI: this name (publishing, topology) and
  // `nestjs-typed-messaging-sample:consume` (the consumers'); `consumer: { connection: 'shared' }` keeps one.
  return url ? new AmqpTransport({ urls: url, connectionName: 'nestjs-typed-messaging-sample' }) : new MemoryTransport();
}

/** The orders flow: place -> bill -> ship, with failures audited from the dead-letter queue. */
@Module({
  imports: [
    MessagingModule.forRootAsync({
      useFactory: () => ({
        transport: createTransport,
        topology: ordersTopology,
        shutdownTimeoutMs: 5_000,
        // Every consumer: one quick in-process retry, then two delayed retries (200 ms, 400 ms) through the
        // broker's delay line; after that the message goes to the dead-letter queue with its history.
        retry: { immediate: 1, delayed: exponential({ initialMs: 200, factor: 2, attempts: 2 }) },
        // Sample each consumed queue's depth every second; warn (and emit backlog.slo-breached) when a
        // message arriving now would wait more than a minute (depth / service rate).
        backlog: { intervalMs: 1000, sloSeconds: 60 },
      }),
    }),
    MessagingModule.forFeature([OrderPlaced, OrderCancelled, PaymentCaptured, QuotePrice]),
    // Prometheus metrics in a private registry, served by sample/observability/metrics.server.ts.
    MessagingPrometheusModule.forRoot(),
  ],
  providers: [SampleStats, OrdersService, BillingConsumer, ShippingConsumer, DeadLetterConsumer, PricingConsumer, BacklogPrinter],
})
export class AppModule {}
