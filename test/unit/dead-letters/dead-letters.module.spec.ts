import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DeadLetters, MessagingModule, QueueAccessUnsupportedError } from '../../../lib/index.js';
import { MemoryTransport } from '../../../lib/transports/memory/index.js';
import type { MessagingTransport } from '../../../lib/transports/transport.interface.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const topology = { queues: [{ name: 'orders.errors' }] };

@Injectable()
class Operator {
  constructor(readonly deadLetters: DeadLetters) {}
}

@Module({ providers: [Operator] })
class OperatorModule {}

describe('DeadLetters in the messaging module', () => {
  it('is injectable wherever the module is global, and works on the app transport', async () => {
    const transport = new MemoryTransport();
    const app = await Test.createTestingModule({ imports: [MessagingModule.forRoot({ transport, topology }), OperatorModule] }).compile();
    await app.init();
    await transport.publish({ exchange: '', routingKey: 'orders.errors', body: Buffer.from('{}'), properties: { messageId: 'a' }, mandatory: true });
    const { deadLetters } = app.get(Operator);
    expect(deadLetters).toBe(app.get(DeadLetters));
    expect((await deadLetters.list('orders.errors')).entries.map((e) => e.messageId)).toEqual(['a']);
    await app.close();
  });

  it('follows isGlobal: false like MessagePublisher', async () => {
    const app = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ transport: new MemoryTransport(), topology, isGlobal: false })],
    }).compile();
    expect(app.get(DeadLetters)).toBeInstanceOf(DeadLetters);
    await expect(
      Test.createTestingModule({
        imports: [MessagingModule.forRoot({ transport: new MemoryTransport(), topology, isGlobal: false }), OperatorModule],
      }).compile(),
    ).rejects.toThrow(/DeadLetters/);
  });

  it('fails with a typed error on a transport without queue access', async () => {
    const bare: MessagingTransport = {
      kind: 'bare',
      capabilities: { delayedRedelivery: false, deliveryCount: 'none', orderedPublishing: false, reconnects: false },
      start: async () => undefined,
      publish: async () => undefined,
      consume: async () => ({ cancel: async () => undefined }),
      close: async () => undefined,
      stats: () => ({ state: 'running', connected: true, bufferedPublishes: 0, unconfirmedPublishes: 0, consumers: 0 }),
    };
    await expect(new DeadLetters(bare).list('q')).rejects.toBeInstanceOf(QueueAccessUnsupportedError);
  });
});
