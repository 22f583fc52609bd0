import { afterEach, expect, it, jest } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { AmqpTransport, defineContract, MessagingModule, Producer, type TypedProducer } from '../../../lib/index.js';
import { deleteTopology, messageCount } from '../../fixtures/rabbitmq-admin.fixture.js';
import { AMQP_URL, describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(180_000);

const schema = z.object({ seq: z.number().int().nonnegative() });

let app: INestApplicationContext | undefined;
const queues: string[] = [];

afterEach(async () => {
  await app?.close();
  app = undefined;
  await deleteTopology({ queues: queues.splice(0) });
});

describeWithBroker('AmqpTransport publish backpressure against RabbitMQ', () => {
  it('confirms a Promise.all of 100,000 sends with the default options, and all of them arrive', async () => {
    const queue = uniqueName('backpressure.q');
    queues.push(queue, `${queue}.error`);
    const contract = defineContract({ name: 'it.backpressure', exchange: '', routingKey: queue, schema });
    @Injectable()
    class BurstProducer {
      constructor(@Producer(contract) readonly producer: TypedProducer<typeof contract>) {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          // Nothing but the broker and a name: the publisher options are the defaults.
          transport: new AmqpTransport({ urls: AMQP_URL, connectionName: uniqueName('backpressure-it') }),
          topology: { queues: [{ name: queue, durable: false }] },
        }),
        MessagingModule.forFeature([contract]),
      ],
      providers: [BurstProducer],
    }).compile();
    moduleRef.useLogger(false);
    app = await moduleRef.init();
    const { producer } = app.get(BurstProducer);

    const total = 100_000;
    // Far beyond the default buffer (10,000) plus what is in flight: the rest must wait, not fail.
    const results = await Promise.allSettled(Array.from({ length: total }, (_, seq) => producer.send({ seq })));
    const failures = results.filter((result) => result.status === 'rejected');
    expect({ failed: failures.length, first: failures[0] }).toEqual({ failed: 0, first: undefined });
    expect(await messageCount(queue)).toBe(total);
  });
});
