import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { benchConfig, deferred, payloadOfSize, publishWindowed } from './bench.config.js';
import { brokerPidOf, startCpuWindow, type E2eFigures } from './cpu.usage.js';

/** How the raw client consumes: its prefetch and how many deliveries one ack covers. */
export interface RawConsumeSettings {
  readonly prefetch: number;
  /** 1 acks each message; n > 1 acks every n-th with `allUpTo` (and the last one), the client-side ceiling. */
  readonly ackEvery: number;
  /**
   * Also send the properties every SDK message carries (a UUID messageId, `type` and `timestamp`): the
   * like-for-like baseline. On RabbitMQ 3.10 they cost raw amqplib about a quarter of its publish rate.
   */
  readonly sdkProperties?: boolean;
}

/**
 * Baseline: amqplib alone, as a careful hand-written client would do it: one confirm channel publishing
 * persistent messages with a window of outstanding confirms, one consumer channel acking each message
 * (or every n-th with `multiple`). Returns messages per second, first publish to last ack, and the CPU
 * time this process and the broker spent meanwhile.
 */
export async function runRawAmqplib(queue: string, consume: RawConsumeSettings): Promise<E2eFigures> {
  const { url, messages, bodyBytes, publishWindow } = benchConfig;
  const connection = await amqplib.connect(url);
  try {
    const admin = await connection.createChannel();
    await admin.assertQueue(queue, { durable: true });
    await admin.purgeQueue(queue);
    const consumerChannel = await connection.createChannel();
    await consumerChannel.prefetch(consume.prefetch);
    const done = deferred();
    let received = 0;
    await consumerChannel.consume(queue, (message) => {
      if (!message) return;
      JSON.parse(message.content.toString('utf8'));
      received++;
      if (consume.ackEvery <= 1) consumerChannel.ack(message);
      else if (received % consume.ackEvery === 0 || received === messages) consumerChannel.ack(message, true);
      if (received === messages) done.resolve();
    });
    const publisher = await connection.createConfirmChannel();
    const cpuWindow = startCpuWindow(brokerPidOf(url));
    const started = process.hrtime.bigint();
    await publishWindowed(messages, publishWindow, (i) => {
      const body = Buffer.from(JSON.stringify(payloadOfSize(i, bodyBytes)));
      return new Promise<void>((resolve, reject) => {
        const properties = consume.sdkProperties
          ? { persistent: true, contentType: 'application/json', messageId: randomUUID(), type: 'bench.message', timestamp: Date.now() }
          : { persistent: true, contentType: 'application/json', messageId: String(i) };
        publisher.publish('', queue, body, properties, (error) =>
          error ? reject(error) : resolve(),
        );
      });
    });
    await done.promise;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = cpuWindow.stop();
    await admin.deleteQueue(queue);
    return { msgsPerSec: messages / seconds, cpu };
  } finally {
    await connection.close();
  }
}
