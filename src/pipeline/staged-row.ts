import type { StagedColumnName } from '../contract/columns';
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

/** StagedRow has exactly the staged columns of src/contract/columns.ts (order: tests/pipeline/staged-row.test.ts). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stagedRowMatchesColumns: Same<keyof StagedRow, StagedColumnName> = true;
void stagedRowMatchesColumns;

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

/** The fields enrichment sets. */
export interface Enrichment {
  country: string | null;
  subscription_type: string | null;
  subscription_status: string | null;
  enrichment_status: EnrichmentStatus;
}

/** What enrichment reads of a staged lesson: the fields before `country` in serializeStagedRow's order. */
export type StagedHead = Pick<StagedRow, 'event_uuid' | 'created_at' | 'user_uuid' | 'language'>;

const COUNTRY_FIELD = ',"country":';
const PAYLOAD_FIELD = ',"payload":';

/**
 * Splits a line written by serializeStagedRow around its enrichment fields, so enrichment parses only the
 * short head and never re-escapes the payload. The first `,"country":` is the field itself: inside a
 * JSON string value a quote is always escaped, so the sequence cannot occur there.
 */
export function splitStagedLine(line: string): { head: StagedHead; prefix: string; suffix: string } {
  const cut = line.indexOf(COUNTRY_FIELD);
  const tail = line.indexOf(PAYLOAD_FIELD, cut);
  if (cut === -1 || tail === -1) throw new Error(`not a staged row: ${line.slice(0, 120)}`);
  const prefix = line.slice(0, cut);
  return { head: JSON.parse(`${prefix}}`) as StagedHead, prefix, suffix: line.slice(tail) };
}

/** The staged line with its enrichment fields replaced; equal to serializeStagedRow of the enriched row. */
export function joinStagedLine(prefix: string, enrichment: Enrichment, suffix: string): string {
  return (
    `${prefix},"country":${str(enrichment.country)},"subscription_type":${str(enrichment.subscription_type)},` +
    `"subscription_status":${str(enrichment.subscription_status)},"enrichment_status":"${enrichment.enrichment_status}"${suffix}`
  );
}

/** Lesson events are the ones enriched from user state (docs/contract.md#enrichment). */
export function needsEnrichment(event: ValidEvent): boolean {
  return event.event_type === 'lesson';
}

/** The lines of a staged NDJSON object (our own output), without their newlines. */
export function stagedLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
