import { describe, expect, it } from '@jest/globals';
import { PublishBuffer, type BufferLinks } from '../../../lib/transports/amqp/publish.buffer.js';

class Item implements BufferLinks<Item> {
  prevInBuffer: Item | undefined;
  nextInBuffer: Item | undefined;
  inBuffer = false;
  constructor(readonly seq: number) {}
}

const seqs = (buffer: PublishBuffer<Item>): number[] => buffer.drain().map((item) => item.seq);

describe('PublishBuffer', () => {
  it('is a FIFO that reports when it reaches its limit', () => {
    const buffer = new PublishBuffer<Item>(2);
    buffer.push(new Item(1));
    expect(buffer.full).toBe(false);
    buffer.push(new Item(2));
    expect(buffer.full).toBe(true);
    expect(buffer.shift()?.seq).toBe(1);
    expect(buffer.size).toBe(1);
    expect(buffer.full).toBe(false);
  });

  it('removes an item from anywhere in O(1), and ignores items it does not hold', () => {
    const buffer = new PublishBuffer<Item>(10);
    const items = [1, 2, 3, 4].map((seq) => new Item(seq));
    items.forEach((item) => buffer.push(item));
    buffer.remove(items[1] as Item);
    buffer.remove(items[3] as Item);
    buffer.remove(items[3] as Item);
    buffer.remove(new Item(9));
    expect(buffer.size).toBe(2);
    expect(seqs(buffer)).toEqual([1, 3]);
  });

  it('restores items in publish order ahead of newer ones, merging what several channels hand back', () => {
    const buffer = new PublishBuffer<Item>(2);
    buffer.push(new Item(10));
    buffer.push(new Item(11));
    buffer.restore([new Item(6), new Item(2), new Item(4)]);
    buffer.restore([new Item(5), new Item(3), new Item(1)]);
    expect(buffer.size).toBe(8);
    expect(seqs(buffer)).toEqual([1, 2, 3, 4, 5, 6, 10, 11]);
  });
});
