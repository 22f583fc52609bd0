import type { PublisherStrategy } from './amqp-transport.options.js';

/** What a strategy needs to know about a publisher channel. */
export interface PublisherCandidate {
  /** Messages in flight on the channel. */
  readonly load: number;
  /** Open, not waiting for `drain`, and under `maxUnconfirmed`. */
  canSend(maxUnconfirmed: number): boolean;
}

/** Chooses the channel for the next publish from the pool's slots (`undefined` for a slot with no channel). */
export type PublisherPicker = <C extends PublisherCandidate>(slots: readonly (C | undefined)[]) => C | undefined;

/**
 * The channel choice for `strategy`. `least-loaded` takes the channel with the fewest unconfirmed
 * messages (the first on a tie), so one slow channel does not hold up the rest; `round-robin` rotates
 * over the channels that can take a message, whatever their load. Only ask when there is a message to
 * send: round-robin advances on every pick.
 */
export function publisherPicker(strategy: PublisherStrategy, maxUnconfirmed: number): PublisherPicker {
  if (strategy === 'round-robin') {
    let cursor = 0;
    return (slots) => {
      for (let offset = 0; offset < slots.length; offset++) {
        const index = (cursor + offset) % slots.length;
        const candidate = slots[index];
        if (candidate?.canSend(maxUnconfirmed)) {
          cursor = (index + 1) % slots.length;
          return candidate;
        }
      }
      return undefined;
    };
  }
  return (slots) => {
    let best: (typeof slots)[number];
    for (const candidate of slots) {
      if (candidate?.canSend(maxUnconfirmed) && (!best || candidate.load < best.load)) best = candidate;
    }
    return best;
  };
}
