import { describe, expect, it } from '@jest/globals';
import { MemoryTransport } from '../../../lib/index.js';
import { startPacedApp } from '../../fixtures/backlog.fixture.js';
import { describeRun, growThenDrain } from '../../fixtures/backlog.scenarios.js';
import { describeInstancesRun, steadyStandingBacklog, threeInstancesGrowThenDrain } from '../../fixtures/backlog-instances.scenarios.js';

describe('BacklogMonitor on the memory transport', () => {
  it('estimates arrival and service rates within 15% while growing (200/s in, 100/s out) and draining (40/s in)', async () => {
    const run = await growThenDrain(() => new MemoryTransport(), { growMs: 4000, drainMs: 3500 }, 250, 800);
    process.stdout.write(`${describeRun('memory', run)}\n`);
  }, 20_000);

  it('samples on its interval when enabled, and reports an empty queue as drained', async () => {
    const paced = await startPacedApp(() => new MemoryTransport(), 1000, { intervalMs: 50 });
    try {
      expect(paced.monitor.enabled).toBe(true);
      await paced.produce(100, 300);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const backlog = paced.monitor.backlog(paced.queue);
      expect(backlog).toMatchObject({ queue: paced.queue, depth: 0, consumers: 1, timeToDrainSeconds: 0 });
    } finally {
      await paced.close();
    }
  });
});

describe('BacklogMonitor on the memory transport, several instances and the wait SLO', () => {
  it('three apps consuming one queue (one shared in-memory broker), each with its own monitor, all report the queue-wide rates within 15% while growing (200/s in, 120/s out) and draining (60/s in)', async () => {
    const shared = new MemoryTransport();
    const run = await threeInstancesGrowThenDrain(() => shared);
    process.stdout.write(`${describeInstancesRun('memory', run)}\n`);
    // The memory transport reports exact counters: the estimates come from them.
    expect([...run.growing.reported, ...run.draining.reported].map((b) => b.rateSource)).toEqual(Array(6).fill('queue-counters'));
  }, 20_000);

  it('a steady standing backlog with a short wait (about 1.5 s) stays within a 5 s SLO', async () => {
    const { backlog } = await steadyStandingBacklog(() => new MemoryTransport());
    process.stdout.write(`memory, standing backlog: depth=${backlog.depth} r=${backlog.arrivalRate.toFixed(1)} s=${backlog.serviceRate.toFixed(1)} wait=${backlog.expectedWaitSeconds?.toFixed(2)} s trend=${backlog.trend}\n`);
  }, 20_000);
});
