import { Inject, Injectable, Logger } from '@nestjs/common';
import { MESSAGING_CORE_TRANSPORT } from '../common/index.js';
import { InvalidOptionsError } from '../errors/index.js';
import {
  supportsQueueAccess,
  type MessageProperties,
  type MessagingTransport,
  type QueueAccess,
  type QueueReadDelivery,
  type QueueReader,
} from '../transports/transport.interface.js';
import { describeDeadLetter, describeDeadLetterMessage } from './dead-letter.describer.js';
import type {
  DeadLetterListOptions,
  DeadLetterMessage,
  DeadLetterPage,
  PurgeOptions,
  RedriveFailure,
  RedriveItem,
  RedriveOptions,
  RedriveRefusal,
  RedriveReport,
} from './dead-letter.types.js';
import type { TopologyDefinition } from '../topology/index.js';

/** How a {@link DeadLetters} built by hand learns where redrives may go. */
export interface DeadLettersOptions {
  /**
   * The application's topology (or how to get it when a redrive runs): a redrive follows a message's
   * recorded origin only to a declared queue whose failures go to the queue redriven. Without it, only
   * `<name>` for `<name>.error`, or the queues named in `RedriveOptions.to`.
   */
  readonly topology?: TopologyDefinition | (() => TopologyDefinition | undefined);
}
import { PurgeNotConfirmedError, QueueAccessUnsupportedError, RedriveInterruptedError } from './dead-letters.errors.js';
import { refuseDestination } from './redrive.destination.js';
import { redrivenProperties } from './redrive.headers.js';
import { checkSelection, isSelected } from './redrive.selection.js';

const MAX_PAGE = 1000;

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** The lists a redrive fills as it goes; frozen into a {@link RedriveReport} at the end. */
interface RedriveProgress {
  examined: number;
  readonly moved: RedriveItem[];
  readonly unresolved: RedriveItem[];
  readonly failed: RedriveFailure[];
  readonly refused: RedriveRefusal[];
  readonly duplicated: RedriveItem[];
  readonly found: Set<string>;
}

/**
 * Inspects, redrives and purges dead-letter queues on the application's transport (the CLI runs the
 * same class on an `AmqpTransport` of its own). Needs a transport with the optional queue access SPI
 * (`openQueueReader`, `purgeQueue`); both bundled transports have it.
 *
 * Reading never consumes: messages are taken with manual acknowledgement and handed back, in order,
 * when the read ends. While a read is in progress those messages are invisible to consumers of the
 * dead-letter queue. Calls on one queue should not overlap.
 */
@Injectable()
export class DeadLetters {
  private readonly logger = new Logger('DeadLetters');

  constructor(
    @Inject(MESSAGING_CORE_TRANSPORT) private readonly transport: MessagingTransport,
    private readonly options: DeadLettersOptions = {},
  ) {}

