import type { TransportEvents } from '../transport.events.js';
import type { AmqpPublisherOptions } from './amqp-transport.options.js';
import type { ConfirmChannelSession } from './confirm-channel.session.js';
import type { ExchangeProbe } from './exchange.probe.js';
import { OrderingKeyRouter } from './ordering-key.router.js';
import { PublishAdmissionQueue } from './publish-admission.queue.js';
import type { PublishRequest } from './publish.request.js';
import { slotCandidates, totalWaiting, type PublisherSlot } from './publisher.slot.js';
import { slotPicker, type SlotPicker } from './publisher.strategy.js';

/** What a {@link PublishDispatcher} moves requests through. */
export interface PublishDispatcherOptions {
  readonly slots: readonly PublisherSlot[];
  /** Says whether publishes to an exchange may go out yet (it probes unknown exchanges). */
  readonly probe: Pick<ExchangeProbe, 'isReady'>;
  readonly settings: Required<AmqpPublisherOptions>;
  readonly events?: TransportEvents;
}

/**
 * Moves publish requests toward the channels: admits them (pinning their ordering key to a slot, see
 * {@link OrderingKeyRouter}), sends them at once when their slot's channel can take them, buffers them
 * otherwise, and holds the sends that find the buffer full in the {@link PublishAdmissionQueue}. Every
 * step is O(1) per request (the slot count is a small constant): nothing here walks what is outstanding,
 * so its cost does not grow with the number of sends in flight or waiting.
 */
export class PublishDispatcher {
  /** Sends waiting for room in the full buffer. */
  readonly admission: PublishAdmissionQueue;
  private readonly router = new OrderingKeyRouter<PublisherSlot>();
  private readonly pick: SlotPicker;
  private pumping = false;
  /** The slot for a key with nothing outstanding; made once, not as a closure per admitted request. */
  private readonly pickSlot = (): PublisherSlot => {
    const { slots } = this.options;
    return slots[this.pick(slotCandidates(slots))] ?? (slots[0] as PublisherSlot);
  };

  constructor(private readonly options: PublishDispatcherOptions) {
    const { settings } = options;
    this.pick = slotPicker(settings.strategy);
    this.admission = new PublishAdmissionQueue({ policy: settings.whenBufferFull, bufferSize: settings.bufferSize, events: options.events });
  }

  /**
   * Takes a new request: behind the sends already waiting for room if there are any (admission stays in
   * call order), else admitted now, else refused by the admission queue's policy (which queues it under
   * `wait`, or fails it with `PublishBufferFullError` under `fail`).
   */
  accept(request: PublishRequest): void {
    if (this.admission.size > 0) this.admission.push(request);
    else if (!this.admit(request)) {
      const refusal = this.admission.refuse(request);
      if (refusal) request.fail(refusal);
    }
  }

  /** Sends buffered messages, oldest first per slot, while their channels can take them; then admits waiting sends. */
  pump(): void {
    // A send never calls back synchronously in amqplib, but a re-entrant pump would break FIFO order.
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (const slot of this.options.slots) this.pumpSlot(slot);
      this.admitWaiting();
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Takes a request not yet sent out of wherever it waits (its deadline passed); the caller fails it. A
   * request in flight is not withdrawn: the broker holds it until it answers (see `PublishFlight`).
   */
  withdraw(request: PublishRequest): void {
    const phase = request.phase;
    if (phase === 'waiting') this.admission.remove(request);
    else if (phase === 'buffered') this.options.slots[request.slot]?.queue.remove(request);
  }

  /** A request settled and is no longer in flight: its key no longer holds its slot for it. */
  release(request: PublishRequest): void {
    // A send that never left the admission queue never pinned its key.
    if (request.slot >= 0) this.router.release(request.orderingKey);
  }

  /** Admits sends that waited for room, oldest first, until one still finds none. */
  private admitWaiting(): void {
    for (let request = this.admission.shift(); request; request = this.admission.shift()) {
      if (!this.admit(request)) {
        this.admission.putBack(request);
        return;
      }
    }
  }

  /**
   * Pins the request's key to a slot and sends it at once if the slot can take it, else buffers it. False
   * (nothing changed) when it would have to be buffered and the buffer is full.
   */
  private admit(request: PublishRequest): boolean {
    const { slots, settings, probe, events } = this.options;
    const key = request.orderingKey;
    const slot = this.router.acquire(key, this.pickSlot);
    const session = slot.session;
    // Older messages waiting in the slot may share this key: joining the queue behind them keeps order.
    const sendNow = slot.queue.size === 0 && session?.canSend(settings.maxUnconfirmedPerChannel) && probe.isReady(request.message.exchange);
    const buffered = sendNow ? 0 : totalWaiting(slots);
    if (!sendNow && buffered >= settings.bufferSize) {
      this.router.release(key);
      return false;
    }
    request.slot = slot.index;
    if (sendNow && session && this.dispatch(session, request)) return true;
    // Once per crossing: the buffer reaching half its limit is the early warning of a full one.
    if (buffered + 1 === Math.ceil(settings.bufferSize / 2)) events?.emit('buffer.high-water', { buffered: buffered + 1, limit: settings.bufferSize });
    slot.queue.push(request);
    this.pump();
    return true;
  }

  private pumpSlot(slot: PublisherSlot): void {
    const { settings, probe } = this.options;
    for (let request = slot.queue.peek(); request; request = slot.queue.peek()) {
      const session = slot.session;
      if (!session?.canSend(settings.maxUnconfirmedPerChannel)) return;
      // The head waits for its exchange probe and holds back the slot's later messages, which may share
      // its ordering key (a key can span exchanges). Probes are rare: once per exchange and connection.
      if (!probe.isReady(request.message.exchange)) return;
      slot.queue.shift();
      if (!this.dispatch(session, request)) {
        slot.queue.restore([request]);
        return;
      }
    }
  }

  /** Sends on `session`; false when the channel is closing and the request must wait for the next one. */
  private dispatch(session: ConfirmChannelSession, request: PublishRequest): boolean {
    const outcome = session.send(request);
    if (outcome instanceof Error) request.fail(outcome);
    return outcome !== 'closing';
  }
}
