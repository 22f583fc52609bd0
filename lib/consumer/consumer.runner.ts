import { Logger } from '@nestjs/common';
import { RingDeque } from '../common/index.js';
import { ShutdownTimeoutError } from '../errors/index.js';
import type { MessagingTransport, TransportDelivery, TransportSubscription } from '../transports/transport.interface.js';
import type { QueueBinding } from './consumer-binding.types.js';
import type { MessageDispatcher } from './message.dispatcher.js';
import { isStale } from './stale-delivery.check.js';
import { StuckDeliveryWatch, type StuckDeliveryTicket } from './stuck-delivery.watch.js';

/** What the runner hands deliveries to: the dispatcher, or something wrapping it (request/reply). */
export type DeliveryDispatcher = Pick<MessageDispatcher, 'dispatch'>;

/**
 * Runs the consumer of one queue: one subscription, at most `concurrency` deliveries dispatched at once,
 * the rest waiting in arrival order, and a drain on shutdown. Deliveries whose channel died while they
 * waited are dropped unseen: the broker has requeued them and delivers them again.
 */
export class ConsumerRunner {
  private readonly logger = new Logger('Messaging');
  private subscription?: TransportSubscription;
  private readonly waiting = new RingDeque<TransportDelivery>();
  private active = 0;
  private deliveredCount = 0;
  private completedCount = 0;
  private stopping = false;
  private drained?: () => void;
  // Aborted when shutdown stops waiting, so handlers watching ctx.signal can give up.
  private shutdown = new AbortController();
  private readonly stuckWatch: StuckDeliveryWatch;

  /** `stuckAfterMs`: report a delivery unsettled for longer (0: never); see {@link StuckDeliveryWatch}. */
  constructor(
    readonly binding: QueueBinding,
    private readonly transport: MessagingTransport,
    private readonly dispatcher: DeliveryDispatcher,
    stuckAfterMs = 0,
  ) {
    this.stuckWatch = new StuckDeliveryWatch(binding.name, binding.queue, stuckAfterMs, transport.events);
  }

  /** Subscribes to the queue. */
  async start(): Promise<void> {
    const { queue, prefetch, name, concurrency, handlers } = this.binding;
    this.stopping = false;
    this.shutdown = new AbortController();
    this.subscription = await this.transport.consume({ queue, prefetch, consumerName: name }, (delivery) => this.onDelivery(delivery));
    const types = [...handlers.keys()].join(', ');
    this.logger.log(`Consumer ${name} listening on "${queue}" for ${types} (prefetch ${prefetch}, concurrency ${concurrency})`);
  }

  /** True while subscribed. */
  get running(): boolean {
    return this.subscription !== undefined;
  }

  /** Deliveries being handled right now. */
  get inFlight(): number {
    return this.active;
  }

  /** Deliveries received since construction (monotonic): the queue's departures, for the backlog monitor. */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** Deliveries whose processing finished since construction (monotonic): the service count. */
  get completed(): number {
    return this.completedCount;
  }

  /**
   * Stops taking messages and waits for in-flight handlers to finish, up to `timeoutMs`; then aborts their
   * `ctx.signal`. Messages delivered but not started are requeued at once so another instance can take
   * them. Resolves `true` when everything finished in time.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    await this.subscription?.cancel();
    this.subscription = undefined;
    for (const delivery of this.waiting.clear()) delivery.nack(true);
    if (this.active === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => (this.drained = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.shutdown.abort(new ShutdownTimeoutError(this.binding.name, timeoutMs));
      this.logger.warn(`Consumer ${this.binding.name}: ${this.active} handler(s) still running after ${timeoutMs} ms; their messages will be redelivered`);
    }
    return finished;
  }

  private onDelivery(delivery: TransportDelivery): void {
    this.deliveredCount++;
    if (isStale(delivery)) return;
    if (this.stopping) {
      delivery.nack(true);
    } else if (this.active < this.binding.concurrency) {
      this.run(delivery);
    } else {
      this.waiting.push(delivery);
    }
  }

  /**
   * Dispatches a delivery, then the waiting ones as slots free up. A dispatch that completes
   * synchronously frees its slot at once and the loop takes the next waiting delivery (a loop, not
   * recursion, so a long backlog of synchronous handlers cannot grow the stack); an asynchronous one
   * resumes the loop when it settles. Only asynchronous dispatches can get stuck, so only they are
   * watched.
   */
  private run(first: TransportDelivery): void {
    for (let delivery: TransportDelivery | undefined = first; delivery; ) {
      this.active++;
      let pending: Promise<void> | undefined;
      try {
        pending = this.dispatcher.dispatch(delivery, this.shutdown.signal);
      } catch (error) {
        this.unexpected(error);
      }
      if (pending) {
        // Watched from now: the synchronous part it already spent is microseconds against a threshold in seconds.
        const ticket = this.stuckWatch.track(delivery);
        pending.then(
          () => this.resume(ticket),
          (error: unknown) => {
            this.unexpected(error);
            this.resume(ticket);
          },
        );
        return;
      }
      delivery = this.finish(undefined);
    }
  }

  private resume(ticket: StuckDeliveryTicket): void {
    const next = this.finish(ticket);
    if (next) this.run(next);
  }

  /** Frees a slot; returns the next waiting delivery that is still live, if any. */
  private finish(ticket: StuckDeliveryTicket | undefined): TransportDelivery | undefined {
    ticket?.done();
    this.active--;
    this.completedCount++;
    let next = this.waiting.shift();
    while (next && isStale(next)) next = this.waiting.shift();
    if (!next && this.active === 0) this.drained?.();
    return next;
  }

  private unexpected(error: unknown): void {
    // dispatch() settles every path itself; reaching here means a settle call threw, which must not kill the loop.
    this.logger.error(`Consumer ${this.binding.name}: unexpected error settling a message: ${(error as Error).message}`);
  }
}
