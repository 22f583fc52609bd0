import type { PublisherStrategy } from './amqp-transport.options.js';

/** What a strategy needs to know about a publisher slot when it assigns an ordering key to one. */
export interface SlotCandidate {
  /** The slot's channel is open and set up (a key assigned to a slot without one waits for it). */
  readonly available: boolean;
  /** Messages in flight on the slot's channel plus those waiting for it. */
  readonly backlog: number;
}

/** Chooses the slot an ordering key is pinned to; returns an index into `slots` (never empty). */
export type SlotPicker = (slots: readonly SlotCandidate[]) => number;

/**
 * The slot choice for `strategy`, made once per ordering key, when the key has nothing outstanding (see
 * `OrderingKeyRouter`): a key then stays on that slot until all its messages are settled, which is what
 * keeps them in order. Slots whose channel is up are preferred; when none is, any slot will do and the
 * key waits for it.
 *
 * `least-loaded` takes the slot with the smallest backlog (the first on a tie), so new keys avoid a slow
 * channel; `round-robin` rotates over the slots whatever their backlog.
 */
export function slotPicker(strategy: PublisherStrategy): SlotPicker {
  if (strategy === 'round-robin') {
    let cursor = 0;
    return (slots) => {
      for (let offset = 0; offset < slots.length; offset++) {
        const index = (cursor + offset) % slots.length;
        if (slots[index]?.available) {
          cursor = (index + 1) % slots.length;
          return index;
        }
      }
      const index = cursor % slots.length;
      cursor = (index + 1) % slots.length;
      return index;
    };
  }
  return (slots) => {
    let best = -1;
    for (let pass = 0; pass < 2 && best < 0; pass++) {
      slots.forEach((slot, index) => {
        const eligible = pass === 1 || slot.available;
        const current = slots[best];
        if (eligible && (!current || slot.backlog < current.backlog)) best = index;
      });
    }
    return Math.max(best, 0);
  };
}
