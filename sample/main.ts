import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { CARD_LIMIT_CENTS } from './billing/billing.consumer.js';
import { RemoteError } from '../lib/index.js';
import { MESSAGING_METRIC_NAMES, MessagingMetrics } from '../lib/prometheus/index.js';
import { BacklogPrinter } from './observability/backlog.printer.js';
import { metricsExcerpt, serveMetrics } from './observability/metrics.server.js';
import { OrdersService } from './orders/orders.service.js';
import { SampleStats } from './sample.stats.js';

const ORDERS = 5;
const TIMEOUT_MS = 20_000;

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

async function main(): Promise<void> {
  const logger = new Logger('Sample');
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  const orders = app.get(OrdersService);
  const stats = app.get(SampleStats);
  const metrics = app.get(MessagingMetrics);
  const metricsPort = Number(process.env.METRICS_PORT) || undefined;
  const server = metricsPort ? await serveMetrics(metrics, metricsPort) : undefined;
  if (metricsPort) logger.log(`Prometheus metrics on http://localhost:${metricsPort}/metrics (Ctrl-C to stop after the run)`);
  logger.log(`Transport: ${process.env.AMQP_URL ? `RabbitMQ at ${new URL(process.env.AMQP_URL).host}` : 'in-memory (set AMQP_URL for RabbitMQ)'}`);

  const quote = await orders.quote('sku-pro', 3);
  logger.log(`quoted ${quote.sku} x3: ${quote.totalCents} cents (request/reply)`);
  const unknownSku = await orders.quote('sku-unknown', 1).then(() => undefined, (error: unknown) => error);
  const quoteFailed = unknownSku instanceof RemoteError && unknownSku.kind === 'handler';
  logger.log(`quote for an unknown SKU: ${unknownSku instanceof Error ? unknownSku.message : 'unexpectedly answered'}`);

  for (let i = 1; i <= ORDERS; i++) {
    const total = i === ORDERS ? CARD_LIMIT_CENTS + 1 : i * 1_250;
    const { messageId } = await orders.place(`${stats.runId}-order-${i}`, `customer-${i}`, total);
    logger.log(`placed ${stats.runId}-order-${i} (${messageId}), confirmed by the broker`);
  }
  await orders.cancel(`${stats.runId}-order-2`, 'changed their mind');
  logger.log(`cancelled ${stats.runId}-order-2`);
  await orders.placeMalformed(`${stats.runId}-order-bad`);
  logger.log(`placed ${stats.runId}-order-bad with an invalid payload, bypassing the producer check`);

  const expectedShipped = ORDERS - 1;
  const finished = await waitUntil(() => stats.shipped.length === expectedShipped && stats.refunded.length === 1 && stats.deadLetters.length === 2 && stats.transientFailures.length === 1, TIMEOUT_MS) && quoteFailed;
  await app.get(BacklogPrinter).print();
  const excerpt = metricsExcerpt(await metrics.metrics(), [
    MESSAGING_METRIC_NAMES.sentMessages,
    MESSAGING_METRIC_NAMES.consumedMessages,
    MESSAGING_METRIC_NAMES.deadLetters,
    MESSAGING_METRIC_NAMES.retries,
    MESSAGING_METRIC_NAMES.connectionUp,
    MESSAGING_METRIC_NAMES.backlogDepth,
  ]);

  process.stdout.write(
    [
      '',
      `Run ${stats.runId}:`,
      `  price quote .......... ${quote.totalCents} cents for 3 x ${quote.sku}; unknown SKU -> ${quoteFailed ? 'RemoteError' : 'NOT a RemoteError'}`,
      `  orders placed ........ ${ORDERS} valid + 1 malformed`,
      `  charged .............. ${stats.charged.length}`,
      `  shipped (manual ack) . ${stats.shipped.length} (${stats.transientFailures.length} after a transient failure and a retry)`,
      `  refunded ............. ${stats.refunded.length} (second contract on the billing queue)`,
      `  dead-lettered ........ ${stats.deadLetters.length}`,
      ...stats.deadLetters.map((d) => `    - ${d.orderId} [${d.kind}${d.attempts ? `, ${d.attempts} attempts` : ''}] ${d.reason}`),
      '  metrics (excerpt of /metrics):',
      ...excerpt.map((line) => `    ${line}`),
      finished ? 'OK: every message ended where it should.' : `INCOMPLETE after ${TIMEOUT_MS} ms: see the log above.`,
      '',
    ].join('\n'),
  );
  process.exitCode = finished ? 0 : 1;
  if (server) {
    // Keep serving /metrics after the summary until the user stops the sample.
    await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
    server.close();
  }
  await app.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`Sample failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
