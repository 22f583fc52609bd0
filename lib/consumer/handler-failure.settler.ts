import type { Logger } from '@nestjs/common';
import { decideRetry } from '../retry/retry-policy.resolver.js';
import { retryHistory } from '../retry/retry.headers.js';
import type { TransportDelivery } from '../transports/transport.interface.js';
import type { HandlerBinding } from './consumer-binding.types.js';
import type { DeliverySettlement } from './delivery.settlement.js';
import type { DispatchSettings } from './message.dispatcher.js';

/** After a handler failure: run the handler again at once, or the message was settled (retried or dead-lettered). */
export type AfterFailure = 'run-again' | 'settled';

/**
 * What follows a handler's failure: retries (in process or delayed) what the policy allows and
 * dead-letters the rest, with the attempts made. A failure the classifier names otherwise (a guard's
 * denial) is dead-lettered at once; a throw after the handler settled its message is only logged. A
 * retry that would run after the message's deadline (see `DispatchSettings.deadlineOf`) is not made:
 * the message fails for good now, while its requester still waits for the answer.
 */
export async function settleHandlerFailure(
  settings: Pick<DispatchSettings, 'classifyError' | 'retryScheduler' | 'events' | 'deadlineOf'>,
  logger: Logger,
  settlement: DeliverySettlement,
  handler: HandlerBinding,
  thrown: unknown,
  error: Error,
  delivery: TransportDelivery,
  attempt: number,
  immediateDone: number,
): Promise<AfterFailure> {
  if (settlement.state !== 'pending') {
    logger.error(`Consumer ${handler.name} threw after settling its message (${settlement.state}): ${error.message}`);
    return 'settled';
  }
  const kind = settings.classifyError?.(thrown) ?? 'handler';
  if (kind !== 'handler') {
    await settlement.deadLetter({ kind, error, consumer: handler.name });
    return 'settled';
  }
  const delayedDone = retryHistory(delivery.message.properties.headers).delays.length;
  const decision = decideRetry(handler.retry, thrown, immediateDone, delayedDone);
  const late = decision.action !== 'exhausted' && pastDeadline(settings, delivery, handler, decision.action === 'delayed' ? decision.delayMs : 0);
  if (late) {
    logger.warn(
      `${handler.name}: attempt ${attempt} of message ${delivery.message.properties.messageId ?? '(no id)'} failed (${error.message}); ` +
        'a retry would run after its deadline, so it fails now',
    );
  } else if (decision.action === 'immediate') {
    logger.warn(`${handler.name}: attempt ${attempt} of message ${delivery.message.properties.messageId ?? '(no id)'} failed (${error.message}); retrying at once`);
    return 'run-again';
  }
  const scheduler = settings.retryScheduler;
  if (decision.action === 'delayed' && scheduler && !late) {
    const outcome = await settlement.retry(() => scheduler.schedule(delivery, attempt, error, decision.delayMs, handler.name));
    if (outcome === 'scheduled') settings.events?.retried(delivery, handler.name, attempt, decision.delayMs, error);
    return 'settled';
  }
  const attempts = attempt > 1 || decision.action !== 'exhausted' || decision.reason !== 'no-retries' ? attempt : undefined;
  await settlement.deadLetter({ kind, error, consumer: handler.name, attempts });
  return 'settled';
}

/** Whether a retry starting `waitMs` from now would run after the message's deadline (when it has one). */
function pastDeadline(settings: Pick<DispatchSettings, 'deadlineOf'>, delivery: TransportDelivery, handler: HandlerBinding, waitMs: number): boolean {
  const deadline = settings.deadlineOf?.(delivery.message, handler.name);
  return deadline !== undefined && Date.now() + waitMs >= deadline;
}
