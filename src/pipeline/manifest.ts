import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from '../ports/object-store';
import type { BatchMode } from '../ports/orchestrator';

export interface SliceRange {
  /** Index of the first object of the slice in `objects`. */
  readonly first: number;
  /** Index after the last object. */
  readonly end: number;
}

/**
 * A raw object of a batch. `reprocessed`: a committed batch already read it (a backfill reading it again),
 * so its lines were quarantined then: they are counted as already quarantined, never recorded twice.
 */
export type ManifestObject = ObjectInfo & {
  readonly reprocessed?: boolean;
  /**
   * Replay: the object is a quarantine object (not a raw one), and these are the 0-based line indexes of the
   * records in it the batch re-validates (src/pipeline/replay-source.ts).
   */
  readonly replayLines?: readonly number[];
};

/** What a replay batch selected (docs/quarantine.md#replay): null fields select everything. */
export interface ReplaySelection {
  readonly reason: string | null;
  /** Days (YYYY-MM-DD, UTC) of the records' `quarantined_at`. */
  readonly from: string | null;
  readonly to: string | null;
  /** The documented fix applied to every line first (src/contract/replay-transforms.ts). */
  readonly transform: string | null;
}

/** The frozen list of raw objects a batch processes; written once at plan time, read by every later state. */
export interface BatchManifest {
  readonly batch_id: string;
  readonly mode: BatchMode;
  /** ISO time the batch was planned: the `ingested_at` of its rows, so a resumed batch writes identical rows. */
  readonly planned_at: string;
  readonly range: { readonly from: string; readonly to: string } | null;
  readonly objects: readonly ManifestObject[];
  readonly slices: readonly SliceRange[];
  /** Replay batches only. */
  readonly replay?: ReplaySelection;
}

/** How many quarantine records a replay batch re-validates (0 for other batches). */
export function replayCandidateCount(manifest: BatchManifest): number {
  return manifest.objects.reduce((sum, o) => sum + (o.replayLines?.length ?? 0), 0);
}

/** Batch id: a digest of the mode and the sorted object keys, so the same list always gets the same id. */
export function batchIdFor(mode: BatchMode, keys: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(`${mode}\n`);
  for (const key of [...keys].sort()) hash.update(`${key}\n`);
  return hash.digest('hex').slice(0, 32);
}

/**
 * Cuts the object list, in order, into slices of at most `maxBytes` (an object larger than that gets a slice
 * alone): as few slices as greedy packing makes, and of them the most even cut, so no worker (Lambda or local
 * process) is left with a small last slice while another still has a full one (the 1M bench: 9 slices of
 * 8 MiB and one of 2 MiB left a worker idle 0.7 s at the end of ValidateSlices).
 */
export function sliceObjects(objects: readonly ObjectInfo[], maxBytes: number): SliceRange[] {
  const count = packGreedily(objects, maxBytes).length;
  // The smallest cap that still needs no more slices than `count` (the greedy count only falls as the cap
  // grows), found by bisection: ~23 greedy passes for an 8 MiB cap.
  let low = 1;
  let high = maxBytes;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (packGreedily(objects, middle).length <= count) high = middle;
    else low = middle + 1;
  }
  return packGreedily(objects, high);
}

/** Slices in order, each closed before the object that would take it past `capBytes`. */
function packGreedily(objects: readonly ObjectInfo[], capBytes: number): SliceRange[] {
  const slices: SliceRange[] = [];
  let first = 0;
  let bytes = 0;
  objects.forEach((object, index) => {
    if (index > first && bytes + object.sizeBytes > capBytes) {
      slices.push({ first, end: index });
      first = index;
      bytes = 0;
    }
    bytes += object.sizeBytes;
  });
  if (objects.length > first) slices.push({ first, end: objects.length });
  return slices;
}

/** Arrival hour of a Firehose key `raw/YYYY/MM/DD/HH/...` as epoch ms, or undefined for other layouts. */
export function arrivalHourMs(key: string): number | undefined {
  const match = /^raw\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//.exec(key);
  if (!match) return undefined;
  const [, y, m, d, h] = match;
  return Date.UTC(Number(y), Number(m) - 1, Number(d), Number(h));
}

/**
 * When a line of `key` arrived, for the created_at check: the end of its Firehose hour when the key says it,
 * else `fallbackMs` (the plan time).
 */
export function arrivalMsOf(key: string, fallbackMs: number): number {
  const hour = arrivalHourMs(key);
  return hour !== undefined ? hour + 3_600_000 : fallbackMs;
}

export async function readManifest(objects: ObjectStore, key: string): Promise<BatchManifest> {
  return JSON.parse((await objects.get(key)).toString('utf8')) as BatchManifest;
}
