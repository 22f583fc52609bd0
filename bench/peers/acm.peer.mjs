// amqp-connection-manager alone: a confirm channel wrapper publishing, a consumer acking each message.
import amqp from 'amqp-connection-manager';
import { deferred, fail, payloadOfSize, publishWindowed, report, settings, startWindow, withQueue } from './peer.shared.mjs';

async function run() {
  const { url, queue, messages, bodyBytes, window, prefetch } = settings;
  const connection = amqp.connect([url]);
  try {
    const done = deferred();
    let received = 0;
    const consumer = connection.createChannel({
      setup: async (channel) => {
        await channel.prefetch(prefetch);
        await channel.consume(queue, (message) => {
          JSON.parse(message.content.toString('utf8'));
          channel.ack(message);
          if (++received === messages) done.resolve();
        });
      },
    });
    const publisher = connection.createChannel({ json: false });
    await Promise.all([consumer.waitForConnect(), publisher.waitForConnect()]);
    const timed = startWindow();
    await publishWindowed(messages, window, (i) =>
      publisher.sendToQueue(queue, Buffer.from(JSON.stringify(payloadOfSize(i, bodyBytes))), { persistent: true, contentType: 'application/json' }),
    );
    await done.promise;
    return timed.stop();
  } finally {
    await connection.close();
  }
}

withQueue(run).then(report, fail);
