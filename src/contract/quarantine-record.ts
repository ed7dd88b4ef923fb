/** Builds the quarantine record of one rejected line or object (docs/contract.md#quarantine). */
import { isUtf8 } from 'node:buffer';
import { RAW_KEEP_BYTES } from './limits';
import type { QuarantineReason } from './reasons';
import type { QuarantineRecord } from './types';

export interface QuarantineRecordArgs {
  readonly batchId: string;
  readonly sourceKey: string;
  /** 1-based line number; null when the whole object is quarantined. */
  readonly lineNo: number | null;
  readonly reason: QuarantineReason;
  readonly errors: readonly string[];
  /** The raw line without its `\n` (or the object's first bytes); may already be only the head of it. */
  readonly raw: Buffer;
  /** Real size when `raw` is only the head (an oversized line, an unreadable object); default raw.length. */
  readonly rawSizeBytes?: number;
  readonly quarantinedAt: string;
}

/**
 * End (<= `end`) of the longest prefix of `bytes[0, end)` that does not stop inside a UTF-8 sequence: a cut made at
 * `end` that would split a character moves back to that character's first byte. Bytes that are not UTF-8 at all
 * are left as they are.
 */
export function utf8PrefixEnd(bytes: Uint8Array, end: number): number {
  let lead = end - 1;
  while (lead >= 0 && lead > end - 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0) return end;
  const b = bytes[lead]!;
  const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + length > end ? lead : end;
}

/**
 * The quarantine record: `raw` is kept up to RAW_KEEP_BYTES (64 KiB) and cut on a character boundary; `raw_line` is
 * that text (invalid bytes shown as U+FFFD), `raw_base64` the exact kept bytes when they are not valid UTF-8,
 * `raw_size_bytes` the real size and `truncated` whether bytes were left out.
 */
export function toQuarantineRecord(args: QuarantineRecordArgs): QuarantineRecord {
  const { raw } = args;
  const realSize = Math.max(args.rawSizeBytes ?? raw.length, raw.length);
  let keep = raw.length;
  if (keep > RAW_KEEP_BYTES) keep = utf8PrefixEnd(raw, RAW_KEEP_BYTES);
  else if (realSize > keep) keep = utf8PrefixEnd(raw, keep); // a head cut by the reader may end mid-character
  const kept = keep === raw.length ? raw : raw.subarray(0, keep);
  const valid = isUtf8(kept);
  return {
    batch_id: args.batchId,
    source_key: args.sourceKey,
    line_no: args.lineNo,
    reason: args.reason,
    errors: [...args.errors],
    raw_line: kept.toString('utf8'),
    raw_base64: valid ? null : kept.toString('base64'),
    raw_size_bytes: realSize,
    truncated: realSize > keep,
    quarantined_at: args.quarantinedAt,
  };
}
