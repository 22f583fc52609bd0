import { messageSnapshot, parsePayload } from './memory.message.js';
import type { AckedRecord, DeadLetteredRecord, DeliveredRecord, MessageSnapshot, NackedRecord, PublishedRecord } from './memory-record.types.js';
import type { RecordLayout } from './memory-record.ring.js';

/** The message fields a record copies: references to the broker's own, never-mutated copies. */
export type RecordedMessage = Pick<MessageSnapshot, 'exchange' | 'routingKey' | 'properties' | 'body'>;

/** Clock reading the record times are kept relative to. */
const LOADED_AT = Date.now();

/**
 * The clock reading a record keeps, of now or of `now` (epoch milliseconds) read by the caller: milliseconds since the module loaded rather than since the epoch, a
 * small integer stored in the ring's array itself, where an epoch reading would be one more heap number
 * per record to keep and scavenge.
 */
export function recordClock(now = Date.now()): number {
  return now - LOADED_AT;
}

/** The `Date` of a {@link recordClock} reading. */
function timeOf(reading: unknown): Date {
  return new Date(LOADED_AT + (reading as number));
}

/*
 * Records are taken as references and a clock reading, in a RecordRing. Copying the message, parsing its
 * payload and making the `Date` wait until someone reads the records, so a busy transport that nobody
 * inspects pays little per record. The broker never mutates a body or properties it holds
 * (dead-lettering builds new properties), so building later yields the same record as building at once.
 */

/**
 * A publish that reached the broker. Values: exchange, routing key, body, properties, mandatory, routed
 * queues, outcome, error, clock reading.
 */
export const PUBLISH_LAYOUT: RecordLayout = {
  build(slots, base): PublishedRecord {
    const exchange = slots[base + 1] as string;
    const routingKey = slots[base + 2] as string;
    const body = slots[base + 3] as Buffer;
    const properties = slots[base + 4] as RecordedMessage['properties'];
    const error = slots[base + 8] as Error | undefined;
    return {
      ...messageSnapshot({ exchange, routingKey, body, properties }),
      mandatory: slots[base + 5] as boolean,
      routedQueues: [...(slots[base + 6] as readonly string[])],
      outcome: slots[base + 7] as PublishedRecord['outcome'],
      ...(error ? { error } : {}),
      time: timeOf(slots[base + 9]),
    };
  },
};

/**
 * A delivery handed over, acked or nacked. Values: message, queue, consumer name, consumer tag, delivery
 * tag, flag (`redelivered` for a delivery, `requeue` for a nack), clock reading.
 */
function deliveryLayout(kind: 'delivered' | 'acked' | 'nacked'): RecordLayout {
  return {
    build(slots, base): DeliveredRecord | AckedRecord | NackedRecord {
      const record = {
        ...messageSnapshot(slots[base + 1] as RecordedMessage),
        queue: slots[base + 2] as string,
        consumerName: slots[base + 3] as string,
        consumerTag: slots[base + 4] as string,
        deliveryTag: slots[base + 5] as number,
        time: timeOf(slots[base + 7]),
      };
      const flag = slots[base + 6] as boolean;
      if (kind === 'delivered') return { ...record, redelivered: flag };
      return kind === 'nacked' ? { ...record, requeue: flag } : record;
    },
  };
}

/** Layouts of the delivery records, by kind; see {@link deliveryLayout}. */
export const DELIVERY_LAYOUTS: Readonly<Record<'delivered' | 'acked' | 'nacked', RecordLayout>> = {
  delivered: deliveryLayout('delivered'),
  acked: deliveryLayout('acked'),
  nacked: deliveryLayout('nacked'),
};

/** A broker-side dead-lettering (or discard): rare, so one object that is its own layout. */
export class PendingDeadLetterRecord implements RecordLayout {
  private readonly at = recordClock();

  constructor(
    private readonly fields: Omit<DeadLetteredRecord, 'body' | 'payload' | 'time'>,
    private readonly body: Buffer,
  ) {}

  build(): DeadLetteredRecord {
    return { ...this.fields, routedQueues: [...this.fields.routedQueues], body: Buffer.from(this.body), payload: parsePayload(this.body), time: timeOf(this.at) };
  }
}
