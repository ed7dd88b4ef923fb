import type { ValidEvent } from '../contract/types';

export type EnrichmentStatus = 'enriched' | 'no_account' | 'no_subscription' | 'not_applicable';

/** One staged row: the curated columns less batch_id/ingested_at (bound by SQL), plus line_no for arrival order. */
export interface StagedRow {
  event_uuid: string;
  event_name: string;
  event_type: string;
  event_subtype: string;
  created_at: number;
  created_datetime: string;
  event_date: string;
  user_uuid: string | null;
  language: string | null;
  country: string | null;
  subscription_type: string | null;
  subscription_status: string | null;
  enrichment_status: EnrichmentStatus;
  payload: string;
  source_key: string;
  line_no: number;
}

export function stagedRow(event: ValidEvent, sourceKey: string, lineNo: number): StagedRow {
  return {
    event_uuid: event.event_uuid,
    event_name: event.event_name,
    event_type: event.event_type,
    event_subtype: event.event_subtype,
    created_at: event.created_at,
    created_datetime: event.created_datetime,
    event_date: event.event_date,
    user_uuid: event.user_uuid,
    language: event.language,
    country: null,
    subscription_type: null,
    subscription_status: null,
    enrichment_status: 'not_applicable',
    payload: event.payload,
    source_key: sourceKey,
    line_no: lineNo,
  };
}

/** Lesson events are the ones enriched from user state (PRODUCT.md §4). */
export function needsEnrichment(event: ValidEvent): boolean {
  return event.event_type === 'lesson';
}

/** Parses staged NDJSON back into rows (our own output: a parse failure is a bug, not bad input). */
export function parseStagedLines(text: string): StagedRow[] {
  const rows: StagedRow[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) rows.push(JSON.parse(text.slice(start, end)) as StagedRow);
    start = end + 1;
  }
  return rows;
}
