import { Inject, Injectable } from '@nestjs/common';
import { MESSAGING_CORE_TRANSPORT } from '../common/index.js';
import type { MessagingTransport, TransportStats } from '../transports/transport.interface.js';
import type { InboxHealthReport } from '../idempotency/inbox-health.monitor.js';
import { MessagingLifecycle } from './messaging.lifecycle.js';

/** One queue consumer of this application, as health checks and metrics see it. */
export interface ConsumerStatus {
  /** The consumer's name (its handlers, `Class.method`). */
  readonly name: string;
  readonly queue: string;
  /** Subscribed (between bootstrap and shutdown). */
  readonly running: boolean;
  /** Deliveries being handled right now. */
  readonly inFlight: number;
  readonly concurrency: number;
  /** Deliveries received so far (monotonic). */
  readonly delivered: number;
  /** Deliveries whose processing finished so far (monotonic). */
  readonly completed: number;
}

/** A point-in-time view of the transport and the consumers. */
export interface MessagingStatusSnapshot {
  /** The transport's kind, e.g. `amqp` or `memory`. */
  readonly transport: string;
  readonly stats: TransportStats;
  readonly consumers: readonly ConsumerStatus[];
  /** The inbox store's last sampled health (see {@link MessagingStatus.inbox}); absent when there is none. */
  readonly inbox?: InboxHealthReport;
}

/**
 * Read-only status of the messaging module: transport state and counters plus each queue consumer's
 * state. Cheap (no broker round trip), so health checks and metric scrapes can call it every time.
 */
@Injectable()
export class MessagingStatus {
  constructor(
    @Inject(MESSAGING_CORE_TRANSPORT) private readonly transport: MessagingTransport,
    private readonly lifecycle: MessagingLifecycle,
  ) {}

  /** The transport's kind, e.g. `amqp` or `memory`. */
  get transportKind(): string {
    return this.transport.kind;
  }

  /** The consumers only, without asking the transport. */
  consumers(): ConsumerStatus[] {
    return this.lifecycle.consumers.map((runner) => ({
      name: runner.binding.name,
      queue: runner.binding.queue,
      running: runner.running,
      inFlight: runner.inFlight,
      concurrency: runner.binding.concurrency,
      delivered: runner.delivered,
      completed: runner.completed,
    }));
  }

  /**
   * The inbox store's health as last sampled (every `idempotency.healthIntervalMs`): key count against its
   * bound and, on Redis, memory and eviction policy, with the issues that put deduplication at risk.
   * `undefined` without idempotent consumers, before the first sample, or when the store has no `health()`.
   */
  inbox(): InboxHealthReport | undefined {
    return this.lifecycle.inboxHealth;
  }

  /** Transport stats and consumers (and the inbox's last sampled health, when there is one), now. */
  snapshot(): MessagingStatusSnapshot {
    const inbox = this.inbox();
    const snapshot = { transport: this.transport.kind, stats: this.transport.stats(), consumers: this.consumers() };
    return inbox ? { ...snapshot, inbox } : snapshot;
  }
}
