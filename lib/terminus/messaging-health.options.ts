/** Thresholds of {@link MessagingHealthIndicator}. */
export interface MessagingHealthOptions {
  /**
   * Buffered publishes (waiting to be sent) at or above which the indicator reports `degraded`. Default
   * 1000: a tenth of the AMQP transport's default offline buffer.
   */
  readonly bufferedPublishesDegradedAt?: number;
}

/** Injection token of the {@link MessagingHealthOptions} given to `MessagingHealthModule.forRoot`. */
export const MESSAGING_HEALTH_OPTIONS = Symbol('MESSAGING_HEALTH_OPTIONS');

/** The indicator's defaults. */
export const MESSAGING_HEALTH_DEFAULTS = { bufferedPublishesDegradedAt: 1000 } as const;
