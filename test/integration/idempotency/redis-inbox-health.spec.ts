import { afterEach, describe, expect, it } from '@jest/globals';
import { createClient } from 'redis';
import { RedisInboxStore } from '../../../lib/index.js';
import { describeWithRedis } from '../../support/redis.js';
import { startPrivateRedis, type PrivateRedis } from '../../support/redis-server.js';

// Eviction settings are server-wide: each case starts its own redis-server with them on the command line
// (the shared Redis is never reconfigured) and stops it after.
describeWithRedis('RedisInboxStore.health on a private redis-server', () => {
  let server: PrivateRedis | undefined;
  const clients: Array<{ close(): Promise<void> }> = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server?.stop();
    server = undefined;
  });

  async function storeOn(args: string[]) {
    server = await startPrivateRedis(args);
    const client = createClient({ url: server.url });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return { client, store: new RedisInboxStore({ client, keyPrefix: 'health:', maxKeys: 100 }) };
  }

  describe.each([
    ['allkeys-lru', 'evicts any key'],
    ['volatile-lru', 'evicts keys with a TTL, which every inbox key has'],
    ['volatile-ttl', 'evicts keys with a TTL, which every inbox key has'],
  ])('maxmemory-policy %s', (policy, risk) => {
    it('is reported as a risk to deduplication', async () => {
      const { store } = await storeOn(['--maxmemory', '64mb', '--maxmemory-policy', policy]);
      const health = await store.health();
      expect(health.details).toMatchObject({ maxMemoryPolicy: policy, maxMemoryBytes: 64 * 1024 * 1024 });
      expect(health.issues).toHaveLength(1);
      expect(health.issues[0]).toContain(`Redis maxmemory-policy ${policy} ${risk}`);
    });
  });

  it('noeviction without a maxmemory is no risk; noeviction nearly full is', async () => {
    const roomy = await storeOn(['--maxmemory-policy', 'noeviction']);
    expect(await roomy.store.health()).toMatchObject({ store: 'redis', keys: 0, maxKeys: 100, issues: [] });
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server!.stop();
    // Filled in 64 kB values until 85% of a 4 MB maxmemory is used, from whatever the fresh server uses itself.
    const max = 4 * 1024 * 1024;
    const tight = await storeOn(['--maxmemory', String(max), '--maxmemory-policy', 'noeviction']);
    const used = async () => Number(/used_memory:(\d+)/.exec(await tight.client.info('memory'))![1]);
    for (let i = 0; (await used()) < 0.85 * max; i++) await tight.client.set(`health:filler:${i}`, 'x'.repeat(64 * 1024));
    const health = await tight.store.health();
    expect(health.issues).toEqual([expect.stringMatching(/^Redis memory at (8\d|9\d)% of maxmemory 4194304 bytes with noeviction: once full, claims fail/)]);
  });
});
