import type { BindingDefinition, ExchangeDefinition, QueueDefinition, TopologyDefinition } from '../topology/index.js';
import { MAX_RETRY_DELAY_MS } from './delay.schedules.js';
import { RETRY_HEADERS } from './retry.headers.js';

/** Default name prefix of the delay exchanges and queues; shared by every service on a vhost. */
export const DEFAULT_DELAY_PREFIX = 'messaging.retry';

/**
 * The version segment of the line's names. Version 2 made the level queues quorum queues dead-lettering
 * at least once; a classic level queue of version 1 cannot be redeclared as quorum (PRECONDITION_FAILED),
 * so the new line lives under new names next to the old one.
 */
export const DELAY_LINE_VERSION = 'v2';

/**
 * The broker-side delay line, on any broker with AMQP semantics and no plugin: binary delay levels, as
 * NServiceBus does, so every delay is exact and a short delay never waits behind a long one.
 *
 * Level k is a queue whose every message lives exactly 2^k ms (queue TTL: all its messages expire in
 * arrival order, unlike per-message TTLs, which only expire at the head) and then dead-letters into
 * level k-1. A delay is written in binary in the routing key, most significant level first (level k's bit
 * is word k counted from the end): each level's topic exchange sends the message into its queue when its
 * bit is 1, or straight on to the next level when it is 0. After level 0 a headers exchange delivers it to
 * the queue named in the retry target header.
 *
 * Every hop is at-least-once. The level queues are quorum queues with `x-dead-letter-strategy:
 * at-least-once` (and the `reject-publish` overflow it needs): a level holds an expired message until the
 * next hop took it, so a full, leaderless or missing next queue delays it instead of dropping it. The
 * deliver exchange's alternate exchange parks what it cannot route (the target queue deleted or unbound)
 * in the parking queue, where an operator sees it and can send it back.
 */
export class DelayTopology {
  /** How many levels: enough for `maxDelayMs`. */
  readonly levels: number;

  constructor(
    maxDelayMs: number,
    readonly prefix = DEFAULT_DELAY_PREFIX,
  ) {
    const needed = Math.ceil(Math.log2(Math.min(Math.max(maxDelayMs, 1), MAX_RETRY_DELAY_MS) + 1));
    this.levels = Math.max(1, needed);
  }

  /** The exchange a retry copy is published to. */
  get entryExchange(): string {
    return this.levelExchange(this.levels - 1);
  }

  /** The headers exchange that hands a message back to its queue after the last level. */
  get deliverExchange(): string {
    return `${this.base}.deliver`;
  }

  /** The fanout exchange and quorum queue where the deliver exchange parks what it cannot route. */
  get parkingQueue(): string {
    return `${this.base}.parked`;
  }

  /** The routing key that makes a message wait `delayMs` (rounded to whole ms, capped by the levels). */
  routingKey(delayMs: number): string {
    const max = 2 ** this.levels - 1;
    const delay = Math.min(max, Math.max(0, Math.round(delayMs)));
    const bits: string[] = [];
    for (let level = this.levels - 1; level >= 0; level--) bits.push(Math.floor(delay / 2 ** level) % 2 === 1 ? '1' : '0');
    return bits.join('.');
  }

  /** The longest delay the levels can express. */
  get maxDelayMs(): number {
    return 2 ** this.levels - 1;
  }

  /** Exchanges, queues and bindings of the delay line, plus a delivery binding for each retrying queue. */
  topology(retryingQueues: readonly string[]): Required<TopologyDefinition> {
    const parked = this.parkingQueue;
    const exchanges: ExchangeDefinition[] = [
      { name: this.deliverExchange, type: 'headers', alternateExchange: parked },
      { name: parked, type: 'fanout' },
    ];
    const queues: QueueDefinition[] = [{ name: parked, type: 'quorum' }];
    const bindings: BindingDefinition[] = [{ exchange: parked, queue: parked }];
    for (let level = 0; level < this.levels; level++) {
      const exchange = this.levelExchange(level);
      const next = level === 0 ? this.deliverExchange : this.levelExchange(level - 1);
      // The bit is addressed from the end of the key, so the bindings are the same whatever the depth:
      // services sharing a vhost with delay lines of different depths never route each other's keys wrong.
      const suffix = '.*'.repeat(level);
      exchanges.push({ name: exchange, type: 'topic' });
      queues.push({
        name: exchange,
        type: 'quorum',
        messageTtl: 2 ** level,
        deadLetterExchange: next,
        // RabbitMQ applies the at-least-once strategy only with reject-publish; the levels have no length
        // limit, so nothing is ever refused for it.
        overflow: 'reject-publish',
        arguments: { 'x-dead-letter-strategy': 'at-least-once' },
      });
      bindings.push({ exchange, queue: exchange, routingKey: `#.1${suffix}` });
      bindings.push({ exchange, toExchange: next, routingKey: `#.0${suffix}` });
    }
    for (const queue of retryingQueues) {
      bindings.push({ exchange: this.deliverExchange, queue, arguments: { 'x-match': 'all', [RETRY_HEADERS.target]: queue } });
    }
    return { exchanges, queues, bindings };
  }

  /** The prefix plus the line's version: every name of the line starts with it. */
  private get base(): string {
    return `${this.prefix}.${DELAY_LINE_VERSION}`;
  }

  private levelExchange(level: number): string {
    return `${this.base}.L${String(level).padStart(2, '0')}`;
  }
}
