import { ConnectionBlockedError, PublishTimeoutError, type BlockedPublishPolicy } from '../../errors/index.js';

/**
 * Applies `publisher.whenBlocked` around a publish: refuses at once under `fail` while the broker blocks
 * the connection, and under `wait` turns a deadline missed while blocked into a `ConnectionBlockedError`,
 * so the caller learns it was the broker's alarm and not a slow network.
 */
export function publishUnderBlockPolicy(
  policy: BlockedPublishPolicy,
  blockedReason: () => string | undefined,
  publish: () => Promise<void>,
): Promise<void> {
  const reason = blockedReason();
  if (reason !== undefined && policy === 'fail') return Promise.reject(new ConnectionBlockedError(reason, policy));
  return publish().catch((error: unknown) => {
    const stillBlocked = blockedReason() ?? reason;
    if (error instanceof PublishTimeoutError && stillBlocked !== undefined) {
      throw new ConnectionBlockedError(stillBlocked, 'wait', { cause: error });
    }
    throw error;
  });
}
