import { clearTimeout as realClearTimeout, setTimeout as realSetTimeout } from 'node:timers';
import type { MemoryQueue } from './memory.queue.js';
import type { MemoryRecords } from './memory-record.types.js';
import type { MemoryRecorder } from './memory.recorder.js';
import type { WaitForIdleOptions, WaitForOptions } from './memory-transport.options.js';

/** How long to wait, and how the wait reports failure. */
export interface PollOptions {
  readonly timeoutMs: number;
  /** How many consecutive checks, one macrotask apart, must pass. */
  readonly stableChecks: number;
  /** The rejection on timeout, built when the time is up so it describes the state at that moment. */
  readonly onTimeout: () => Error;
}

/**
 * Resolves once `check` has passed `stableChecks` times in a row, checking now and then every
 * millisecond. Requiring several passes a timer turn apart catches work that handlers defer by a tick
 * (`setImmediate`, `setTimeout(0)`, a resolved promise) before publishing a follow-up.
 *
 * Uses `node:timers` rather than the globals so that it keeps working under jest's fake timers.
 */
export function pollUntil(check: () => boolean, options: PollOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let passes = 0;
    let poll: ReturnType<typeof realSetTimeout> | undefined;
    const deadline = realSetTimeout(() => {
      if (poll !== undefined) realClearTimeout(poll);
      reject(options.onTimeout());
    }, options.timeoutMs);
    const tick = (): void => {
      poll = undefined;
      let passed: boolean;
      try {
        passed = check();
      } catch (error) {
        realClearTimeout(deadline);
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      passes = passed ? passes + 1 : 0;
      if (passes >= options.stableChecks) {
        realClearTimeout(deadline);
        resolve();
      } else {
        poll = realSetTimeout(tick, 1);
      }
    };
    tick();
  });
}

/**
 * What keeps the broker from being idle: per queue, ready messages that an active consumer will take
 * and unacked deliveries; plus publishes not yet confirmed. An empty list means idle. Ready messages in
 * a queue nobody consumes do not count: they will wait there forever.
 */
export function busyReasons(queues: readonly MemoryQueue[], pendingPublishes: number): string[] {
  const reasons: string[] = [];
  for (const queue of queues) {
    const parts: string[] = [];
    if (queue.readyCount > 0 && queue.consumerCount > 0) {
      parts.push(`${queue.readyCount} ready with ${queue.consumerCount} active consumer(s)`);
    }
    if (queue.unackedCount > 0) parts.push(`${queue.unackedCount} delivered but not settled (unacked)`);
    if (parts.length > 0) reasons.push(`queue "${queue.name}"${queue.deleted ? ' (deleted)' : ''}: ${parts.join(', ')}`);
  }
  if (pendingPublishes > 0) reasons.push(`${pendingPublishes} publish(es) not yet confirmed`);
  return reasons;
}

/** `MemoryTransport.waitForIdle`: `busy()` empty over `stableChecks` checks a timer turn apart. */
export function waitForIdle(busy: () => string[], options: WaitForIdleOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return pollUntil(() => busy().length === 0, {
    timeoutMs,
    stableChecks: options.stableChecks ?? 3,
    onTimeout: () => new Error(`MemoryTransport was not idle after ${timeoutMs} ms: ${busy().join('; ')}`),
  });
}

/** `MemoryTransport.waitFor`: the records once `predicate` holds for them. */
export async function waitForRecords(
  recorder: MemoryRecorder,
  predicate: (records: MemoryRecords) => boolean,
  busy: () => string[],
  options: WaitForOptions,
): Promise<MemoryRecords> {
  const timeoutMs = options.timeoutMs ?? 5000;
  let records = recorder.snapshot();
  await pollUntil(() => predicate((records = recorder.snapshot())), {
    timeoutMs,
    stableChecks: 1,
    onTimeout: () => {
      const reasons = busy();
      const what = options.description ? ` for ${options.description}` : '';
      return new Error(
        `MemoryTransport.waitFor timed out after ${timeoutMs} ms${what}; recorded: ${recorder.summary()}; ` +
          (reasons.length > 0 ? `busy: ${reasons.join('; ')}` : 'broker idle'),
      );
    },
  });
  return records;
}
