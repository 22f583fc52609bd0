import { afterEach, describe, expect } from '@jest/globals';
import type { QueueDefinition } from '../../lib/topology/index.js';
import type { HeaderValue, MessagingTransport } from '../../lib/transports/transport.interface.js';
import type { DrainedMessage, TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, drainAtLeast, outbound, startedTransport } from './conformance.helpers.js';

type Reason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

interface Scenario {
  readonly type: 'classic' | 'quorum';
  readonly reason: Reason;
  /** Queue settings that make this reason happen. */
  readonly queue: Partial<QueueDefinition>;
  /** The `expiration` the message is published with, if any. */
  readonly expiration?: number;
}

const SCENARIOS: readonly Scenario[] = (['classic', 'quorum'] as const).flatMap((type): Scenario[] => [
  { type, reason: 'rejected', queue: {}, expiration: 60_000 },
  { type, reason: 'expired', queue: {}, expiration: 20 },
  { type, reason: 'maxlen', queue: { maxLength: 1 } },
  ...(type === 'quorum' ? [{ type, reason: 'delivery_limit' as const, queue: { arguments: { 'x-delivery-limit': 0 } } }] : []),
]);

/**
 * Has the broker dead-letter one message for `scenario` from a queue bound to a direct exchange with key
 * `rk`, and returns the copy from the DLQ with the names involved.
 */
async function brokerDeadLetter(harness: TransportHarness, scenario: Scenario): Promise<{ dead: DrainedMessage; exchange: string; queue: string; transport: MessagingTransport }> {
  const exchange = harness.name('ex');
  const dlx = harness.name('dlx');
  const queue = harness.name(`${scenario.type}.${scenario.reason}`);
  const dlq = harness.name('dlq');
  const transport = await startedTransport(harness, {
    exchanges: [{ name: exchange, type: 'direct' }, { name: dlx, type: 'fanout' }],
    queues: [{ name: queue, type: scenario.type, deadLetterExchange: dlx, ...scenario.queue }, { name: dlq }],
    bindings: [{ exchange, queue, routingKey: 'rk' }, { exchange: dlx, queue: dlq }],
  });
  const properties = { headers: { keep: 'me' }, ...(scenario.expiration === undefined ? {} : { expiration: scenario.expiration }) };
  await transport.publish(outbound(exchange, 'rk', 'dead', properties));
  if (scenario.reason === 'maxlen') await transport.publish(outbound(exchange, 'rk', 'newer'));
  if (scenario.reason === 'rejected') await collect(transport, queue, { settle: (d) => d.nack(false) });
  if (scenario.reason === 'delivery_limit') await collect(transport, queue, { settle: (d) => d.nack(true) });
  const [dead] = await drainAtLeast(harness, transport, dlq, 1);
  return { dead, exchange, queue, transport };
}

/** The headers of a message the broker dead-lettered, exactly as RabbitMQ 3.10 writes them. */
export function describeHeadersConformance(harness: TransportHarness): void {
  describe('broker dead-letter headers (RabbitMQ 3.10)', () => {
    afterEach(() => harness.cleanup());

    for (const scenario of SCENARIOS) {
      conformanceCase(harness, 'headers.x-death', `${scenario.type} queue, ${scenario.reason}: x-death, x-first-death-* and nothing else`, async () => {
        const { dead, exchange, queue } = await brokerDeadLetter(harness, scenario);
        expect(dead.body.toString()).toBe('dead');
        expect(dead).toMatchObject({ routingKey: 'rk', redelivered: false });
        // The copy does not expire again; its former TTL is kept in the x-death entry.
        expect(dead.properties.expiration).toBeUndefined();
        // Exact: no x-last-death-* (RabbitMQ 3.13+) and no x-delivery-count (quorum queues add it per delivery only).
        expect(dead.properties.headers).toEqual({
          keep: 'me',
          'x-death': [
            {
              count: 1,
              reason: scenario.reason,
              queue,
              time: expect.anything(),
              exchange,
              'routing-keys': ['rk'],
              ...(scenario.expiration === undefined ? {} : { 'original-expiration': String(scenario.expiration) }),
            },
          ],
          'x-first-death-exchange': exchange,
          'x-first-death-queue': queue,
          'x-first-death-reason': scenario.reason,
        });
      });
    }

    conformanceCase(harness, 'headers.x-death-time', 'x-death time is a Date, in whole seconds', async () => {
      const before = Date.now();
      const { dead } = await brokerDeadLetter(harness, SCENARIOS[0]);
      const time = (dead.properties.headers?.['x-death'] as Array<Record<string, HeaderValue>>)[0]['time'];
      expect(time).toBeInstanceOf(Date);
      const ms = (time as Date).getTime();
      expect(ms % 1000).toBe(0);
      expect(ms).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 2000);
      expect(ms).toBeLessThanOrEqual(Date.now() + 2000);
    });
  });
}
