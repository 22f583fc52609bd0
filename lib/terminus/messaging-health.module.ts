import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MESSAGING_HEALTH_OPTIONS, type MessagingHealthOptions } from './messaging-health.options.js';
import { MessagingHealthIndicator } from './messaging.health-indicator.js';

/**
 * Provides {@link MessagingHealthIndicator}; import it in the module whose health controller uses it,
 * next to `MessagingModule.forRoot`. Serve the indicator on the readiness route, not on liveness: a broker
 * outage must not restart every replica (see the indicator).
 */
@Module({})
export class MessagingHealthModule {
  /** Registers the indicator with these thresholds. */
  static forRoot(options: MessagingHealthOptions = {}): DynamicModule {
    return {
      module: MessagingHealthModule,
      imports: [TerminusModule],
      providers: [{ provide: MESSAGING_HEALTH_OPTIONS, useValue: options }, MessagingHealthIndicator],
      exports: [MessagingHealthIndicator],
    };
  }
}
