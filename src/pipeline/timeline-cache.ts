import type { EntityKey } from '../ports/state-store';
import type { EntityTimeline } from './user-state';

/** An entity's timeline, or null: the store has no version of it (the lesson enriches as no_account/no_subscription). */
export type CachedTimeline = EntityTimeline | null;

/**
 * Timelines one process already read during one batch's EnrichSlices, so a lesson's entities are read from the
 * state store once per stretch of lessons instead of once per part (at 10M events a worker asked for each of
 * 262k entities about 14 times: docs/performance.md).
 *
 * Valid only while the state cannot change: EnrichSlices runs after every ValidateSlice applied its versions,
 * and nothing writes state until the batch ends (a forget waits for the run lease). So it is kept per batch
 * (`forBatch` drops everything on another batch id), and only by a runtime whose process serves one batch's
 * slice Maps and ends (the local slice worker). A warm Lambda could serve a redriven batch after a forget:
 * the AWS runtime has none.
 *
 * Bounded: two generations of at most `maxEntities` each; an entry read from the older one moves to the newer,
 * and when the newer is full the older is dropped whole. A caller never holds on to a generation, so dropping
 * one never changes an answer already given.
 */
export class TimelineCache {
  private batchId: string | undefined;
  private young = new Map<EntityKey, CachedTimeline>();
  private old = new Map<EntityKey, CachedTimeline>();
  /** Lookups answered here, and asked of the store (diagnostics, tests). */
  hits = 0;
  misses = 0;

  constructor(readonly maxEntities = DEFAULT_MAX_ENTITIES) {
    if (!Number.isInteger(maxEntities) || maxEntities < 1) throw new RangeError(`maxEntities must be a positive integer, got ${maxEntities}`);
  }

  /** Starts over when `batchId` is not the batch the cache holds timelines of. */
  forBatch(batchId: string): this {
    if (batchId !== this.batchId) {
      this.batchId = batchId;
      this.young = new Map();
      this.old = new Map();
    }
    return this;
  }

  /** The entity's timeline (null: known absent), or undefined when it must be read from the store. */
  get(entity: EntityKey): CachedTimeline | undefined {
    const young = this.young.get(entity);
    if (young !== undefined) {
      this.hits++;
      return young;
    }
    const old = this.old.get(entity);
    if (old === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.set(entity, old);
    return old;
  }

  set(entity: EntityKey, timeline: CachedTimeline): void {
    if (this.young.size >= this.maxEntities) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(entity, timeline);
  }
}

/** Entities per generation: chosen by measurement (docs/performance.md). */
const DEFAULT_MAX_ENTITIES = 32_768;
