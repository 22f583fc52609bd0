import { describe, expect, it } from '@jest/globals';
import { toMessageProperties } from '../../../lib/transports/amqp/amqp-message.mapper.js';

// The consume-side mapping runs once per message and was rewritten for speed: these pin what it keeps and drops.
describe('toMessageProperties (amqplib → MessageProperties)', () => {
  it('keeps the present properties of the right type and leaves out the rest', () => {
    const properties = toMessageProperties({
      messageId: 'm-1',
      correlationId: 42,
      contentType: 'application/json',
      type: 'order.placed',
      timestamp: 1_700_000_000,
      priority: 3,
      expiration: '1500',
      deliveryMode: 2,
      replyTo: undefined,
    });
    expect(properties).toStrictEqual({
      messageId: 'm-1',
      contentType: 'application/json',
      type: 'order.placed',
      timestamp: 1_700_000_000,
      priority: 3,
      expiration: 1500,
      persistent: true,
    });
    expect(toMessageProperties({ deliveryMode: 1, expiration: ' ' })).toStrictEqual({ persistent: false });
    expect(toMessageProperties({ expiration: 'soon' })).toStrictEqual({});
  });

  it('drops the internal publish id and undefined header values, and converts timestamps in nested tables and arrays', () => {
    const properties = toMessageProperties({
      headers: {
        'x-publish-id': 'p-1',
        tenant: 'acme',
        gone: undefined,
        empty: null,
        blob: Buffer.from('ab'),
        'x-death': [{ queue: 'q', count: 1, time: { '!': 'timestamp', value: 1_700_000_000 } }],
      },
    });
    expect(Object.keys(properties.headers ?? {})).toEqual(['tenant', 'empty', 'blob', 'x-death']);
    expect(properties.headers?.['empty']).toBeNull();
    expect(Buffer.isBuffer(properties.headers?.['blob'])).toBe(true);
    expect(properties.headers?.['x-death']).toEqual([{ queue: 'q', count: 1, time: new Date(1_700_000_000_000) }]);
  });

  it('has no headers entry when amqplib gives no header table', () => {
    expect('headers' in toMessageProperties({ messageId: 'm' })).toBe(false);
  });
});
