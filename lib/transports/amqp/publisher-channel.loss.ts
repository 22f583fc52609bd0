import type { Logger } from '@nestjs/common';
import { missingExchangeName } from './error-message.util.js';
import type { ExchangeProbe } from './exchange.probe.js';
import type { PublishRequest } from './publish.request.js';
import { missingExchangeError, type PublisherSlot } from './publisher.slot.js';

/** What {@link takeBackLostPublishes} works on. */
export interface LostPublishesContext {
  readonly slots: readonly PublisherSlot[];
  readonly probe: ExchangeProbe;
  readonly logger: Logger;
}

/**
 * A publisher channel died with `lost` unconfirmed: nobody can know whether the broker routed them, so
 * those whose caller still waits (not the ones that timed out) go back to the front of their slot's
 * queue, in their original order, to be sent again (at-least-once). A session only ever carries its own
 * slot's keys, so each returns to the slot it left.
 *
 * Fallback for an exchange deleted after its probe: the broker closed the channel because of a publish to
 * it (404, named in `closeError`). Sending those again would only close the next channel too, so they fail
 * here with a `TopologyError`, and the exchange is probed again before its next publish.
 */
export function takeBackLostPublishes(lost: readonly PublishRequest[], closeError: Error | undefined, context: LostPublishesContext): void {
  const missing = missingExchangeName(closeError);
  if (missing !== undefined) context.probe.forget(missing);
  let resent = 0;
  for (const request of lost) {
    // Timed out while the broker held it: its caller was told it may or may not have been routed.
    if (request.isSettled) continue;
    if (missing !== undefined && request.message.exchange === missing) {
      request.fail(missingExchangeError(missing, closeError));
      continue;
    }
    context.slots[request.slot]?.queue.restore([request]);
    resent++;
  }
  if (resent > 0) {
    context.logger.warn(
      `A publisher channel closed with ${resent} unconfirmed message(s); they will be sent again ` +
        '(at-least-once: consumers may see them twice)',
    );
  }
}
