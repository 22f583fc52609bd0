import type { SendOptions } from '../producer/send.options.js';

/** Per-call options of `RpcProducer.request` / `MessagePublisher.request`. */
export interface RequestSendOptions extends Pick<SendOptions, 'messageId' | 'headers' | 'routingKey' | 'priority' | 'timestamp' | 'orderingKey'> {
  /** Reject with `RequestTimeoutError` when no reply arrives in time. Default: the contract's `timeoutMs`. */
  readonly timeoutMs?: number;
  /**
   * Delivery mode 2. Default `false`: the reply address dies with the requester's connection, so a
   * request surviving a broker restart could never be answered.
   */
  readonly persistent?: boolean;
  /**
   * Per-message TTL, ms. Default: the timeout, so a request nobody picked up in time expires instead of
   * being handled for a requester that has given up.
   */
  readonly expiration?: number;
}
