/**
 * The Prometheus integration (entry point `nestjs-typed-messaging/prometheus`), kept out of the package
 * root so applications without `prom-client` never load it.
 */
export { MessagingMetrics, type MessagingMetricsOptions, type MessagingMetricsSources } from './messaging.metrics.js';
export { MessagingPrometheusModule, type MessagingPrometheusOptions } from './messaging-prometheus.module.js';
export { MESSAGING_METRIC_NAMES, MESSAGING_METRIC_LABELS, MESSAGING_DURATION_BUCKETS } from './messaging-metric.names.js';
