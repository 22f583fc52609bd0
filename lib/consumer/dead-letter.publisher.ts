import { Logger } from '@nestjs/common';
import { findQueue, type TopologyDefinition } from '../topology/index.js';
import type { MessagingTransport, TransportDelivery } from '../transports/transport.interface.js';
import type { DeliveryFailure } from './delivery-failure.types.js';
import { buildFailureHeaders } from './failure.headers.js';

/**
 * Moves a failed message to its queue's dead-letter exchange with the failure recorded in headers.
 *
 * A plain `nack(requeue=false)` would let the broker dead-letter it, but the broker only records
 * "rejected": the reason would be lost. So the copy is published (confirmed, mandatory) first and the
 * original acked only after the broker took the copy. If that publish fails, the message is nacked
 * without requeue so the broker's own dead-lettering still catches it.
 */
export class DeadLetterPublisher {
  private readonly logger = new Logger('Messaging');

  constructor(
    private readonly transport: MessagingTransport,
    private readonly topology: TopologyDefinition,
  ) {}

  /** Dead-letters `delivery` with `failure` recorded, then settles it. Never throws. */
  async deadLetter(delivery: TransportDelivery, failure: DeliveryFailure): Promise<void> {
    const { message } = delivery;
    const queue = findQueue(this.topology, message.queue);
    const exchange = queue?.deadLetterExchange;
    const summary = `${failure.kind} failure in ${failure.consumer} on queue "${message.queue}" (message ${message.properties.messageId ?? 'without id'}): ${failure.error.message}`;
    if (exchange === undefined) {
      this.logger.error(`${summary}. Queue has no deadLetterExchange: the message is DISCARDED by the broker.`);
      delivery.nack(false);
      return;
    }
    const { expiration: _dropped, ...properties } = message.properties;
    try {
      await this.transport.publish({
        exchange,
        routingKey: queue?.deadLetterRoutingKey ?? message.routingKey,
        body: message.body,
        properties: { ...properties, headers: { ...properties.headers, ...buildFailureHeaders(message, failure) } },
        mandatory: true,
      });
    } catch (error) {
      this.logger.error(
        `${summary}. Publishing it to dead-letter exchange "${exchange}" failed (${(error as Error).message}); ` +
          'nacking so the broker dead-letters it without the recorded reason.',
      );
      delivery.nack(false);
      return;
    }
    this.logger.warn(`${summary}. Dead-lettered to exchange "${exchange}".`);
    delivery.ack();
  }
}
