import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { PublishDeadlineList, type DeadlineLinks } from '../../../lib/transports/amqp/publish-deadline.list.js';

class Item implements DeadlineLinks<Item> {
  deadlineAt = 0;
  prevByDeadline: Item | undefined;
  nextByDeadline: Item | undefined;
  tracked = false;
  constructor(readonly name: string) {}
}

describe('PublishDeadlineList', () => {
  // Fake timers and clock: the list's one timer is observed at exact moments, whatever the machine's load.
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const sleep = async (ms: number): Promise<void> => {
    await jest.advanceTimersByTimeAsync(ms);
  };

  it('expires items oldest first, skipping those untracked in between, on one timer', async () => {
    const expired: string[] = [];
    const list = new PublishDeadlineList<Item>(30, (item) => expired.push(item.name));
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new Item(name)) as [Item, Item, Item];
    list.track(a);
    await sleep(10);
    list.track(b);
    list.track(c);
    // The head settles: the timer still fires at a's deadline and re-arms for b's.
    list.untrack(a);
    list.untrack(c);
    await sleep(25);
    expect(expired).toEqual([]);
    await sleep(40);
    expect(expired).toEqual(['b']);
    expect(b.tracked).toBe(false);
  });

  it('leaves no timer behind once nothing is tracked, so an idle process can exit', async () => {
    const expired: string[] = [];
    const list = new PublishDeadlineList<Item>(20, (item) => expired.push(item.name));
    const item = new Item('x');
    list.track(item);
    list.untrack(item);
    list.untrack(item);
    await sleep(40);
    expect(expired).toEqual([]);
    list.track(item);
    await sleep(40);
    expect(expired).toEqual(['x']);
  });
});
