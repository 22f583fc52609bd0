import { RequestTimeoutError } from '../errors/index.js';
import type { InboundMessage, OutboundMessage } from './transport.interface.js';

interface PendingRequest {
  readonly destination: string;
  readonly resolve: (reply: InboundMessage) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** How a request's destination reads in errors: `exchange "x" (routing key "k")`, or the queue for the default exchange. */
export function describeDestination(message: Pick<OutboundMessage, 'exchange' | 'routingKey'>): string {
  return message.exchange === '' ? `queue "${message.routingKey}"` : `exchange "${message.exchange}" (routing key "${message.routingKey}")`;
}

/**
 * The requests of one reply address waiting for their replies, by correlation id. Each entry ends
 * exactly once: with its reply, its timeout, or a failure of the whole address. Shared by the
 * transports so their request/reply semantics cannot drift apart.
 */
export class PendingRequestTable {
  private readonly pending = new Map<string, PendingRequest>();

  /** Requests waiting for a reply. */
  get size(): number {
    return this.pending.size;
  }

  /** Registers a request; the promise settles with its reply, or rejects on timeout or {@link failAll}. */
  add(correlationId: string, destination: string, timeoutMs: number): Promise<InboundMessage> {
    return new Promise<InboundMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new RequestTimeoutError(destination, timeoutMs));
      }, timeoutMs);
      this.pending.set(correlationId, { destination, resolve, reject, timer });
    });
  }

  /** Hands a reply to its request; false (and dropped) when no request waits for it, e.g. after a timeout. */
  resolve(correlationId: string | undefined, reply: InboundMessage): boolean {
    const entry = correlationId === undefined ? undefined : this.pending.get(correlationId);
    if (!entry || correlationId === undefined) return false;
    this.pending.delete(correlationId);
    clearTimeout(entry.timer);
    entry.resolve(reply);
    return true;
  }

  /** Fails one request (its publish failed). */
  reject(correlationId: string, error: Error): void {
    const entry = this.pending.get(correlationId);
    if (!entry) return;
    this.pending.delete(correlationId);
    clearTimeout(entry.timer);
    entry.reject(error);
  }

  /** Fails every waiting request, e.g. because the reply address died with its connection. */
  failAll(errorFor: (destination: string) => Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(errorFor(entry.destination));
    }
  }
}
