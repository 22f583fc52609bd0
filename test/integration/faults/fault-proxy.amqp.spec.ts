import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { FaultProxy } from '../../fixtures/fault-proxy.fixture.js';
import { formatReport, startLoadApp, whenProgress, type LoadApp } from '../../fixtures/load-scenario.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { deleteTopology } from '../../fixtures/rabbitmq-admin.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { AMQP_URL, describeWithBroker } from '../../support/broker.js';

jest.setTimeout(120_000);

let logger: MutedLogger;
let proxy: FaultProxy;
const apps: LoadApp[] = [];

beforeAll(async () => {
  logger = muteNestLogger();
  const { hostname, port } = new URL(AMQP_URL);
  proxy = await FaultProxy.start({ host: hostname || '127.0.0.1', port: Number(port || 5672) });
});
afterEach(async () => {
  proxy.resume();
  proxy.setLatency(0);
  proxy.refuseNew(false);
  for (const app of apps.splice(0)) {
    await app.close().catch(() => undefined);
    await deleteTopology({ queues: [app.queue, `${app.queue}.error`], exchanges: (app.topology.exchanges ?? []).map((e) => e.name) });
  }
});
afterAll(async () => {
  await proxy.close();
  logger.restore();
});

/** The Nest load app through the proxy (the shared broker behind it only ever sees our own connections). */
async function loadApp(heartbeatSeconds = 2): Promise<LoadApp> {
  const app = await startLoadApp({ urls: proxy.urlFor(AMQP_URL), transport: { heartbeatSeconds } });
  apps.push(app);
  return app;
}

function report(line: string): void {
  process.stderr.write(`${line}\n`);
}

describeWithBroker('fault proxy between the module and RabbitMQ', () => {
  it('added latency (25 ms each way): 5,000 messages, none lost', async () => {
    const app = await loadApp();
    proxy.setLatency(25);
    const result = await app.run(5_000, { window: 300 });
    report(formatReport('latency 25 ms', result));
    expect(result.lost).toBe(0);
    expect(result.confirmed).toBe(5_000);
  });

  it('connections cut with RST three times under load: every confirmed message consumed, consumers resume by themselves', async () => {
    const app = await loadApp();
    const acceptedBefore = proxy.accepted;
    let lastCutAt = 0;
    const result = await app.run(10_000, {
      window: 300,
      during: async (progress) => {
        for (const at of [2_000, 5_000, 8_000]) {
          await whenProgress(progress, at);
          expect(proxy.cutAll()).toBeGreaterThan(0);
          lastCutAt = Date.now();
          await sleep(200);
        }
      },
    });
    const consumedAfterLastCut = [...app.firstSeenAt.values()].filter((at) => at > lastCutAt).length;
    report(formatReport('3 RST cuts', result, `reconnects ${proxy.accepted - acceptedBefore}, consumed after the last cut ${consumedAfterLastCut}`));
    expect(result.lost).toBe(0);
    expect(result.confirmed).toBeGreaterThan(9_000);
    expect(proxy.accepted - acceptedBefore).toBeGreaterThanOrEqual(3);
    expect(consumedAfterLastCut).toBeGreaterThan(0);
    expect(app.transport.stats()).toMatchObject({ connected: true, consumers: 1 });
  });

  it('a black hole (half-open connection) is detected by heartbeats within about two intervals, then recovered under load', async () => {
    const heartbeatSeconds = 1;
    const app = await loadApp(heartbeatSeconds);
    const acceptedBefore = proxy.accepted;
    let detectedMs = -1;
    const result = await app.run(5_000, {
      window: 200,
      during: async (progress) => {
        await whenProgress(progress, 1_500);
        proxy.blackHole();
        const since = Date.now();
        await waitFor(() => !app.transport.stats().connected, 'the heartbeat notices the black hole', 10_000);
        detectedMs = Date.now() - since;
        // The dead sockets are still open on the proxy: cut them, and let new connections through.
        proxy.cutAll();
        proxy.resume();
      },
    });
    report(formatReport('black hole', result, `heartbeat ${heartbeatSeconds} s, detected after ${detectedMs} ms`));
    // amqplib checks receipt once per interval and gives up after two silent checks: 2-3 intervals.
    expect(detectedMs).toBeLessThan(3.5 * heartbeatSeconds * 1000);
    expect(result.lost).toBe(0);
    // A floor, so a run where the sends failed cannot pass on lost === 0: at least the 1,500 sent before
    // the black hole, less the window of 200 that may have been in flight.
    expect(result.confirmed).toBeGreaterThanOrEqual(1_300);
    expect(proxy.accepted).toBeGreaterThan(acceptedBefore);
    await waitFor(() => app.transport.stats().consumers === 1, 'consumer back', 10_000);
  });

  it('a pause shorter than the heartbeat timeout holds traffic back and loses nothing, without a reconnect', async () => {
    const app = await loadApp(5);
    const acceptedBefore = proxy.accepted;
    const result = await app.run(3_000, {
      window: 100,
      during: async (progress) => {
        await whenProgress(progress, 1_000);
        proxy.pause();
        const heldAt = progress();
        await sleep(2_000);
        // Nothing gets through while paused: at most the window of sends in flight moved on.
        expect(progress() - heldAt).toBeLessThanOrEqual(100);
        proxy.resume();
      },
    });
    report(formatReport('pause 2 s', result, `reconnects ${proxy.accepted - acceptedBefore}`));
    expect(result.lost).toBe(0);
    expect(result.confirmed).toBe(3_000);
    expect(proxy.accepted).toBe(acceptedBefore);
  });
});
