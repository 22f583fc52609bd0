import type { DeadLetterEntry, RedriveSelection } from './dead-letter.types.js';
import { RedriveSelectionError } from './dead-letters.errors.js';

const FILTER_KEYS = ['kind', 'consumer', 'type', 'reason', 'olderThanMs'] as const;

/**
 * Checks that a selection says what to move, exactly one way: `all`, `ids`, or filters.
 * @throws RedriveSelectionError otherwise.
 */
export function checkSelection(selection: RedriveSelection): void {
  const filters = FILTER_KEYS.filter((key) => selection[key] !== undefined);
  const ways = [selection.all === true, selection.ids !== undefined, filters.length > 0].filter(Boolean).length;
  if (ways === 0) throw new RedriveSelectionError('Say what to redrive: all, ids, or a filter (kind, consumer, type, reason, olderThanMs)');
  if (ways > 1) throw new RedriveSelectionError('Choose one of all, ids or filters for a redrive, not several');
  if (selection.ids !== undefined && selection.ids.length === 0) throw new RedriveSelectionError('ids is empty');
  const age = selection.olderThanMs;
  if (age !== undefined && (!Number.isFinite(age) || age < 0)) {
    throw new RedriveSelectionError(`olderThanMs must be a non-negative number, got ${age}`);
  }
}

/** Whether an entry is selected; `now` anchors `olderThanMs`. */
export function isSelected(entry: DeadLetterEntry, selection: RedriveSelection, now: number): boolean {
  if (selection.all) return true;
  if (selection.ids) return entry.messageId !== undefined && selection.ids.includes(entry.messageId);
  const { kind, consumer, type, reason, olderThanMs } = selection;
  if (kind !== undefined && kind !== (entry.failure?.kind ?? entry.death?.reason)) return false;
  if (consumer !== undefined && consumer !== entry.failure?.consumer) return false;
  if (type !== undefined && type !== entry.type) return false;
  if (reason !== undefined && !(entry.failure?.reason ?? '').toLowerCase().includes(reason.toLowerCase())) return false;
  if (olderThanMs !== undefined && (entry.failedAt === undefined || now - entry.failedAt.getTime() < olderThanMs)) return false;
  return true;
}
