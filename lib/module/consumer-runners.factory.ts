import type { Logger } from '@nestjs/common';
import { createQueueBindings, type BindingDefaults, type InvokerFactory } from '../consumer/consumer-binding.factory.js';
import type { DiscoveredConsumer } from '../consumer/consumer.explorer.js';
import { ConsumerRunner } from '../consumer/consumer.runner.js';
import { MessageDispatcher, type DispatchSettings } from '../consumer/message.dispatcher.js';
import { RetryScheduler } from '../retry/retry.scheduler.js';
import type { RpcResponder } from '../rpc/rpc.responder.js';
import { findQueue, validateTopology, type TopologyDefinition } from '../topology/index.js';
import { deadLetterTargetOf } from '../transports/dead-letter.copy.js';
import type { MessagingTransport, TransportDelivery } from '../transports/transport.interface.js';
import { buildConsumerTopology, type ConsumerTopologyOptions } from './consumer-topology.builder.js';

/** What {@link createConsumerRunners} needs: the module and the microservices server give the same. */
export interface ConsumerRunnersInput {
  readonly transport: MessagingTransport;
  readonly declared: TopologyDefinition;
  readonly discovered: readonly DiscoveredConsumer[];
  readonly defaults: BindingDefaults;
  readonly invokerFor: InvokerFactory;
  /** Dispatch settings without the retry scheduler, which is made here when the topology needs one. */
  readonly settings: Omit<DispatchSettings, 'retryScheduler'>;
  readonly topology: ConsumerTopologyOptions;
  /** Warn about deliveries unsettled this long (0: never). */
  readonly stuckAfterMs: number;
  readonly responder: RpcResponder | undefined;
  readonly logger: Logger;
}

/**
 * Validates the consumers and completes the topology (error queues, the retry delay line), then builds
 * one runner per queue. The topology it returns is the one to assert on the broker.
 */
export function createConsumerRunners(input: ConsumerRunnersInput): { runners: ConsumerRunner[]; topology: TopologyDefinition } {
  const { transport, responder } = input;
  validateTopology(input.declared);
  const bindings = createQueueBindings(input.discovered, input.declared, input.defaults, input.invokerFor);
  const { topology, delays } = buildConsumerTopology(input.declared, bindings, input.topology);
  validateTopology(topology);
  const settings: DispatchSettings = { ...input.settings, retryScheduler: delays && new RetryScheduler(transport, delays) };
  const runners = bindings.map((binding) => {
    const dispatcher = new MessageDispatcher(binding, settings);
    // Requests get their error reply when dead-lettered; without request/reply the delivery goes as is.
    const dispatch = responder ? { dispatch: (d: TransportDelivery, s?: AbortSignal) => dispatcher.dispatch(responder.wrapDelivery(d), s) } : dispatcher;
    return new ConsumerRunner(binding, transport, dispatch, input.stuckAfterMs);
  });
  for (const { binding } of runners) {
    if (!deadLetterTargetOf(findQueue(topology, binding.queue))) {
      input.logger.warn(`Queue "${binding.queue}" has no dead-letter exchange and no error queue: messages that fail in ${binding.name} will be discarded`);
    }
  }
  return { runners, topology };
}
