/** Public API of the typed messaging SDK for NestJS. */
export { MessagingModule, MESSAGING_OPTIONS, MESSAGING_DEFAULTS } from './module/index.js';
export type {
  MessagingModuleOptions,
  MessagingModuleExtras,
  MessagingTelemetryOptions,
  TelemetryTracerProvider,
  TelemetryMeterProvider,
  TelemetryPropagator,
} from './module/index.js';
export { MessagingStatus } from './module/index.js';
export type { ConsumerStatus, MessagingStatusSnapshot } from './module/index.js';
export { BacklogMonitor, BACKLOG_DEFAULTS } from './backlog/index.js';
export type { BacklogMonitorOptions, BacklogTrend, QueueBacklog } from './backlog/index.js';
export { defineContract, validateMessage } from './contracts/index.js';
export type { MessageContract, ContractDefinition, ContractInput, ContractOutput, AnyMessageContract } from './contracts/index.js';
export { Consumer, Producer, getProducerToken, MESSAGING_TRANSPORT, Payload, Ctx, Headers } from './decorators/index.js';
export type { ConsumerOptions, ConsumerHandler, ConsumerResult, AckMode, MessageParamPipe } from './decorators/index.js';
export { MessageContext, FAILURE_HEADERS, MESSAGING_CONTEXT_TYPE, getMessageContext, isMessagingContext } from './consumer/index.js';
export type { NackOptions, RetryOptions, FailureKind, SettlementState, MessagingContextType, AnyContextType, UnknownTypePolicy } from './consumer/index.js';
export { MessagePublisher, TypedProducer } from './producer/index.js';
export { defineRpcContract, isRpcContract, RpcProducer, RPC_DEADLINE_HEADER, RPC_DEFAULT_TIMEOUT_MS, RPC_STATUS_HEADER } from './rpc/index.js';
export type { RpcContract, RpcContractDefinition, RpcDestination, RpcRequestInput, RpcResponseInput, RpcResponse, RequestSendOptions } from './rpc/index.js';
export type { SendOptions, SendResult } from './producer/index.js';
export {
  DeadLetters,
  REDRIVE_HEADERS,
  QueueAccessUnsupportedError,
  PurgeNotConfirmedError,
  RedriveSelectionError,
  RedriveInterruptedError,
  RedriveDestinationError,
} from './dead-letters/index.js';
export type {
  DeadLetterEntry,
  DeadLetterMessage,
  DeadLetterFailure,
  BrokerDeath,
  DeadLetterListOptions,
  DeadLetterPage,
  RedriveSelection,
  RedriveOptions,
  RedriveItem,
  RedriveFailure,
  RedriveRefusal,
  RedriveReport,
  DeadLettersOptions,
  PurgeOptions,
} from './dead-letters/index.js';
export { validateTopology } from './topology/index.js';
export type {
  TopologyDefinition,
  ExchangeDefinition,
  ExchangeType,
  QueueDefinition,
  QueueOverflow,
  BindingDefinition,
  ArgumentValue,
} from './topology/index.js';
export {
  MemoryInboxStore,
  RedisInboxStore,
  InboxStoreError,
  InboxTransactionUnsupportedError,
  InboxClaimSettledError,
  IDEMPOTENCY_DEFAULTS,
  REDIS_INBOX_DEFAULTS,
} from './idempotency/index.js';
export type {
  InboxStore,
  InboxStoreHealth,
  InboxHealthReport,
  InboxClaim,
  InboxClaimState,
  InboxClaimStatus,
  MemoryInboxStoreOptions,
  RedisInboxStoreOptions,
  RedisInboxClient,
  IdempotencyOptions,
} from './idempotency/index.js';
export * from './errors/index.js';
export * from './transports/index.js';
export { exponential, RETRY_HEADERS, DEFAULT_DELAY_PREFIX, MAX_RETRY_DELAY_MS, DEFAULT_EXPONENTIAL_MAX_MS } from './retry/index.js';
export type { RetryPolicy, DelaySchedule, ExponentialOptions, ErrorClass, ErrorMatcher } from './retry/index.js';
export type { RetryOutcome } from './retry/retry.scheduler.js';
export { MessagingEventBus, OnMessagingEvent } from './observability/index.js';
export type {
  MessagingEventMap,
  MessagingEventName,
  MessagingEventListener,
  PublishedMessageInfo,
  ConsumedMessageInfo,
  PublishMiddleware,
  ConsumeMiddleware,
  ConsumeMiddlewareContext,
} from './observability/index.js';
