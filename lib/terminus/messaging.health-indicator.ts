import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { MESSAGING_CORE_STATUS } from '../common/index.js';
import type { InboxHealthReport } from '../idempotency/inbox-health.monitor.js';
import type { MessagingStatus } from '../module/messaging.status.js';
import { MESSAGING_HEALTH_DEFAULTS, MESSAGING_HEALTH_OPTIONS, type MessagingHealthOptions } from './messaging-health.options.js';

/** What the indicator reports next to its status. */
export interface MessagingHealthDetails {
  readonly [key: string]: unknown;
  readonly transport: string;
  readonly state: string;
  readonly connected: boolean;
  readonly bufferedPublishes: number;
  readonly unconfirmedPublishes: number;
  readonly consumers: { readonly running: number; readonly total: number; readonly subscribed: number };
  /** The inbox store's last sampled health, when idempotent consumers use a store that reports it. */
  readonly inbox?: InboxHealthReport;
  /** Why the status is not `up`, one line each. */
  readonly issues: readonly string[];
}

/**
 * A terminus health indicator for the messaging module:
 * - `down` when the transport is not running or has no broker connection;
 * - `degraded` (terminus 12: the check stays HTTP 200, overall status `degraded`) when the publish buffer
 *   holds at least `bufferedPublishesDegradedAt` messages, or a consumer is not running or not
 *   subscribed on the broker, or the inbox store of idempotent consumers reports a risk to deduplication
 *   (an eviction policy that can evict dedupe keys, memory or its key budget nearly used up);
 * - `up` otherwise.
 * It reads in-process state only (no broker round trip), so it is cheap to poll often.
 *
 * Use it for a **readiness** probe, not a liveness probe: `down` means the broker is unreachable, which a
 * restart cannot fix. On a liveness probe a broker outage would restart every replica at once, again and
 * again (a restart storm), dropping the in-flight work and buffered publishes each time, while the
 * transport would have reconnected by itself. Readiness only takes the instance out of the load balancer
 * until the connection is back.
 */
@Injectable()
export class MessagingHealthIndicator {
  private readonly bufferedDegradedAt: number;

  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(MESSAGING_CORE_STATUS) private readonly status: MessagingStatus,
    @Optional() @Inject(MESSAGING_HEALTH_OPTIONS) options?: MessagingHealthOptions,
  ) {
    this.bufferedDegradedAt = options?.bufferedPublishesDegradedAt ?? MESSAGING_HEALTH_DEFAULTS.bufferedPublishesDegradedAt;
  }

  /** Checks the messaging module and reports under `key` (default `messaging`). */
  isHealthy<const Key extends string = 'messaging'>(key?: Key): HealthIndicatorResult<Key> {
    const session = this.health.check((key ?? 'messaging') as Key);
    const { transport, stats, consumers, inbox } = this.status.snapshot();
    const running = consumers.filter((consumer) => consumer.running).length;
    const issues: string[] = [];
    const down = stats.state !== 'running' || !stats.connected;
    if (stats.state !== 'running') issues.push(`transport is ${stats.state}`);
    else if (!stats.connected) issues.push('no broker connection');
    if (stats.bufferedPublishes >= this.bufferedDegradedAt) issues.push(`${stats.bufferedPublishes} publishes buffered (degraded at ${this.bufferedDegradedAt})`);
    for (const consumer of consumers) if (!consumer.running) issues.push(`consumer ${consumer.name} on "${consumer.queue}" is not running`);
    // Subscribed on the broker: on AMQP a consumer waiting to re-register after a reconnect counts as running but not subscribed.
    if (!down && stats.consumers < running) issues.push(`${running - stats.consumers} consumer(s) not subscribed on the broker`);
    for (const issue of inbox?.issues ?? []) issues.push(`inbox: ${issue}`);
    const details: MessagingHealthDetails = {
      transport,
      state: stats.state,
      connected: stats.connected,
      bufferedPublishes: stats.bufferedPublishes,
      unconfirmedPublishes: stats.unconfirmedPublishes,
      consumers: { running, total: consumers.length, subscribed: stats.consumers },
      ...(inbox ? { inbox } : {}),
      issues,
    };
    if (down) return session.down(details);
    return issues.length > 0 ? session.degraded(details) : session.up(details);
  }
}
