import { describe, expect, it } from '@jest/globals';
import { InvalidOptionsError, MemoryInboxStore } from '../../../lib/index.js';
import { muteNestLogger } from '../../fixtures/logger.fixture.js';

/** A store on a clock the test moves by hand. */
function storeAt(start = 1_000, maxEntries?: number) {
  const clock = { now: start };
  const store = new MemoryInboxStore({ maxEntries, now: () => clock.now });
  return { store, clock };
}

describe('MemoryInboxStore', () => {
  it('claims once: a second claim sees in-progress, a commit makes it done', async () => {
    const { store } = storeAt();
    expect(await store.claim('c:1', 't1', 1_000)).toBe('claimed');
    expect(await store.claim('c:1', 't2', 1_000)).toBe('in-progress');
    expect(await store.commit('c:1', 't1', 60_000)).toBe(true);
    expect(await store.claim('c:1', 't3', 1_000)).toBe('done');
    expect(await store.claim('c:2', 't4', 1_000)).toBe('claimed');
  });

  it('release frees the id for the next claim, but only for the claim that holds it', async () => {
    const { store } = storeAt();
    await store.claim('c:1', 'mine', 1_000);
    expect(await store.release('c:1', 'someone-else')).toBe(false);
    expect(await store.claim('c:1', 'other', 1_000)).toBe('in-progress');
    expect(await store.release('c:1', 'mine')).toBe(true);
    expect(await store.claim('c:1', 'next', 1_000)).toBe('claimed');
  });

  it('a lease runs out: the id can be claimed again, and the late holder can neither release nor keep it', async () => {
    const { store, clock } = storeAt();
    await store.claim('c:1', 'crashed', 1_000);
    clock.now += 999;
    expect(await store.claim('c:1', 'x', 1_000)).toBe('in-progress');
    clock.now += 1;
    expect(await store.claim('c:1', 'successor', 1_000)).toBe('claimed');
    expect(await store.release('c:1', 'crashed')).toBe(false);
    expect(await store.claim('c:1', 'y', 1_000)).toBe('in-progress');
    // The late holder's side effect did happen, so its commit still records the id (and reports the lost lease).
    expect(await store.commit('c:1', 'crashed', 5_000)).toBe(false);
    expect(await store.claim('c:1', 'z', 1_000)).toBe('done');
    expect(await store.release('c:1', 'successor')).toBe(false);
    expect(await store.claim('c:1', 'z', 1_000)).toBe('done');
  });

  it('renew extends only its own live claim, and never creates or overwrites a record', async () => {
    const { store, clock } = storeAt();
    await store.claim('c:1', 'mine', 1_000);
    clock.now += 900;
    expect(await store.renew('c:1', 'mine', 1_000)).toBe(true);
    clock.now += 900; // 1,800 ms after the claim: alive only thanks to the renewal
    expect(await store.claim('c:1', 'other', 1_000)).toBe('in-progress');
    expect(await store.renew('c:1', 'other', 1_000)).toBe(false);
    clock.now += 100; // the renewed lease ends
    expect(await store.renew('c:1', 'mine', 1_000)).toBe(false);
    expect(await store.claim('c:1', 'successor', 1_000)).toBe('claimed');
    expect(await store.renew('c:1', 'mine', 1_000)).toBe(false);
    await store.commit('c:1', 'successor', 60_000);
    expect(await store.renew('c:1', 'successor', 1_000)).toBe(false);
    expect(await store.claim('c:1', 'x', 1_000)).toBe('done');
    expect(await store.renew('c:never', 'mine', 1_000)).toBe(false);
    expect(await store.claim('c:never', 'x', 1_000)).toBe('claimed');
  });

  it('forgets a commit after its retention', async () => {
    const { store, clock } = storeAt();
    await store.claim('c:1', 't', 1_000);
    await store.commit('c:1', 't', 10_000);
    clock.now += 9_999;
    expect(await store.claim('c:1', 'u', 1_000)).toBe('done');
    clock.now += 1;
    expect(await store.claim('c:1', 'v', 1_000)).toBe('claimed');
  });

  it('is bounded: evicts the least recently used record and warns once', async () => {
    const logger = muteNestLogger();
    try {
      const { store } = storeAt(1_000, 3);
      for (const id of ['a', 'b', 'c']) {
        await store.claim(id, 't', 60_000);
        await store.commit(id, 't', 60_000);
      }
      expect(await store.claim('a', 'again', 60_000)).toBe('done'); // touches "a": "b" is now the oldest
      await store.claim('d', 't', 60_000);
      await store.claim('e', 't', 60_000);
      expect(store.size).toBe(3);
      expect(await store.claim('a', 'x', 60_000)).toBe('done');
      expect(await store.claim('b', 'x', 60_000)).toBe('claimed'); // evicted, so it reads as new
      expect(logger.warnings().filter((w) => w.includes('MemoryInboxStore is full'))).toHaveLength(1);
    } finally {
      logger.restore();
    }
  });

  it('evicts expired records without warning', async () => {
    const logger = muteNestLogger();
    try {
      const { store, clock } = storeAt(1_000, 2);
      await store.claim('a', 't', 10);
      await store.claim('b', 't', 10);
      clock.now += 10;
      await store.claim('c', 't', 10);
      expect(store.size).toBe(2);
      expect(logger.warnings()).toEqual([]);
    } finally {
      logger.restore();
    }
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    expect(() => new MemoryInboxStore({ maxEntries: 0 })).toThrow(InvalidOptionsError);
    expect(() => new MemoryInboxStore({ maxEntries: 1.5 })).toThrow(InvalidOptionsError);
  });
});
