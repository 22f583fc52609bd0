import amqplib, { type Channel, type GetMessage } from 'amqplib';
import { AMQP_URL } from './broker.js';

/**
 * Runs `work` on a short-lived channel of its own connection. Short-lived on purpose: tests that close
 * every connection from the broker side must not take the inspection connection down with them.
 */
export async function withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
  const connection = await amqplib.connect(AMQP_URL);
  // A refused declaration closes the channel with an 'error' event; the failed call already rejects.
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await work(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Ready messages in a queue, as the broker counts them. */
export function messageCount(queue: string): Promise<number> {
  return withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
}

/** Takes (and acks) every ready message of a queue. */
export function drainQueue(queue: string): Promise<GetMessage[]> {
  return withChannel(async (channel) => {
    const messages: GetMessage[] = [];
    for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) {
      messages.push(message);
    }
    return messages;
  });
}

/** Deletes queues and exchanges a test declared; missing ones are fine. */
export async function deleteTopology(names: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  for (const queue of names.queues ?? []) await withChannel((c) => c.deleteQueue(queue)).catch(() => undefined);
  for (const exchange of names.exchanges ?? []) await withChannel((c) => c.deleteExchange(exchange)).catch(() => undefined);
}

/**
 * Publishes raw bytes on a confirm channel and waits for the confirms, as a foreign producer that
 * bypasses the SDK would. A plain channel closed right after `publish` may drop the frame.
 */
export async function publishRaw(
  exchange: string,
  routingKey: string,
  messages: ReadonlyArray<{ body: Buffer; options?: amqplib.Options.Publish }>,
): Promise<void> {
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createConfirmChannel();
    for (const { body, options } of messages) channel.publish(exchange, routingKey, body, options);
    await channel.waitForConfirms();
  } finally {
    await connection.close().catch(() => undefined);
  }
}
