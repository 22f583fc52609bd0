import type { Logger } from '@nestjs/common';
import { createQueueBindings, type BindingDefaults, type InvokerFactory } from '../consumer/consumer-binding.factory.js';
import type { DiscoveredConsumer } from '../consumer/consumer.explorer.js';
import { ConsumerRunner } from '../consumer/consumer.runner.js';
import { MessageDispatcher, type DispatchSettings } from '../consumer/message.dispatcher.js';
import { RetryScheduler } from '../retry/retry.scheduler.js';
import type { RpcResponder } from '../rpc/rpc.responder.js';
import { findQueue, validateTopology, type TopologyDefinition } from '../topology/index.js';
import { deadLetterTargetOf } from '../transports/dead-letter.copy.js';
import type { InboundMessage, MessagingTransport, TransportDelivery } from '../transports/transport.interface.js';
import type { QueueBinding } from '../consumer/consumer-binding.types.js';
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
  /**
   * Whether a handler answers requests (an RPC contract's `@Consumer`, a `@MessagePattern`): only those
   * reply, and only their requests' retries are bounded by the requester's deadline. Default: none.
   */
  readonly answers?: (consumer: DiscoveredConsumer) => boolean;
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
  const answering = answeringConsumers(input.discovered, bindings, input.answers);
  const deadlineOf =
    responder && answering.size > 0
      ? (message: InboundMessage, consumer: string) => (answering.has(consumer) ? responder.deadlineOf(message) : undefined)
      : undefined;
  const settings: DispatchSettings = { ...input.settings, retryScheduler: delays && new RetryScheduler(transport, delays), deadlineOf };
  const runners = bindings.map((binding) => {
    const dispatcher = new MessageDispatcher(binding, settings);
    // Requests to a queue with a request handler get their error reply when dead-lettered; other queues'
    // deliveries go as they are, so a one-way consumer never answers whoever set a reply address.
    const dispatch =
      responder && answering.has(binding.name)
        ? { dispatch: (d: TransportDelivery, s?: AbortSignal) => dispatcher.dispatch(responder.wrapDelivery(d, answering), s) }
        : dispatcher;
    return new ConsumerRunner(binding, transport, dispatch, input.stuckAfterMs);
  });
  for (const { binding } of runners) {
    if (!deadLetterTargetOf(findQueue(topology, binding.queue))) {
      input.logger.warn(`Queue "${binding.queue}" has no dead-letter exchange and no error queue: messages that fail in ${binding.name} will be discarded`);
    }
  }
  return { runners, topology };
}

/**
 * The names failures of request handlers are recorded under: each answering handler's, and the combined
 * name of each queue with one (what a failure before routing, an unknown type, is recorded under).
 */
function answeringConsumers(
  discovered: readonly DiscoveredConsumer[],
  bindings: readonly QueueBinding[],
  answers: ((consumer: DiscoveredConsumer) => boolean) | undefined,
): ReadonlySet<string> {
  const names = new Set(answers ? discovered.filter(answers).map((consumer) => consumer.name) : []);
  for (const binding of bindings) {
    if ([...binding.handlers.values()].some((handler) => names.has(handler.name))) names.add(binding.name);
  }
  return names;
}
