import { describe, expect, it } from '@jest/globals';
import { RingDeque } from '../../../lib/common/index.js';

describe('RingDeque', () => {
  it('is a FIFO across growth and wrap-around', () => {
    const deque = new RingDeque<number>(4);
    const model: number[] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < (round % 7) + 1; i++) {
        deque.push(next);
        model.push(next++);
      }
      for (let i = 0; i < round % 5; i++) expect(deque.shift()).toBe(model.shift());
      expect(deque.length).toBe(model.length);
      expect(deque.peek()).toBe(model[0]);
    }
    expect(deque.toArray()).toEqual(model);
  });

  it('inserts anywhere, unshifts, indexes and clears like an array', () => {
    const deque = new RingDeque<string>(4);
    const model: string[] = [];
    for (let i = 0; i < 40; i++) {
      // Keep the head moving so the ring wraps while inserting on both halves.
      if (i % 3 === 0 && model.length > 0) expect(deque.shift()).toBe(model.shift());
      const at = (i * 7) % (model.length + 1);
      deque.insert(at, `v${i}`);
      model.splice(at, 0, `v${i}`);
      expect(deque.toArray()).toEqual(model);
    }
    deque.unshift('first');
    model.unshift('first');
    expect(deque.at(0)).toBe('first');
    expect(deque.at(model.length)).toBeUndefined();
    deque.set(1, 'second');
    model[1] = 'second';
    expect(deque.toArray()).toEqual(model);
    expect(() => deque.set(model.length, 'x')).toThrow(RangeError);
    expect(deque.clear()).toEqual(model);
    expect(deque.length).toBe(0);
    expect(deque.shift()).toBeUndefined();
    expect(deque.peek()).toBeUndefined();
  });
});
