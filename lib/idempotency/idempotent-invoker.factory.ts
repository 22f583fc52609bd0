import { Logger } from '@nestjs/common';
import type { HandlerInvoker } from '../consumer/consumer-binding.types.js';
import type { AckMode } from '../decorators/consumer.decorator.js';
import { ConsumerDefinitionError, InvalidOptionsError } from '../errors/index.js';
import { IDEMPOTENCY_DEFAULTS, type IdempotencyOptions } from './idempotency.options.js';
import type { InboxStore } from './inbox-store.interface.js';
import { InboxHealthMonitor, type InboxHealthReport } from './inbox-health.monitor.js';
import { IdempotentInvoker } from './idempotent.invoker.js';
import { MemoryInboxStore } from './memory-inbox.store.js';

/** One consumer as the factory sees it. */
export interface IdempotencyCandidate {
  readonly name: string;
  /** The resolved ack mode. */
  readonly ack: AckMode;
  /** `@Consumer({ idempotent })`; `undefined` falls back to the module default. */
  readonly idempotent: boolean | undefined;
}

function positiveMs(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionsError(`idempotency.${name} must be a positive integer of milliseconds, got ${value}`);
  }
  return value;
}

/**
 * Decides, per consumer, whether it is idempotent and wraps its invoker with the inbox. One factory per
 * module boot; the default {@link MemoryInboxStore} is created on first need, so a boot without idempotent
 * consumers allocates nothing.
 */
export class IdempotentInvokerFactory {
  private readonly leaseMs: number;
  private readonly retentionMs: number;
  private readonly healthIntervalMs: number;
  private monitor: InboxHealthMonitor | undefined;
  /** Some consumer is idempotent: only then is the store's health worth watching. */
  private used = false;
  private store: InboxStore | undefined;
  private readonly logger = new Logger('Messaging');
  private warnedNoRenew = false;

  constructor(
    options: IdempotencyOptions = {},
    private readonly enabledByDefault = false,
  ) {
    this.leaseMs = positiveMs('leaseMs', options.leaseMs ?? IDEMPOTENCY_DEFAULTS.leaseMs);
    this.retentionMs = positiveMs('retentionMs', options.retentionMs ?? IDEMPOTENCY_DEFAULTS.retentionMs);
    this.healthIntervalMs = positiveMs('healthIntervalMs', options.healthIntervalMs ?? IDEMPOTENCY_DEFAULTS.healthIntervalMs);
    this.store = options.store;
  }

  /** The inbox store's last sampled health; `undefined` before the first sample, or without an idempotent consumer or a `health()`. */
  get health(): InboxHealthReport | undefined {
    return this.monitor?.last;
  }

  /** Starts sampling the store's health, when some consumer is idempotent and the store reports health. */
  startHealthChecks(): void {
    const store = this.store;
    if (this.monitor || !this.used || !store?.health) return;
    this.monitor = new InboxHealthMonitor(store as InboxStore & Required<Pick<InboxStore, 'health'>>, this.healthIntervalMs, this.logger);
    this.monitor.start();
  }

  /** Stops sampling. */
  async stopHealthChecks(): Promise<void> {
    await this.monitor?.stop();
  }

  /**
   * `invoke` itself when the consumer is not idempotent, else the inbox around it. Refuses `ack: 'manual'`:
   * a handler that settles later, outside the call, leaves no point at which to commit before the ack.
   */
  wrap(consumer: IdempotencyCandidate, invoke: HandlerInvoker): HandlerInvoker {
    if (!(consumer.idempotent ?? this.enabledByDefault)) return invoke;
    if (consumer.ack === 'manual') {
      throw new ConsumerDefinitionError(
        `@Consumer ${consumer.name}: idempotent consumers need ack: 'auto' (the id is committed when the handler ` +
          `resolves, just before the ack); set ack: 'auto' or idempotent: false`,
      );
    }
    this.store ??= new MemoryInboxStore();
    this.used = true;
    if (!this.store.renew && !this.warnedNoRenew) {
      this.warnedNoRenew = true;
      this.logger.warn(
        `The inbox store ${this.store.constructor.name} has no renew(): claims are not renewed, so a handler running ` +
          `longer than idempotency.leaseMs (${this.leaseMs} ms) lets a redelivery run in parallel`,
      );
    }
    const settings = { consumer: consumer.name, store: this.store, leaseMs: this.leaseMs, retentionMs: this.retentionMs };
    return new IdempotentInvoker(invoke, settings).invoke;
  }
}
