import type { Logger } from '@nestjs/common';
import { InvalidOptionsError } from '../../errors/index.js';
import type { QueueStatus } from '../transport-optional.interface.js';
import { redactUrl } from './amqp-url.redactor.js';

/** Where the RabbitMQ management API is, for the queue counters the backlog monitor uses. */
export interface AmqpManagementOptions {
  /**
   * The management API's base URL with its credentials, e.g. `http://monitor:secret@rabbit-1:15672`. The
   * user needs the `monitoring` tag (or access to the vhost). Never logged with its password.
   */
  readonly url: string;
  /** The vhost of the queues. Default: the vhost of the first AMQP URL (`/` when it names none). */
  readonly vhost?: string;
  /** How long one request may take before the passive declare's answer is used alone. Default 2000 ms. */
  readonly timeoutMs?: number;
}

const MANAGEMENT_KEYS: ReadonlySet<string> = new Set<keyof AmqpManagementOptions>(['url', 'vhost', 'timeoutMs']);

/** The part of a management API queue object read here (absent until the queue saw traffic). */
interface ManagementQueue {
  readonly message_stats?: { readonly publish?: number; readonly ack?: number };
}

/**
 * Reads a queue's own counters from the RabbitMQ management API (`GET /api/queues/{vhost}/{name}`):
 * `message_stats.publish` (messages routed into the queue) as `enqueued` and `message_stats.ack` as
 * `acknowledged`. The broker refreshes them every `collect_statistics_interval` (5 s by default), so
 * they move in steps. Optional and never fatal: on any failure (plugin off, wrong credentials, timeout)
 * it logs once per distinct reason and answers `undefined`, and the backlog monitor falls back to the
 * consumer share. Rejections (`basic.reject`/`nack` without requeue) are not in `ack`.
 */
export class AmqpManagementCounters {
  private readonly endpoint: string;
  private readonly authorization: string | undefined;
  private readonly vhost: string;
  private readonly timeoutMs: number;
  private lastFailure: string | undefined;

  constructor(
    options: AmqpManagementOptions,
    firstAmqpUrl: string | undefined,
    private readonly logger: Logger,
  ) {
    for (const key of Object.keys(options)) {
      if (!MANAGEMENT_KEYS.has(key)) throw new InvalidOptionsError(`AmqpTransport: unknown option "management.${key}"; known options: ${[...MANAGEMENT_KEYS].join(', ')}`);
    }
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new InvalidOptionsError(`AmqpTransport: management.url is not a URL: ${redactUrl(options.url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidOptionsError(`AmqpTransport: management.url must be http(s), got ${parsed.protocol}`);
    // fetch refuses URLs with credentials: they go into the Authorization header instead.
    this.authorization = parsed.username ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}` : undefined;
    parsed.username = '';
    parsed.password = '';
    this.endpoint = parsed.toString().replace(/\/+$/, '');
    this.vhost = options.vhost ?? vhostOf(firstAmqpUrl);
    this.timeoutMs = options.timeoutMs ?? 2000;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs > 0)) throw new InvalidOptionsError(`AmqpTransport: management.timeoutMs must be a positive number, got ${this.timeoutMs}`);
  }

  /** The queue's `enqueued` and `acknowledged` counters, or `undefined` when the API cannot tell now. */
  async read(queue: string): Promise<Pick<QueueStatus, 'enqueued' | 'acknowledged'> | undefined> {
    try {
      const response = await fetch(`${this.endpoint}/api/queues/${encodeURIComponent(this.vhost)}/${encodeURIComponent(queue)}`, {
        headers: this.authorization ? { authorization: this.authorization } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      const stats = ((await response.json()) as ManagementQueue).message_stats;
      this.lastFailure = undefined;
      return { enqueued: stats?.publish ?? 0, acknowledged: stats?.ack ?? 0 };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== this.lastFailure) this.logger.warn(`Management API at ${this.endpoint} gave no counters for "${queue}" (${reason}): the backlog monitor estimates from the consumer share`);
      this.lastFailure = reason;
      return undefined;
    }
  }
}

/** The vhost an AMQP URL names: its path, decoded; `/` when it has none. */
function vhostOf(url: string | undefined): string {
  if (url === undefined) return '/';
  try {
    const path = new URL(url).pathname;
    return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
  } catch {
    return '/';
  }
}
