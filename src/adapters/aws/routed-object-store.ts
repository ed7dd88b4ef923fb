import type { Readable } from 'node:stream';
import { InvalidInputError } from '../../errors';
import { deleteObjects, type ObjectInfo, type ObjectStore } from '../../ports/object-store';
import { checkListPrefix, checkObjectKey } from '../../ports/object-key';

/** Keys starting with `prefix` live in `store`, under the same key. */
export interface ObjectRoute {
  readonly prefix: string;
  readonly store: ObjectStore;
}

/**
 * One ObjectStore over several (one bucket per concern on AWS), chosen by key prefix:
 * `raw/` -> raw bucket, `curated/` -> curated, `quarantine/` -> quarantine, `staging/` and `runs/` ->
 * staging. Keys are passed through unchanged, so `curated/events/x` is `s3://<curated>/curated/events/x`.
 *
 * Route prefixes end with `/` and none is a prefix of another, so every key has at most one route; a key
 * with none is `InvalidInputError`. `list(prefix)` asks only the routes whose prefix can hold a match, in
 * ascending prefix order: as the prefixes are disjoint, that concatenation is still ascending by key.
 */
export class RoutedObjectStore implements ObjectStore {
  private readonly routes: readonly ObjectRoute[];

  constructor(routes: readonly ObjectRoute[]) {
    if (routes.length === 0) throw new InvalidInputError('RoutedObjectStore: needs at least one route');
    for (const route of routes) {
      if (!route.prefix.endsWith('/')) {
        throw new InvalidInputError(
          `RoutedObjectStore: route prefix must end with "/": ${JSON.stringify(route.prefix)}`,
        );
      }
      checkObjectKey(route.prefix.slice(0, -1));
    }
    for (const a of routes) {
      for (const b of routes) {
        if (a !== b && b.prefix.startsWith(a.prefix)) {
          throw new InvalidInputError(
            `RoutedObjectStore: route prefixes overlap: "${a.prefix}" and "${b.prefix}"`,
          );
        }
      }
    }
    this.routes = [...routes].sort((a, b) => Buffer.compare(Buffer.from(a.prefix), Buffer.from(b.prefix)));
  }

  /** The route prefixes, ascending. */
  get prefixes(): string[] {
    return this.routes.map((route) => route.prefix);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkListPrefix(prefix);
    const inside = this.routes.find((route) => prefix.startsWith(route.prefix));
    if (inside !== undefined) {
      yield* inside.store.list(prefix);
      return;
    }
    // A prefix shorter than the routes ('' or 'ra'): every route it covers, whole, in key order.
    const covered = this.routes.filter((route) => route.prefix.startsWith(prefix));
    if (covered.length === 0) throw this.noRoute('list prefix', prefix);
    for (const route of covered) yield* route.store.list(route.prefix);
  }

  async get(key: string): Promise<Buffer> {
    return this.storeOf(key).get(key);
  }

  async getStream(key: string): Promise<Readable> {
    return this.storeOf(key).getStream(key);
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    return this.storeOf(key).put(key, body);
  }

  async exists(key: string): Promise<boolean> {
    return this.storeOf(key).exists(key);
  }

  async delete(key: string): Promise<void> {
    return this.storeOf(key).delete(key);
  }

  /** Each route's keys with that store's own batch delete (one bucket per DeleteObjects request). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const byStore = new Map<ObjectStore, string[]>();
    for (const key of keys) {
      const store = this.storeOf(key);
      byStore.set(store, [...(byStore.get(store) ?? []), key]);
    }
    for (const [store, own] of byStore) await deleteObjects(store, own);
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    const from = this.storeOf(fromKey);
    const to = this.storeOf(toKey);
    if (from === to) return from.move(fromKey, toKey);
    // Across buckets: copy the body, then remove the source (a retry after a crash converges).
    await to.put(toKey, await from.get(fromKey));
    await from.delete(fromKey);
  }

  /** The URI in the key's bucket; `''` (no single root across buckets) is refused. */
  uri(key: string): string {
    if (key === '') {
      throw new InvalidInputError(
        `RoutedObjectStore: no single root URI across buckets; ask for one of ${this.prefixes.join(', ')}`,
      );
    }
    return this.storeOf(key).uri(key);
  }

  /** Throws synchronously: callers are async methods, so it still reaches the caller as a rejection. */
  private storeOf(key: string): ObjectStore {
    const route = this.routes.find((r) => key.startsWith(r.prefix));
    if (route === undefined) throw this.noRoute('key', key);
    return route.store;
  }

  private noRoute(what: string, key: string): InvalidInputError {
    return new InvalidInputError(
      `${what} ${JSON.stringify(key)} matches no bucket route; known prefixes: ${this.prefixes.join(', ')}`,
    );
  }
}
