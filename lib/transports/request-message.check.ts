import { InvalidOptionsError } from '../errors/index.js';
import { describeDestination } from './pending-request.table.js';
import type { OutboundMessage } from './transport.interface.js';

/**
 * Refuses a request whose caller set `correlationId` or `replyTo`. The transport owns both: the
 * correlation id is how it tells its requests' replies apart (a caller's id could collide with another
 * request in flight, or match a late reply to an earlier one), and the reply address is its connection's.
 * Replacing them silently would send the caller's ids nowhere without a word; a conversation id belongs
 * in a header instead.
 *
 * @throws InvalidOptionsError naming the property and its value.
 */
export function assertTransportOwnsReplyFields(message: OutboundMessage): void {
  const { correlationId, replyTo } = message.properties;
  const set = [correlationId !== undefined ? `correlationId "${correlationId}"` : undefined, replyTo !== undefined ? `replyTo "${replyTo}"` : undefined].filter(
    (field): field is string => field !== undefined,
  );
  if (set.length === 0) return;
  throw new InvalidOptionsError(
    `The request to ${describeDestination(message)} sets ${set.join(' and ')}: a request's correlationId and replyTo are the ` +
      "transport's own (they match the reply to its request); leave them unset, and carry a conversation id in a header",
  );
}
