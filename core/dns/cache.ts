/**
 * A bounded map whose entries expire: the resolver's answer cache. Least recently used
 * entries are evicted first once the cap is reached; expired entries are dropped when
 * met. Time is passed in, so tests control it.
 */

interface Entry<V> {
  value: V;
  expires: number;
}

/** A size-capped cache of values with absolute expiry times (milliseconds). */
export class TtlCache<V> {
  #map = new Map<string, Entry<V>>();

  /** @param capacity most entries kept; 0 disables the cache */
  constructor(readonly capacity: number) {}

  /** Number of entries held, expired ones included until they are met. */
  get size(): number {
    return this.#map.size;
  }

  /** The live entry for `key` at time `now`, marking it recently used. */
  get(key: string, now: number): Entry<V> | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    this.#map.delete(key);
    if (e.expires <= now) return undefined;
    this.#map.set(key, e); // Map order is insertion order: re-inserting marks it recent
    return e;
  }

  /** Stores `value` until `expires`, evicting the least recently used entry when full. */
  set(key: string, value: V, expires: number): void {
    if (this.capacity <= 0) return;
    this.#map.delete(key);
    while (this.#map.size >= this.capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
    this.#map.set(key, { value, expires });
  }

  /** Drops every entry. */
  clear(): void {
    this.#map.clear();
  }
}
