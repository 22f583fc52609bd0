import { Logger } from '@nestjs/common';
import { InvalidOptionsError } from '../errors/index.js';
import type { InboxClaimStatus, InboxStore, InboxStoreHealth } from './inbox-store.interface.js';

/** Options of {@link MemoryInboxStore}. */
export interface MemoryInboxStoreOptions {
  /**
   * Most records kept (claims and commits). When full, the least recently used record is evicted, which
   * narrows the deduplication window rather than letting memory grow without bound. Default 50,000.
   */
  readonly maxEntries?: number;
  /** Milliseconds since the epoch; injectable so tests can move time. Default `Date.now`. */
  readonly now?: () => number;
}

interface InboxRecord {
  /** The claim's token; `undefined` once committed. */
  readonly token: string | undefined;
  readonly expiresAt: number;
}

/**
 * An in-process {@link InboxStore}: deduplicates the deliveries this process sees, which covers
 * redeliveries after a reconnect and publisher re-sends reaching the same instance, but not a duplicate
 * that another instance consumes (use a shared store such as {@link RedisInboxStore} for that). Records
 * expire lazily when read; the store is bounded by `maxEntries` with least-recently-used eviction.
 */
export class MemoryInboxStore implements InboxStore {
  private readonly logger = new Logger('Messaging');
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used record first.
  private readonly records = new Map<string, InboxRecord>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private warnedFull = false;

  constructor(options: MemoryInboxStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 50_000;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new InvalidOptionsError(`MemoryInboxStore: maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    this.now = options.now ?? Date.now;
  }

  /** Records held now, expired ones included until they are next looked at or evicted. */
  get size(): number {
    return this.records.size;
  }

  /** {@inheritDoc InboxStore.claim} */
  async claim(key: string, token: string, leaseMs: number): Promise<InboxClaimStatus> {
    const record = this.live(key);
    if (record) {
      this.touch(key, record);
      return record.token === undefined ? 'done' : 'in-progress';
    }
    this.put(key, { token, expiresAt: this.now() + leaseMs });
    return 'claimed';
  }

  /** {@inheritDoc InboxStore.commit} */
  async commit(key: string, token: string, retentionMs: number): Promise<boolean> {
    const held = this.live(key)?.token === token;
    this.put(key, { token: undefined, expiresAt: this.now() + retentionMs });
    return held;
  }

  /** {@inheritDoc InboxStore.release} */
  async release(key: string, token: string): Promise<boolean> {
    if (this.live(key)?.token !== token) return false;
    this.records.delete(key);
    return true;
  }

  /** {@inheritDoc InboxStore.renew} */
  async renew(key: string, token: string, leaseMs: number): Promise<boolean> {
    if (this.live(key)?.token !== token) return false;
    this.put(key, { token, expiresAt: this.now() + leaseMs });
    return true;
  }

  /** {@inheritDoc InboxStore.health} Reports the records held against `maxEntries`, as an issue from 80%. */
  async health(): Promise<InboxStoreHealth> {
    const keys = this.records.size;
    const issues =
      keys >= 0.8 * this.maxEntries
        ? [`inbox holds ${keys} records of its maxEntries ${this.maxEntries}: beyond it the least recently used are evicted`]
        : [];
    return { store: 'memory', keys, maxKeys: this.maxEntries, issues };
  }

  /** Removes every record. */
  clear(): void {
    this.records.clear();
  }

  private live(key: string): InboxRecord | undefined {
    const record = this.records.get(key);
    if (record && record.expiresAt <= this.now()) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  private touch(key: string, record: InboxRecord): void {
    this.records.delete(key);
    this.records.set(key, record);
  }

  private put(key: string, record: InboxRecord): void {
    this.records.delete(key);
    while (this.records.size >= this.maxEntries) this.evictOldest();
    this.records.set(key, record);
  }

  private evictOldest(): void {
    const [key, record] = this.records.entries().next().value as [string, InboxRecord];
    this.records.delete(key);
    if (record.expiresAt > this.now() && !this.warnedFull) {
      this.warnedFull = true;
      this.logger.warn(
        `MemoryInboxStore is full (maxEntries ${this.maxEntries}): evicting the least recently used message ids, ` +
          'so a duplicate of an evicted id would be handled again; raise maxEntries or use a shared store',
      );
    }
  }
}
