import type { Logger } from '@nestjs/common';
import type { InboxStore, InboxStoreHealth } from './inbox-store.interface.js';

/** The inbox store's last sampled health, as `MessagingStatus.inbox()` and the health check report it. */
export interface InboxHealthReport extends InboxStoreHealth {
  /** When it was sampled (ms since the epoch). */
  readonly checkedAt: number;
}

/**
 * Samples the inbox store's `health()` at start and every `intervalMs`, so health checks read it without a
 * round trip to the store. Logs a warning when issues appear or change, and when they clear. A failed
 * sample is itself reported as an issue.
 */
export class InboxHealthMonitor {
  private report: InboxHealthReport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private lastLogged = '';

  constructor(
    private readonly store: InboxStore & Required<Pick<InboxStore, 'health'>>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** The last sample; `undefined` until the first one completes. */
  get last(): InboxHealthReport | undefined {
    return this.report;
  }

  /** Takes the first sample (not awaited: a slow store must not hold up the boot) and schedules the next ones. */
  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling; resolves once a sample in progress has finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  /** Samples now (overlapping calls share one sample). */
  sample(): Promise<void> {
    this.sampling ??= this.take().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async take(): Promise<void> {
    let health: InboxStoreHealth;
    try {
      health = await this.store.health();
    } catch (error) {
      health = { store: this.store.constructor.name, issues: [`inbox store health check failed: ${(error as Error).message}`] };
    }
    this.report = { ...health, checkedAt: Date.now() };
    // Numbers in the issues move every sample: log when the kinds of issue change, not their figures.
    const shape = health.issues.map((issue) => issue.replace(/\d+/g, '#')).join('\n');
    if (shape === this.lastLogged) return;
    this.lastLogged = shape;
    if (health.issues.length === 0) this.logger.log('Inbox store: deduplication is no longer at risk');
    else for (const issue of health.issues) this.logger.warn(`Inbox store: ${issue}`);
  }
}
