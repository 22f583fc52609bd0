import { type DynamicModule, Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { BacklogMonitor } from '../backlog/backlog.monitor.js';
import { MESSAGING_CORE_BACKLOG, MESSAGING_CORE_EVENTS, MESSAGING_CORE_STATUS } from '../common/index.js';
import type { MessagingStatus } from '../module/messaging.status.js';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import { MessagingMetrics } from './messaging.metrics.js';

/** Options of {@link MessagingPrometheusModule.forRoot}. */
export interface MessagingPrometheusOptions {
  /** Register in this registry (e.g. the one your `/metrics` serves). Default: a private one, see `MessagingMetrics.registry`. */
  readonly registry?: Registry;
  /** Make `MessagingMetrics` injectable everywhere. Default `true`. */
  readonly isGlobal?: boolean;
}

/**
 * Prometheus metrics for the messaging module. Import it next to `MessagingModule.forRoot` and serve
 * `MessagingMetrics.registry`; it removes its metrics from the registry when the application closes.
 *
 * @example
 * imports: [MessagingModule.forRoot({ ... }), MessagingPrometheusModule.forRoot({ registry })]
 */
@Module({})
export class MessagingPrometheusModule {
  /** Provides {@link MessagingMetrics}, bound to `options.registry` or a private registry. */
  static forRoot(options: MessagingPrometheusOptions = {}): DynamicModule {
    return {
      module: MessagingPrometheusModule,
      global: options.isGlobal ?? true,
      providers: [
        {
          provide: MessagingMetrics,
          useFactory: (events: MessagingEventBus, status: MessagingStatus, backlog: BacklogMonitor) => new MessagingMetrics({ events, status, backlog }, { registry: options.registry }),
          inject: [MESSAGING_CORE_EVENTS, MESSAGING_CORE_STATUS, MESSAGING_CORE_BACKLOG],
        },
      ],
      exports: [MessagingMetrics],
    };
  }
}
