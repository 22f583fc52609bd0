import type { OutboundMessage } from '../transport.interface.js';

/** The ordering key of a message: its own, or its exchange and routing key. */
export function orderingKeyOf(message: OutboundMessage): string {
  return message.orderingKey ?? `${message.exchange}\u0000${message.routingKey}`;
}

/**
 * {@link orderingKeyOf} remembering the last destination's key: a producer usually sends run after run
 * to one destination, and building (then hashing, in the router's map) a fresh string per message was
 * measurable garbage on the publish path.
 */
export class OrderingKeyCache {
  private exchange: string | undefined;
  private routingKey: string | undefined;
  private key = '';

  /** The message's ordering key. */
  of(message: OutboundMessage): string {
    if (message.orderingKey !== undefined) return message.orderingKey;
    const { exchange, routingKey } = message;
    if (exchange !== this.exchange || routingKey !== this.routingKey) {
      this.exchange = exchange;
      this.routingKey = routingKey;
      this.key = orderingKeyOf(message);
    }
    return this.key;
  }
}

interface Assignment<S> {
  readonly slot: S;
  outstanding: number;
}

/**
 * Pins each ordering key to one publisher slot for as long as the key has a message outstanding
 * (buffered, in flight, or waiting to be re-sent). All of a key's messages therefore go out on one
 * channel, in order, and a re-send after that channel died stays ahead of the key's later messages.
 *
 * Once every message of a key is settled and answered the pin is dropped (one that timed out in flight
 * keeps it until the broker answers or its channel closes): the broker has already routed (or refused)
 * them, so a later message sent on another channel cannot overtake them. Dropping the pin keeps the map
 * as small as the number of keys with something outstanding, and lets a key move off a channel that died.
 */
export class OrderingKeyRouter<S> {
  private readonly assignments = new Map<string, Assignment<S>>();

  /** The slot of `key`, assigning one with `pick` if it has nothing outstanding; counts one more message. */
  acquire(key: string, pick: () => S): S {
    let assignment = this.assignments.get(key);
    if (!assignment) {
      assignment = { slot: pick(), outstanding: 0 };
      this.assignments.set(key, assignment);
    }
    assignment.outstanding++;
    return assignment.slot;
  }

  /** One message of `key` is settled. */
  release(key: string): void {
    const assignment = this.assignments.get(key);
    if (!assignment) return;
    if (--assignment.outstanding <= 0) this.assignments.delete(key);
  }

  /** Keys with something outstanding. */
  get size(): number {
    return this.assignments.size;
  }
}
