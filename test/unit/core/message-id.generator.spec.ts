import { describe, expect, it } from '@jest/globals';
import { MessageIdGenerator } from '../../../lib/producer/message-id.generator.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('MessageIdGenerator', () => {
  it('makes version 4 UUIDs in the canonical lower-case form', () => {
    const ids = new MessageIdGenerator();
    for (let i = 0; i < 1000; i++) expect(ids.next()).toMatch(UUID_V4);
  });

  it('does not repeat across batches of random bytes', () => {
    const ids = new MessageIdGenerator();
    const seen = new Set<string>();
    // Several batches, so refilling the random bytes is covered too.
    for (let i = 0; i < 2000; i++) seen.add(ids.next());
    expect(seen.size).toBe(2000);
  });

  it('returns strings that stay valid after later ids are made (no shared buffer behind them)', () => {
    const ids = new MessageIdGenerator();
    const first = ids.next();
    const copy = `${first}`;
    ids.next();
    expect(first).toBe(copy);
  });
});
