import type { ArgumentValue, ExchangeDefinition, ExchangeType, QueueDefinition, QueueOverflow } from '../../topology/index.js';

/** An exchange as the broker stores it, with defaults filled in. */
export interface ExchangeState {
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly alternateExchange: string | undefined;
}

/** A queue's effective settings: the typed fields, or the matching `x-` argument when the field is absent. */
export interface QueueSettings {
  readonly name: string;
  /** `quorum` changes where returned messages go and makes the queue count deliveries. */
  readonly type: 'classic' | 'quorum';
  /** `x-delivery-limit` of a quorum queue (a classic queue refuses it, as RabbitMQ 3.10 does). */
  readonly deliveryLimit: number | undefined;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly messageTtl: number | undefined;
  readonly maxLength: number | undefined;
  readonly maxLengthBytes: number | undefined;
  readonly overflow: QueueOverflow;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  /**
   * `at-least-once` (`x-dead-letter-strategy`) holds a dead-lettered message until every queue it is
   * routed to took it. As on RabbitMQ 3.10 it applies only to a quorum queue with `reject-publish`
   * overflow; any other queue falls back to `at-most-once` (a dead-letter that cannot be routed is dropped).
   */
  readonly deadLetterStrategy: 'at-most-once' | 'at-least-once';
  /** The SDK-side error queue of dead-letter copies (not a broker argument, never compared). */
  readonly errorQueue: string | undefined;
  /** The arguments RabbitMQ compares when the queue is declared again. */
  readonly checkedArguments: Readonly<Record<string, ArgumentValue>>;
}

/**
 * Queue arguments RabbitMQ checks for equivalence on redeclaration; any other argument may differ
 * between declarations without error, as on the broker.
 */
const CHECKED_QUEUE_ARGUMENTS: readonly string[] = [
  'x-queue-type',
  'x-message-ttl',
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-overflow',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-priority',
  'x-queue-mode',
  'x-queue-version',
  'x-single-active-consumer',
  'x-delivery-limit',
];

const OVERFLOWS: readonly QueueOverflow[] = ['drop-head', 'reject-publish', 'reject-publish-dlx'];

/** Fills in an exchange's defaults, taking `alternate-exchange` from the arguments when the field is absent. */
export function exchangeState(definition: ExchangeDefinition): ExchangeState {
  const fromArgs = definition.arguments?.['alternate-exchange'];
  return {
    name: definition.name,
    type: definition.type,
    durable: definition.durable ?? true,
    autoDelete: definition.autoDelete ?? false,
    internal: definition.internal ?? false,
    alternateExchange: definition.alternateExchange ?? (typeof fromArgs === 'string' ? fromArgs : undefined),
  };
}

/** Describes how a redeclaration differs from the existing exchange, or `undefined` when equivalent. */
export function exchangeMismatch(existing: ExchangeState, requested: ExchangeState): string | undefined {
  const fields = ['type', 'durable', 'autoDelete', 'internal', 'alternateExchange'] as const;
  return describeDifferences(fields.map((f) => [f, existing[f], requested[f]]));
}

/**
 * Resolves a queue definition into the settings the broker applies, or the reasons RabbitMQ would
 * refuse it (`PRECONDITION_FAILED - invalid arg`).
 */
export function queueSettings(definition: QueueDefinition): QueueSettings | string[] {
  const args: Record<string, ArgumentValue> = { ...definition.arguments };
  const typed: Record<string, ArgumentValue | undefined> = {
    'x-queue-type': definition.type,
    'x-message-ttl': definition.messageTtl,
    'x-max-length': definition.maxLength,
    'x-max-length-bytes': definition.maxLengthBytes,
    'x-overflow': definition.overflow,
    'x-dead-letter-exchange': definition.deadLetterExchange,
    'x-dead-letter-routing-key': definition.deadLetterRoutingKey,
  };
  for (const [key, value] of Object.entries(typed)) if (value !== undefined) args[key] = value;
  // An undeclared queue type is the classic type, so the two declarations are equivalent.
  args['x-queue-type'] ??= 'classic';

  const problems: string[] = [];
  const count = (key: string): number | undefined => {
    const value = args[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      problems.push(`queue "${definition.name}": ${key} must be a non-negative integer, got ${String(value)}`);
      return undefined;
    }
    return value;
  };
  const text = (key: string): string | undefined => {
    const value = args[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') problems.push(`queue "${definition.name}": ${key} must be a string, got ${String(value)}`);
    return typeof value === 'string' ? value : undefined;
  };
  const overflow = text('x-overflow') ?? 'drop-head';
  const knownOverflow = OVERFLOWS.find((o) => o === overflow);
  if (!knownOverflow) problems.push(`queue "${definition.name}": unknown x-overflow "${overflow}"`);
  const type = args['x-queue-type'] === 'quorum' ? 'quorum' : 'classic';
  const deliveryLimit = count('x-delivery-limit');
  // RabbitMQ 3.10 refuses the argument on a classic queue rather than ignoring it.
  if (type === 'classic' && deliveryLimit !== undefined) {
    problems.push(`queue "${definition.name}": invalid arg 'x-delivery-limit' for a classic queue`);
  }
  const settings: QueueSettings = {
    name: definition.name,
    type,
    deliveryLimit: type === 'quorum' ? deliveryLimit : undefined,
    durable: definition.durable ?? true,
    exclusive: definition.exclusive ?? false,
    autoDelete: definition.autoDelete ?? false,
    messageTtl: count('x-message-ttl'),
    maxLength: count('x-max-length'),
    maxLengthBytes: count('x-max-length-bytes'),
    overflow: knownOverflow ?? 'drop-head',
    deadLetterExchange: text('x-dead-letter-exchange'),
    deadLetterRoutingKey: text('x-dead-letter-routing-key'),
    deadLetterStrategy: text('x-dead-letter-strategy') === 'at-least-once' && type === 'quorum' && knownOverflow === 'reject-publish' ? 'at-least-once' : 'at-most-once',
    errorQueue: definition.errorQueue || undefined,
    checkedArguments: Object.fromEntries(CHECKED_QUEUE_ARGUMENTS.filter((k) => args[k] !== undefined).map((k) => [k, args[k]])),
  };
  return problems.length > 0 ? problems : settings;
}

/** Describes how a redeclaration differs from the existing queue, or `undefined` when equivalent. */
export function queueMismatch(existing: QueueSettings, requested: QueueSettings): string | undefined {
  const flags = (['durable', 'exclusive', 'autoDelete'] as const).map(
    (f): [string, unknown, unknown] => [f, existing[f], requested[f]],
  );
  const args = CHECKED_QUEUE_ARGUMENTS.map(
    (k): [string, unknown, unknown] => [k, existing.checkedArguments[k], requested.checkedArguments[k]],
  );
  return describeDifferences([...flags, ...args]);
}

function describeDifferences(entries: readonly (readonly [string, unknown, unknown])[]): string | undefined {
  const differences = entries
    .filter(([, was, now]) => was !== now)
    .map(([name, was, now]) => `${name} is ${format(was)}, redeclared as ${format(now)}`);
  return differences.length > 0 ? differences.join(', ') : undefined;
}

function format(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