  /**
   * One page of a dead-letter queue, head first, leaving every message in place and in order.
   * @throws TopologyError when the queue does not exist; InvalidOptionsError for a bad offset/limit.
   */
  async list(queue: string, options: DeadLetterListOptions = {}): Promise<DeadLetterPage> {
    const offset = integer('offset', options.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = integer('limit', options.limit ?? 50, 1, MAX_PAGE);
    const previewChars = integer('previewChars', options.previewChars ?? 120, 0, 10_000);
    return this.withReader(queue, async (reader) => {
      const entries = [];
      for (let position = 0; position < offset + limit; position++) {
        const delivery = await reader.get();
        if (!delivery) break;
        if (position >= offset) entries.push(describeDeadLetter(delivery.message, position, previewChars));
      }
      return { queue, total: reader.readyAtOpen, offset, limit, entries };
    });
  }

  /** The first message with this id, whole, or `undefined`; the queue is left as it was. */
  async peek(queue: string, messageId: string): Promise<DeadLetterMessage | undefined> {
    return this.withReader(queue, async (reader) => {
      for (let position = 0; position < reader.readyAtOpen; position++) {
        const delivery = await reader.get();
        if (!delivery) return undefined;
        if (delivery.message.properties.messageId === messageId) return describeDeadLetterMessage(delivery.message, position);
      }
      return undefined;
    });
  }

  /**
   * Moves selected messages back to the queue each failed on, through the default exchange (so no other
   * queue bound to the original exchange gets a second copy), one at a time in queue order: publish
   * (confirmed, mandatory) and only then ack, so an interruption duplicates a message at most. The copy
   * loses its failure and broker death headers, its retry history and delivery count (so it gets its
   * whole retry policy again) and gains the redrive trail (`REDRIVE_HEADERS`). The origin comes from the
   * message's headers, so it is only followed to an allowed queue (see {@link RedriveOptions.to}); a
   * message whose origin is unknown or refused, or whose publish fails, stays where it is and is reported. Only the
   * messages present when the redrive starts are examined: one failing again meanwhile is not redriven twice.
   *
   * @throws RedriveSelectionError when the selection is missing or ambiguous.
   * @throws RedriveInterruptedError (with the partial report) when the queue can no longer be read.
   */
  async redrive(queue: string, options: RedriveOptions): Promise<RedriveReport> {
    checkSelection(options);
    const dryRun = options.dryRun === true;
    const now = Date.now();
    const progress: RedriveProgress = { examined: 0, moved: [], unresolved: [], failed: [], refused: [], duplicated: [], found: new Set() };
    const topology = this.options.topology;
    const rules = {
      from: queue,
      named: options.to === undefined ? undefined : typeof options.to === 'string' ? [options.to] : [...options.to],
      topology: typeof topology === 'function' ? topology() : topology,
    };
    const report = (): RedriveReport => ({
      queue,
      dryRun,
      examined: progress.examined,
      moved: progress.moved,
      unresolved: progress.unresolved,
      failed: progress.failed,
      refused: progress.refused,
      duplicated: progress.duplicated,
      missingIds: (options.ids ?? []).filter((id) => !progress.found.has(id)),
    });
    try {
      await this.withReader(queue, async (reader) => {
        for (let position = 0; position < reader.readyAtOpen; position++) {
          if (options.ids && progress.found.size === new Set(options.ids).size) break;
          const delivery = await reader.get();
          if (!delivery) break;
          progress.examined++;
          const entry = describeDeadLetter(delivery.message, position, 0);
          // Not selected: left unacked, so it goes back in its place when the reader closes.
          if (!isSelected(entry, options, now)) continue;
          if (entry.messageId !== undefined) progress.found.add(entry.messageId);
          const item: RedriveItem = { messageId: entry.messageId, type: entry.type, position, to: entry.originQueue };
          const refusal = entry.originQueue === undefined ? undefined : refuseDestination(rules, entry.originQueue);
          if (entry.originQueue === undefined) progress.unresolved.push(item);
          else if (refusal) progress.refused.push({ ...item, error: refusal });
          else if (dryRun) progress.moved.push(item);
          else await this.move(delivery, entry.originQueue, redrivenProperties(delivery.message.properties, entry, queue, new Date()), item, progress);
        }
      });
    } catch (error) {
      throw new RedriveInterruptedError(report(), { cause: error });
    }
    const result = report();
    this.logRedrive(result);
    return result;
  }

  /**
   * Removes every ready message of the queue for good (no dead-lettering). `confirm` must repeat the
   * queue name, so a purge is never the result of a wrong variable. Resolves with how many were removed.
   * @throws PurgeNotConfirmedError when it does not; TopologyError when the queue does not exist.
   */
  async purge(queue: string, options: PurgeOptions): Promise<number> {
    if (options?.confirm !== queue) throw new PurgeNotConfirmedError(queue);
    const removed = await this.access().purgeQueue(queue);
    this.logger.warn(`Purged ${removed} message(s) from "${queue}"`);
    return removed;
  }

  private async move(
    delivery: QueueReadDelivery,
    origin: string,
    properties: MessageProperties,
    item: RedriveItem,
    progress: RedriveProgress,
  ): Promise<void> {
    try {
      await this.transport.publish({ exchange: '', routingKey: origin, body: delivery.message.body, properties, mandatory: true });
    } catch (error) {
      progress.failed.push({ ...item, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (delivery.ack()) progress.moved.push(item);
    else progress.duplicated.push(item);
  }

  private logRedrive(report: RedriveReport): void {
    const verb = report.dryRun ? 'Would redrive' : 'Redrove';
    const rest = [
      report.unresolved.length > 0 ? `${report.unresolved.length} without a known origin` : '',
      report.failed.length > 0 ? `${report.failed.length} failed` : '',
      report.refused.length > 0 ? `${report.refused.length} refused (destination not allowed)` : '',
      report.duplicated.length > 0 ? `${report.duplicated.length} duplicated` : '',
    ].filter(Boolean);
    this.logger.log(`${verb} ${report.moved.length} message(s) from "${report.queue}"${rest.length > 0 ? ` (${rest.join(', ')} left in place)` : ''}`);
    for (const refused of report.refused) this.logger.warn(refused.error.message);
  }

  private async withReader<T>(queue: string, work: (reader: QueueReader) => Promise<T>): Promise<T> {
    const reader = await this.access().openQueueReader(queue);
    try {
      return await work(reader);
    } finally {
      await reader.close();
    }
  }

  private access(): QueueAccess {
    if (!supportsQueueAccess(this.transport)) throw new QueueAccessUnsupportedError(this.transport.kind);
    return this.transport;
  }
}
