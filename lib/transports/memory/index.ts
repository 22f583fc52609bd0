/** Public surface of the in-memory transport: the transport itself and the types of its assertion API. */
export { MemoryTransport } from './memory.transport.js';
export type { MemoryTransportOptions, WaitForIdleOptions, WaitForOptions } from './memory-transport.options.js';
export type { DeadLetterReason, MemoryStoredMessage } from './memory.message.js';
export type {
  AckedRecord,
  DeadLetteredRecord,
  DeliveredRecord,
  DeliveryIdentity,
  MemoryQueuedMessage,
  MemoryRecords,
  MessageSnapshot,
  NackedRecord,
  PublishedRecord,
  PublishOutcome,
  QueueDepth,
} from './memory-record.types.js';
