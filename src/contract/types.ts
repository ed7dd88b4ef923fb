import type { QuarantineReason } from './reasons';

/** An event that passed validation, with the derived fields of docs/contract.md#derived-fields. */
export interface ValidEvent {
  /** Lower-case canonical UUID. */
  readonly event_uuid: string;
  readonly event_name: string;
  /** First part of event_name. */
  readonly event_type: string;
  /** Second part of event_name. */
  readonly event_subtype: string;
  /** Unix seconds as sent (int or float). */
  readonly created_at: number;
  /** ISO 8601 UTC with `Z` and microseconds, e.g. `2024-04-07T17:42:01.022075Z`. */
  readonly created_datetime: string;
  /** UTC date of created_datetime, `YYYY-MM-DD`. */
  readonly event_date: string;
  /** From the payload when present (lesson, account, subscription events), else null. */
  readonly user_uuid: string | null;
  readonly language: string | null;
  /** The parsed event, unknown fields kept. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The original line as text (BOM and trailing CR removed): the `payload` column. */
  readonly payload: string;
  /**
   * The same line as the UTF-8 bytes it was read as (a view of the caller's buffer, valid while the caller
   * keeps it): staging copies these bytes instead of encoding `payload` again.
   */
  readonly payloadBytes: Buffer;
}

/** What validating one line gives. */
export type LineResult =
  | { readonly kind: 'blank' }
  | { readonly kind: 'valid'; readonly event: ValidEvent }
  | {
      readonly kind: 'invalid';
      readonly reason: QuarantineReason;
      /** Every problem found, each naming the field and the fix, e.g. `created_at: 1712511721022 looks like milliseconds; send seconds`. */
      readonly errors: readonly string[];
    };

/** One quarantined line or object, as written to `<lake>/quarantine/` (one JSON object per line). */
export interface QuarantineRecord {
  readonly batch_id: string;
  readonly source_key: string;
  /** 1-based line number; null when the whole object is quarantined. */
  readonly line_no: number | null;
  readonly reason: QuarantineReason;
  readonly errors: readonly string[];
  /** The raw line (or the object's first bytes) as UTF-8 text, truncated to 64 KiB. */
  readonly raw_line: string;
  /** Base64 of the raw bytes (truncated to 64 KiB) when they are not valid UTF-8, else null. */
  readonly raw_base64: string | null;
  /** Real size in bytes of the line (or object) before truncation. */
  readonly raw_size_bytes: number;
  readonly truncated: boolean;
  readonly quarantined_at: string;
}
