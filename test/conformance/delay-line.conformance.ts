import { afterEach, describe, expect } from '@jest/globals';
import { DelayTopology } from '../../lib/retry/delay-topology.builder.js';
import { RETRY_HEADERS } from '../../lib/retry/retry.headers.js';
import type { TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, outbound, startedTransport, waitUntil } from './conformance.helpers.js';

/**
 * The retry delay line: binary TTL levels chained by dead-lettering, topic routing on the delay bits, a
 * headers exchange handing the message back. Retries rely on every transport routing it the same way.
 */
export function describeDelayLineConformance(harness: TransportHarness): void {
  describe('retry delay line', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'delay-line.exact', 'a message published with a delay key comes back to its target queue after that delay, short ones first', async () => {
      const delays = new DelayTopology(1000, harness.name('line'));
      const target = harness.name('target');
      const other = harness.name('other');
      const line = delays.topology([target, other]);
      const transport = await startedTransport(harness, { ...line, queues: [...line.queues, { name: target }, { name: other }] });
      const arrived: Array<{ body: string; at: number }> = [];
      await collect(transport, target, { settle: (d) => (arrived.push({ body: d.message.body.toString(), at: Date.now() }), d.ack()) });
      // Each wait is timed from its own publish, so a slow confirm of an earlier one is not counted in it.
      const sentAt: Record<string, number> = {};
      const send = (body: string, delayMs: number) => {
        sentAt[body] = Date.now();
        return transport.publish(outbound(delays.entryExchange, delays.routingKey(delayMs), body, { headers: { [RETRY_HEADERS.target]: target } }));
      };
      await send('slow', 600);
      await send('fast', 150);
      await send('now', 0);
      await waitUntil(() => arrived.length === 3, 'three messages back', 5000);
      expect(arrived.map((a) => a.body)).toEqual(['now', 'fast', 'slow']);
      const waited = Object.fromEntries(arrived.map((a) => [a.body, a.at - (sentAt[a.body] ?? 0)]));
      // Never early (5 ms for clock granularity); late by at most the README's worst measured 56 ms
      // (208–256 ms for a 200 ms delay) plus 64 ms for a loaded 2-core machine, plus 50 ms for each level
      // the delay passes through (a quorum queue handing it on at least once): 150 and 600 ms each pass 4.
      expect(waited['fast']).toBeGreaterThanOrEqual(150 - 5);
      expect(waited['fast']).toBeLessThanOrEqual(150 + 120 + 50 * 4);
      expect(waited['slow']).toBeGreaterThanOrEqual(600 - 5);
      expect(waited['slow']).toBeLessThanOrEqual(600 + 120 + 50 * 4);
      // Only the named target received them.
      expect(await harness.readyCount(transport, other)).toBe(0);
    });

    conformanceCase(harness, 'delay-line.parks-unrouted', 'a retry whose target queue is not bound to the line is parked in the parking queue, not dropped', async () => {
      const delays = new DelayTopology(100, harness.name('line'));
      const line = delays.topology([]);
      const transport = await startedTransport(harness, line);
      const target = harness.name('unbound');
      await transport.publish(outbound(delays.entryExchange, delays.routingKey(30), 'parked', { headers: { [RETRY_HEADERS.target]: target } }));
      await waitUntil(async () => (await harness.readyCount(transport, delays.parkingQueue)) === 1, 'the retry parked', 5000);
    });
  });
}
