import { REPLAYABLE_REASONS } from '../contract/reasons';
import type { QuarantineRecord } from '../contract/types';
import type { ReplayTransform } from '../contract/replay-transforms';
import type { ObjectStore } from '../ports/object-store';
import { arrivalMsOf, type BatchManifest, type SliceRange } from './manifest';

/**
 * Where a replay batch's lines come from: quarantine records instead of raw objects (docs/quarantine.md#replay).
 * Each line travels under its ORIGINAL raw key and line number, so ValidateSlice stages it exactly as the
 * batch that first read it would have (same dedup arrival order: source key, then line), and keeps the
 * "quarantined at most once" rule.
 */
export interface ReplayLine {
  /** The bytes to validate: the record's raw bytes, after the replay's transform when there is one. */
  readonly bytes: Buffer;
  readonly sizeBytes: number;
  readonly sourceKey: string;
  readonly lineNo: number;
  /** When the line arrived (its raw key's Firehose hour, else the first batch's plan time). */
  readonly arrivalMs: number;
  /** The record it comes from. */
  readonly record: QuarantineRecord;
}

/** The records of one quarantine object, in line order (one JSON object per line). */
export async function readQuarantineRecords(objects: ObjectStore, key: string): Promise<QuarantineRecord[]> {
  const text = (await objects.get(key)).toString('utf8');
  const records: QuarantineRecord[] = [];
  for (const line of text.split('\n')) if (line !== '') records.push(JSON.parse(line) as QuarantineRecord);
  return records;
}

/** The exact bytes a record kept: base64 when they were not UTF-8, else its text. */
export function recordBytes(record: QuarantineRecord): Buffer {
  return record.raw_base64 !== null ? Buffer.from(record.raw_base64, 'base64') : Buffer.from(record.raw_line, 'utf8');
}

/**
 * Whether a record can be re-validated: a line (not a whole object), kept whole (not truncated), and
 * rejected by validation (a duplicate_conflict is a decision against stored data, not a contract failure).
 */
export function isReplayable(record: QuarantineRecord): boolean {
  return record.line_no !== null && !record.truncated && REPLAYABLE_REASONS.includes(record.reason);
}

/**
 * The candidate lines of one slice of a replay batch, one array per quarantine object (so the caller can
 * flush its writers between objects, as it does between raw objects). A candidate the plan named but the
 * object no longer holds fails the slice: the batch must never silently read fewer lines than it planned.
 */
export async function* replayLines(
  objects: ObjectStore,
  manifest: BatchManifest,
  range: SliceRange,
  transform: ReplayTransform | undefined,
): AsyncIterable<ReplayLine[]> {
  for (const object of manifest.objects.slice(range.first, range.end)) {
    const records = await readQuarantineRecords(objects, object.key);
    const lines: ReplayLine[] = [];
    for (const index of object.replayLines ?? []) {
      const record = records[index];
      if (record === undefined || record.line_no === null) {
        throw new Error(`replay batch ${manifest.batch_id}: ${object.key} has no line record at index ${index}; plan the replay again`);
      }
      const raw = recordBytes(record);
      const bytes = transform !== undefined ? transform.apply(raw) : raw;
      lines.push({
        bytes,
        sizeBytes: bytes === raw ? record.raw_size_bytes : bytes.length,
        sourceKey: record.source_key,
        lineNo: record.line_no,
        arrivalMs: arrivalMsOf(record.source_key, Date.parse(record.quarantined_at)),
        record,
      });
    }
    yield lines;
  }
}
