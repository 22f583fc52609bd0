import { ConnectionBlockedError, PublishTimeoutError, type BlockedPublishPolicy } from '../../errors/index.js';

/**
 * `publisher.whenBlocked` at the moment of a publish: under `fail`, the error to refuse it with at once
 * while the broker blocks the connection; otherwise `undefined` (the publish goes ahead).
 */
export function refusalWhileBlocked(policy: BlockedPublishPolicy, blockedReason: string | undefined): ConnectionBlockedError | undefined {
  return blockedReason !== undefined && policy === 'fail' ? new ConnectionBlockedError(blockedReason, policy) : undefined;
}

/**
 * The error a publish that missed its deadline fails with: a `ConnectionBlockedError` (caused by the
 * timeout) when the broker blocks the connection now or did when the publish was made, so the caller
 * learns it was the broker's alarm and not a slow network; the timeout itself otherwise. Applied where
 * the timeout is raised, so a publish needs no promise of its own to translate its rejection.
 */
export function timeoutUnderBlock(error: PublishTimeoutError, blockedNow: string | undefined, blockedAtPublish: string | undefined): Error {
  const blocked = blockedNow ?? blockedAtPublish;
  return blocked !== undefined ? new ConnectionBlockedError(blocked, 'wait', { cause: error }) : error;
}
