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

const str = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

/**
 * One staged NDJSON line, built by hand: this runs once per event, and a generic JSON.stringify of the
 * row object costs about twice as much. Fields the contract restricts to [0-9a-z_:.TZ-] (uuid, names,
 * dates) need no escaping; free text goes through JSON.stringify. tests/pipeline/staged-row.test.ts
 * proves the output equals JSON.stringify(row).
 */
export function serializeStagedRow(row: StagedRow): string {
  return (
    `{"event_uuid":"${row.event_uuid}","event_name":"${row.event_name}","event_type":"${row.event_type}",` +
    `"event_subtype":"${row.event_subtype}","created_at":${row.created_at},"created_datetime":"${row.created_datetime}",` +
    `"event_date":"${row.event_date}","user_uuid":${str(row.user_uuid)},"language":${str(row.language)},` +
    `"country":${str(row.country)},"subscription_type":${str(row.subscription_type)},` +
    `"subscription_status":${str(row.subscription_status)},"enrichment_status":"${row.enrichment_status}",` +
    `"payload":${JSON.stringify(row.payload)},"source_key":${JSON.stringify(row.source_key)},"line_no":${row.line_no}}`
  );
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
