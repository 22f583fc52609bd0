import { Injectable } from '@nestjs/common';

/** One dead-lettered message as the audit consumer saw it. */
export interface DeadLetterRecord {
  readonly orderId: string;
  readonly kind: string;
  readonly reason: string;
  /** Attempts made before it was dead-lettered, when it was retried. */
  readonly attempts: number | undefined;
}

/**
 * What the flow did in this run. Messages left over from earlier runs on a durable broker are handled
 * but not counted: only ids carrying this run's prefix are.
 */
@Injectable()
export class SampleStats {
  readonly runId = `run-${Date.now().toString(36)}`;
  readonly charged: string[] = [];
  readonly refunded: string[] = [];
  /** Orders whose shipping failed once and succeeded on retry. */
  readonly transientFailures: string[] = [];
  readonly shipped: string[] = [];
  readonly deadLetters: DeadLetterRecord[] = [];

  /** True for ids placed by this run. */
  isOurs(orderId: unknown): orderId is string {
    return typeof orderId === 'string' && orderId.startsWith(this.runId);
  }
}
