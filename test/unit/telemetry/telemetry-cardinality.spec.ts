import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { MemoryTransport } from '../../../lib/index.js';
import { floodWithRandomRoutes } from '../../fixtures/telemetry-cardinality.scenario.js';
import { GlobalTelemetry } from '../../fixtures/telemetry.fixture.js';

const otel = new GlobalTelemetry();
beforeAll(() => otel.install());
afterAll(() => otel.uninstall());
const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  otel.spans.reset();
});

describe('telemetry cardinality on the memory transport', () => {
  it('300 messages with random routing keys and forged headers yield two span names and a handful of metric/Prometheus label sets', async () => {
    await floodWithRandomRoutes(() => new MemoryTransport(), otel, 300, (app) => apps.push(app));
    // The in-process broker has no network address: no server.address on its spans.
    expect(otel.finished().some((span) => span.attributes['server.address'] !== undefined)).toBe(false);
  }, 30_000);
});
