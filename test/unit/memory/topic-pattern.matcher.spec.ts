import { describe, expect, it } from '@jest/globals';
import { matchesTopic, topicWords } from '../../../lib/topology/topic-pattern.matcher.js';

describe('topicWords', () => {
  it('has no words for the empty key and keeps empty words elsewhere', () => {
    expect(topicWords('')).toEqual([]);
    expect(topicWords('a')).toEqual(['a']);
    expect(topicWords('a..b')).toEqual(['a', '', 'b']);
    expect(topicWords('a.')).toEqual(['a', '']);
    expect(topicWords('.')).toEqual(['', '']);
  });
});

describe('matchesTopic', () => {
  it.each([
    // exact words
    ['orders.created', 'orders.created', true],
    ['orders.created', 'orders.updated', false],
    ['orders.created', 'orders.created.eu', false],
    // * is exactly one word
    ['orders.*', 'orders.created', true],
    ['orders.*', 'orders', false],
    ['orders.*', 'orders.created.eu', false],
    ['*.created', 'orders.created', true],
    ['*', 'orders', true],
    ['*', '', false],
    ['*', 'a.b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['*.*', 'a.', true], // the second word is empty
    // # is zero or more words
    ['orders.#', 'orders', true],
    ['orders.#', 'orders.created', true],
    ['orders.#', 'orders.created.eu.west', true],
    ['orders.#', 'order', false],
    ['#', '', true],
    ['#', 'anything.at.all', true],
    ['#.created', 'created', true],
    ['#.created', 'orders.eu.created', true],
    ['#.created', 'orders.created.eu', false],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['#.#', 'a', true],
    ['#.a.#', 'a', true],
    ['#.a.#', 'x.a.y', true],
    ['#.a.#', 'x.b.y', false],
    ['#.*', '', false],
    ['#.*', 'a', true],
    ['*.#', 'a.b.c', true],
    ['a.#.b.#.c', 'a.b.c', true],
    ['a.#.b.#.c', 'a.x.b.y.z.c', true],
    ['a.#.b.#.c', 'a.x.c.b', false],
    // the empty binding key only matches the empty routing key
    ['', '', true],
    ['', 'a', false],
    // words are compared literally, case-sensitive, no partial-word wildcards
    ['Orders.created', 'orders.created', false],
    ['ord*.created', 'orders.created', false],
    ['a#', 'a.b', false],
  ])('binding %j vs routing key %j -> %s', (pattern, key, expected) => {
    expect(matchesTopic(pattern, key)).toBe(expected);
  });

  it('stays fast with many # against a long key', () => {
    const pattern = Array.from({ length: 30 }, () => '#').join('.') + '.never';
    const key = Array.from({ length: 200 }, (_, i) => `w${i}`).join('.');
    const started = Date.now();
    expect(matchesTopic(pattern, key)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
