import type { Logger } from '@nestjs/common';
import type { InboundMessage, OutboundMessage, QueueStatus, RequestOptions } from '../transport.interface.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import type { AmqpManagementCounters } from './amqp-management.counters.js';
import { AmqpQueueProbe } from './amqp-queue.probe.js';
import { AmqpRequester } from './amqp-reply.requester.js';
import { AmqpReplySender } from './amqp-reply.sender.js';
import type { BackoffPolicy } from './backoff.policy.js';
import type { TopologyGate } from './topology.gate.js';

/** What the on-demand channels need from their transport. */
export interface AmqpOnDemandDeps {
  readonly gate: TopologyGate;
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  /** The management API's queue counters, when `management` is configured. */
  readonly management?: AmqpManagementCounters;
}

/**
 * The channels only some applications need, opened on first use so the others never pay for them: the
 * request channel of request/reply (direct reply-to) and the queue probe of queue status checks.
 */
export class AmqpOnDemandChannels {
  private requester: AmqpRequester | undefined;
  private replies: AmqpReplySender | undefined;
  private probe: AmqpQueueProbe | undefined;

  constructor(private readonly deps: AmqpOnDemandDeps) {}

  /** Sends a request on the request channel, opening it (and registering it on the connection) first. */
  request(monitor: AmqpConnectionMonitor, message: OutboundMessage, options: RequestOptions): Promise<InboundMessage> {
    if (!this.requester) {
      const { gate, timeoutMs, backoff, logger } = this.deps;
      this.requester = new AmqpRequester({ topologyGate: gate, closeTimeoutMs: timeoutMs, backoff, logger });
      monitor.register(this.requester.supervisor);
    }
    return this.requester.request(message, options);
  }

  /** Sends a reply on the reply channel (no confirms), opening it (and registering it on the connection) first. */
  reply(monitor: AmqpConnectionMonitor, message: OutboundMessage): Promise<void> {
    if (!this.replies) {
      const { timeoutMs, backoff, logger } = this.deps;
      this.replies = new AmqpReplySender({ timeoutMs, backoff, logger });
      monitor.register(this.replies.supervisor);
    }
    return this.replies.send(message);
  }

  /**
   * Ready messages and consumers of a queue, by a passive declare on the probe channel (fresh, and the
   * authority on whether the queue exists), with the queue's counters from the management API when
   * configured (see {@link AmqpManagementCounters}; left out when it cannot answer).
   */
  async queueStatus(monitor: AmqpConnectionMonitor, queue: string): Promise<QueueStatus> {
    const { timeoutMs, backoff, logger, management } = this.deps;
    this.probe ??= new AmqpQueueProbe({ monitor, timeoutMs, backoff, logger });
    const [status, counters] = await Promise.all([this.probe.status(queue), management?.read(queue)]);
    return counters === undefined ? status : { ...status, ...counters };
  }

  /** Closes whichever were opened. */
  async close(): Promise<void> {
    await this.requester?.close();
    await this.replies?.close();
    await this.probe?.close();
  }
}
