import type { TopologyDefinition } from '../../lib/topology/index.js';
import type { MessageProperties, MessagingTransport } from '../../lib/transports/transport.interface.js';

/** A ready message read straight off a queue (not through a consumer). */
export interface DrainedMessage {
  readonly body: Buffer;
  readonly properties: MessageProperties;
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
}

/**
 * Identifies each conformance test, so a harness can mark the ones its transport is known to fail
 * (see {@link TransportHarness.knownFailures}) without touching the shared test bodies.
 */
export type ConformanceCaseId =
  | 'topology.idempotent'
  | 'topology.conflict'
  | 'topology.classic-delivery-limit'
  | 'publish.confirm'
  | 'publish.unroutable'
  | 'publish.missing-exchange'
  | 'consume.ack'
  | 'consume.requeue'
  | 'consume.reject'
  | 'consume.prefetch'
  | 'consume.round-robin'
  | 'consume.cancel'
  | 'dead-letter.dead-lettered'
  | 'dead-letter.discarded'
  | 'dead-letter.requeued'
  | 'connection.stale'
  | 'attempt.classic'
  | 'attempt.quorum'
  | 'attempt.retry-header'
  | 'attempt.forged-delivery-count'
  | 'quorum.reader-returns-count'
  | 'quorum.return-order'
  | 'quorum.delivery-limit'
  | 'headers.x-death'
  | 'headers.x-death-time'
  | 'expiry.message-ttl'
  | 'overflow.drop-head'
  | 'overflow.reject-publish'
  | 'overflow.max-length-bytes'
  | 'overflow.reject-publish-dlx'
  | 'routing.topic-wildcards'
  | 'routing.headers-match'
  | 'routing.alternate-exchange'
  | 'routing.exchange-to-exchange'
  | 'ordering.per-key'
  | 'lifecycle.stats'
  | 'lifecycle.stats-after-cancel'
  | 'lifecycle.close'
  | 'delay-line.exact'
  | 'delay-line.parks-unrouted'
  | 'rpc.round-trip'
  | 'rpc.caller-correlation'
  | 'rpc.concurrent'
  | 'rpc.timeout'
  | 'rpc.unroutable'
  | 'rpc.connection-loss';

/**
 * What the conformance suite needs from a broker beyond the transport contract itself: a way to make
 * transports, to break their connection, to look into queues, and to clean up. One harness per
 * transport; every test body is shared.
 */
export interface TransportHarness {
  /** A new transport on the broker under test, not started. The harness closes it in {@link cleanup}. */
  create(): MessagingTransport;
  /** A name no other test (or concurrent test run on a shared broker) uses. */
  name(prefix: string): string;
  /** Remembers a topology's queues and exchanges for deletion in {@link cleanup}; returns it. */
  declare(topology: TopologyDefinition): TopologyDefinition;
  /**
   * Declares `topology` on the transport's broker as another client would, before `transport` starts
   * (which it has not yet). Also records it for cleanup.
   */
  declareElsewhere(transport: MessagingTransport, topology: TopologyDefinition): Promise<void>;
  /**
   * Breaks the transport's broker connection as a network failure or an operator would, and resolves
   * once the broker has seen it go (the transport reconnects by itself afterwards).
   */
  loseConnection(transport: MessagingTransport): Promise<void>;
  /** Ready (not delivered) messages in a queue, as the broker counts them. */
  readyCount(transport: MessagingTransport, queue: string): Promise<number>;
  /**
   * Closes `transport` (its consumers' channels with it), then counts the queue's messages, ready and
   * unacked alike: whatever was delivered but never settled is back in the queue by then. The only
   * count that proves an ack (or a dead-letter's removal of the original) reached the broker; a ready
   * count passes for a transport that never acks.
   */
  countAfterClose(transport: MessagingTransport, queue: string): Promise<number>;
  /** Removes and returns a queue's ready messages, oldest first. */
  drain(transport: MessagingTransport, queue: string): Promise<DrainedMessage[]>;
  /** Closes every transport created and deletes what was declared. */
  cleanup(): Promise<void>;
  /** How long to wait before concluding that something did not happen (a delivery, a redelivery). */
  readonly quietMs: number;
  /**
   * Tests this transport is known to fail, with the reason (a bug to fix); they are skipped with the
   * reason in their title, so the gap stays visible in every run.
   */
  readonly knownFailures?: Partial<Readonly<Record<ConformanceCaseId, string>>>;
}
