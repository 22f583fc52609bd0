import { describe, expect, it } from '@jest/globals';
import { MemoryTransport } from '../../../lib/index.js';
import { startPacedApp } from '../../fixtures/backlog.fixture.js';
import { describeRun, growThenDrain } from '../../fixtures/backlog.scenarios.js';

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
